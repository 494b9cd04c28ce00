//! The builder: every source's output becomes identities with typed origins.

use super::*;
use crate::model::{Confidence, Discovery, Origin, Place, Provider};
use crate::scan::SecretMatch;
use crate::scan::git::attribute::{CommitRef, HistoryExposure};

const NOW: &str = "2026-11-22T12:00:00Z";

fn now() -> Timestamp {
    Timestamp::parse(NOW).unwrap()
}

fn set() -> DetectorSet {
    DetectorSet::builtin().unwrap()
}

fn detector(set: &DetectorSet, id: &str) -> u32 {
    set.detectors().iter().position(|d| d.id == id).unwrap() as u32
}

fn secret(set: &DetectorSet, path: &str, line: u64, fp: &str) -> SecretMatch {
    SecretMatch {
        detector: detector(set, "aws.access-key-id"),
        path: path.into(),
        line,
        column: 5,
        fingerprint: fp.into(),
        preview: "AKIA…01".into(),
        confidence: Confidence::High,
        reason: crate::detect::Reason::Format,
        in_comment: false,
        reference: None,
        layers: Vec::new(),
        facts: Vec::new(),
    }
}

fn commit(sha: &str, time: i64) -> CommitRef {
    CommitRef {
        sha: sha.into(),
        author_name: "Dev".into(),
        author_email: "dev@example.test".into(),
        author_time: time,
    }
}

fn in_history(set: &DetectorSet, fp: &str, path: &str) -> SecretInHistory {
    let d = detector(set, "aws.access-key-id");
    SecretInHistory {
        fingerprint: fp.into(),
        preview: "AKIA…01".into(),
        detector: d,
        confidence: Confidence::High,
        reference: None,
        first: Some(commit("c1", 1_700_000_000)),
        objects: Vec::new(),
        exposures: vec![HistoryExposure {
            path: path.into(),
            line: 2,
            column: 1,
            commit: commit("c1", 1_700_000_000),
            in_head: false,
            detector: d,
            confidence: Confidence::High,
            reason: crate::detect::Reason::Format,
            in_comment: false,
            layers: Vec::new(),
        }],
        in_head: false,
        removed_in: Some(commit("c2", 1_700_000_100)),
        facts: Vec::new(),
    }
}

#[test]
fn one_identity_per_value_with_an_exposure_per_place() {
    let set = set();
    let scan = ScanOutput {
        secrets: vec![
            secret(&set, "a.env", 1, "fp1"),
            secret(&set, "b.env", 3, "fp1"),
            secret(&set, "c.env", 1, "fp2"),
        ],
        ..ScanOutput::default()
    };
    let mut b = Builder::new(&set, now());
    b.add_files(&[".".to_string()], &scan);
    let built = b.finish();
    assert_eq!(built.identities.len(), 2);
    let first = &built.identities[0];
    assert_eq!(first.id, "secret:fp1");
    assert_eq!(first.discovery, Discovery::Found);
    assert_eq!(first.provider, Provider::FILE);
    let paths: Vec<_> = first.exposures.iter().map(|e| e.origin.clone()).collect();
    assert_eq!(paths, [Origin::file("a.env"), Origin::file("b.env")]);
    assert_eq!(first.exposures[0].confidence, Some(Confidence::High));
    assert_eq!(built.detectors.len(), 1);
    assert_eq!(built.detectors[0].id, "aws.access-key-id");
    assert_eq!(built.detectors[0].name, "AWS access key ID");
}

#[test]
fn a_cloned_repository_is_typed_and_named_repo_colon_path() {
    let set = set();
    let mut b = Builder::new(&set, now());
    let repo = HistoryRepository::Clone {
        source: "github:acme".into(),
        repository: "acme/api".into(),
    };
    b.add_history(&repo, &[in_history(&set, "fp1", "deploy/.env")]);
    let built = b.finish();
    let i = &built.identities[0];
    assert_eq!(i.provider, Provider::GIT);
    assert_eq!(i.location, "acme/api:deploy/.env:2@c1");
    let e = &i.exposures[0];
    assert_eq!(e.path, "acme/api:deploy/.env");
    assert_eq!(
        e.origin.place,
        Place::Clone {
            source: "github:acme".into(),
            repository: "acme/api".into(),
            path: "deploy/.env".into(),
            commit: "c1".into(),
            in_head: false,
        }
    );
    assert_eq!(i.attributes["removed_in"], "c2");
}

#[test]
fn a_document_value_gets_the_collectors_provider_and_the_objects_labels() {
    let set = set();
    let mut b = Builder::new(&set, now());
    let provider = Provider::named("kubernetes");
    let doc = Document {
        source: "kubernetes:c".into(),
        provider: provider.clone(),
        object: "pay/secrets/db".into(),
        key: "KEY".into(),
        bytes: Vec::new(),
        tags: [("team".to_string(), "payments".to_string())].into(),
    };
    let findings = FileFindings {
        secrets: vec![secret(&set, &doc.path(), 1, "fp1")],
        ..FileFindings::default()
    };
    b.add_documents(&[(&doc, findings)]);
    let built = b.finish();
    let i = &built.identities[0];
    assert_eq!(i.provider, provider);
    assert_eq!(i.discovery, Discovery::Found);
    assert_eq!(i.tags["team"], "payments");
    assert_eq!(i.exposures[0].path, "kubernetes:c/pay/secrets/db/KEY");
    assert!(!i.exposures[0].origin.is_leak());
}

#[test]
fn same_id_from_two_sources_is_one_identity_with_the_union_of_facts() {
    let aws = Provider::named("aws");
    let mut a = Identity::new("role/x", aws.clone(), "iam-role", "x", "arn");
    a.privileges = vec!["AdministratorAccess".into()];
    let mut b = a.clone();
    b.privileges = vec!["AdministratorAccess".into(), "iam:PassRole".into()];
    b.created_at = Some(Timestamp::parse("2025-01-01T00:00:00Z").unwrap());
    b.tags.insert("Owner".into(), "platform".into());
    b.status = Status::Active;
    let set = set();
    let mut builder = Builder::new(&set, now());
    builder.add_collected(vec![a]);
    builder.add_collected(vec![b, Identity::new("other", aws, "iam-user", "o", "l")]);
    let list = builder.finish().identities;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].privileges, ["AdministratorAccess", "iam:PassRole"]);
    assert!(list[0].created_at.is_some());
    assert_eq!(list[0].status, Status::Active);
    assert_eq!(list[0].tags["Owner"], "platform");
}

#[test]
fn a_found_key_joins_the_collected_key_and_is_marked_leaked() {
    let set = set();
    let mut b = Builder::new(&set, now());
    b.add_files(
        &[".".to_string()],
        &ScanOutput {
            secrets: vec![secret(&set, "deploy/.env", 4, "fp-key")],
            ..ScanOutput::default()
        },
    );
    let mut key = Identity::new(
        "AKIA1",
        Provider::named("aws"),
        "access-key",
        "k",
        "user/ci",
    );
    key.fingerprint = Some("fp-key".into());
    b.add_collected(vec![key]);
    let built = b.finish();
    assert_eq!(built.identities.len(), 1);
    let key = &built.identities[0];
    assert_eq!(key.discovery, Discovery::Collected);
    assert_eq!(key.attributes["leaked"], "true");
    assert_eq!(key.exposures[0].origin, Origin::file("deploy/.env"));
}
