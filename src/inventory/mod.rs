//! From raw scan matches to identities: one identity per secret, however often it appears.
//!
//! A secret is identified by its fingerprint, not by where it was found, so the same API key
//! in three files is one identity with three exposures. Certificates are identified by the
//! SHA-256 of their DER encoding. This is a pure function over scan output, so it is
//! unit-tested without touching the file system.

use crate::detect::DetectorSet;
use crate::model::{Exposure, Identity, Provider, Status, Timestamp};
use crate::scan::git::attribute::{CommitRef, SecretInHistory};
use crate::scan::{CertificateMatch, ScanOutput, SecretMatch};
pub mod merge;

use std::collections::{BTreeMap, HashMap};

/// Identity id of a secret with this fingerprint, whatever provider or place it came from.
pub fn secret_identity_id(fingerprint: &str) -> String {
    format!("secret:{fingerprint}")
}

/// A new identity for the secret with `fingerprint`, before exposures and facts.
fn secret_identity(
    d: &crate::detect::Detector,
    provider: Provider,
    fingerprint: &str,
    preview: &str,
    location: String,
) -> Identity {
    let mut identity = Identity::new(
        secret_identity_id(fingerprint),
        provider,
        &d.kind,
        &d.name,
        location,
    );
    identity.service = Some(d.provider.clone());
    identity.fingerprint = Some(fingerprint.to_string());
    identity.preview = Some(preview.to_string());
    identity
}

/// Build identities from a file scan, in order of first appearance (by path, then line).
pub fn identities_from_scan(set: &DetectorSet, scan: &ScanOutput, now: Timestamp) -> Vec<Identity> {
    let mut identities = secrets_to_identities(set, &scan.secrets);
    identities.extend(certificates_to_identities(set, &scan.certificates, now));
    identities
}

fn secrets_to_identities(set: &DetectorSet, secrets: &[SecretMatch]) -> Vec<Identity> {
    let mut order: Vec<String> = Vec::new();
    let mut by_fp: HashMap<String, Identity> = HashMap::new();
    for m in secrets {
        let d = set.get(m.detector);
        let exposure = Exposure {
            path: m.path.clone(),
            line: m.line,
            column: m.column,
            commit: None,
            in_head: true,
            detector: d.id.clone(),
            author: None,
            author_email: None,
            author_date: None,
        };
        let identity = by_fp.entry(m.fingerprint.clone()).or_insert_with(|| {
            order.push(m.fingerprint.clone());
            secret_identity(
                d,
                Provider::File,
                &m.fingerprint,
                &m.preview,
                format!("{}:{}", m.path, m.line),
            )
        });
        apply_facts(identity, &m.facts);
        if !identity.exposures.contains(&exposure) {
            identity.exposures.push(exposure);
        }
    }
    order
        .into_iter()
        .filter_map(|fp| by_fp.remove(&fp))
        .collect()
}

/// Record decoded facts; a JWT's `exp` is the credential's expiry.
fn apply_facts(identity: &mut Identity, facts: &[crate::detect::decode::Fact]) {
    for (k, v) in facts {
        identity.attributes.insert(k.clone(), v.clone());
        if k == "jwt_exp"
            && identity.expires_at.is_none()
            && let Some(t) = v
                .parse::<i64>()
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        {
            identity.expires_at = Some(Timestamp(t));
        }
    }
}

/// Age and status from the dates, once every source has been merged.
pub fn settle(identities: &mut [Identity], now: Timestamp) {
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

fn certificates_to_identities(
    set: &DetectorSet,
    certs: &[CertificateMatch],
    now: Timestamp,
) -> Vec<Identity> {
    let mut order: Vec<String> = Vec::new();
    let mut by_hash: HashMap<String, Identity> = HashMap::new();
    for c in certs {
        let info = &c.info;
        let exposure = Exposure {
            path: c.path.clone(),
            line: c.line,
            column: 1,
            commit: None,
            in_head: true,
            detector: set.get(c.detector).id.clone(),
            author: None,
            author_email: None,
            author_date: None,
        };
        let identity = by_hash.entry(info.sha256.clone()).or_insert_with(|| {
            order.push(info.sha256.clone());
            let mut attributes = BTreeMap::new();
            attributes.insert("subject".into(), info.subject.clone());
            attributes.insert("issuer".into(), info.issuer.clone());
            attributes.insert("serial".into(), info.serial.clone());
            attributes.insert("self_signed".into(), info.self_signed.to_string());
            attributes.insert("is_ca".into(), info.is_ca.to_string());
            if !info.subject_alt_names.is_empty() {
                attributes.insert(
                    "subject_alt_names".into(),
                    info.subject_alt_names.join(", "),
                );
            }
            let mut identity = Identity::new(
                format!("certificate:sha256:{}", info.sha256),
                Provider::File,
                "certificate",
                info.common_name
                    .clone()
                    .unwrap_or_else(|| info.subject.clone()),
                format!("{}:{}", c.path, c.line),
            );
            identity.created_at = Some(info.not_before);
            identity.expires_at = Some(info.not_after);
            identity.age_days = Some(info.not_before.days_until(&now));
            identity.status = if info.not_after < now {
                Status::Expired
            } else {
                Status::Active
            };
            identity.fingerprint = Some(info.sha256.clone());
            identity.attributes = attributes;
            identity
        });
        if !identity.exposures.contains(&exposure) {
            identity.exposures.push(exposure);
        }
    }
    order
        .into_iter()
        .filter_map(|h| by_hash.remove(&h))
        .collect()
}

fn commit_time(c: &CommitRef) -> Option<Timestamp> {
    time::OffsetDateTime::from_unix_timestamp(c.author_time)
        .ok()
        .map(Timestamp)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// Merge secrets found in a repository's history into `identities`: a secret already found
/// in the working tree gains history exposures; one only in history becomes a `git`
/// identity. Its age counts from the author date of the commit that introduced it.
pub fn merge_history(
    set: &DetectorSet,
    identities: &mut Vec<Identity>,
    secrets: &[SecretInHistory],
    now: Timestamp,
) {
    let mut index: HashMap<String, usize> = identities
        .iter()
        .enumerate()
        .map(|(i, id)| (id.id.clone(), i))
        .collect();
    for secret in secrets {
        let id = secret_identity_id(&secret.fingerprint);
        let slot = *index.entry(id.clone()).or_insert_with(|| {
            let d = set.get(secret.detector);
            let first = secret.exposures.first();
            let location = first
                .map(|e| format!("{}:{}@{}", e.path, e.line, short(&e.commit.sha)))
                .unwrap_or_default();
            identities.push(secret_identity(
                d,
                Provider::Git,
                &secret.fingerprint,
                &secret.preview,
                location,
            ));
            identities.len() - 1
        });
        let identity = &mut identities[slot];
        apply_facts(identity, &secret.facts);
        for e in &secret.exposures {
            identity.exposures.push(Exposure {
                path: e.path.clone(),
                line: e.line,
                column: e.column,
                commit: Some(e.commit.sha.clone()),
                in_head: e.in_head,
                detector: set.get(e.detector).id.clone(),
                author: Some(e.commit.author_name.clone()),
                author_email: Some(e.commit.author_email.clone()),
                author_date: commit_time(&e.commit),
            });
        }
        let first_date = commit_time(&secret.first);
        if identity.created_at.is_none() || first_date < identity.created_at {
            identity.created_at = first_date;
            identity.age_days = first_date.map(|d| d.days_until(&now));
        }
        let attrs = &mut identity.attributes;
        attrs.insert("first_commit".into(), secret.first.sha.clone());
        attrs.insert(
            "first_author".into(),
            format!(
                "{} <{}>",
                secret.first.author_name, secret.first.author_email
            ),
        );
        attrs.insert("in_head".into(), secret.in_head.to_string());
        if let Some(removed) = &secret.removed_in {
            attrs.insert("removed_in".into(), removed.sha.clone());
        }
    }
}
