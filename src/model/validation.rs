//! What a provider said when asked whether a found credential is live (`--validate`):
//! the outcome, when it was asked, why that outcome, and who the credential acts as.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The provider's answer, reduced to what triage needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiveStatus {
    /// The provider accepted the credential: anyone holding it can act now.
    Active,
    /// The provider rejected it (revoked, expired, invalid).
    Inactive,
    /// An answer that says neither (a redirect, an unexpected status, a value not held).
    Unknown,
    /// No answer (timeout, connection refused, server error after retries).
    Error,
}

impl LiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Active => "active",
            LiveStatus::Inactive => "inactive",
            LiveStatus::Unknown => "unknown",
            LiveStatus::Error => "error",
        }
    }
}

impl fmt::Display for LiveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validation of one identity's secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub status: LiveStatus,
    pub checked_at: Timestamp,
    /// Why that status, in one line (`GET api.github.com/user answered 401: Bad credentials`).
    pub reason: String,
    /// Who the credential acts as (a user, bot or key name), as the provider names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// What the principal is (`GitHub user`, `Slack user or bot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_kind: Option<String>,
    /// The account, workspace or organisation it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Scopes or permissions the provider says it grants (also in `privileges`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The host asked (never a URL with the secret in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Taken from the validation cache instead of a call.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
}

impl Validation {
    /// An outcome without a provider's answer to read (not checked, no answer): only the
    /// status and why.
    pub fn without_answer(status: LiveStatus, checked_at: Timestamp, reason: String) -> Self {
        Validation {
            status,
            checked_at,
            reason,
            principal: None,
            principal_kind: None,
            account: None,
            scopes: Vec::new(),
            host: None,
            cached: false,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == LiveStatus::Active
    }

    /// `GitHub user octocat` / `Slack user or bot ci-bot in T0123`: who it acts as.
    pub fn acts_as(&self) -> Option<String> {
        let who = self.principal.as_deref().or(self.account.as_deref())?;
        let kind = self.principal_kind.as_deref().unwrap_or("principal");
        Some(match (&self.principal, &self.account) {
            (Some(_), Some(account)) => format!("{kind} {who} in {account}"),
            _ => format!("{kind} {who}"),
        })
    }
}
