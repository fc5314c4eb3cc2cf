//! A `'` in a name or an email is data: it round-trips and cannot change a query.

mod common;

use infor_crm_fake::Kind;
use listbridge_connector::{CrmConnector, EntityKind};

use common::{FORMATS, connector, fake, values};

#[tokio::test]
async fn apostrophes_round_trip_in_both_formats() {
    let fake = fake(20, 0).await;
    for (n, format) in FORMATS.into_iter().enumerate() {
        let crm = connector(&fake, format);
        let email = format!("o'neil.{n}@example.com");
        let fields = values(&[
            ("FirstName", "D'Arcy"),
            ("LastName", "O'Neil"),
            ("Company", "Maxim's \"Bistro\" & Co"),
            ("Email", &email),
        ]);
        let created = crm
            .create(EntityKind::Lead, &fields)
            .await
            .unwrap_or_else(|e| panic!("{format:?} create: {e}"));
        let stored = fake
            .state()
            .record(Kind::Lead, &created.key)
            .unwrap_or_else(|| panic!("{format:?}: not stored"));
        assert_eq!(stored.text("LastName"), Some("O'Neil"));
        assert_eq!(stored.text("Company"), Some("Maxim's \"Bistro\" & Co"));
        assert_eq!(stored.text("Email"), Some(email.as_str()));

        let found = crm
            .find_by_email(
                EntityKind::Lead,
                &[email.to_uppercase()],
                &["LastName".into(), "Company".into()],
            )
            .await
            .unwrap_or_else(|e| panic!("{format:?} find: {e}"));
        assert_eq!(found.len(), 1, "{format:?}");
        assert_eq!(found[0].key, created.key);
        assert_eq!(
            found[0].fields.get("FirstName"),
            None,
            "only requested fields"
        );
        assert_eq!(
            found[0].fields.get("Company"),
            Some(&Some("Maxim's \"Bistro\" & Co".to_string()))
        );

        let updated = crm
            .update(
                EntityKind::Lead,
                &created.key,
                created.etag.as_deref(),
                &values(&[("LastName", "O''Brien'")]),
            )
            .await
            .unwrap_or_else(|e| panic!("{format:?} update: {e}"));
        assert_eq!(
            updated.fields.get("LastName"),
            Some(&Some("O''Brien'".to_string()))
        );
        let by_key = crm
            .get_by_keys(
                EntityKind::Lead,
                std::slice::from_ref(&created.key),
                &["LastName".into()],
            )
            .await
            .unwrap_or_default();
        assert_eq!(by_key.len(), 1);
        assert_eq!(
            by_key[0].fields.get("LastName"),
            Some(&Some("O''Brien'".to_string()))
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn hostile_values_cannot_widen_a_query() {
    let fake = fake(50, 0).await;
    for format in FORMATS {
        let crm = connector(&fake, format);
        let hostile = [
            "x' or Email ne 'y".to_string(),
            "x') or (1 eq 1".to_string(),
            "' or ''='".to_string(),
            "a@b.com' or LastName like '%".to_string(),
        ];
        let found = crm
            .find_by_email(EntityKind::Lead, &hostile, &[])
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert!(
            found.is_empty(),
            "{format:?}: a quoted value matched {} records",
            found.len()
        );
        let keys = crm
            .get_by_keys(EntityKind::Lead, &hostile, &[])
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert!(keys.is_empty(), "{format:?}");
    }
    fake.shutdown().await;
}
