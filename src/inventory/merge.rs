//! Merging identities from several sources into one inventory, and correlating secrets found
//! in files with the identities a collector saw. The [`Builder`](super::Builder) calls
//! these; nothing else does.
//!
//! Two rules, both pure functions:
//! - **Same id, same identity.** Two sources reporting the same stable id (an IAM user seen
//!   by two profiles of one account, a certificate in a file and in a cluster) become one
//!   record: known facts win over unknown ones, lists are unioned.
//! - **Same fingerprint, same credential.** A collector fingerprints the value a secret
//!   scanner would find (an access key id, a service-account token) with the same keyed
//!   hash; a found secret with that fingerprint is that credential leaked. Its exposures move
//!   onto the collected identity, so the report says "leaked **and** active, last used N days
//!   ago" instead of two unrelated rows.

use crate::model::{Discovery, Identity, Status};
use std::collections::HashMap;

/// Fold `other` into `base`: facts `base` lacks are taken from `other`, lists are unioned.
pub fn merge_into(base: &mut Identity, other: Identity) {
    fill(&mut base.service, other.service);
    fill(&mut base.owner, other.owner);
    fill(&mut base.created_at, other.created_at);
    fill(&mut base.last_used_at, other.last_used_at);
    fill(&mut base.rotated_at, other.rotated_at);
    fill(&mut base.expires_at, other.expires_at);
    fill(&mut base.age_days, other.age_days);
    fill(&mut base.fingerprint, other.fingerprint);
    fill(&mut base.preview, other.preview);
    fill(&mut base.first_seen, other.first_seen);
    fill(&mut base.last_seen, other.last_seen);
    if base.status == Status::Unknown {
        base.status = other.status;
    }
    // A provider reporting the identity outranks having found its value somewhere.
    if other.discovery == Discovery::Collected {
        base.discovery = Discovery::Collected;
    }
    union(&mut base.privileges, other.privileges);
    union(&mut base.related, other.related);
    union(&mut base.third_parties, other.third_parties);
    union(&mut base.exposures, other.exposures);
    for (k, v) in other.attributes {
        base.attributes.entry(k).or_insert(v);
    }
    for (k, v) in other.tags {
        base.tags.entry(k).or_insert(v);
    }
    base.never_used |= other.never_used && base.last_used_at.is_none();
    base.console_access |= other.console_access;
}

fn fill<T>(slot: &mut Option<T>, other: Option<T>) {
    if slot.is_none() {
        *slot = other;
    }
}

fn union<T: PartialEq>(list: &mut Vec<T>, other: Vec<T>) {
    for item in other {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// Attach every found secret whose fingerprint equals a collected identity's to that
/// identity, and drop the separate secret record. Returns how many secrets were attached.
pub fn correlate(identities: &mut Vec<Identity>) -> usize {
    let collected: HashMap<String, usize> = identities
        .iter()
        .enumerate()
        .filter(|(_, i)| i.is_collected())
        .filter_map(|(slot, i)| Some((i.fingerprint.clone()?, slot)))
        .collect();
    if collected.is_empty() {
        return 0;
    }
    let mut attach: Vec<(usize, usize)> = Vec::new();
    for (slot, identity) in identities.iter().enumerate() {
        if identity.is_collected() {
            continue;
        }
        if let Some(&target) = identity.fingerprint.as_ref().and_then(|f| collected.get(f)) {
            attach.push((slot, target));
        }
    }
    // Move from the highest slot down so the slots still to visit keep their positions.
    attach.sort_unstable_by_key(|&(slot, _)| std::cmp::Reverse(slot));
    for &(slot, target) in &attach {
        let found = identities.remove(slot);
        let target = if target > slot { target - 1 } else { target };
        let identity = &mut identities[target];
        // Found in a file or commit it is leaked; found in a cluster Secret it is stored
        // where credentials belong, and the exposure alone says where.
        if found.exposures.iter().any(|e| e.origin.is_leak()) {
            identity.attributes.insert("leaked".into(), "true".into());
        }
        identity
            .attributes
            .entry("leak_detector".into())
            .or_insert_with(|| {
                found
                    .exposures
                    .first()
                    .map(|e| e.detector.clone())
                    .unwrap_or_default()
            });
        identity.preview = identity.preview.take().or(found.preview);
        union(&mut identity.exposures, found.exposures);
        for (k, v) in found.attributes {
            identity.attributes.entry(k).or_insert(v);
        }
    }
    attach.len()
}

/// Identities that share the value of one of `keys` (a found token and the SAML
/// authorisation listing its last eight characters; two tokens of one Slack installation)
/// name each other in `related`, so owners flow from the listed one and a reviewer sees
/// them together. Groups larger than a handful are not linked: a shared value that common
/// says nothing.
pub fn link(identities: &mut [Identity], keys: &[&str]) -> usize {
    const MAX_GROUP: usize = 8;
    let mut linked = 0;
    for key in keys {
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (slot, identity) in identities.iter().enumerate() {
            if let Some(v) = identity.attributes.get(*key) {
                groups.entry(v.clone()).or_default().push(slot);
            }
        }
        for slots in groups.into_values() {
            if slots.len() < 2 || slots.len() > MAX_GROUP {
                continue;
            }
            // Collected identities first, so `related[0]` of a found one is what a
            // provider listed (its owner is inherited from there).
            let mut ids: Vec<(bool, String)> = slots
                .iter()
                .map(|&s| (!identities[s].is_collected(), identities[s].id.clone()))
                .collect();
            ids.sort();
            for &slot in &slots {
                let own = identities[slot].id.clone();
                for (_, other) in ids.iter().filter(|(_, id)| *id != own) {
                    if !identities[slot].related.contains(other) {
                        identities[slot].related.push(other.clone());
                        linked += 1;
                    }
                }
            }
        }
    }
    linked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exposure, Origin, Place, Provider, Timestamp};

    fn exposure(path: &str) -> Exposure {
        Exposure::new(Origin::file(path), path, "aws.access-key-id").at(3, 7)
    }

    fn found(fp: &str, paths: &[&str]) -> Identity {
        let mut i = Identity::found(
            format!("secret:{fp}"),
            Provider::FILE,
            "access-key",
            "AWS access key id",
            paths[0],
        );
        i.fingerprint = Some(fp.into());
        i.preview = Some("AKIA…XY".into());
        i.exposures = paths.iter().map(|p| exposure(p)).collect();
        i
    }

    fn iam_key(id: &str, fp: &str) -> Identity {
        let mut i = Identity::new(id, Provider::named("aws"), "access-key", id, "user/ci");
        i.fingerprint = Some(fp.into());
        i.status = Status::Active;
        i.last_used_at = Some(Timestamp::parse("2026-11-19T00:00:00Z").unwrap());
        i.related = vec!["arn:aws:iam::123456789012:user/ci".into()];
        i
    }

    #[test]
    fn a_found_key_attaches_to_the_collected_key_with_the_same_fingerprint() {
        let mut list = vec![
            found("fp1", &["app/.env", "deploy/ci.yml"]),
            found("fp-other", &["x.txt"]),
            iam_key("AKIAEXAMPLEKEY000001", "fp1"),
        ];
        assert_eq!(correlate(&mut list), 1);
        assert_eq!(list.len(), 2);
        let key = list
            .iter()
            .find(|i| i.id == "AKIAEXAMPLEKEY000001")
            .unwrap();
        assert_eq!(key.exposures.len(), 2);
        assert_eq!(key.attributes["leaked"], "true");
        assert_eq!(key.preview.as_deref(), Some("AKIA…XY"));
        assert_eq!(key.status, Status::Active);
        assert!(list.iter().any(|i| i.id == "secret:fp-other"));
    }

    #[test]
    fn without_a_collected_match_nothing_moves() {
        let mut list = vec![found("fp1", &["a"]), found("fp2", &["b"])];
        assert_eq!(correlate(&mut list), 0);
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn a_value_only_in_a_collectors_document_correlates_without_being_a_leak() {
        let mut stored = found("fp1", &["kubernetes:c/ns/secrets/aws/KEY"]);
        stored.exposures[0].origin = Origin::new(Place::Document {
            source: "kubernetes:c".into(),
            object: "ns/secrets/aws".into(),
            key: "KEY".into(),
        });
        let mut list = vec![stored, iam_key("AKIAEXAMPLEKEY000001", "fp1")];
        assert_eq!(correlate(&mut list), 1);
        assert_eq!(list.len(), 1);
        assert!(!list[0].attributes.contains_key("leaked"));
        assert_eq!(list[0].exposures.len(), 1);
    }

    #[test]
    fn identities_sharing_a_link_key_name_each_other_the_listed_one_first() {
        let key = crate::model::attr::SLACK_TEAM_AND_USER;
        let mut a = found("fp-a", &["a.env"]);
        let mut b = found("fp-b", &["b.env"]);
        let mut listed = iam_key("listed", "fp-listed");
        let mut other = found("fp-c", &["c.env"]);
        for i in [&mut a, &mut b, &mut listed] {
            i.attributes.insert(key.into(), "4182-3290".into());
        }
        other.attributes.insert(key.into(), "9999-1".into());
        let mut all = vec![a, b, listed, other];
        assert_eq!(link(&mut all, &[key]), 6);
        assert_eq!(all[0].related, ["listed", "secret:fp-b"]);
        assert_eq!(all[1].related, ["listed", "secret:fp-a"]);
        assert!(all[2].related.contains(&"secret:fp-a".to_string()));
        assert!(all[3].related.is_empty());
    }
}
