//! An opportunity's primary contact, read as `Contact.<Field>` fields of the opportunity.
//!
//! A conversion rule may take its reference (a call reference, a visitor id) from the
//! person an opportunity is with rather than from the opportunity. Infor CRM keeps an
//! opportunity's people as `OpportunityContact` rows (`opportunityContacts`: an
//! `Opportunity` and a `Contact` reference, `IsPrimary`, `SalesRole`); the one marked
//! `IsPrimary` is *the* contact of the opportunity. So for opportunities:
//!
//! - [`describe`] lists the contact's fields once more as `Contact.<Field>` ("Contact:
//!   Call Reference"), read-only, after the opportunity's own;
//! - [`read`] reads the opportunities page by page as ever and, for a read that asks for
//!   any `Contact.<Field>`, after each page asks `opportunityContacts` for that page's
//!   primary links (`Opportunity.Id in (…) and IsPrimary eq true`, in URL-sized chunks)
//!   and then the linked contacts by key (the chunked lookup of
//!   [`crate::read::get_by_keys`]): a few requests per page, never one per record, and
//!   never more than a page held. An opportunity without a primary contact reads `None`;
//! - filters name the opportunity's own fields only, and writes never reach the contact
//!   ([`refuse_writes`]): the conversion's write-back is to the opportunity.
//!
//! The `Contact.` names are this connector's convention (the SDK stays CRM-neutral); the
//! opportunity itself has no `Contact` relation in Infor CRM, so nothing is shadowed, and
//! a relation of that name a customised schema might add is left out of the description
//! in favour of the primary contact.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use async_stream::try_stream;
use futures::{StreamExt, stream::BoxStream};
use listbridge_connector::{
    ConnectorError, ConnectorResult, EntityKind, FieldDef, FieldValues, Filter, ReadQuery,
    SourceKind, SourceRecord, SourceStream,
};

use crate::{
    connector::Inner,
    query,
    read::{self, in_budget},
    resource::Resource,
    wire::{RawValue, WireEntry},
};

/// How the fields of an opportunity's primary contact are named: `Contact.CallReference`.
pub(crate) const PREFIX: &str = "Contact.";
/// Where Infor CRM keeps the people of an opportunity.
const LINKS: &str = "opportunityContacts";
/// The entity of [`LINKS`], for messages.
const LINK_ENTITY: &str = "opportunity contact";

/// The contact field a `Contact.<Field>` name stands for (`CallReference`), or `None`
/// for a field of the opportunity itself. The prefix matches in any case, as SData
/// matches property names.
pub(crate) fn contact_field(name: &str) -> Option<&str> {
    let head = name.get(..PREFIX.len())?;
    let rest = name.get(PREFIX.len()..)?;
    (head.eq_ignore_ascii_case(PREFIX) && !rest.is_empty()).then_some(rest)
}

/// The fields of opportunities: their own, then every field of the contact schema as
/// `Contact.<Field>`, labelled "Contact: …" and read-only (a write-back goes to the
/// opportunity, never to its contact).
pub(crate) async fn describe(inner: &Inner) -> ConnectorResult<Vec<FieldDef>> {
    let own = inner.schema(Resource::Opportunity).await?;
    let contact = inner.schema(Resource::Contact).await?;
    Ok(own
        .fields
        .iter()
        .filter(|f| contact_field(&f.name).is_none())
        .cloned()
        .chain(contact.fields.iter().map(linked_def))
        .collect())
}

/// A contact field as a field of the opportunity it is the primary contact of.
fn linked_def(def: &FieldDef) -> FieldDef {
    FieldDef {
        name: format!("{PREFIX}{}", def.name),
        label: format!("Contact: {}", def.label),
        required: false,
        read_only: true,
        ..def.clone()
    }
}

/// Refuses a write of any `Contact.<Field>`: those are the primary contact's values,
/// read through the opportunity; the opportunity's write-back must not change a person.
pub(crate) fn refuse_writes(fields: &FieldValues) -> ConnectorResult<()> {
    match fields.keys().find(|name| contact_field(name).is_some()) {
        Some(name) => Err(ConnectorError::Invalid {
            message: format!(
                "opportunity field {name} is its primary contact's and is read-only here; \
                 only the opportunity's own fields can be written"
            ),
        }),
        None => Ok(()),
    }
}

/// The field a filter compares, if it names one.
fn filter_field(filter: &Filter) -> Option<&str> {
    match filter {
        Filter::Equals { field, .. }
        | Filter::In { field, .. }
        | Filter::IsNull { field }
        | Filter::NotNull { field } => Some(field),
        Filter::ModifiedBefore { .. } => None,
    }
}

/// One requested `Contact.<Field>`: the name it is returned under and the contact's
/// own field name, both as the contact schema spells them.
struct Wanted {
    output: String,
    field: String,
}

/// The stream behind [`listbridge_connector::CrmConnector::read_source`] for
/// opportunities: [`read::read_source`], with the primary contact's requested fields
/// added to each page. A filter on a `Contact.<Field>` is refused before any request.
pub(crate) fn read(inner: Arc<Inner>, mut query: ReadQuery) -> SourceStream {
    let source = SourceKind::Opportunity;
    if let Some(field) = query
        .filters
        .iter()
        .filter_map(filter_field)
        .find(|f| contact_field(f).is_some())
    {
        let refused = ConnectorError::Invalid {
            message: format!(
                "opportunities cannot be filtered on {field}: filters apply to the \
                 opportunity's own fields, not its primary contact's"
            ),
        };
        return futures::stream::once(futures::future::ready(Err(refused))).boxed();
    }
    let (linked, own): (Vec<String>, Vec<String>) = std::mem::take(&mut query.fields)
        .into_iter()
        .partition(|name| contact_field(name).is_some());
    if linked.is_empty() {
        query.fields = own;
        return read::read_source(inner, source, query);
    }
    // No own field asked for would select every field; the position is all that is due.
    query.fields = if own.is_empty() {
        vec!["ModifyDate".to_string()]
    } else {
        own
    };
    let pages = read::read_source(Arc::clone(&inner), source, query);
    with_contacts(inner, linked, pages)
}

/// `pages` with the fields `linked` (`Contact.<Field>` names) of each opportunity's
/// primary contact added, checked against the contact schema before the first page.
fn with_contacts(inner: Arc<Inner>, linked: Vec<String>, pages: SourceStream) -> SourceStream {
    let stream: BoxStream<'static, ConnectorResult<Vec<SourceRecord>>> = Box::pin(try_stream! {
        let schema = inner.schema(Resource::Contact).await?;
        let mut wanted: Vec<Wanted> = Vec::new();
        for name in &linked {
            let field = contact_field(name).unwrap_or_default();
            let def = schema.field(field).ok_or_else(|| ConnectorError::Invalid {
                message: format!(
                    "opportunity field {name}: the primary contact has no field {field} \
                     in the CRM"
                ),
            })?;
            if !wanted.iter().any(|w| w.field == def.name) {
                wanted.push(Wanted {
                    output: format!("{PREFIX}{}", def.name),
                    field: def.name.clone(),
                });
            }
        }
        let mut pages = pages;
        while let Some(page) = pages.next().await {
            let mut page = page?;
            attach(&inner, &mut page, &wanted).await?;
            yield page;
        }
    });
    stream
}

/// Adds the wanted fields of each record's primary contact to one page of opportunities
/// (`None` for an opportunity without one, or whose contact is gone).
async fn attach(
    inner: &Inner,
    page: &mut [SourceRecord],
    wanted: &[Wanted],
) -> ConnectorResult<()> {
    if page.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = page.iter().map(|r| r.key.clone()).collect();
    let primary = primary_contacts(inner, &keys).await?;
    let mut contact_keys: Vec<String> = Vec::new();
    for key in primary.values() {
        if !contact_keys.contains(key) {
            contact_keys.push(key.clone());
        }
    }
    let fields: Vec<String> = wanted.iter().map(|w| w.field.clone()).collect();
    let contacts = read::get_by_keys(inner, EntityKind::Contact, &contact_keys, &fields).await?;
    let by_key: HashMap<&str, &FieldValues> = contacts
        .iter()
        .map(|c| (c.key.as_str(), &c.fields))
        .collect();
    for record in page.iter_mut() {
        let contact = primary
            .get(&record.key)
            .and_then(|key| by_key.get(key.as_str()));
        for w in wanted {
            let value = contact.and_then(|fields| value_of(fields, &w.field));
            record.fields.insert(w.output.clone(), value);
        }
    }
    Ok(())
}

/// A field of a read record, by the schema's name or, failing that, in any case (the
/// CRM names properties case-insensitively).
fn value_of(fields: &FieldValues, name: &str) -> Option<String> {
    match fields.get(name) {
        Some(value) => value.clone(),
        None => fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.clone()),
    }
}

/// The primary contact's key of each of the opportunities `keys` that has one, from
/// `opportunityContacts` in URL-sized chunks of `Opportunity.Id in (…)`. Each chunk is
/// one request unless the CRM pages its answer (it holds one row per opportunity, so a
/// page of the chunk's size is asked for). Should an opportunity have two primary
/// contacts, the link with the lowest key wins, so the choice is stable.
async fn primary_contacts(
    inner: &Inner,
    keys: &[String],
) -> ConnectorResult<HashMap<String, String>> {
    const PRIMARY: &str = " and IsPrimary eq true";
    let asked: HashSet<&str> = keys.iter().map(String::as_str).collect();
    let params = vec![
        ("select", "Opportunity,Contact,IsPrimary".to_string()),
        ("orderBy", "Id".to_string()),
        inner.format_param(),
    ];
    let chunk_most = inner.options.lookup_chunk.max(1);
    let page_size = u32::try_from(chunk_most).unwrap_or(u32::MAX);
    let budget = in_budget(inner, LINKS, &params, &format!("(){PRIMARY}"), page_size)?;
    let mut primary: HashMap<String, String> = HashMap::new();
    for (chunk, clause) in query::in_chunks("Opportunity.Id", keys, budget, chunk_most) {
        let mut chunk_params = params.clone();
        chunk_params.push(("where", format!("({clause}){PRIMARY}")));
        let count = u32::try_from(chunk.len()).unwrap_or(u32::MAX).max(1);
        let mut feeds = std::pin::pin!(read::pages(
            inner,
            LINKS,
            LINK_ENTITY,
            chunk_params,
            count,
            1
        ));
        while let Some(feed) = feeds.next().await {
            for entry in &feed?.entries {
                let Some((opportunity, contact)) = primary_link(entry) else {
                    continue;
                };
                if asked.contains(opportunity.as_str()) {
                    primary.entry(opportunity).or_insert(contact);
                }
            }
        }
    }
    Ok(primary)
}

/// The (opportunity, contact) keys of a link entry that is marked primary; `None` for
/// one that lacks either end or says it is not primary (a server that ignored part of
/// the `where` must not make a secondary contact the primary one).
fn primary_link(entry: &WireEntry) -> Option<(String, String)> {
    let get = |name: &str| {
        entry
            .fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let key = |name: &str| match get(name) {
        Some(RawValue::Ref(key)) => Some(key.trim().to_string()).filter(|k| !k.is_empty()),
        _ => None,
    };
    let not_primary = match get("IsPrimary") {
        Some(RawValue::Bool(flag)) => !flag,
        Some(RawValue::Text(text)) => !text.trim().eq_ignore_ascii_case("true"),
        _ => false,
    };
    if not_primary {
        return None;
    }
    Some((key("Opportunity")?, key("Contact")?))
}

#[cfg(test)]
mod tests {
    use listbridge_connector::FieldType;

    use super::*;

    #[test]
    fn contact_names_are_recognised_in_any_case() {
        assert_eq!(
            contact_field("Contact.CallReference"),
            Some("CallReference")
        );
        assert_eq!(contact_field("contact.VisitorId"), Some("VisitorId"));
        assert_eq!(contact_field("Contact.Address.City"), Some("Address.City"));
        assert_eq!(contact_field("Contact."), None);
        assert_eq!(contact_field("Contacts.X"), None);
        assert_eq!(contact_field("CallReference"), None);
        assert_eq!(contact_field("Account.AccountName"), None);
        assert_eq!(contact_field("Cont"), None);
        assert_eq!(
            contact_field("Contacté.X"),
            None,
            "byte 8 inside a character"
        );
    }

    #[test]
    fn linked_fields_are_labelled_and_read_only() {
        let def = FieldDef {
            name: "CallReference".into(),
            label: "Call Reference".into(),
            field_type: FieldType::Text,
            max_length: Some(32),
            required: true,
            read_only: false,
            custom: true,
        };
        let linked = linked_def(&def);
        assert_eq!(linked.name, "Contact.CallReference");
        assert_eq!(linked.label, "Contact: Call Reference");
        assert!(linked.read_only && !linked.required && linked.custom);
        assert_eq!(linked.max_length, Some(32));
    }

    #[test]
    fn writes_to_the_contact_are_refused_by_name() {
        let mut fields = FieldValues::new();
        fields.insert("MarketingSource".into(), Some("x".into()));
        assert!(refuse_writes(&fields).is_ok());
        fields.insert("Contact.CallReference".into(), Some("y".into()));
        match refuse_writes(&fields) {
            Err(ConnectorError::Invalid { message }) => {
                assert!(message.contains("Contact.CallReference"), "{message}")
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn only_primary_links_with_both_ends_count() {
        let entry = |fields: Vec<(&str, RawValue)>| WireEntry {
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ..WireEntry::default()
        };
        let opp = ("Opportunity", RawValue::Ref("O1".into()));
        let contact = ("Contact", RawValue::Ref(" C1 ".into()));
        assert_eq!(
            primary_link(&entry(vec![
                opp.clone(),
                contact.clone(),
                ("IsPrimary", RawValue::Bool(true))
            ])),
            Some(("O1".into(), "C1".into()))
        );
        assert_eq!(
            primary_link(&entry(vec![
                opp.clone(),
                contact.clone(),
                ("IsPrimary", RawValue::Text("true".into()))
            ])),
            Some(("O1".into(), "C1".into())),
            "Atom sends text"
        );
        assert_eq!(
            primary_link(&entry(vec![
                opp.clone(),
                contact.clone(),
                ("IsPrimary", RawValue::Text("false".into()))
            ])),
            None
        );
        assert_eq!(primary_link(&entry(vec![opp.clone()])), None);
        assert_eq!(
            primary_link(&entry(vec![opp, ("Contact", RawValue::Null)])),
            None
        );
    }
}
