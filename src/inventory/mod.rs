//! The inventory stage: every source's output becomes one list of identities.
//!
//! Sources never build identities of found secrets themselves and never merge with each
//! other; they hand what they produced to one [`Builder`]:
//! - the working-tree scan ([`Builder::add_files`]),
//! - a repository's history, local or cloned ([`Builder::add_history`]),
//! - values a collector read from a provider's objects ([`Builder::add_documents`]),
//! - identities a collector reported ([`Builder::add_collected`]),
//!
//! and [`Builder::finish`] correlates (a found value with a collected identity's
//! fingerprint becomes that identity's exposure) and settles ages and status.
//!
//! A secret is identified by its fingerprint, not by where it was found, so the same API key
//! in three files is one identity with three exposures, each with its typed
//! [`Origin`](crate::model::Origin). Certificates are identified by the SHA-256 of their DER
//! encoding. Everything here is a pure function over data: unit-tested without I/O.

pub mod context;
mod found;
pub mod merge;
mod storage;
mod stores;

pub use storage::storage;

use crate::collect::Document;
use crate::detect::DetectorSet;
use crate::model::{DetectorInfo, Identity, Origin, Status, Timestamp};
use crate::scan::git::attribute::SecretInHistory;
use crate::scan::{FileFindings, ScanOutput};
use std::collections::{BTreeSet, HashMap};

/// Identity id of a secret with this fingerprint, whatever provider or place it came from.
pub fn secret_identity_id(fingerprint: &str) -> String {
    format!("secret:{fingerprint}")
}

/// A repository whose history was scanned, as its exposures will name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryRepository {
    /// A repository the user named: exposures carry its paths as they are.
    Local { repository: String },
    /// A repository a source listed and the scan cloned: exposures read `repository:path`.
    Clone { source: String, repository: String },
}

impl HistoryRepository {
    /// The repository as its exposures name it.
    pub fn name(&self) -> &str {
        match self {
            HistoryRepository::Local { repository }
            | HistoryRepository::Clone { repository, .. } => repository,
        }
    }
}

/// The one way into the inventory. Feed it every source's output, then [`finish`](Self::finish).
pub struct Builder<'a> {
    set: &'a DetectorSet,
    now: Timestamp,
    identities: Vec<Identity>,
    index: HashMap<String, usize>,
    /// Detectors (by index in `set`) an exposure names, for the inventory's detector table.
    used: BTreeSet<u32>,
}

/// What the builder made: identities, and the table of detectors their exposures name.
#[derive(Debug, Default)]
pub struct Built {
    pub identities: Vec<Identity>,
    pub detectors: Vec<DetectorInfo>,
}

impl<'a> Builder<'a> {
    pub fn new(set: &'a DetectorSet, now: Timestamp) -> Self {
        Builder {
            set,
            now,
            identities: Vec::new(),
            index: HashMap::new(),
            used: BTreeSet::new(),
        }
    }

    /// Secrets and certificates of a working-tree scan, in order of first appearance
    /// (secrets by path and line, then certificates). `roots` are the paths the user named,
    /// as displayed: each file belongs to the longest one its path is under.
    pub fn add_files(&mut self, roots: &[String], scan: &ScanOutput) {
        for m in &scan.secrets {
            self.used.insert(m.detector);
            let origin = file_origin(roots, &m.path);
            let slot = found::secret_file(self, origin, m);
            found::apply_facts(&mut self.identities[slot], &m.facts);
        }
        for c in &scan.certificates {
            self.used.insert(c.detector);
            found::certificate_file(self, file_origin(roots, &c.path), c);
        }
    }

    /// Secrets found in one repository's history. A secret already known gains history
    /// exposures; one only in history becomes a `git` identity whose age counts from the
    /// author date of the commit that introduced it.
    pub fn add_history(&mut self, repo: &HistoryRepository, secrets: &[SecretInHistory]) {
        for secret in secrets {
            self.used.insert(secret.detector);
            self.used
                .extend(secret.exposures.iter().map(|e| e.detector));
            found::history(self, repo, secret);
        }
    }

    /// What the scanner found in values a collector read, one [`FileFindings`] per
    /// document: secrets of every document first, then certificates. New identities get
    /// the document's provider; every identity found in a document gets the labels of the
    /// object holding it (for ownership).
    pub fn add_documents(&mut self, found: &[(&Document, FileFindings)]) {
        for (doc, findings) in found {
            for m in &findings.secrets {
                self.used.insert(m.detector);
                let slot = found::secret_document(self, doc, m);
                found::apply_facts(&mut self.identities[slot], &m.facts);
                self.add_tags(slot, doc);
            }
        }
        for (doc, findings) in found {
            for c in &findings.certificates {
                self.used.insert(c.detector);
                let slot = found::certificate_document(self, doc, c);
                self.add_tags(slot, doc);
            }
        }
    }

    fn add_tags(&mut self, slot: usize, doc: &Document) {
        let tags = &mut self.identities[slot].tags;
        for (k, v) in &doc.tags {
            tags.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    /// Identities a collector reported; one with an id already present is merged into it.
    pub fn add_collected(&mut self, incoming: Vec<Identity>) {
        for identity in incoming {
            match self.index.get(&identity.id) {
                Some(&slot) => merge::merge_into(&mut self.identities[slot], identity),
                None => {
                    self.index
                        .insert(identity.id.clone(), self.identities.len());
                    self.identities.push(identity);
                }
            }
        }
    }

    /// Correlate found values with collected identities, settle ages and status, and
    /// return the identities with the table of detectors they name.
    pub fn finish(self) -> Built {
        let mut identities = self.identities;
        join(&mut identities, self.now);
        let detectors = self
            .used
            .iter()
            .map(|&i| detector_info(self.set.get(i)))
            .collect();
        Built {
            identities,
            detectors,
        }
    }

    /// The slot of identity `id`, creating it with `make` when it is new.
    fn slot_or_insert(&mut self, id: String, make: impl FnOnce() -> Identity) -> usize {
        if let Some(&slot) = self.index.get(&id) {
            return slot;
        }
        self.identities.push(make());
        self.index.insert(id, self.identities.len() - 1);
        self.identities.len() - 1
    }
}

/// A file's place: the root it was found under and its path inside that root.
fn file_origin(roots: &[String], display: &str) -> Origin {
    let root = roots
        .iter()
        .filter(|r| {
            r.as_str() == "."
                || display == r.as_str()
                || display
                    .strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|r| if r.as_str() == "." { 0 } else { r.len() })
        .map_or(".", String::as_str);
    let inner = if root == "." {
        display
    } else if display == root {
        display.rsplit('/').next().unwrap_or(display)
    } else {
        &display[root.len() + 1..]
    };
    Origin::file_in(root, inner)
}

/// What the inventory keeps of a detector: enough for policy and reports, never its regex.
pub fn detector_info(d: &crate::detect::Detector) -> DetectorInfo {
    DetectorInfo {
        id: d.id.clone(),
        name: d.name.clone(),
        service: d.provider.clone(),
        kind: d.kind.clone(),
        level: d.level,
        reference: d.reference.clone(),
        origin: d.origin.clone(),
        revoke: d.revoke.clone(),
    }
}

/// The joins of a finished inventory: found values onto the collected identities with
/// their fingerprint, identities sharing a link key named in each other's `related`,
/// references onto stored secrets, then ages and status as of `now`. Also what `merge`
/// runs over the united identities of several partial inventories.
pub fn join(identities: &mut Vec<Identity>, now: Timestamp) {
    merge::correlate(identities);
    merge::link(identities, crate::model::attr::LINK_KEYS);
    stores::join(identities);
    settle(identities, now);
}

/// Age and status from the dates, once every source has been merged.
fn settle(identities: &mut [Identity], now: Timestamp) {
    for i in identities.iter_mut() {
        if let Some(created) = i.created_at {
            i.age_days = Some(created.days_until(&now));
        }
        // Past its expiry it is expired whatever the provider said; a known expiry in the
        // future makes an unknown status active, never an inactive one.
        match i.expires_at {
            Some(exp) if exp < now => i.status = Status::Expired,
            Some(_) if i.status == Status::Unknown => i.status = Status::Active,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
