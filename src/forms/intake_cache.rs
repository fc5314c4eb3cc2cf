//! The forms the public endpoint read a moment ago, with their account's field usages.
//! Every submission needs both before it can be validated; reading them from the
//! database per request cost two statements (each a hand-off to a database thread and
//! back) for data that changes a few times a day, and made those reads most of an
//! accepted submission's cost. An entry is used for at most [`FRESH_FOR`]; this
//! instance's own changes (a form saved or deleted, a field usage given or taken) drop
//! the entries they touch at once, so only another instance's change can take up to
//! [`FRESH_FOR`] to reach this one's intake.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use listbridge_connector::Vocabulary;

use crate::{
    domain::field_usage::FieldUsage,
    store::{AccountId, Form, FormId},
};

/// How long a form read from the database answers submissions.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Forms remembered at most (a bound against many forms, not a working-set size).
const MAX_ENTRIES: usize = 4_096;

/// A form as the intake uses it: its definition and its account's field usages.
#[derive(Debug, Clone)]
pub struct IntakeForm {
    /// The form.
    pub form: Arc<Form>,
    /// The form's account's Standard Field Names.
    pub usages: Arc<[FieldUsage]>,
    /// The field names of the form's CRM.
    pub vocab: &'static dyn Vocabulary,
}

#[derive(Debug)]
struct Entry {
    read_at: Instant,
    intake: IntakeForm,
}

/// Recently read forms by public key; cheap to clone (shared).
#[derive(Debug, Default, Clone)]
pub struct IntakeCache {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl IntakeCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The form with public key `key`, when it was read less than [`FRESH_FOR`] ago.
    pub fn get(&self, key: &str) -> Option<IntakeForm> {
        self.entries()
            .get(key)
            .filter(|e| e.read_at.elapsed() < FRESH_FOR)
            .map(|e| e.intake.clone())
    }

    /// Remembers a form just read from the database.
    pub fn put(&self, intake: IntakeForm) {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.read_at.elapsed() < FRESH_FOR);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            intake.form.form_key.clone(),
            Entry {
                read_at: Instant::now(),
                intake,
            },
        );
    }

    /// Drops a form that was changed or deleted.
    pub fn forget_form(&self, id: FormId) {
        self.entries().retain(|_, e| e.intake.form.id != id);
    }

    /// Drops every form of an account whose field usages changed.
    pub fn forget_account(&self, account: AccountId) {
        self.entries()
            .retain(|_, e| e.intake.form.account_id != account);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{
        engine::test_vocabulary::TestVocabulary,
        store::{ConnectorId, FormPage, FormSettings},
    };

    fn intake(key: &str, account: AccountId) -> IntakeForm {
        IntakeForm {
            form: Arc::new(Form {
                id: FormId::from(uuid::Uuid::new_v4()),
                account_id: account,
                form_key: key.to_string(),
                settings: FormSettings {
                    name: key.to_string(),
                    connector_id: ConnectorId::from(uuid::Uuid::new_v4()),
                    fields: Vec::new(),
                    update_fields: Vec::new(),
                    create_new_leads: true,
                    keep_unknown_fields: false,
                    thank_you_url: None,
                    page: FormPage::default(),
                },
                created_at: Utc::now(),
                updated_at: Utc::now(),
            }),
            usages: Arc::from(Vec::new()),
            vocab: &TestVocabulary,
        }
    }

    #[test]
    fn changes_drop_the_forms_they_touch_and_no_others() {
        let cache = IntakeCache::default();
        let (one, two) = (
            AccountId::from(uuid::Uuid::new_v4()),
            AccountId::from(uuid::Uuid::new_v4()),
        );
        let a = intake("a", one);
        cache.put(a.clone());
        cache.put(intake("b", one));
        cache.put(intake("c", two));
        assert!(cache.get("a").is_some() && cache.get("zzz").is_none());

        cache.forget_form(a.form.id);
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some() && cache.get("c").is_some());

        cache.forget_account(one);
        assert!(cache.get("b").is_none());
        assert!(cache.get("c").is_some(), "another account's form stays");
    }

    #[test]
    fn the_cache_holds_a_bounded_number_of_forms() {
        let cache = IntakeCache::default();
        let account = AccountId::from(uuid::Uuid::new_v4());
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(intake(&format!("k{i}"), account));
        }
        assert!(cache.entries().len() <= MAX_ENTRIES);
        assert!(cache.get(&format!("k{}", MAX_ENTRIES + 9)).is_some());
    }
}
