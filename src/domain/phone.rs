//! Phone numbers as E.164 (`+442079460018`): the one comparable form of what people
//! type (`020 7946 0018`, `(020) 7946-0018`, `0044 20 79460018`). It lives here, below
//! storage, because the store keeps the per-account phone index in the same
//! transaction as the member values it is derived from; [`crate::callers::phones`] is
//! the service side (the account's region, which columns hold phones).

use std::str::FromStr;

use phonenumber::{Mode, country};

/// An ISO 3166 alpha-2 region (`GB`, `US`) that national numbers are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    /// Parses an ISO 3166 alpha-2 code (case-insensitive, trimmed) that has a
    /// telephone numbering plan; `None` otherwise.
    pub fn parse(raw: &str) -> Option<Self> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return None;
        }
        country::Id::from_str(&code).ok().map(Region)
    }

    /// The upper-case code, as stored.
    pub fn code(self) -> String {
        self.0.as_ref().to_string()
    }
}

/// Why a text is not a phone number; the text itself is kept by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// No digits that could be a number.
    #[error("not a phone number")]
    NotANumber,
    /// A national number with no region to read it in.
    #[error("a national number without a country code, and the account has no default region")]
    NoRegion,
    /// Digits that no numbering plan allows.
    #[error("not a valid phone number for its country")]
    Invalid,
}

/// The E.164 form of `raw`, reading national numbers in `region`.
pub fn to_e164(raw: &str, region: Option<Region>) -> Result<String, PhoneError> {
    let text = raw.trim();
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(PhoneError::NotANumber);
    }
    let international = text.starts_with('+') || text.starts_with("00");
    let parsed = phonenumber::parse(region.map(|r| r.0), text).map_err(|_| {
        if region.is_none() && !international {
            PhoneError::NoRegion
        } else {
            PhoneError::NotANumber
        }
    })?;
    if !parsed.is_valid() {
        return Err(PhoneError::Invalid);
    }
    Ok(parsed.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_forms_of_one_london_number_agree() {
        let gb = Region::parse("gb");
        for raw in [
            "+44 20 7946 0018",
            "020 7946 0018",
            "0044 20 79460018",
            "(020) 7946-0018",
        ] {
            assert_eq!(to_e164(raw, gb).as_deref(), Ok("+442079460018"), "{raw}");
        }
    }

    #[test]
    fn national_numbers_need_a_region() {
        assert_eq!(
            to_e164("+44 20 7946 0018", None).as_deref(),
            Ok("+442079460018")
        );
        assert_eq!(to_e164("020 7946 0018", None), Err(PhoneError::NoRegion));
        assert_eq!(
            to_e164("(202) 555-0143", Region::parse("US")).as_deref(),
            Ok("+12025550143")
        );
    }

    #[test]
    fn rubbish_is_refused() {
        let gb = Region::parse("GB");
        assert_eq!(to_e164("call me", gb), Err(PhoneError::NotANumber));
        assert!(to_e164("12", gb).is_err());
        assert!(Region::parse("XX").is_none());
        assert!(Region::parse("GBR").is_none());
        assert_eq!(
            Region::parse(" us ").map(Region::code).as_deref(),
            Some("US")
        );
    }
}
