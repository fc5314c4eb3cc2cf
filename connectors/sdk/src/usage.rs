//! Standard Field Names (system usages): what a list column or a form field means,
//! whatever its header says and whatever the CRM calls it. listbridge's lists and forms
//! speak in usages; each connector's [`crate::Vocabulary`] says which field of an
//! entity a usage lands in.

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

    /// The Standard Field Name as a marketer reads it: the column header *Optimize for
    /// CRM* adds, and the label of the usage in the console.
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
