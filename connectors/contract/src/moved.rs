//! Converted leads: a connector reports a lead the CRM turned into a contact (with the
//! contact's key) when the CRM records the link, and otherwise reports nothing, at no
//! cost. Contacts never move.

use futures::TryStreamExt;
use listbridge_connector::{CrmConnector, EntityKind, Moved, Watermark};

use crate::{Harness, people::Person, reads::read_all};

/// Every move a sweep of `entity` after `since` reports.
async fn sweep(connector: &dyn CrmConnector, entity: EntityKind, since: &Watermark) -> Vec<Moved> {
    let pages: Vec<Vec<Moved>> = connector
        .moved(entity, since.clone())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("sweeping moved {entity}s failed: {e}"));
    pages.into_iter().flatten().collect()
}

/// A lead converted into a contact is reported once, naming the contact, when the CRM
/// says which contact it became; when the CRM does not, nothing is reported and nothing
/// asked. A sweep of contacts asks nothing either.
pub async fn converted_leads_are_reported_with_their_contacts(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let people = Person::many("converted", 3);
    let fields: Vec<_> = people
        .iter()
        .map(|p| p.fields(vocabulary, EntityKind::Lead))
        .collect();
    let keys = h.add_people(EntityKind::Lead, &fields).await;
    let (leads, _) = read_all(connector.as_ref(), EntityKind::Lead, Default::default()).await;
    let since = leads
        .iter()
        .filter_map(|r| r.watermark())
        .min()
        .map(|w| Watermark {
            modified: w.modified - chrono::TimeDelta::seconds(1),
            key: String::new(),
        })
        .unwrap_or_else(|| panic!("the leads read carry their modified-at"));

    let contact = h.convert_lead(&keys[1]).await;
    let before = h.requests().await;
    let moved = sweep(connector.as_ref(), EntityKind::Lead, &since).await;
    match &contact {
        Some(contact) => {
            assert_eq!(moved.len(), 1, "only the converted lead moved: {moved:?}");
            let m = &moved[0];
            assert_eq!(
                (m.entity, m.key.as_str(), m.to_entity, m.to_key.as_str()),
                (
                    EntityKind::Lead,
                    keys[1].as_str(),
                    EntityKind::Contact,
                    contact.as_str()
                )
            );
            assert!(m.at > since, "the move is stamped after the sweep's start");
            let again = sweep(connector.as_ref(), EntityKind::Lead, &m.at).await;
            assert!(again.is_empty(), "a sweep after the move finds it no more");
        }
        None => {
            assert!(moved.is_empty(), "{moved:?}");
            assert_eq!(
                h.requests().await,
                before,
                "a CRM without the link is not asked"
            );
        }
    }
    let before = h.requests().await;
    assert!(
        sweep(connector.as_ref(), EntityKind::Contact, &since)
            .await
            .is_empty()
    );
    assert_eq!(
        h.requests().await,
        before,
        "contacts never move: nothing asked"
    );
}
