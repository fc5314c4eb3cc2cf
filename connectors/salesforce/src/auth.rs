//! The OAuth 2.0 client-credentials flow: the connected app's consumer key and secret
//! buy an access token at `{base_url}/services/oauth2/token`, cached until Salesforce
//! answers `401 INVALID_SESSION_ID`, when it is bought again once.
//!
//! The secret and the token live in [`SecretString`]s: they are exposed only to build
//! the one request that needs them and never appear in `Debug`, logs or errors.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::jwt::JwtSigner;

/// The JWT bearer flow's settings.
pub(crate) struct Jwt {
    /// The signing key.
    pub signer: JwtSigner,
    /// The assertion's `sub`.
    pub username: String,
    /// The assertion's `aud`.
    pub audience: String,
}

/// The connected app's credentials.
pub(crate) struct Credentials {
    /// Consumer key.
    pub client_id: String,
    /// Consumer secret (client credentials flow).
    pub client_secret: SecretString,
    /// Set for the JWT bearer flow, which signs instead of sending the secret.
    pub jwt: Option<Jwt>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("jwt", &self.jwt.as_ref().map(|j| &j.username))
            .finish()
    }
}

impl Credentials {
    /// The form body of a token request.
    pub fn token_form(&self) -> String {
        if let Some(jwt) = &self.jwt {
            let assertion = jwt.signer.assertion(
                &self.client_id,
                &jwt.username,
                &jwt.audience,
                chrono::Utc::now(),
            );
            return url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                .append_pair("assertion", &assertion)
                .finish();
        }
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose_secret())
            .finish()
    }
}

/// A token Salesforce issued.
#[derive(Clone)]
pub(crate) struct Token {
    /// The bearer token.
    pub access: SecretString,
    /// The identity URL (`…/id/{org}/{user}`), naming the integration user.
    pub identity: Option<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access", &"<redacted>")
            .field("identity", &self.identity)
            .finish()
    }
}

impl Token {
    /// The same token as `other` (to refresh only the token a request failed with).
    pub fn same(&self, other: &Token) -> bool {
        self.access.expose_secret() == other.access.expose_secret()
    }

    /// The user id at the end of the identity URL.
    pub fn user_id(&self) -> Option<String> {
        self.identity
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Reads a successful token answer.
pub(crate) fn parse_token(body: &str) -> Option<Token> {
    let parsed: TokenBody = serde_json::from_str(body).ok()?;
    (!parsed.access_token.is_empty()).then(|| Token {
        access: SecretString::from(parsed.access_token),
        identity: parsed.id,
    })
}

/// Salesforce's words for a refused token request (`invalid_client: invalid client
/// credentials`); they never echo the secret.
pub(crate) fn refusal(body: &str) -> String {
    match serde_json::from_str::<OAuthError>(body) {
        Ok(e) if !e.error.is_empty() => format!("{}: {}", e.error, e.error_description),
        _ => "the token endpoint refused the client credentials".into(),
    }
}
