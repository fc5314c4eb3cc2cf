//! What sync tests add to the [`World`]: sync setups, Run Now, members read from the
//! store and edited as the marketer would, and uploaded lists made directly in the
//! store.

use infor_crm_fake::Kind;
use listbridge::field_usages;
use listbridge::store::{
    ListColumn, ListId, ListKind, ListRepo, ListStatus, Member, MemberId, MemberRepo, NewList,
    PushScopeRepo,
};
use serde_json::{Value, json};

use crate::support::world::World;

impl World {
    /// Saves a list's sync setup; returns `(status, body)`.
    pub async fn put_sync(&self, list: ListId, setup: &Value) -> (u16, Value) {
        self.put(&format!("/v1/lists/{list}/sync"), setup).await
    }

    /// Creates a segment of `list` through `POST /v1/lists/{id}/segments`; returns its id.
    pub async fn create_segment(&self, list: ListId, name: &str, filter: &Value) -> String {
        let (status, segment) = self
            .post(
                &format!("/v1/lists/{list}/segments"),
                &json!({ "name": name, "filter": filter }),
            )
            .await;
        assert_eq!(status, 201, "{segment}");
        segment["id"].as_str().expect("segment id").to_string()
    }

    /// Saves a list's sync setup, which must be accepted.
    pub async fn save_sync(&self, list: ListId, setup: &Value) {
        let (status, body) = self.put_sync(list, setup).await;
        assert_eq!(status, 200, "sync setup saved: {body}");
    }

    /// Run Now; returns the run id.
    pub async fn run_now(&self, list: ListId, dry_run: bool) -> String {
        let (status, body) = self
            .post(
                &format!("/v1/lists/{list}/runs"),
                &json!({ "dry_run": dry_run }),
            )
            .await;
        assert!(status == 202 || status == 200, "{body}");
        body["run"]["id"].as_str().expect("run id").to_string()
    }

    /// Runs a sync to its end and returns the report.
    pub async fn sync(&self, list: ListId) -> Value {
        let run = self.run_now(list, false).await;
        self.wait_run(&run).await
    }

    /// Every member of a list.
    pub async fn members(&self, list: ListId) -> Vec<Member> {
        let db = self.app.state.store.conn();
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = MemberRepo
                .page_by_id(db, list, after, 1000)
                .await
                .expect("members");
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            out.extend(page);
        }
        out
    }

    /// Changes a member's column value as the marketer would (a list-side edit),
    /// through `PATCH /v1/lists/{id}/members/{member_id}`.
    pub async fn edit_member(&self, list: ListId, email: &str, column: &str, value: &str) {
        let db = self.app.state.store.conn();
        let member = MemberRepo
            .by_emails(db, list, &[email.to_string()])
            .await
            .expect("lookup")
            .pop()
            .expect("member exists");
        let (status, body) = self
            .patch(
                &format!("/v1/lists/{list}/members/{}", member.id),
                &json!({ "values": { column: value } }),
            )
            .await;
        assert_eq!(status, 200, "member edit: {body}");
    }

    /// Adds a member through `POST /v1/lists/{id}/members`.
    pub async fn add_member(&self, list: ListId, email: &str, values: &[(&str, &str)]) {
        let values: serde_json::Map<String, Value> = values
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        let (status, body) = self
            .post(
                &format!("/v1/lists/{list}/members"),
                &json!({ "email": email, "values": values }),
            )
            .await;
        assert_eq!(status, 201, "member added: {body}");
    }

    /// A lead list with a Title column, imported and set up with `setup`, whose first
    /// member's Title then changes on both sides: "From CRM" in the CRM an hour after
    /// (`crm_newer`) or before now, then "From List" in the list. Returns the list and
    /// the member's email and CRM key.
    pub async fn title_conflict(&self, setup: &Value, crm_newer: bool) -> (ListId, String, String) {
        let list = self.imported_list("lead", &["Title"]).await;
        self.save_sync(list, setup).await;
        let member = self.members(list).await.into_iter().next().expect("member");
        let key = member.crm.clone().expect("linked").key;
        let crm_time = chrono::Utc::now()
            + if crm_newer {
                chrono::Duration::hours(1)
            } else {
                chrono::Duration::hours(-1)
            };
        self.crm.state().clock().set(Some(crm_time));
        self.crm_update(
            Kind::Lead,
            std::slice::from_ref(&key),
            &[("Title", "From CRM")],
        );
        self.crm.state().clock().set(None);
        self.edit_member(list, &member.email, "Title", "From List")
            .await;
        (list, member.email, key)
    }

    /// Runs `list`'s sync over the member [`World::title_conflict`] made: the run must
    /// meet that one conflict, on Title, for `email`. Returns the conflict's record.
    pub async fn sync_meeting_title_conflict(
        &self,
        list: ListId,
        email: &str,
        rule: &str,
    ) -> Value {
        let run = self.run_now(list, false).await;
        let report = self.wait_run(&run).await;
        assert_eq!(report["counts"]["conflicts"], 1, "{rule}: {report}");
        let conflict = self.only_record(&run, "conflict").await;
        assert_eq!(conflict["field"], "Title", "{rule}: {conflict}");
        assert_eq!(conflict["email"], email, "{rule}: {conflict}");
        conflict
    }

    /// What the member with `email` holds in `column`, from the store (`None` when the
    /// member or the value is missing).
    pub async fn member_value(&self, list: ListId, email: &str, column: &str) -> Option<String> {
        self.members(list)
            .await
            .into_iter()
            .find(|m| m.email == email)
            .and_then(|m| m.values.get(column).cloned().flatten())
    }

    /// A lead list with `fields` as columns whose sync pulls CRM changes into existing
    /// members (nothing else), not yet synced.
    pub async fn pulling_lead_list(&self, fields: &[&str]) -> ListId {
        let list = self.imported_list("lead", fields).await;
        self.save_sync(
            list,
            &json!({ "pull": { "enabled": true, "update_existing": true } }),
        )
        .await;
        list
    }

    /// Creates an uploaded list with these columns (each with an optional system usage)
    /// and members `(email, [(column, value)])`.
    pub async fn uploaded_list(
        &self,
        name: &str,
        columns: &[(&str, Option<&str>)],
        rows: &[(&str, Vec<(&str, &str)>)],
    ) -> ListId {
        let db = self.app.state.store.conn();
        let now = self.app.state.clock.now();
        let list = ListRepo
            .create(
                db,
                NewList {
                    account_id: self.account,
                    name: name.to_string(),
                    kind: ListKind::Uploaded,
                    connector_id: None,
                    status: ListStatus::Ready,
                    columns: columns
                        .iter()
                        .map(|(c, _)| ListColumn::plain(c.to_string()))
                        .collect(),
                },
                self.app.state.random.as_ref(),
                now,
            )
            .await
            .expect("list created");
        for (column, usage) in columns {
            if let Some(usage) = usage {
                self.set_usage(column, usage).await;
            }
        }
        // Uploaded values are list-side changes, numbered as an upload numbers them.
        let seq = PushScopeRepo
            .next_change_seq(db, list.id)
            .await
            .expect("change number");
        let members: Vec<Member> = rows
            .iter()
            .map(|(email, values)| {
                let values = values
                    .iter()
                    .map(|(c, v)| (c.to_string(), Some(v.to_string())))
                    .collect();
                let id = MemberId::from(self.app.state.random.uuid());
                let mut member = Member::new(id, list.id, email.to_string(), values, now);
                member.change_seq = seq;
                member
            })
            .collect();
        for chunk in members.chunks(500) {
            MemberRepo
                .insert_many(db, chunk, now)
                .await
                .expect("members inserted");
        }
        ListRepo.recount(db, list.id).await.expect("recount");
        list.id
    }

    /// Maps a column to a system usage in Standard Field Names.
    pub async fn set_usage(&self, column: &str, usage: &str) {
        field_usages::set(&self.app.state, self.account, column, usage)
            .await
            .expect("usage set");
    }
}

/// A person of [`World::people_list`]: the email and `(column, value)` pairs.
pub type PersonRow = (String, Vec<(&'static str, String)>);

/// Rows for `n` new people with the columns of [`PEOPLE_COLUMNS`].
fn people(n: usize, domain: &str) -> Vec<PersonRow> {
    (0..n)
        .map(|i| {
            (
                format!("person{i}@{domain}"),
                vec![
                    ("First Name", format!("First{i}")),
                    ("Last Name", format!("Last{i}")),
                    ("Company", format!("Company {}", i % 17)),
                ],
            )
        })
        .collect()
}

/// The columns of [`people`] with their usages.
const PEOPLE_COLUMNS: [(&str, Option<&str>); 4] = [
    ("Email", Some("email")),
    ("First Name", Some("first_name")),
    ("Last Name", Some("last_name")),
    ("Company", Some("company")),
];

impl World {
    /// An uploaded list "Upload" of `n` people no CRM knows, `person{i}@{domain}` with a
    /// first name, last name and one of 17 companies; returns the list and its rows.
    pub async fn people_list(&self, n: usize, domain: &str) -> (ListId, Vec<PersonRow>) {
        let rows = people(n, domain);
        let borrowed: Vec<(&str, Vec<(&str, &str)>)> = rows
            .iter()
            .map(|(email, values)| {
                let values = values.iter().map(|(c, v)| (*c, v.as_str())).collect();
                (email.as_str(), values)
            })
            .collect();
        let list = self
            .uploaded_list("Upload", &PEOPLE_COLUMNS, &borrowed)
            .await;
        (list, rows)
    }

    /// Saves the setup most push tests start from: push on, new members become leads.
    pub async fn push_new_members(&self, list: ListId) {
        self.save_sync(
            list,
            &json!({ "push": { "enabled": true, "add_new": true } }),
        )
        .await;
    }
}
