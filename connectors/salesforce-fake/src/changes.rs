//! CRM-side changes, as a Salesforce user or automation would make them: update fields
//! of many records at once (sharing one SystemModstamp, as a bulk update leaves them),
//! insert records with any field (read-only ones included), convert a lead, delete.
//! Offered in-process on [`FakeState`] and over `/_admin`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::id::SfId;
use crate::record::Record;
use crate::schema::SObject;
use crate::state::FakeState;
use crate::time::{date_of, parse_datetime};
use crate::value::Value;
use crate::write::{Op, check, commit, read_body};

/// One record's CRM-side change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordUpdate {
    /// `Lead`, `Contact` or `Task`.
    #[serde(rename = "type")]
    pub sobject: String,
    /// The record's 15- or 18-character Id.
    pub id: String,
    /// Fields to set (any field, read-only ones included).
    #[serde(default)]
    pub fields: Map<String, Json>,
}

/// A set of CRM-side changes applied together, all sharing one SystemModstamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateSpec {
    /// The changes.
    pub updates: Vec<RecordUpdate>,
    /// The SystemModstamp (and LastModifiedDate) they all get; the clock's now if absent.
    #[serde(default, rename = "systemModstamp")]
    pub system_modstamp: Option<String>,
}

/// Which lead to convert, and into which contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvertSpec {
    /// The lead's Id.
    #[serde(rename = "leadId")]
    pub lead_id: String,
    /// An existing contact to merge into; a new one is made from the lead if absent.
    #[serde(default, rename = "contactId")]
    pub contact_id: Option<String>,
}

/// What a conversion produced (18-character Ids).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    /// The converted lead.
    #[serde(rename = "leadId")]
    pub lead_id: String,
    /// The contact it became.
    #[serde(rename = "contactId")]
    pub contact_id: String,
    /// The contact's account.
    #[serde(rename = "accountId")]
    pub account_id: String,
}

fn object_of(name: &str) -> Result<SObject, String> {
    SObject::from_name(name).ok_or_else(|| format!("unknown sObject '{name}'"))
}

fn id_of(text: &str) -> Result<SfId, String> {
    SfId::parse(text).ok_or_else(|| format!("malformed Id '{text}'"))
}

/// Lead fields copied to the contact a conversion makes.
const CARRIED: &[(&str, &str)] = &[
    ("FirstName", "FirstName"),
    ("LastName", "LastName"),
    ("Email", "Email"),
    ("Phone", "Phone"),
    ("Title", "Title"),
    ("LeadSource", "LeadSource"),
    ("HasOptedOutOfEmail", "HasOptedOutOfEmail"),
    ("Score__c", "Score__c"),
    ("CallReference__c", "CallReference__c"),
    ("Street", "MailingStreet"),
    ("City", "MailingCity"),
    ("State", "MailingState"),
    ("PostalCode", "MailingPostalCode"),
    ("Country", "MailingCountry"),
];

impl FakeState {
    /// Applies CRM-side changes, all or none; returns the 18-character Ids changed.
    pub fn update_records(&self, spec: &UpdateSpec) -> Result<Vec<String>, String> {
        let now = match &spec.system_modstamp {
            Some(t) => parse_datetime(t).ok_or_else(|| format!("bad systemModstamp '{t}'"))?,
            None => self.clock().now().timestamp_millis(),
        };
        let mut store = self.write();
        let mut ready = Vec::new();
        for u in &spec.updates {
            let object = object_of(&u.sobject)?;
            let id = id_of(&u.id)?;
            if store.table(object).get(id).is_none() {
                return Err(format!("no {} with Id {}", object.name(), u.id));
            }
            let body = read_body(object, &u.fields, Op::Update, true).map_err(|e| e.message)?;
            let rec = check(&store, &body, Op::Update, Some(id), true).map_err(|e| e.message)?;
            ready.push(rec);
        }
        Ok(ready
            .into_iter()
            .map(|rec| commit(&mut store, rec, Op::Update, now).to_18())
            .collect())
    }

    /// Inserts a record with any fields (`CreatedDate`, `SystemModstamp`, `IsConverted`
    /// … included); returns its 18-character Id.
    pub fn insert_record(
        &self,
        object: SObject,
        fields: &Map<String, Json>,
    ) -> Result<String, String> {
        let body = read_body(object, fields, Op::Create, true).map_err(|e| e.message)?;
        let given = |name: &str| {
            body.values
                .iter()
                .find(|(i, _)| *i == object.idx(name))
                .and_then(|(_, v)| v.as_millis())
        };
        let now = given("SystemModstamp")
            .or_else(|| given("LastModifiedDate"))
            .unwrap_or_else(|| self.clock().now().timestamp_millis());
        let mut store = self.write();
        let rec = check(&store, &body, Op::Create, None, true).map_err(|e| e.message)?;
        Ok(commit(&mut store, rec, Op::Create, now).to_18())
    }

    /// Moves records to the recycle bin (`IsDeleted`), bumping their SystemModstamp.
    pub fn delete_records(&self, ids: &[String]) -> Result<usize, String> {
        let now = self.clock().now().timestamp_millis();
        let mut store = self.write();
        let mut recs = Vec::new();
        for text in ids {
            let id = id_of(text)?;
            let rec = store
                .get(id)
                .cloned()
                .ok_or_else(|| format!("no record {text}"))?;
            recs.push(rec);
        }
        let n = recs.len();
        for mut rec in recs {
            rec.set_field("IsDeleted", Value::Bool(true));
            commit(&mut store, rec, Op::Update, now);
        }
        Ok(n)
    }

    /// Converts a lead as Salesforce's Convert button does: the lead becomes (or merges
    /// into) a contact, is marked converted, and its tasks move to the contact.
    pub fn convert_lead(&self, spec: &ConvertSpec) -> Result<Conversion, String> {
        let now = self.clock().now().timestamp_millis();
        let lead_id = id_of(&spec.lead_id)?;
        let mut store = self.write();
        let lead = store
            .table(SObject::Lead)
            .get(lead_id)
            .filter(|r| !r.is_deleted())
            .cloned()
            .ok_or_else(|| format!("no lead {}", spec.lead_id))?;
        if lead.is_converted() {
            return Err(format!("lead {} is already converted", spec.lead_id));
        }
        let contact = match &spec.contact_id {
            Some(text) => {
                let id = id_of(text)?;
                store
                    .table(SObject::Contact)
                    .get(id)
                    .filter(|r| !r.is_deleted())
                    .cloned()
                    .ok_or_else(|| format!("no contact {text}"))?
            }
            None => {
                let id = store.table_mut(SObject::Contact).next_id();
                let mut c = Record::new(SObject::Contact, id);
                for (from, to) in CARRIED {
                    c.set_field(to, lead.field(from).clone());
                }
                c.set_field("IsDeleted", Value::Bool(false));
                c.set_field("AccountId", Value::Id(store.next_account_id()));
                c
            }
        };
        let contact_id = contact.id();
        let account = contact.field("AccountId").clone();
        commit(&mut store, contact, Op::Create, now);
        let mut lead = lead;
        lead.set_field("IsConverted", Value::Bool(true));
        lead.set_field("Status", Value::text("Closed - Converted"));
        lead.set_field("ConvertedContactId", Value::Id(contact_id));
        lead.set_field("ConvertedAccountId", account.clone());
        if let Some(d) = date_of(now) {
            lead.set_field("ConvertedDate", Value::Date(d));
        }
        commit(&mut store, lead, Op::Update, now);
        let who = SObject::Task.idx("WhoId");
        let moved: Vec<Record> = store
            .table(SObject::Task)
            .iter()
            .filter(|t| t.get(who).as_id() == Some(lead_id))
            .cloned()
            .collect();
        for mut t in moved {
            t.set(who, Value::Id(contact_id));
            commit(&mut store, t, Op::Update, now);
        }
        Ok(Conversion {
            lead_id: lead_id.to_18(),
            contact_id: contact_id.to_18(),
            account_id: account.as_id().map(|a| a.to_18()).unwrap_or_default(),
        })
    }
}
