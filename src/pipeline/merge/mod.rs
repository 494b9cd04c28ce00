//! `nhiscan merge`: one inventory from the partial ones of a sharded scan.
//!
//! Files are read one at a time and folded into the result, so memory holds the merged
//! inventory and one input, not all of them. Identities are united by id (exposures,
//! privileges and related ids unioned, known facts winning over unknown ones), then joined
//! again over the whole: a found value whose fingerprint a collector listed in another
//! shard becomes that identity's exposure, link keys and secret-store references join
//! across shards. Findings are judged again over the merged inventory (a secret reused in
//! two shards is `secret-reused` only here), and the summary is recomputed. The inputs are
//! folded in path order, so the result does not depend on the order they were given in.
//!
//! Findings are the bulk of a merged estate (two per identity is usual):
//! [`Merged::write_json`] judges them as it writes them and never holds them;
//! [`Merged::judged`] holds them, for the other formats and the scan history.

mod stream;

pub use stream::Totals;

use crate::config::Config;
use crate::model::{
    DetectorInfo, Finding, Identity, Inventory, ScanSummary, Scope, SourceState, SourceStatus,
    ToolInfo,
};
use crate::policy::{Settings, Verdict};

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Why inventories cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Read(#[from] crate::drift::InventoryReadError),
    #[error(
        "{first} and {other} were fingerprinted with different keys (ids {a} and {b}): their fingerprints cannot be compared; scan every shard with the same NHISCAN_FINGERPRINT_KEY"
    )]
    Key {
        first: PathBuf,
        other: PathBuf,
        a: String,
        b: String,
    },
    #[error(
        "{first} has schema version {a} and {other} {b}: merge inventories written by the same nhiscan version"
    )]
    Schema {
        first: PathBuf,
        other: PathBuf,
        a: u32,
        b: u32,
    },
    #[error("nothing to merge: give at least one inventory")]
    Empty,
}

/// The merged inventory before its findings are judged, and warnings (different detector
/// sets).
pub struct Merged {
    /// Everything but the findings (empty) and the summary's finding counts (zero).
    unjudged: Inventory,
    policy: Settings,
    pub warnings: Vec<String>,
}

impl Merged {
    /// The whole inventory, its findings judged and held in memory.
    pub fn judged(self) -> Inventory {
        let mut findings = Vec::new();
        let verdict = self.judge_each(&mut |f| findings.push(f));
        let mut inventory = self.unjudged;
        for f in &findings {
            inventory.summary.count(f);
        }
        settle_summary(&mut inventory.summary, &verdict);
        inventory.findings = findings;
        inventory
    }

    /// Judge the findings, handing each to `sink` in the order [`Merged::judged`] lists
    /// them.
    fn judge_each(&self, sink: &mut dyn FnMut(Finding)) -> Verdict {
        let u = &self.unjudged;
        crate::policy::judge_each(
            &u.identities,
            &u.detectors,
            None,
            u.generated_at,
            &self.policy,
            sink,
        )
    }
}

/// The summary's judgement counters are the merge's own: its findings were judged again
/// (with the merge's policy and no baseline), so the shards' suppressions no longer apply.
fn settle_summary(summary: &mut ScanSummary, verdict: &Verdict) {
    summary.suppressed_baseline = verdict.suppressed_baseline;
    summary.suppressed_config = verdict.suppressed_config;
    summary.below_min_confidence = verdict.below_min_confidence;
    summary.baseline_stale.clear();
}

/// Merge the inventories at `paths`; findings judged with `config`'s policy.
pub fn merge(paths: &[PathBuf], config: &Config) -> Result<Merged, MergeError> {
    let mut paths: Vec<&PathBuf> = paths.iter().collect();
    paths.sort();
    paths.dedup();
    let mut acc: Option<(PathBuf, Accumulator)> = None;
    let mut warnings = Vec::new();
    for path in paths {
        let inventory = crate::drift::read_inventory(path)?;
        match &mut acc {
            None => acc = Some((path.clone(), Accumulator::new(inventory))),
            Some((first, a)) => {
                a.check(first, path, &inventory, &mut warnings)?;
                a.fold(inventory);
            }
        }
    }
    let (_, acc) = acc.ok_or(MergeError::Empty)?;
    Ok(Merged {
        unjudged: acc.finish(),
        policy: config.policy.clone(),
        warnings,
    })
}

struct Accumulator {
    schema_version: u32,
    tool: ToolInfo,
    generated_at: crate::model::Timestamp,
    scope: Scope,
    sources: Vec<SourceStatus>,
    /// Identities in first-seen order, and where each id is.
    identities: Vec<Identity>,
    by_id: HashMap<String, usize>,
    detectors: BTreeMap<String, DetectorInfo>,
    summary: ScanSummary,
}

impl Accumulator {
    fn new(first: Inventory) -> Accumulator {
        let mut acc = Accumulator {
            schema_version: first.schema_version,
            tool: first.tool.clone(),
            generated_at: first.generated_at,
            scope: Scope::default(),
            sources: Vec::new(),
            identities: Vec::new(),
            by_id: HashMap::new(),
            detectors: BTreeMap::new(),
            summary: ScanSummary::default(),
        };
        acc.fold(first);
        acc
    }

    /// Refuse what cannot be merged; warn about what merges but compares unevenly.
    fn check(
        &self,
        first: &Path,
        path: &Path,
        other: &Inventory,
        warnings: &mut Vec<String>,
    ) -> Result<(), MergeError> {
        if other.schema_version != self.schema_version {
            return Err(MergeError::Schema {
                first: first.to_path_buf(),
                other: path.to_path_buf(),
                a: self.schema_version,
                b: other.schema_version,
            });
        }
        let key = |t: &ToolInfo| {
            t.fingerprint_key
                .clone()
                .unwrap_or_else(|| "unknown".into())
        };
        if key(&self.tool) != key(&other.tool) {
            return Err(MergeError::Key {
                first: first.to_path_buf(),
                other: path.to_path_buf(),
                a: key(&self.tool),
                b: key(&other.tool),
            });
        }
        if self.tool.detector_set != other.tool.detector_set {
            warnings.push(format!(
                "{} was scanned with another detector set than {} (different nhiscan versions or --detectors): a secret one shard's detectors miss is missing from the merge",
                path.display(),
                first.display()
            ));
        }
        Ok(())
    }

    fn fold(&mut self, inventory: Inventory) {
        self.generated_at = self.generated_at.max(inventory.generated_at);
        union_scope(&mut self.scope, inventory.scope);
        for source in inventory.sources {
            match self.sources.iter_mut().find(|s| s.id == source.id) {
                Some(known) => merge_source(known, source),
                None => self.sources.push(source),
            }
        }
        for identity in inventory.identities {
            match self.by_id.get(&identity.id) {
                Some(&n) => {
                    let known = &mut self.identities[n];
                    crate::inventory::merge::merge_into(known, identity);
                    known.shrink_to_fit();
                }
                None => {
                    let mut identity = identity;
                    identity.shrink_to_fit();
                    self.by_id
                        .insert(identity.id.clone(), self.identities.len());
                    self.identities.push(identity);
                }
            }
        }
        for d in inventory.detectors {
            self.detectors.entry(d.id.clone()).or_insert(d);
        }
        add_summary(&mut self.summary, inventory.summary);
    }

    /// The merged inventory, joined again over the whole, findings not yet judged.
    fn finish(self) -> Inventory {
        let mut identities = self.identities;
        crate::inventory::join(&mut identities, self.generated_at);
        identities.sort_by(|a, b| a.id.cmp(&b.id));
        let mut sources = self.sources;
        sources.sort_by(|a, b| a.id.cmp(&b.id));
        Inventory {
            schema_version: self.schema_version,
            tool: self.tool,
            generated_at: self.generated_at,
            scope: self.scope,
            sources,
            storage: crate::inventory::storage(&identities),
            identities,
            findings: Vec::new(),
            detectors: self.detectors.into_values().collect(),
            summary: self.summary,
        }
    }
}

fn union_scope(into: &mut Scope, other: Scope) {
    for p in other.paths {
        if !into.paths.contains(&p) {
            into.paths.push(p);
        }
    }
    into.source_root = into.source_root.take().or(other.source_root);
    into.working_directory = into.working_directory.take().or(other.working_directory);
    for (key, names) in other.sources {
        let list = into.sources.entry(key).or_default();
        for n in names {
            if !list.contains(&n) {
                list.push(n);
            }
        }
        list.sort();
    }
}

/// The same source in two shards (an API inventory run twice): its errors united, the
/// worse status kept.
fn merge_source(known: &mut SourceStatus, other: SourceStatus) {
    let rank = |s: SourceState| match s {
        SourceState::Ok => 0,
        SourceState::Partial => 1,
        SourceState::Failed => 2,
    };
    if rank(other.status) > rank(known.status) {
        known.status = other.status;
    }
    known.items = known.items.max(other.items);
    for e in other.errors {
        if !known.errors.contains(&e) {
            known.errors.push(e);
        }
    }
}

/// Counts of work done add up across shards; the judgement's counters are the merge's own
/// ([`settle_summary`]).
fn add_summary(into: &mut ScanSummary, s: ScanSummary) {
    into.files_scanned += s.files_scanned;
    into.bytes_scanned += s.bytes_scanned;
    into.skipped_binary += s.skipped_binary;
    into.skipped_too_large += s.skipped_too_large;
    into.skipped_special += s.skipped_special;
    into.errors += s.errors;
    into.suppressed_inline += s.suppressed_inline;
    into.commits_scanned += s.commits_scanned;
    into.blobs_scanned += s.blobs_scanned;
    into.blobs_cached += s.blobs_cached;
    into.history_bytes_scanned += s.history_bytes_scanned;
    into.blobs_skipped_binary += s.blobs_skipped_binary;
    into.blobs_skipped_too_large += s.blobs_skipped_too_large;
    into.elapsed_ms += s.elapsed_ms;
    into.detectors = into.detectors.max(s.detectors);
    for (reason, n) in s.rejected {
        *into.rejected.entry(reason).or_default() += n;
    }
    if let Some(v) = &s.validation {
        into.validation.get_or_insert_with(Default::default).add(v);
    }
}
