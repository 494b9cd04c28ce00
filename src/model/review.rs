//! Access reviews: a person's decision about an identity (keep it, modify it, revoke it),
//! recorded in the scan-history database and carried on the identity when a scan is judged
//! with that database, so the policy can tell whether reviews happen and whether decided
//! revocations are carried out.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The access is needed as it is.
    Keep,
    /// Needed, but with changes (fewer privileges, an owner, an expiry).
    Modify,
    /// Not needed: to be removed.
    Revoke,
}

impl Decision {
    /// The spellings a review sheet may use.
    pub const NAMES: [&'static str; 3] = ["keep", "modify", "revoke"];

    /// A decision as written in a review sheet (any case, surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Decision> {
        match text.trim().to_ascii_lowercase().as_str() {
            "keep" => Some(Decision::Keep),
            "modify" => Some(Decision::Modify),
            "revoke" => Some(Decision::Revoke),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Keep => "keep",
            Decision::Modify => "modify",
            Decision::Revoke => "revoke",
        })
    }
}

/// One recorded review decision about one identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecord {
    pub identity: String,
    pub decision: Decision,
    pub reviewer: String,
    /// The day of the review (midnight UTC).
    pub date: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// What the history database knows about an identity's review when a scan is judged with
/// it. Absent from identities judged without a history database: no review is expected of
/// a one-off scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewState {
    /// Since when the history has known the identity: its first recorded sighting, or this
    /// scan for an identity never seen before.
    pub tracked_since: Timestamp,
    /// The newest decision recorded, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<ReviewRecord>,
}
