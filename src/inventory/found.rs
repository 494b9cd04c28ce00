//! Identities of values the scanner found: one per fingerprint (or certificate hash), one
//! exposure per place, each place typed by its [`Origin`].

use super::{Builder, HistoryRepository, context, secret_identity_id};
use crate::collect::Document;
use crate::detect::decode::Fact;
use crate::detect::{Detector, Reason};
use crate::model::{
    Confidence, Context, Exposure, ExposureKind, Identity, Origin, Place, Provider,
    SecretReference, Status, Timestamp,
};
use crate::scan::git::attribute::{CommitRef, SecretInHistory};
use crate::scan::{CertificateMatch, SecretMatch};
use std::collections::BTreeMap;

/// The id of what a match found: a value by its fingerprint, a reference by its store and
/// name (the same secret referenced from two files is one identity).
fn found_id(d: &Detector, fingerprint: &str, reference: Option<&str>) -> String {
    match reference {
        Some(name) => format!("reference:{}:{name}", d.provider),
        None => secret_identity_id(fingerprint),
    }
}

/// A new identity for what a match found, before exposures and facts.
fn secret_identity(
    d: &Detector,
    provider: Provider,
    fingerprint: &str,
    preview: &str,
    reference: Option<&str>,
    location: String,
) -> Identity {
    if let Some(name) = reference {
        // A secret held in a store: the store is where it lives; its value is not here.
        let mut identity = Identity::found(
            found_id(d, fingerprint, reference),
            Provider::owned(d.provider.clone()),
            "stored-secret",
            name,
            location,
        );
        identity.service = Some(d.provider.clone());
        return identity;
    }
    let mut identity = Identity::found(
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

/// What a detector's match says about its place: confidence and why, the kind of place,
/// and whether it is the value or a reference to it.
fn describe(
    b: &Builder<'_>,
    d: &Detector,
    mut exposure: Exposure,
    confidence: Confidence,
    reason: Reason,
    in_comment: bool,
    reference: Option<&str>,
) -> Exposure {
    exposure.confidence = Some(confidence);
    exposure.reason = Some(b.set.describe(reason));
    exposure.context = Some(match exposure.origin.path_in_tree() {
        Some(path) => context::classify(path, in_comment),
        None => Context::Source,
    });
    if let Some(name) = reference {
        exposure.kind = ExposureKind::Reference;
        exposure.reference = Some(SecretReference {
            store: d.provider.clone(),
            name: name.to_string(),
        });
    }
    exposure
}

fn push_exposure(identity: &mut Identity, exposure: Exposure) {
    if !identity.exposures.contains(&exposure) {
        identity.exposures.push(exposure);
    }
}

/// A secret in a working-tree file; returns its identity's slot.
pub(super) fn secret_file(b: &mut Builder<'_>, origin: Origin, m: &SecretMatch) -> usize {
    let d = b.set.get(m.detector);
    let reference = m.reference.as_deref();
    let slot = b.slot_or_insert(found_id(d, &m.fingerprint, reference), || {
        secret_identity(
            d,
            Provider::FILE,
            &m.fingerprint,
            &m.preview,
            reference,
            format!("{}:{}", m.path, m.line),
        )
    });
    let mut origin = origin;
    origin.decoded = m.layers.clone();
    let exposure = Exposure::new(origin, &m.path, &d.id).at(m.line, m.column);
    let exposure = describe(
        b,
        d,
        exposure,
        m.confidence,
        m.reason,
        m.in_comment,
        reference,
    );
    push_exposure(&mut b.identities[slot], exposure);
    slot
}

/// A secret in a value a collector read; returns its identity's slot.
pub(super) fn secret_document(b: &mut Builder<'_>, doc: &Document, m: &SecretMatch) -> usize {
    let d = b.set.get(m.detector);
    let label = doc.path();
    let reference = m.reference.as_deref();
    let slot = b.slot_or_insert(found_id(d, &m.fingerprint, reference), || {
        secret_identity(
            d,
            doc.provider.clone(),
            &m.fingerprint,
            &m.preview,
            reference,
            format!("{label}:{}", m.line),
        )
    });
    let exposure = Exposure::new(document_origin(doc), label, &d.id).at(m.line, m.column);
    let exposure = describe(b, d, exposure, m.confidence, m.reason, false, reference);
    push_exposure(&mut b.identities[slot], exposure);
    slot
}

fn document_origin(doc: &Document) -> Origin {
    Origin::new(Place::Document {
        source: doc.source.clone(),
        object: doc.object.clone(),
        key: doc.key.clone(),
    })
}

/// Record decoded facts; a JWT's `exp` is the credential's expiry.
pub(super) fn apply_facts(identity: &mut Identity, facts: &[Fact]) {
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

pub(super) fn certificate_file(b: &mut Builder<'_>, origin: Origin, c: &CertificateMatch) {
    let detector = b.set.get(c.detector).id.clone();
    let exposure = Exposure::new(origin, &c.path, detector).at(c.line, 1);
    let location = format!("{}:{}", c.path, c.line);
    certificate(b, c, Provider::FILE, location, exposure);
}

pub(super) fn certificate_document(
    b: &mut Builder<'_>,
    doc: &Document,
    c: &CertificateMatch,
) -> usize {
    let detector = b.set.get(c.detector).id.clone();
    let label = doc.path();
    let location = format!("{label}:{}", c.line);
    let exposure = Exposure::new(document_origin(doc), label, detector).at(c.line, 1);
    certificate(b, c, doc.provider.clone(), location, exposure)
}

fn certificate(
    b: &mut Builder<'_>,
    c: &CertificateMatch,
    provider: Provider,
    location: String,
    exposure: Exposure,
) -> usize {
    let info = &c.info;
    let now = b.now;
    let slot = b.slot_or_insert(format!("certificate:sha256:{}", info.sha256), || {
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
        let mut identity = Identity::found(
            format!("certificate:sha256:{}", info.sha256),
            provider,
            "certificate",
            info.common_name
                .clone()
                .unwrap_or_else(|| info.subject.clone()),
            location,
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
    push_exposure(&mut b.identities[slot], exposure);
    slot
}

fn commit_time(c: &CommitRef) -> Option<Timestamp> {
    time::OffsetDateTime::from_unix_timestamp(c.author_time)
        .ok()
        .map(Timestamp)
}

/// How a blob no commit holds is named where a path would be: `blob:<id>`, which
/// `git cat-file -p <id>` shows.
fn object_path(blob: &str) -> String {
    format!("blob:{blob}")
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// One secret of a repository's history: exposures at every commit that introduced it.
pub(super) fn history(b: &mut Builder<'_>, repo: &HistoryRepository, secret: &SecretInHistory) {
    let display = |path: &str| match repo {
        HistoryRepository::Local { .. } => path.to_string(),
        HistoryRepository::Clone { repository, .. } => format!("{repository}:{path}"),
    };
    let d = b.set.get(secret.detector);
    let now = b.now;
    let reference = secret.reference.as_deref();
    let slot = b.slot_or_insert(found_id(d, &secret.fingerprint, reference), || {
        let location = match (secret.exposures.first(), secret.objects.first()) {
            (Some(e), _) => format!("{}:{}@{}", display(&e.path), e.line, short(&e.commit.sha)),
            (None, Some(o)) => format!("{}:{}", display(&object_path(&o.blob)), o.line),
            (None, None) => String::new(),
        };
        secret_identity(
            d,
            Provider::GIT,
            &secret.fingerprint,
            &secret.preview,
            reference,
            location,
        )
    });
    let mut exposures = Vec::with_capacity(secret.exposures.len());
    for e in &secret.exposures {
        let place = match repo {
            HistoryRepository::Local { repository } => Place::Commit {
                repository: repository.clone(),
                path: e.path.clone(),
                commit: e.commit.sha.clone(),
                in_head: e.in_head,
            },
            HistoryRepository::Clone { source, repository } => Place::Clone {
                source: source.clone(),
                repository: repository.clone(),
                path: e.path.clone(),
                commit: e.commit.sha.clone(),
                in_head: e.in_head,
            },
        };
        let ed = b.set.get(e.detector);
        let origin = Origin {
            place,
            decoded: e.layers.clone(),
        };
        let exposure = Exposure {
            commit: Some(e.commit.sha.clone()),
            in_head: e.in_head,
            author: Some(e.commit.author_name.clone()),
            author_email: Some(e.commit.author_email.clone()),
            author_date: commit_time(&e.commit),
            ..Exposure::new(origin, display(&e.path), &ed.id).at(e.line, e.column)
        };
        exposures.push(describe(
            b,
            ed,
            exposure,
            e.confidence,
            e.reason,
            e.in_comment,
            reference,
        ));
    }
    for o in &secret.objects {
        let place = Place::Object {
            repository: repo.name().to_string(),
            blob: o.blob.clone(),
        };
        let ed = b.set.get(o.detector);
        let origin = Origin {
            place,
            decoded: o.layers.clone(),
        };
        let exposure = Exposure {
            in_head: false,
            ..Exposure::new(origin, display(&object_path(&o.blob)), &ed.id).at(o.line, o.column)
        };
        exposures.push(describe(
            b,
            ed,
            exposure,
            o.confidence,
            o.reason,
            o.in_comment,
            reference,
        ));
    }
    let identity = &mut b.identities[slot];
    apply_facts(identity, &secret.facts);
    identity.exposures.extend(exposures);
    let attrs = &mut identity.attributes;
    attrs.insert("in_head".into(), secret.in_head.to_string());
    let Some(first) = &secret.first else {
        return;
    };
    attrs.insert("first_commit".into(), first.sha.clone());
    attrs.insert(
        "first_author".into(),
        format!("{} <{}>", first.author_name, first.author_email),
    );
    let first_date = commit_time(first);
    if identity.created_at.is_none() || first_date < identity.created_at {
        identity.created_at = first_date;
        identity.age_days = first_date.map(|d| d.days_until(&now));
    }
    if let Some(removed) = &secret.removed_in {
        attrs.insert("removed_in".into(), removed.sha.clone());
    }
}
