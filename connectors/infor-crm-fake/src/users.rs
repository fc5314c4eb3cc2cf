//! Extra CRM users with restricted access, so tests can meet the 403s a real Infor CRM
//! gives a user whose role does not allow a write (or who may not use SData at all).
//!
//! The main user ([`crate::FakeConfig::username`]) may do everything. Extra users are set
//! in [`crate::FakeConfig::users`], `--users` or `/_admin/users`.

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::diagnose::{Diagnosis, SdataCode};
use crate::model::Kind;
use crate::seed::ADMIN_USER_ID;
use crate::state::FakeState;

/// What an extra user may do through `/sdata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Read and write every kind (except [`FakeUser::read_only_kinds`]).
    #[default]
    Full,
    /// Read everything; every POST, PUT and DELETE is a 403.
    ReadOnly,
    /// Valid credentials, but every request is a 403 (a retired user, or one without the
    /// right to use SData; Infor CRM Mobile reports a 403 at login as "invalid user").
    None,
}

/// An extra CRM user: `{"username":"reader","password":"pw","access":"read_only"}`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeUser {
    /// The user name (compared case-insensitively).
    pub username: String,
    /// The password; never shown by `GET /_admin/users`.
    #[serde(skip_serializing)]
    pub password: String,
    /// The 12-character user id `getCurrentUser` answers and writes record as
    /// `CreateUser`/`ModifyUser`; default: the upper-cased name, space-padded like SLX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// What the user may do.
    #[serde(default)]
    pub access: Access,
    /// Kinds this user may read but not write (403 on POST, PUT, DELETE), whatever
    /// `access` says: a role without "add/edit leads", say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_only_kinds: Vec<Kind>,
}

impl std::fmt::Debug for FakeUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeUser")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("access", &self.access)
            .field("read_only_kinds", &self.read_only_kinds)
            .finish()
    }
}

impl FakeUser {
    /// A user with the given credentials and access.
    pub fn new(username: &str, password: &str, access: Access) -> FakeUser {
        FakeUser {
            username: username.to_string(),
            password: password.to_string(),
            user_id: None,
            access,
            read_only_kinds: Vec::new(),
        }
    }

    /// Restricts writes to `kinds` (the user may still read them).
    pub fn with_read_only_kinds(mut self, kinds: &[Kind]) -> FakeUser {
        self.read_only_kinds = kinds.to_vec();
        self
    }

    fn id(&self) -> String {
        self.user_id
            .clone()
            .unwrap_or_else(|| padded_id(&self.username))
    }
}

/// `reader` → `READER      `: upper case, space-padded or cut to 12 characters.
fn padded_id(name: &str) -> String {
    let upper: String = name.to_uppercase().chars().take(12).collect();
    format!("{upper:<12}")
}

/// The authenticated user of one request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The user name as configured.
    pub user_name: String,
    /// The 12-character user id.
    pub user_id: String,
    /// The display name `getCurrentUser` answers.
    pub pretty_name: String,
    access: Access,
    read_only_kinds: Vec<Kind>,
}

fn forbidden(message: String) -> Diagnosis {
    Diagnosis::new(
        StatusCode::FORBIDDEN,
        SdataCode::ApplicationDiagnosis,
        message,
    )
}

impl Caller {
    /// The main user: full access.
    pub(crate) fn main(user_name: &str) -> Caller {
        Caller {
            user_name: user_name.to_string(),
            user_id: ADMIN_USER_ID.to_string(),
            pretty_name: "Administrator".into(),
            access: Access::Full,
            read_only_kinds: Vec::new(),
        }
    }

    fn extra(user: &FakeUser) -> Caller {
        Caller {
            user_name: user.username.clone(),
            user_id: user.id(),
            pretty_name: user.username.clone(),
            access: user.access,
            read_only_kinds: user.read_only_kinds.clone(),
        }
    }

    /// 403 for a user who may not use SData at all.
    pub(crate) fn may_use(&self) -> Result<(), Diagnosis> {
        match self.access {
            Access::None => Err(forbidden(format!(
                "User '{}' is not allowed to use this application.",
                self.user_name
            ))),
            Access::Full | Access::ReadOnly => Ok(()),
        }
    }

    /// 403 for a write (`verb`: add, update, delete) this user may not make on `kind`.
    pub(crate) fn may_write(&self, kind: Kind, verb: &str) -> Result<(), Diagnosis> {
        self.may_use()?;
        if self.access == Access::ReadOnly || self.read_only_kinds.contains(&kind) {
            return Err(forbidden(format!(
                "User '{}' does not have permission to {verb} {} records.",
                self.user_name,
                kind.def().name
            )));
        }
        Ok(())
    }
}

/// The write verb of a method, for 403 messages; `None` for reads.
pub(crate) fn write_verb(method: &str) -> Option<&'static str> {
    match method {
        "POST" => Some("add"),
        "PUT" => Some("update"),
        "DELETE" => Some("delete"),
        _ => None,
    }
}

impl FakeState {
    /// The user these credentials belong to, if any.
    pub(crate) fn caller_for(&self, user: &str, password: &str) -> Option<Caller> {
        let settings = self.settings();
        if user.eq_ignore_ascii_case(&settings.username) && password == settings.password {
            return Some(Caller::main(&settings.username));
        }
        self.users_lock()
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(user) && u.password == password)
            .map(Caller::extra)
    }

    /// Refuses an empty name or the main user's.
    pub(crate) fn check_user_name(&self, name: &str) -> Result<(), Diagnosis> {
        if name.trim().is_empty() || name.eq_ignore_ascii_case(&self.settings().username) {
            return Err(Diagnosis::new(
                StatusCode::BAD_REQUEST,
                SdataCode::ApplicationDiagnosis,
                format!("'{name}' cannot be an extra user: it is empty or the main user"),
            ));
        }
        Ok(())
    }

    /// Adds an extra user, or replaces the one with the same name.
    pub fn add_user(&self, user: FakeUser) -> Result<(), Diagnosis> {
        self.check_user_name(&user.username)?;
        let mut users = self.users_mut();
        users.retain(|u| !u.username.eq_ignore_ascii_case(&user.username));
        users.push(user);
        Ok(())
    }

    /// Removes every extra user (the main user stays).
    pub fn clear_users(&self) {
        self.users_mut().clear();
    }

    /// The extra users.
    pub fn users(&self) -> Vec<FakeUser> {
        self.users_lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_padded_like_slx_and_access_is_enforced() {
        assert_eq!(padded_id("reader"), "READER      ");
        assert_eq!(padded_id("a-very-long-user-name").len(), 12);
        let reader = Caller::extra(&FakeUser::new("reader", "pw", Access::ReadOnly));
        assert!(reader.may_use().is_ok());
        let e = reader.may_write(Kind::Lead, "add").err();
        assert_eq!(e.as_ref().map(|d| d.status.as_u16()), Some(403));
        assert!(e.is_some_and(|d| d.message.contains("add Lead")));
        let clerk = Caller::extra(
            &FakeUser::new("clerk", "pw", Access::Full).with_read_only_kinds(&[Kind::Lead]),
        );
        assert!(clerk.may_write(Kind::Contact, "update").is_ok());
        assert!(clerk.may_write(Kind::Lead, "update").is_err());
        let gone = Caller::extra(&FakeUser::new("gone", "pw", Access::None));
        assert!(gone.may_use().is_err());
        assert_eq!(write_verb("PUT"), Some("update"));
        assert_eq!(write_verb("GET"), None);
    }
}
