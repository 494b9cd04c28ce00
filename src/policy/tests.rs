//! One test per rule: the fact that triggers it, and the nearest fact that must not.

use super::*;
use crate::detect::DetectorSet;
use crate::model::{Exposure, Origin, Place, Provider, Status};

const NOW: &str = "2026-11-22T12:00:00Z";

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn days_ago(days: i64) -> Timestamp {
    Timestamp(at(NOW).0 - time::Duration::days(days))
}

fn key() -> Identity {
    let mut i = Identity::new(
        "AKIAEXAMPLE000000001",
        aws(),
        "access-key",
        "ci-deploy key",
        "arn:aws:iam::123456789012:user/ci-deploy",
    );
    i.status = Status::Active;
    i.created_at = Some(days_ago(10));
    i.owner = Some(crate::model::Owner {
        team: "platform".into(),
        backup: None,
        source: "tag".into(),
        evidence: "Owner tag".into(),
    });
    i
}

/// Codes of the findings `judge` gives this one identity.
fn codes(identity: Identity) -> Vec<String> {
    codes_with(identity, &Thresholds::default())
}

fn codes_with(identity: Identity, limits: &Thresholds) -> Vec<String> {
    judge_with(&[identity], limits)
        .into_iter()
        .map(|f| f.code)
        .collect()
}

/// The findings of `identities` with these thresholds, every detector in the table.
fn judge_with(identities: &[Identity], limits: &Thresholds) -> Vec<Finding> {
    let set = DetectorSet::builtin().unwrap();
    let detectors: Vec<_> = set
        .detectors()
        .iter()
        .map(crate::inventory::detector_info)
        .collect();
    let settings = Settings {
        thresholds: limits.clone(),
        ..Settings::default()
    };
    judge(identities, &detectors, None, at(NOW), &settings).findings
}

fn aws() -> Provider {
    Provider::named("aws")
}

#[test]
fn a_fresh_owned_expiring_key_is_only_long_lived_when_it_has_no_expiry() {
    assert_eq!(codes(key()), ["long-lived"]);
    let mut expiring = key();
    expiring.expires_at = Some(at("2027-06-01T00:00:00Z"));
    assert!(codes(expiring).is_empty());
}

#[test]
fn stale_after_the_threshold_of_days_without_use() {
    let mut k = key();
    k.expires_at = Some(at("2027-06-01T00:00:00Z"));
    k.last_used_at = Some(days_ago(91));
    assert_eq!(codes(k.clone()), ["stale"]);
    k.last_used_at = Some(days_ago(90));
    assert!(codes(k.clone()).is_empty());
    let limits = Thresholds {
        stale_days: 30,
        ..Thresholds::default()
    };
    assert_eq!(codes_with(k, &limits), ["stale"]);
}

#[test]
fn never_used_only_when_the_provider_says_so_and_the_identity_is_old_enough() {
    let mut k = key();
    k.expires_at = Some(at("2027-06-01T00:00:00Z"));
    k.never_used = true;
    k.created_at = Some(days_ago(31));
    assert_eq!(codes(k.clone()), ["never-used"]);
    k.created_at = Some(days_ago(29));
    assert!(codes(k.clone()).is_empty());
    k.created_at = Some(days_ago(31));
    k.never_used = false; // unknown use is not "never used"
    assert!(codes(k).is_empty());
}

#[test]
fn rotation_overdue_counts_from_the_last_rotation_when_there_is_one() {
    let mut k = key();
    k.expires_at = Some(at("2027-06-01T00:00:00Z"));
    k.created_at = Some(days_ago(400));
    assert_eq!(codes(k.clone()), ["rotation-overdue"]);
    k.rotated_at = Some(days_ago(20));
    assert!(codes(k.clone()).is_empty());
    k.rotated_at = None;
    k.status = Status::Inactive; // a disabled key is not in use; rotating it means nothing
    assert!(codes(k).is_empty());
}

#[test]
fn overprivileged_names_the_broad_privileges_it_holds() {
    let mut role = Identity::new("arn:role/admin", aws(), "iam-role", "admin", "arn");
    role.owner = key().owner;
    role.privileges = vec!["s3:GetObject".into(), "AdministratorAccess".into()];
    let limits = Thresholds::default();
    let findings = judge_with(&[role.clone()], &limits);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, "overprivileged");
    assert_eq!(findings[0].message, "admin holds AdministratorAccess");
    assert_eq!(
        findings[0].controls,
        ["OWASP-NHI5", "SOC2-CC6.3", "NIST-PR.AA-05"]
    );
    role.privileges = vec!["s3:GetObject".into()];
    assert!(codes(role).is_empty());
}

#[test]
fn third_party_access_lists_the_outside_parties() {
    let mut role = Identity::new("arn:role/vendor", aws(), "iam-role", "vendor", "arn");
    role.owner = key().owner;
    role.third_parties = vec!["aws-account:999988887777".into()];
    let findings = judge_with(&[role], &Thresholds::default());
    assert_eq!(findings[0].code, "third-party-access");
    assert!(findings[0].message.contains("999988887777"));
}

#[test]
fn human_use_is_a_console_password_on_a_programmatic_identity() {
    let mut user = Identity::new("arn:user/ci", aws(), "iam-user", "ci", "arn");
    user.owner = key().owner;
    assert!(codes(user.clone()).is_empty());
    user.console_access = true;
    assert_eq!(codes(user), ["human-use"]);
}

#[test]
fn unowned_unless_some_resolver_answered() {
    let mut k = key();
    k.expires_at = Some(at("2027-06-01T00:00:00Z"));
    k.owner = None;
    assert_eq!(codes(k), ["unowned"]);
}

#[test]
fn expiry_rules_use_the_configured_window() {
    let mut cert = Identity::new(
        "certificate:sha256:ab",
        Provider::FILE,
        "certificate",
        "api",
        "c.pem",
    );
    cert.owner = key().owner;
    cert.expires_at = Some(at("2026-12-10T00:00:00Z"));
    assert_eq!(codes(cert.clone()), ["expiring-soon"]);
    let narrow = Thresholds {
        expiring_soon_days: 7,
        ..Thresholds::default()
    };
    assert!(codes_with(cert.clone(), &narrow).is_empty());
    cert.expires_at = Some(at("2026-11-01T00:00:00Z"));
    assert_eq!(codes(cert), ["expired"]);
}

#[test]
fn use_and_rotation_rules_leave_found_secrets_to_leaked_secret() {
    let mut found = Identity::found("secret:fp", Provider::GIT, "access-key", "AWS key", "a:1");
    found.owner = key().owner;
    found.created_at = Some(days_ago(800));
    found.last_used_at = Some(days_ago(500));
    let place = Place::Commit {
        repository: ".".into(),
        path: "a".into(),
        commit: "abc".into(),
        in_head: true,
    };
    found.exposures.push(Exposure {
        commit: Some("abc".into()),
        ..Exposure::new(Origin::new(place), "a", "aws.access-key-id").at(1, 1)
    });
    let codes = codes(found);
    assert!(
        !codes
            .iter()
            .any(|c| c == "stale" || c == "rotation-overdue" || c == "long-lived")
    );
}

#[test]
fn a_leak_of_a_collected_key_says_it_is_active_and_when_it_was_last_used() {
    let mut k = key();
    k.fingerprint = Some("fp-key".into());
    k.last_used_at = Some(days_ago(3));
    k.preview = Some("AKIA…01".into());
    let mut exposure = Exposure::new(
        Origin::file("deploy/.env"),
        "deploy/.env",
        "aws.access-key-id",
    )
    .at(4, 19);
    exposure.confidence = Some(crate::model::Confidence::High);
    k.exposures.push(exposure);
    let findings = judge_with(&[k], &Thresholds::default());
    let leak = findings.iter().find(|f| f.code == "leaked-secret").unwrap();
    assert_eq!(leak.identity, "AKIAEXAMPLE000000001");
    assert_eq!(leak.level, Level::Deny);
    assert!(
        leak.message.ends_with(
            "; it is aws access-key (arn:aws:iam::123456789012:user/ci-deploy), ACTIVE, last used 3 days ago (2026-11-19T12:00:00Z)"
        ),
        "{}",
        leak.message
    );
}

#[test]
fn every_rule_has_a_unique_code_a_description_and_controls() {
    let mut seen = std::collections::HashSet::new();
    for r in rules() {
        assert!(seen.insert(r.code), "duplicate code {}", r.code);
        assert!(
            !r.description.is_empty() && !r.controls.is_empty(),
            "{}",
            r.code
        );
    }
    for code in [
        "leaked-secret",
        "secret-in-history",
        "secret-reused",
        "unowned",
        "stale",
        "rotation-overdue",
        "never-used",
        "expiring-soon",
        "expired",
        "overprivileged",
        "third-party-access",
        "long-lived",
        "human-use",
        "suppression-expired",
    ] {
        assert!(rule(code).is_some(), "{code} missing");
    }
}

#[test]
fn an_oidc_trust_without_subject_is_denied_and_two_active_keys_warned() {
    let mut role = Identity::new("arn:role/gha", aws(), "iam-role", "gha", "arn");
    role.owner = key().owner;
    assert!(codes(role.clone()).is_empty());
    role.attributes.insert(
        crate::model::attr::OIDC_TRUST_WITHOUT_SUBJECT.into(),
        "token.actions.githubusercontent.com".into(),
    );
    let findings = judge_with(&[role], &Thresholds::default());
    assert_eq!(findings[0].code, "insecure-oidc-trust");
    assert_eq!(findings[0].level, Level::Deny);
    let mut user = Identity::new("arn:user/ci", aws(), "iam-user", "ci", "arn");
    user.owner = key().owner;
    user.attributes
        .insert(crate::model::attr::ACTIVE_ACCESS_KEYS.into(), "2".into());
    assert_eq!(codes(user), ["multiple-active-keys"]);
}

fn account(name: &str) -> Identity {
    let mut i = Identity::new(
        format!("kubernetes:c:serviceaccount:{name}"),
        Provider::named("kubernetes"),
        "service-account",
        name,
        format!("c/namespaces/{name}"),
    );
    i.status = Status::Active;
    i.owner = key().owner;
    i
}

#[test]
fn a_bound_default_account_and_a_bound_account_no_pod_runs_as() {
    let mut default = account("apps/default");
    default.attributes.insert(
        crate::model::attr::DEFAULT_ACCOUNT_BINDINGS.into(),
        "1".into(),
    );
    default.attributes.insert("pods".into(), "3".into());
    default.privileges = vec!["k8s:configmaps:get".into()];
    assert_eq!(codes(default), ["default-service-account-bound"]);

    let mut idle = account("ci/deployer");
    idle.privileges = vec!["k8s:configmaps:get".into()];
    idle.attributes.insert("pods".into(), "0".into());
    assert_eq!(codes(idle.clone()), ["unused-service-account"]);
    // Pods unknown (the list was forbidden), or no grants: not unused.
    idle.attributes.remove("pods");
    assert!(codes(idle.clone()).is_empty());
    idle.attributes.insert("pods".into(), "0".into());
    idle.privileges.clear();
    assert!(codes(idle).is_empty());
}

#[test]
fn a_managed_certificate_is_not_expiring_soon_but_is_expired() {
    let mut cert = account("apps/tls");
    cert.kind = "certificate".into();
    cert.expires_at = Some(at("2026-12-01T00:00:00Z"));
    assert_eq!(codes(cert.clone()), ["expiring-soon"]);
    cert.attributes
        .insert(crate::model::attr::MANAGED_BY.into(), "cert-manager".into());
    assert!(codes(cert.clone()).is_empty(), "cert-manager renews it");
    cert.expires_at = Some(at("2026-11-01T00:00:00Z"));
    assert_eq!(codes(cert), ["expired"], "renewal failed");
}

/// A found secret of `confidence` at `path`, in the working tree.
fn found_at(path: &str, detector: &str, confidence: crate::model::Confidence) -> Identity {
    let mut i = Identity::found(
        format!("secret:{path}"),
        Provider::FILE,
        "token",
        "a token",
        path,
    );
    i.fingerprint = Some(format!("fp-{path}"));
    let mut e = Exposure::new(Origin::file(path), path, detector).at(1, 1);
    e.confidence = Some(confidence);
    e.context = Some(crate::inventory::context::classify(path, false));
    i.exposures.push(e);
    i.owner = key().owner;
    i
}

fn leak_level(identity: Identity, settings: &Settings) -> Option<Level> {
    let set = DetectorSet::builtin().unwrap();
    let detectors: Vec<_> = set
        .detectors()
        .iter()
        .map(crate::inventory::detector_info)
        .collect();
    judge(&[identity], &detectors, None, at(NOW), settings)
        .findings
        .into_iter()
        .find(|f| f.code == "leaked-secret")
        .map(|f| f.level)
}

#[test]
fn below_high_confidence_a_test_or_docs_place_makes_a_leak_a_warning() {
    use crate::model::Confidence::*;
    let s = Settings::default();
    // A generic value: deny in code that runs, warn in a test or a README.
    let generic = "generic.password-assignment";
    assert_eq!(
        leak_level(found_at("app/settings.py", generic, Low), &s),
        Some(Level::Deny)
    );
    assert_eq!(
        leak_level(found_at("tests/test_api.py", generic, Low), &s),
        Some(Level::Warn)
    );
    assert_eq!(
        leak_level(found_at("README.md", generic, Low), &s),
        Some(Level::Warn)
    );
    // A provider's credential proven by its checksum is a leak anywhere.
    let github = "github.pat-classic";
    assert_eq!(
        leak_level(found_at("tests/fixture.env", github, High), &s),
        Some(Level::Deny)
    );
    // A published example is never deny, even in code that runs.
    assert_eq!(
        leak_level(found_at("app/config.py", "aws.access-key-id", Example), &s),
        Some(Level::Warn)
    );
}

#[test]
fn the_precision_settings_move_the_caps_and_the_floor() {
    use crate::model::Confidence::*;
    let mut s = Settings::default();
    s.precision
        .by_context
        .insert(crate::model::Context::Test, Level::Deny);
    let generic = "generic.password-assignment";
    assert_eq!(
        leak_level(found_at("tests/test_api.py", generic, Low), &s),
        Some(Level::Deny)
    );
    s.precision.min_confidence = Medium;
    assert_eq!(
        leak_level(found_at("app/settings.py", generic, Low), &s),
        None,
        "below the floor"
    );
    let set = DetectorSet::builtin().unwrap();
    let detectors: Vec<_> = set
        .detectors()
        .iter()
        .map(crate::inventory::detector_info)
        .collect();
    let verdict = judge(
        &[found_at("app/settings.py", generic, Low)],
        &detectors,
        None,
        at(NOW),
        &s,
    );
    assert_eq!(
        verdict.below_min_confidence, 1,
        "what is dropped is counted"
    );
}

#[test]
fn a_reference_to_a_store_is_no_leak_and_nobody_is_asked_to_own_it() {
    let mut r = Identity::found(
        "reference:github-actions:DEPLOY_TOKEN",
        Provider::named("github-actions"),
        "stored-secret",
        "DEPLOY_TOKEN",
        ".github/workflows/ci.yml:9",
    );
    let mut e = Exposure::new(
        Origin::file(".github/workflows/ci.yml"),
        ".github/workflows/ci.yml",
        "reference.github-actions",
    )
    .at(9, 20);
    e.kind = crate::model::ExposureKind::Reference;
    e.reference = Some(crate::model::SecretReference {
        store: "github-actions".into(),
        name: "DEPLOY_TOKEN".into(),
    });
    e.confidence = Some(crate::model::Confidence::Medium);
    e.context = Some(crate::model::Context::Source);
    r.exposures.push(e.clone());
    r.exposures.push(
        Exposure::new(
            Origin::file("deploy.yml"),
            "deploy.yml",
            "reference.github-actions",
        )
        .at(3, 1),
    );
    r.exposures[1].kind = crate::model::ExposureKind::Reference;
    assert!(codes(r).is_empty(), "no leak, no reuse, no unowned");
}

#[test]
fn a_stored_secret_nobody_reads_is_unused_and_one_without_rotation_says_so() {
    let mut s = key();
    s.kind = "stored-secret".into();
    s.rotated_at = Some(days_ago(5));
    s.attributes
        .insert(crate::model::attr::ROTATION_ENABLED.into(), "true".into());
    s.last_used_at = Some(days_ago(91));
    // Said in the store's terms, not as `stale`.
    assert_eq!(codes(s.clone()), ["unused-secret"]);
    s.last_used_at = Some(days_ago(3));
    assert!(codes(s.clone()).is_empty());
    s.attributes
        .insert(crate::model::attr::ROTATION_ENABLED.into(), "false".into());
    assert_eq!(codes(s.clone()), ["rotation-disabled"]);
    s.rotated_at = Some(days_ago(200));
    assert_eq!(codes(s), ["rotation-overdue", "rotation-disabled"]);
}
