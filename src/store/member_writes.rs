//! Writing a page's members: inserts and updates stored at once, the phone index of
//! every member written following in one step per list.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryTrait};

use super::{
    ListId, MemberId, StoreError,
    entity::member,
    members::{Member, to_active},
    phone_numbers::PhoneIndexRepo,
};

/// Members per `INSERT` (each binds 17 values). Small enough that building the next
/// statement while the database runs this one (see `insert`) hides most of the building.
const INSERT_CHUNK: usize = 200;

/// The member writes of one page, on the page's connection: each insert and update is
/// stored at once (later reads of the page see it), and the phone index of every
/// member written follows in [`Self::finish`], with one plan, one delete and one
/// insert per list rather than per member. The page's transaction must not commit
/// before `finish`.
#[derive(Debug)]
#[must_use = "the phone index follows only in `MemberWrites::finish`"]
pub struct MemberWrites {
    now: DateTime<Utc>,
    /// The last stored state of each member written, and whether it is new.
    written: Vec<(Member, bool)>,
    at: HashMap<MemberId, usize>,
}

impl MemberWrites {
    /// Writes stamped `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        MemberWrites {
            now,
            written: Vec::new(),
            at: HashMap::new(),
        }
    }

    /// Inserts new members.
    pub async fn insert_many<C: ConnectionTrait>(
        &mut self,
        db: &C,
        members: &[Member],
    ) -> Result<(), StoreError> {
        insert(db, members, self.now).await?;
        for member in members {
            self.keep(member.clone(), true);
        }
        Ok(())
    }

    /// Saves a changed member.
    pub async fn update<C: ConnectionTrait>(
        &mut self,
        db: &C,
        member: Member,
    ) -> Result<(), StoreError> {
        save(db, &member, self.now).await?;
        self.keep(member, false);
        Ok(())
    }

    fn keep(&mut self, member: Member, fresh: bool) {
        match self.at.get(&member.id) {
            // Written twice in one page: the index follows the last write.
            Some(&i) => self.written[i].0 = member,
            None => {
                self.at.insert(member.id, self.written.len());
                self.written.push((member, fresh));
            }
        }
    }

    /// Re-indexes the phone numbers of every member written; returns each member's last
    /// written state (new and updated alike), so a run can report the phone values of
    /// every member it wrote that are not numbers.
    pub async fn finish<C: ConnectionTrait>(self, db: &C) -> Result<Vec<Member>, StoreError> {
        let mut updated = Vec::new();
        let mut fresh = Vec::new();
        for (member, is_new) in &self.written {
            if *is_new {
                fresh.push(member);
            } else {
                updated.push(member);
            }
        }
        index_by_list(db, &updated, &fresh).await?;
        Ok(self.written.into_iter().map(|(m, _)| m).collect())
    }
}

/// Inserts members, in chunks that keep each statement's bound values well under both
/// databases' limits (not indexed).
///
/// Each chunk's statement is built while the database runs the one before: building
/// (the values, their JSON, the bound parameters) costs about half as much as SQLite's
/// insert itself, and the database works on its own thread, so on two cores the two
/// overlap instead of taking turns. The statements still run one after the other, in
/// order, on the caller's connection or transaction.
pub(super) async fn insert<C: ConnectionTrait>(
    db: &C,
    members: &[Member],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let mut statements = members.chunks(INSERT_CHUNK).map(|chunk| {
        member::Entity::insert_many(chunk.iter().map(|m| to_active(m, now))).build(backend)
    });
    let mut next = statements.next();
    while let Some(statement) = next {
        let (done, built) = tokio::join!(db.execute_raw(statement), async { statements.next() });
        done.map_err(|e| StoreError::from_write(e, || "a member with this email".to_string()))?;
        next = built;
    }
    Ok(())
}

/// Stores a member's new state (not indexed).
pub(super) async fn save<C: ConnectionTrait>(
    db: &C,
    member: &Member,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    member::Entity::update(to_active(member, now))
        .exec(db)
        .await
        .map_err(|e| {
            StoreError::from_write(e, || format!("a member with email {}", member.email))
        })?;
    Ok(())
}

/// Re-indexes updated and freshly inserted members, one [`PhoneIndexRepo::index_list`]
/// per list among them.
pub(super) async fn index_by_list<C: ConnectionTrait>(
    db: &C,
    updated: &[&Member],
    fresh: &[&Member],
) -> Result<(), StoreError> {
    let mut lists: Vec<ListId> = updated.iter().chain(fresh).map(|m| m.list_id).collect();
    lists.sort_by_key(ListId::as_db);
    lists.dedup();
    for list in lists {
        PhoneIndexRepo
            .index_list(db, list, &of_list(updated, list), &of_list(fresh, list))
            .await?;
    }
    Ok(())
}

fn of_list<'m>(members: &[&'m Member], list: ListId) -> Vec<&'m Member> {
    members
        .iter()
        .copied()
        .filter(|m| m.list_id == list)
        .collect()
}
