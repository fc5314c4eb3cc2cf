//! Field usages (Standard Field Names): an account's columns and the system usage each
//! has. Uploaded lists and forms reach CRM fields only through usages, and the CRM field
//! of a usage is the connector's to say ([`listbridge_connector::Vocabulary`]). The
//! types live here, below storage and the engine, because both read them;
//! [`crate::field_usages`] is the service that saves an account's field usages.

pub use listbridge_connector::SystemUsage;
use serde::{Deserialize, Serialize};

/// A field usage: a column name's system usage in an account. Every list and form of
/// the account shares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldUsage {
    /// Column name (matched case-insensitively).
    pub column: String,
    /// System usage, e.g. `business_city`.
    pub usage: String,
}

impl FieldUsage {
    /// The field usage of a column among an account's, matching names case-insensitively.
    pub fn of<'a>(usages: &'a [FieldUsage], column: &str) -> Option<&'a FieldUsage> {
        usages
            .iter()
            .find(|u| u.column.eq_ignore_ascii_case(column))
    }
}

/// The address usage a column header suggests, if it looks like address data
/// ("City", "zip_code", "Street Address", "Business Country"…).
pub fn address_usage_for_header(header: &str) -> Option<SystemUsage> {
    let h: String = header
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let h = h.strip_prefix("business").unwrap_or(&h);
    match h {
        "street" | "streetaddress" | "address" | "address1" | "addressline1" | "address2"
        | "addressline2" => Some(SystemUsage::BusinessStreet),
        "city" | "town" => Some(SystemUsage::BusinessCity),
        "state" | "province" | "stateprovince" => Some(SystemUsage::BusinessState),
        "zip" | "zipcode" | "postalcode" | "postcode" => Some(SystemUsage::BusinessPostalCode),
        "country" => Some(SystemUsage::BusinessCountry),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_address_headers() {
        assert_eq!(
            address_usage_for_header("Zip Code"),
            Some(SystemUsage::BusinessPostalCode)
        );
        assert_eq!(
            address_usage_for_header("Business Street"),
            Some(SystemUsage::BusinessStreet)
        );
        assert_eq!(
            address_usage_for_header("city"),
            Some(SystemUsage::BusinessCity)
        );
        assert_eq!(address_usage_for_header("First Name"), None);
        assert_eq!(address_usage_for_header("Region"), None);
    }

    #[test]
    fn names_round_trip() {
        for u in SystemUsage::ALL {
            assert_eq!(SystemUsage::parse(u.as_str()), Some(u));
        }
    }
}
