//! The merged inventory written as JSON while its findings are judged.
//!
//! The inventory's fields are written in the contract's order; `findings` is a sequence
//! the policy fills one finding at a time, and `summary`, which comes after it, carries
//! the counts the sequence made. The result is the JSON of [`Merged::judged`], byte for
//! byte, without a million findings in memory.

use super::{Merged, settle_summary};
use crate::model::{DetectorInfo, Identity, RepositoryStorage, ScanSummary, Scope, SourceStatus};
use crate::model::{Timestamp, ToolInfo};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use std::cell::RefCell;

/// What a merge written as it was judged came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub identities: usize,
    pub findings: u64,
    pub deny: u64,
    /// A source of some shard was not fully read.
    pub incomplete: bool,
}

impl Merged {
    /// Write the judged inventory as pretty JSON to `out`, judging as it writes.
    pub fn write_json(&self, out: impl std::io::Write) -> serde_json::Result<Totals> {
        let u = &self.unjudged;
        let summary = RefCell::new(u.summary.clone());
        let view = Contract {
            schema_version: u.schema_version,
            tool: &u.tool,
            generated_at: u.generated_at,
            scope: &u.scope,
            sources: &u.sources,
            identities: &u.identities,
            findings: Judged {
                merged: self,
                summary: &summary,
            },
            detectors: &u.detectors,
            storage: &u.storage,
            summary: Counted(&summary),
        };
        view.serialize(&mut serde_json::Serializer::pretty(out))?;
        let summary = summary.into_inner();
        Ok(Totals {
            identities: u.identities.len(),
            // Findings at `allow` are not reported: every one written is deny or warn.
            findings: summary.findings_deny + summary.findings_warn,
            deny: summary.findings_deny,
            incomplete: u.is_incomplete(),
        })
    }
}

/// [`crate::model::Inventory`]'s fields, in its order and with its attributes.
#[derive(Serialize)]
struct Contract<'a> {
    schema_version: u32,
    tool: &'a ToolInfo,
    generated_at: Timestamp,
    scope: &'a Scope,
    sources: &'a [SourceStatus],
    identities: &'a [Identity],
    findings: Judged<'a>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    detectors: &'a [DetectorInfo],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    storage: &'a [RepositoryStorage],
    summary: Counted<'a>,
}

/// The findings, judged as they are written; each is counted into `summary`.
struct Judged<'a> {
    merged: &'a Merged,
    summary: &'a RefCell<ScanSummary>,
}

impl Serialize for Judged<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        let mut failed = None;
        let verdict = self.merged.judge_each(&mut |f| {
            if failed.is_some() {
                return;
            }
            self.summary.borrow_mut().count(&f);
            if let Err(e) = seq.serialize_element(&f) {
                failed = Some(e);
            }
        });
        settle_summary(&mut self.summary.borrow_mut(), &verdict);
        match failed {
            Some(e) => Err(e),
            None => seq.end(),
        }
    }
}

/// The summary, written after the findings that fill its counts.
struct Counted<'a>(&'a RefCell<ScanSummary>);

impl Serialize for Counted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.borrow().serialize(serializer)
    }
}
