//! Field usages (Standard Field Names): the system usages a column can have, and the
//! CRM field each usage lands in. Uploaded lists and forms reach CRM fields only through
//! usages. The types live here, below storage and the engine, because both read them;
//! [`crate::field_usages`] is the service that saves an account's field usages.

use serde::{Deserialize, Serialize};

/// What a column means to the system, independent of its header text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SystemUsage {
    /// The member email.
    Email,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Company name.
    Company,
    /// Job title.
    Title,
    /// Work phone.
    WorkPhone,
    /// Mobile phone.
    MobilePhone,
    /// Home phone.
    HomePhone,
    /// Web site.
    Website,
    /// Business street address.
    BusinessStreet,
    /// Business city.
    BusinessCity,
    /// Business state or province.
    BusinessState,
    /// Business postal code.
    BusinessPostalCode,
    /// Business country.
    BusinessCountry,
}

impl SystemUsage {
    /// Every usage, in display order.
    pub const ALL: [SystemUsage; 14] = [
        SystemUsage::Email,
        SystemUsage::FirstName,
        SystemUsage::LastName,
        SystemUsage::Company,
        SystemUsage::Title,
        SystemUsage::WorkPhone,
        SystemUsage::MobilePhone,
        SystemUsage::HomePhone,
        SystemUsage::Website,
        SystemUsage::BusinessStreet,
        SystemUsage::BusinessCity,
        SystemUsage::BusinessState,
        SystemUsage::BusinessPostalCode,
        SystemUsage::BusinessCountry,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemUsage::Email => "email",
            SystemUsage::FirstName => "first_name",
            SystemUsage::LastName => "last_name",
            SystemUsage::Company => "company",
            SystemUsage::Title => "title",
            SystemUsage::WorkPhone => "work_phone",
            SystemUsage::MobilePhone => "mobile_phone",
            SystemUsage::HomePhone => "home_phone",
            SystemUsage::Website => "website",
            SystemUsage::BusinessStreet => "business_street",
            SystemUsage::BusinessCity => "business_city",
            SystemUsage::BusinessState => "business_state",
            SystemUsage::BusinessPostalCode => "business_postal_code",
            SystemUsage::BusinessCountry => "business_country",
        }
    }

    /// Every valid usage name, in display order: what a refused name is told to use.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|u| u.as_str()).collect()
    }

    /// Parses a stored or API name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    /// Whether it is part of a business address.
    pub fn is_address(self) -> bool {
        matches!(
            self,
            SystemUsage::BusinessStreet
                | SystemUsage::BusinessCity
                | SystemUsage::BusinessState
                | SystemUsage::BusinessPostalCode
                | SystemUsage::BusinessCountry
        )
    }

    /// Whether it holds a phone number (work, mobile, home): such columns feed the
    /// per-account phone index that answers a phone system's caller lookup.
    pub fn is_phone(self) -> bool {
        matches!(
            self,
            SystemUsage::WorkPhone | SystemUsage::MobilePhone | SystemUsage::HomePhone
        )
    }

    /// Whether `crm_field` is the CRM field of a phone usage: a CRM list's column
    /// mirroring it holds phone numbers even without a field usage.
    pub fn is_phone_field(crm_field: &str) -> bool {
        Self::ALL
            .into_iter()
            .any(|u| u.is_phone() && u.infor_field().eq_ignore_ascii_case(crm_field))
    }

    /// The Infor CRM lead/contact field this usage lands in.
    pub fn infor_field(self) -> &'static str {
        match self {
            SystemUsage::Email => "Email",
            SystemUsage::FirstName => "FirstName",
            SystemUsage::LastName => "LastName",
            SystemUsage::Company => "Company",
            SystemUsage::Title => "Title",
            SystemUsage::WorkPhone => "WorkPhone",
            SystemUsage::MobilePhone => "Mobile",
            SystemUsage::HomePhone => "HomePhone",
            SystemUsage::Website => "WebAddress",
            SystemUsage::BusinessStreet => "Address.Address1",
            SystemUsage::BusinessCity => "Address.City",
            SystemUsage::BusinessState => "Address.State",
            SystemUsage::BusinessPostalCode => "Address.PostalCode",
            SystemUsage::BusinessCountry => "Address.Country",
        }
    }

    /// The column header *Optimize for Infor CRM* adds for an address usage.
    pub fn standard_column(self) -> &'static str {
        match self {
            SystemUsage::BusinessStreet => "Business Street",
            SystemUsage::BusinessCity => "Business City",
            SystemUsage::BusinessState => "Business State",
            SystemUsage::BusinessPostalCode => "Business Postal Code",
            SystemUsage::BusinessCountry => "Business Country",
            SystemUsage::Email => "Email",
            SystemUsage::FirstName => "First Name",
            SystemUsage::LastName => "Last Name",
            SystemUsage::Company => "Company",
            SystemUsage::Title => "Title",
            SystemUsage::WorkPhone => "Work Phone",
            SystemUsage::MobilePhone => "Mobile Phone",
            SystemUsage::HomePhone => "Home Phone",
            SystemUsage::Website => "Website",
        }
    }
}

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
