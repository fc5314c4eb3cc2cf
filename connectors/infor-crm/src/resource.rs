//! [`Resource`]: the SData resource kinds this connector reads and writes.
//!
//! The SDK names people ([`EntityKind`]) and conversion sources ([`SourceKind`])
//! separately; the SData machinery (schema discovery, feeds, `where`, record conversion,
//! PUT) is the same for each, so it is written once against this type.

use std::fmt;

use listbridge_connector::{EntityKind, SourceKind};

/// One SData resource kind listbridge reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Resource {
    /// `leads` (`Lead`).
    Lead,
    /// `contacts` (`Contact`).
    Contact,
    /// `opportunities` (`Opportunity`): a conversion source, with no email.
    Opportunity,
}

impl Resource {
    /// The resource kind in URLs (`leads`).
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Resource::Lead => "leads",
            Resource::Contact => "contacts",
            Resource::Opportunity => "opportunities",
        }
    }

    /// The payload element / `$name` (`Lead`).
    pub(crate) fn element(self) -> &'static str {
        match self {
            Resource::Lead => "Lead",
            Resource::Contact => "Contact",
            Resource::Opportunity => "Opportunity",
        }
    }

    /// The lowercase name in messages (`lead`), as [`EntityKind`] and [`SourceKind`]
    /// spell it.
    pub(crate) fn as_str(self) -> &'static str {
        SourceKind::from(self).as_str()
    }

    /// Fields every read selects besides the requested ones: the position in the
    /// (ModifyDate, Id) order and, for people, the email the engine matches on.
    pub(crate) fn always_selected(self) -> &'static [&'static str] {
        match self {
            Resource::Lead | Resource::Contact => &["Email", "ModifyDate"],
            Resource::Opportunity => &["ModifyDate"],
        }
    }
}

impl From<EntityKind> for Resource {
    fn from(entity: EntityKind) -> Self {
        match entity {
            EntityKind::Lead => Resource::Lead,
            EntityKind::Contact => Resource::Contact,
        }
    }
}

impl From<SourceKind> for Resource {
    fn from(source: SourceKind) -> Self {
        match source {
            SourceKind::Lead => Resource::Lead,
            SourceKind::Contact => Resource::Contact,
            SourceKind::Opportunity => Resource::Opportunity,
        }
    }
}

impl From<Resource> for SourceKind {
    fn from(resource: Resource) -> Self {
        match resource {
            Resource::Lead => SourceKind::Lead,
            Resource::Contact => SourceKind::Contact,
            Resource::Opportunity => SourceKind::Opportunity,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_keep_their_names_and_every_source_maps() {
        for entity in [EntityKind::Lead, EntityKind::Contact] {
            let resource = Resource::from(entity);
            assert_eq!(resource.to_string(), entity.to_string());
            assert!(resource.always_selected().contains(&"Email"));
        }
        for source in SourceKind::ALL {
            assert_eq!(SourceKind::from(Resource::from(source)), source);
        }
        let opportunity = Resource::from(SourceKind::Opportunity);
        assert_eq!(
            (opportunity.plural(), opportunity.element()),
            ("opportunities", "Opportunity")
        );
        assert!(!opportunity.always_selected().contains(&"Email"));
    }
}
