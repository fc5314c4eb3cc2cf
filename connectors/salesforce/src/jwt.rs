//! The OAuth 2.0 JWT bearer flow's assertion: `{"alg":"RS256"}` and the claims `iss`
//! (consumer key), `sub` (the Salesforce user), `aud` (login URL) and `exp` (three
//! minutes, Salesforce's documented maximum), signed with the connected app's private
//! key (RS256: RSASSA-PKCS1-v1_5 with SHA-256), each part base64url without padding.
//!
//! The key is read once when the connector is built; errors never quote it.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rsa::{
    PrivateKey,
    pkcs1::DecodeRsaPrivateKey,
    pkcs1v15::SigningKey,
    pkcs8::DecodePrivateKey,
    sha2::Sha256,
    signature::{SignatureEncoding, Signer},
};
use serde_json::json;

/// A connected app's signing key for JWT bearer assertions.
pub(crate) struct JwtSigner {
    key: SigningKey<Sha256>,
}

impl std::fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSigner(<redacted>)")
    }
}

impl JwtSigner {
    /// Reads a PEM RSA private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1
    /// `BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<JwtSigner, String> {
        let pem = pem.trim();
        let key = PrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| PrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| {
                "the JWT signing key is not a PEM RSA private key (PKCS#8 or PKCS#1)".to_string()
            })?;
        Ok(JwtSigner {
            key: SigningKey::<Sha256>::new(key),
        })
    }

    /// A signed assertion for `client_id` acting as `username` towards `audience`.
    pub fn assertion(
        &self,
        client_id: &str,
        username: &str,
        audience: &str,
        now: DateTime<Utc>,
    ) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256"}).to_string());
        let claims = URL_SAFE_NO_PAD.encode(
            json!({
                "iss": client_id,
                "sub": username,
                "aud": audience,
                "exp": now.timestamp() + 180,
            })
            .to_string(),
        );
        let signed = format!("{header}.{claims}");
        let signature = self.key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::{
        pkcs1v15::{Signature, VerifyingKey},
        pkcs8::{EncodePrivateKey, LineEnding},
        signature::Verifier,
    };

    #[test]
    fn assertions_are_signed_rs256_and_bad_keys_are_refused_unquoted() {
        let key = PrivateKey::new(&mut rand::rng(), 2048).unwrap_or_else(|e| panic!("{e}"));
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap_or_else(|e| panic!("{e}"));
        let signer = JwtSigner::from_pem(&pem).unwrap_or_else(|e| panic!("{e}"));
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let jwt = signer.assertion(
            "client",
            "user@example.test",
            "https://login.salesforce.com",
            now,
        );
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims = URL_SAFE_NO_PAD.decode(parts[1]).unwrap_or_default();
        let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap_or_default();
        assert_eq!(claims["sub"], "user@example.test");
        assert_eq!(claims["exp"], 1_800_000_180);
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
        let signature = Signature::try_from(signature.as_slice()).unwrap_or_else(|e| panic!("{e}"));
        let verifier = VerifyingKey::<Sha256>::new(key.to_public_key());
        assert!(
            verifier
                .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
                .is_ok()
        );
        let refused =
            JwtSigner::from_pem("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----")
                .map(|_| ())
                .unwrap_err();
        assert!(!refused.contains("c2VjcmV0"), "{refused}");
    }
}
