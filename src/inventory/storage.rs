//! Vaulted or hard-coded: per repository (or scanned tree), how many secrets its code
//! refers to in a store and how many it carries as values. The view commercial NHI tools
//! sell, computed from exposures alone.

use crate::model::{Confidence, ExposureKind, Identity, RepositoryStorage};
use std::collections::{BTreeMap, BTreeSet};

/// One row per repository or tree that has a reference or a hard-coded value, by name.
/// A value counts as hard-coded from confidence `low` up (a published example does not);
/// certificates are public and count as neither.
pub fn storage(identities: &[Identity]) -> Vec<RepositoryStorage> {
    #[derive(Default)]
    struct Tally<'a> {
        vaulted: BTreeSet<&'a str>,
        hard_coded: BTreeSet<&'a str>,
        stores: BTreeMap<&'a str, BTreeSet<&'a str>>,
    }
    let mut by_repo: BTreeMap<&str, Tally<'_>> = BTreeMap::new();
    for identity in identities.iter().filter(|i| i.kind != "certificate") {
        for e in &identity.exposures {
            let repo = by_repo.entry(e.origin.repository()).or_default();
            match (&e.kind, &e.reference) {
                (ExposureKind::Reference, Some(r)) => {
                    repo.vaulted.insert(&identity.id);
                    repo.stores
                        .entry(&r.store)
                        .or_default()
                        .insert(&identity.id);
                }
                (ExposureKind::Value, _)
                    if e.origin.is_leak()
                        && e.confidence.unwrap_or(Confidence::Medium) >= Confidence::Low =>
                {
                    repo.hard_coded.insert(&identity.id);
                }
                _ => {}
            }
        }
    }
    by_repo
        .into_iter()
        .filter(|(_, t)| !t.vaulted.is_empty() || !t.hard_coded.is_empty())
        .map(|(repository, t)| RepositoryStorage {
            repository: repository.to_string(),
            vaulted: t.vaulted.len() as u64,
            hard_coded: t.hard_coded.len() as u64,
            stores: t
                .stores
                .into_iter()
                .map(|(s, ids)| (s.to_string(), ids.len() as u64))
                .collect(),
        })
        .collect()
}
