//! Typed ids. Every id is a UUID v7 (time-ordered), stored as text; the newtypes keep an
//! account id from being passed where a connector id is expected.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The text form stored in the database.
            pub fn as_db(&self) -> String {
                self.0.to_string()
            }

            /// Parses the stored text form; `None` for anything that is not a UUID.
            pub fn from_db(raw: &str) -> Option<Self> {
                Uuid::parse_str(raw).ok().map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }
    };
}

id_type!(
    /// Identifies an account (tenant).
    AccountId
);
id_type!(
    /// Identifies an API key record (not the key itself).
    ApiKeyId
);
id_type!(
    /// Identifies a configured CRM connector.
    ConnectorId
);
id_type!(
    /// Identifies an offline-conversion export.
    ConversionExportId
);
id_type!(
    /// Identifies one run of an offline-conversion export.
    ConversionRunId
);
id_type!(
    /// Identifies a marketing list.
    ListId
);
id_type!(
    /// Identifies a list member.
    MemberId
);
id_type!(
    /// Identifies a segment.
    SegmentId
);
id_type!(
    /// Identifies an import or sync run.
    RunId
);
id_type!(
    /// Identifies a queued job.
    JobId
);
id_type!(
    /// Identifies a schedule.
    ScheduleId
);
id_type!(
    /// Identifies a web form.
    FormId
);
id_type!(
    /// Identifies an accepted form submission.
    SubmissionId
);
id_type!(
    /// Identifies a person who signs in to the web console.
    UserId
);
id_type!(
    /// Identifies a lookup key record (not the key itself) of the phone-system lookup URL.
    LookupKeyId
);
id_type!(
    /// Identifies a routing rule set of the phone-system route URL.
    RuleSetId
);

id_type!(
    /// Identifies an alert channel (email or webhook).
    AlertChannelId
);
