//! One collector's REST session: its [`Api`] and the record of what failed, with the list
//! helpers every REST collector uses, so a denied endpoint becomes one error naming the
//! permission and an unreadable item is counted, never silently dropped.

use super::{Api, ApiError, Transport};
use crate::collect::budget::Budget;
use crate::collect::calls::{CallLog, FailedCall, Failure};
use crate::model::Identity;
use serde_json::Value;

pub struct Session<T> {
    pub api: Api<T>,
    log: CallLog,
    budget: Budget,
}

impl<T: Transport> Session<T> {
    pub fn new(transport: T, budget: Budget) -> Session<T> {
        Session {
            api: Api::new(transport, budget),
            log: CallLog::default(),
            budget,
        }
    }

    /// The same session against an API that pages and reports errors its own way.
    pub fn styled(mut self, paging: super::Paging, error_field: &'static str) -> Session<T> {
        self.api = self.api.with_style(paging, error_field);
        self
    }

    /// Record a failed call; `need` says what to grant when it was refused or not found.
    /// Failures are said once per endpoint kind; every call the source deadline cut off is
    /// one line.
    pub fn note(&self, e: &ApiError, need: &str) {
        let (failure, fix) = match e {
            ApiError::Denied { .. } => (Failure::Denied, need),
            ApiError::NotFound { .. } => (Failure::NotFound, need),
            ApiError::RateLimited { .. } => (Failure::RateLimited, ""),
            ApiError::Other { .. } => (Failure::Other, ""),
            ApiError::Deadline { path, .. } => {
                self.log.fail(self.budget.deadline_failure(path), false);
                return;
            }
        };
        let message = e.to_string();
        let call = FailedCall {
            operation: format!("{message}; {fix}"),
            failure,
            message,
            fix: fix.to_string(),
            affected: 1,
            count_affected: false,
        };
        self.log.fail(call, false);
    }

    /// The failures recorded, one line each, for the source's status.
    pub fn errors(&self) -> Vec<String> {
        self.log.errors()
    }

    /// Every item of a list the collector can read; what was read before a failure is
    /// kept and the failure recorded (a 404 too: `list_or_absent` accepts it).
    pub async fn list_or_note(&self, path: &str, field: Option<&str>, need: &str) -> Vec<Value> {
        let listed = self.api.list(path, field).await;
        if let Some(e) = &listed.error {
            self.note(e, need);
        }
        listed.items
    }

    /// Like [`Session::list_or_note`] for lists that do not exist everywhere (SAML
    /// authorizations without SAML SSO, features of a paid tier): a 404 is no list.
    pub async fn list_or_absent(&self, path: &str, field: Option<&str>, need: &str) -> Vec<Value> {
        let listed = self.api.list(path, field).await;
        match &listed.error {
            None | Some(ApiError::NotFound { .. }) => {}
            Some(e) => self.note(e, need),
        }
        listed.items
    }

    /// Identities from a list's items. An item without the fields that identify it (an
    /// `id`, a `name`) is an answer of an unexpected shape: counted in one error of that
    /// list, never silently dropped.
    pub fn identities_of(
        &self,
        path: &str,
        list: &[Value],
        read: impl Fn(&Value) -> Option<Identity>,
    ) -> Vec<Identity> {
        let out: Vec<Identity> = list.iter().filter_map(read).collect();
        let unreadable = list.len() - out.len();
        if unreadable > 0 {
            self.note(
                &ApiError::Other {
                    path: path.to_string(),
                    message: format!(
                        "unexpected answer: {unreadable} of {} item(s) lack the fields that identify them and are not in the inventory",
                        list.len()
                    ),
                },
                "",
            );
        }
        out
    }
}
