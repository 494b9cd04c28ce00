//! From blob matches to secrets in history: who introduced each secret, when, under which
//! paths, whether HEAD still has it, and which commit removed it.
//!
//! A secret (one fingerprint) may live in many blobs (every edit of a file makes a new
//! blob). Its first commit is the earliest introduction of any of those blobs in
//! parents-first order; it is in HEAD if any (path, blob) carrying it is in HEAD's tree;
//! when it is not, the commit that removed it is the latest departure of such a blob.

use super::HistoryOutput;
use crate::detect::Reason;
use crate::model::Confidence;
use std::collections::{BTreeMap, HashMap};

/// One commit, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRef {
    pub sha: String,
    pub author_name: String,
    pub author_email: String,
    /// Seconds since the Unix epoch.
    pub author_time: i64,
}

/// One place in history where a secret was introduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryExposure {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub commit: CommitRef,
    pub in_head: bool,
    pub detector: u32,
    pub confidence: Confidence,
    pub reason: Reason,
    pub in_comment: bool,
    pub layers: Vec<crate::model::Encoding>,
}

/// One place a secret lies in a blob no commit holds (`--all-objects`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectExposure {
    pub blob: String,
    pub line: u64,
    pub column: u64,
    pub detector: u32,
    pub confidence: Confidence,
    pub reason: Reason,
    pub in_comment: bool,
    pub layers: Vec<crate::model::Encoding>,
}

#[derive(Debug, Clone)]
pub struct SecretInHistory {
    pub fingerprint: String,
    pub preview: String,
    pub detector: u32,
    pub confidence: Confidence,
    /// For a reference to a secret store: the secret's name there.
    pub reference: Option<String>,
    /// The commit that first introduced it; `None` when only blobs no commit holds have it.
    pub first: Option<CommitRef>,
    pub exposures: Vec<HistoryExposure>,
    /// Blobs no commit holds that have it (`--all-objects`).
    pub objects: Vec<ObjectExposure>,
    pub in_head: bool,
    pub removed_in: Option<CommitRef>,
    pub facts: Vec<crate::detect::decode::Fact>,
}

fn commit_ref(out: &HistoryOutput, index: u32) -> CommitRef {
    let c = &out.graph.commits[index as usize];
    CommitRef {
        sha: c.id.to_hex().to_string(),
        author_name: c.author_name.clone(),
        author_email: c.author_email.clone(),
        author_time: c.author_time,
    }
}

/// Group blob matches by fingerprint and attribute each secret, in order of first commit.
pub fn secrets(out: &HistoryOutput) -> Vec<SecretInHistory> {
    let mut by_fp: BTreeMap<&str, Vec<&super::BlobMatch>> = BTreeMap::new();
    for m in &out.matches {
        by_fp
            .entry(m.secret.fingerprint.as_str())
            .or_default()
            .push(m);
    }
    let mut result: Vec<(u32, SecretInHistory)> = by_fp
        .into_values()
        .filter_map(|matches| attribute_one(out, &matches))
        .collect();
    result.sort_by(|a, b| (a.0, &a.1.fingerprint).cmp(&(b.0, &b.1.fingerprint)));
    result.into_iter().map(|(_, s)| s).collect()
}

fn attribute_one(
    out: &HistoryOutput,
    matches: &[&super::BlobMatch],
) -> Option<(u32, SecretInHistory)> {
    // (path, line) -> (earliest commit, the match there, in_head)
    let mut places: HashMap<(u32, u64), (u32, &crate::scan::SecretMatch, bool)> = HashMap::new();
    let mut in_head = false;
    let mut last_departure: Option<u32> = None;
    let mut objects = Vec::new();
    for m in matches {
        let blob = m.blob as usize;
        let oid = out.history.blobs[blob];
        if out.orphans.contains(&m.blob) {
            objects.push(ObjectExposure {
                blob: oid.to_hex().to_string(),
                line: m.secret.line,
                column: m.secret.column,
                detector: m.secret.detector,
                confidence: m.secret.confidence,
                reason: m.secret.reason,
                in_comment: m.secret.in_comment,
                layers: m.secret.layers.clone(),
            });
            continue;
        }
        for e in &out.history.introduced[blob] {
            let path = &out.history.paths[e.path];
            let here = out.head.contains(&(path.to_string(), oid));
            in_head |= here;
            let slot = places
                .entry((e.path, m.secret.line))
                .or_insert((e.commit, &m.secret, here));
            if e.commit < slot.0 {
                slot.0 = e.commit;
            }
            slot.2 |= here;
        }
        for d in &out.history.departed[blob] {
            last_departure = Some(last_departure.map_or(d.commit, |c| c.max(d.commit)));
        }
    }
    let first_commit = places.values().map(|p| p.0).min();
    if first_commit.is_none() && objects.is_empty() {
        return None;
    }
    let first_match = &matches.first()?.secret;
    let mut exposures: Vec<HistoryExposure> = places
        .into_iter()
        .map(|((path, line), (commit, m, here))| HistoryExposure {
            path: out.history.paths[path].to_string(),
            line,
            column: m.column,
            commit: commit_ref(out, commit),
            in_head: here,
            detector: m.detector,
            confidence: m.confidence,
            reason: m.reason,
            in_comment: m.in_comment,
            layers: m.layers.clone(),
        })
        .collect();
    exposures.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    objects.sort_by(|a, b| (&a.blob, a.line, a.column).cmp(&(&b.blob, b.line, b.column)));
    let secret = SecretInHistory {
        fingerprint: first_match.fingerprint.clone(),
        preview: first_match.preview.clone(),
        detector: first_match.detector,
        confidence: first_match.confidence,
        reference: first_match.reference.clone(),
        first: first_commit.map(|c| commit_ref(out, c)),
        exposures,
        objects,
        in_head,
        facts: first_match.facts.clone(),
        removed_in: if in_head {
            None
        } else {
            last_departure.map(|c| commit_ref(out, c))
        },
    };
    // Secrets only in blobs no commit holds come after every commit's.
    Some((first_commit.unwrap_or(u32::MAX), secret))
}
