//! URLs safe to print. Start-up, storage errors and the connector URL check all show a
//! URL that may carry a password; they share this one rule so none of them leaks it.

/// A URL safe to print: any password is replaced by `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one, and
            // this one already has one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => raw.to_string(),
        // Unparsable: strip anything between "://" and "@" that may be credentials.
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &raw[..start + 3], &raw[at..])
            }
            _ => raw.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_passwords_only() {
        assert_eq!(
            redact_url("postgres://lb:s3cret@db:5432/lb"),
            "postgres://lb:***@db:5432/lb"
        );
        let plain = "sqlite://listbridge.db?mode=rwc";
        assert_eq!(redact_url(plain), plain);
        assert!(!redact_url("postgres://u:p@ss@[bad").contains("p@ss"));
    }
}
