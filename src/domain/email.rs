//! The member key: a trimmed, lower-cased, validated email address. Shared by the
//! engine, uploads, forms and notes, so it lives in the domain below all of them.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// Why a raw value is not a usable member email. Shown to marketers in import,
/// upload and form reports, so the text says what is wrong with the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing (or only spaces) where an email was expected.
    #[error("the email is empty")]
    Empty,
    /// Something that is not an email address.
    #[error("'{value}' is not a valid email address: {reason}")]
    Invalid {
        /// The value as given (trimmed).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A normalised email: the match key between list members and CRM records.
///
/// Holding one proves the value was trimmed, lower-cased and validated, so two
/// spellings of one address (`Ann@X.com `, `ann@x.com`) can never become two members.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberEmail(String);

/// The longest address SMTP carries (RFC 5321 path limit less the brackets).
const MAX_EMAIL_LEN: usize = 254;

impl MemberEmail {
    /// Normalises and validates a raw value.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        let invalid = |reason: &str| EmailError::Invalid {
            value: trimmed.chars().take(MAX_EMAIL_LEN + 10).collect(),
            reason: reason.to_string(),
        };
        if trimmed.len() > MAX_EMAIL_LEN {
            return Err(invalid("longer than 254 characters"));
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("it contains spaces or control characters"));
        }
        let normalised = trimmed.to_lowercase();
        let Some((_, domain)) = normalised.rsplit_once('@') else {
            return Err(invalid("there is no '@'"));
        };
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid(
                "the domain after '@' needs a dot, like example.com",
            ));
        }
        email_address::EmailAddress::from_str(&normalised).map_err(|e| invalid(&e.to_string()))?;
        Ok(MemberEmail(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MemberEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MemberEmail {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        MemberEmail::parse(&value)
    }
}

impl From<MemberEmail> for String {
    fn from(value: MemberEmail) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let e = MemberEmail::parse("  Ann.Smith@Example.COM \t").unwrap();
        assert_eq!(e.as_str(), "ann.smith@example.com");
    }

    #[test]
    fn keeps_quotes_and_plus() {
        assert_eq!(
            MemberEmail::parse("o'brien+news@x.ie").unwrap().as_str(),
            "o'brien+news@x.ie"
        );
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(MemberEmail::parse("   "), Err(EmailError::Empty));
        for bad in [
            "ann",
            "ann@",
            "@x.com",
            "ann@localhost",
            "a b@x.com",
            "ann@x.com.",
            "a@@x.com",
        ] {
            let err = MemberEmail::parse(bad).unwrap_err();
            assert!(
                matches!(err, EmailError::Invalid { .. }),
                "{bad} gave {err:?}"
            );
            assert!(
                err.to_string().contains(bad.trim()),
                "{err} names the value"
            );
        }
    }

    #[test]
    fn rejects_overlong() {
        let long = format!("{}@x.com", "a".repeat(250));
        assert!(MemberEmail::parse(&long).is_err());
    }
}
