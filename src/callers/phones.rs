//! Phone numbers on the service side: the account's default region (the setting that
//! reads national numbers), and which request parameter carries the caller's number.
//! The E.164 normalisation itself is [`crate::domain::phone`], below the store, which
//! keeps the phone index in step with member values.

pub use crate::domain::phone::{PhoneError, Region, to_e164};

use super::CallerError;

/// The request parameters (query or JSON body) a phone system may put the caller's
/// number in, in the order they are tried.
pub const CALLER_PARAMS: [&str; 6] = ["caller", "callerid", "cli", "from", "phone", "number"];

/// The stored form of a default region typed by an admin: an ISO 3166 alpha-2 code with
/// a numbering plan, upper-cased; blank means none (only numbers with a country code).
pub fn validate_region(raw: &str) -> Result<Option<String>, CallerError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    Region::parse(trimmed)
        .map(|r| Some(r.code()))
        .ok_or_else(|| CallerError::InvalidRegion(trimmed.to_string()))
}

/// The caller's number from request parameters: the first non-blank of
/// [`CALLER_PARAMS`] (names compared case-insensitively).
pub fn caller_of<'a>(mut param: impl FnMut(&str) -> Option<&'a str>) -> Option<&'a str> {
    CALLER_PARAMS
        .iter()
        .find_map(|name| param(name).map(str::trim).filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked_and_upper_cased() {
        assert_eq!(validate_region(" gb ").unwrap().as_deref(), Some("GB"));
        assert_eq!(validate_region("").unwrap(), None);
        assert!(matches!(
            validate_region("Mars"),
            Err(CallerError::InvalidRegion(r)) if r == "Mars"
        ));
    }

    #[test]
    fn the_first_caller_parameter_wins() {
        let params = [("cli", "  "), ("from", "+44 20 7946 0018"), ("phone", "1")];
        let got = caller_of(|n| params.iter().find(|(k, _)| *k == n).map(|(_, v)| *v));
        assert_eq!(got, Some("+44 20 7946 0018"));
    }
}
