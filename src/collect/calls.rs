//! The record every collector keeps of its API calls: how many were made, and which failed,
//! each failure said once with what to do about it.
//!
//! A failed call does not stop a collector: the failure is recorded here, the source becomes
//! `partial`, and the rest of the inventory still lands. Recording by operation means 1,000
//! users do not make 1,000 identical "AccessDenied" lines; a *sticky* failure (a permission
//! that is missing, an operation the endpoint does not have) also stops further calls of
//! that operation, which are then counted as affected instead of made.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a call failed, as far as what to do about it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A named permission is missing (HTTP 403, AccessDenied); grant it.
    Denied,
    /// The credentials are not accepted at all (HTTP 401).
    Unauthorized,
    /// The object or endpoint is not there, or the credentials cannot see it (HTTP 404).
    NotFound,
    /// Throttled beyond what retrying could absorb.
    RateLimited,
    /// Unreachable, a server error, or an answer of the wrong shape.
    Other,
}

/// One failed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCall {
    /// The operation, as the provider names it (`iam:ListSSHPublicKeys`, a REST path, `list
    /// pods`): failures of one operation are one line.
    pub operation: String,
    pub failure: Failure,
    /// What failed, in the provider's words.
    pub message: String,
    /// What the user can do (the permission to grant); empty when nothing specific.
    pub fix: String,
    /// Calls of the operation that failed or were not made after a sticky failure.
    pub affected: u64,
    /// Say how many lookups were affected (per-identity operations, where it is news).
    pub count_affected: bool,
}

impl std::fmt::Display for FailedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if self.count_affected {
            write!(f, "; {} lookup(s) affected", self.affected)?;
        }
        if !self.fix.is_empty() {
            write!(f, "; {}", self.fix)?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct CallLog {
    calls: AtomicU64,
    /// In the order first seen; one entry per operation.
    failures: Mutex<Vec<FailedCall>>,
    /// Operations no longer called after a sticky failure.
    disabled: Mutex<Vec<String>>,
}

impl CallLog {
    /// Count one call made.
    pub fn count(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Record a failed call; a second failure of the same operation only counts. A sticky
    /// failure disables the operation (see [`CallLog::is_disabled`]).
    pub fn fail(&self, call: FailedCall, sticky: bool) {
        if sticky {
            let mut disabled = self.disabled.lock().expect("lock");
            if !disabled.contains(&call.operation) {
                disabled.push(call.operation.clone());
            }
        }
        let mut failures = self.failures.lock().expect("lock");
        match failures.iter_mut().find(|f| f.operation == call.operation) {
            Some(f) => f.affected += call.affected.max(1),
            None => failures.push(FailedCall {
                affected: call.affected.max(1),
                ..call
            }),
        }
    }

    /// True when an earlier sticky failure says this operation will fail again; the
    /// caller skips the call and it is counted as affected.
    pub fn is_disabled(&self, operation: &str) -> bool {
        let disabled = self
            .disabled
            .lock()
            .expect("lock")
            .iter()
            .any(|o| o == operation);
        if disabled {
            let mut failures = self.failures.lock().expect("lock");
            if let Some(f) = failures.iter_mut().find(|f| f.operation == operation) {
                f.affected += 1;
            }
        }
        disabled
    }

    /// Every failure, in the order first seen.
    pub fn failures(&self) -> Vec<FailedCall> {
        self.failures.lock().expect("lock").clone()
    }

    /// One line per failed operation, in the order first seen: the source's errors.
    pub fn errors(&self) -> Vec<String> {
        self.failures().iter().map(ToString::to_string).collect()
    }

    /// One line per failed operation, by operation name: for collectors whose calls run
    /// concurrently, so the order does not depend on which finished first.
    pub fn errors_by_operation(&self) -> Vec<String> {
        let mut failures = self.failures();
        failures.sort_by(|a, b| a.operation.cmp(&b.operation));
        failures.iter().map(ToString::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(op: &str) -> FailedCall {
        FailedCall {
            operation: op.into(),
            failure: Failure::Denied,
            message: format!("{op} failed (AccessDenied)"),
            fix: format!("grant {op}"),
            affected: 1,
            count_affected: true,
        }
    }

    #[test]
    fn one_line_per_operation_with_the_lookups_it_cost() {
        let log = CallLog::default();
        log.fail(denied("iam:ListSSHPublicKeys"), true);
        assert!(log.is_disabled("iam:ListSSHPublicKeys"));
        assert!(log.is_disabled("iam:ListSSHPublicKeys"));
        assert!(!log.is_disabled("iam:ListUsers"));
        log.fail(denied("iam:GetUser"), false);
        log.fail(denied("iam:GetUser"), false);
        assert!(!log.is_disabled("iam:GetUser"));
        assert_eq!(
            log.errors_by_operation(),
            [
                "iam:GetUser failed (AccessDenied); 2 lookup(s) affected; grant iam:GetUser",
                "iam:ListSSHPublicKeys failed (AccessDenied); 3 lookup(s) affected; grant iam:ListSSHPublicKeys",
            ]
        );
    }
}
