//! `nhiscan revoke` against fake providers: GitHub's credential revocation endpoint and
//! Slack's auth.revoke receive the leaked token the documented way, after confirmation;
//! each attempt lands in the history database; without a terminal or --yes nothing is sent.

mod common;

use common::nhiscan;
use common::providers::{Provider, Reply};
use serde_json::Value;

const GH_LIVE: &str = "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";
const SLACK_LIVE: &str = "xoxb-418204733916-3290364758101-Hb6Jd2Kq8Rt3Vx7Lm2Pw9Zc4";
/// Stripe has no self-revocation API: revoke says how to do it by hand.
const STRIPE: &str = "sk_live_51Hx8QzLmN4pRt7Vw2Yb9Kc3Df6Gh1Jk5Mn8Pq0Rs3Tv6Wx9Za2Bc5Ef8Hj1Km4";

fn github() -> Provider {
    Provider::start(|req, _| match (req.method.as_str(), req.target.as_str()) {
        ("GET", "/user") if req.header("authorization") == Some(&format!("Bearer {GH_LIVE}")) => {
            Reply::json(200, r#"{"login":"deploy-bot"}"#)
        }
        ("POST", "/credentials/revoke") if req.body.contains(GH_LIVE) => Reply::json(202, "{}"),
        _ => Reply::json(401, r#"{"message":"Bad credentials"}"#),
    })
}

fn slack() -> Provider {
    Provider::start(|req, _| {
        let live = req.header("authorization") == Some(&format!("Bearer {SLACK_LIVE}"));
        match (req.target.as_str(), live) {
            ("/api/auth.test", true) => {
                Reply::json(200, r#"{"ok":true,"user":"ci-bot","team":"Example"}"#)
            }
            ("/api/auth.revoke", true) => Reply::json(200, r#"{"ok":true,"revoked":true}"#),
            _ => Reply::json(200, r#"{"ok":false,"error":"invalid_auth"}"#),
        }
    })
}

/// A tree with the three secrets, scanned and validated into `inventory.json`.
fn scanned(gh: &Provider, sl: &Provider) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("app");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(
        tree.join("deploy.env"),
        format!(
            "GITHUB_TOKEN={GH_LIVE}\nSLACK_BOT_TOKEN={SLACK_LIVE}\nSTRIPE_SECRET_KEY={STRIPE}\n"
        ),
    )
    .unwrap();
    let inventory = dir.path().join("inventory.json");
    // Every provider with a secret in the tree is redirected: no call leaves 127.0.0.1.
    let stripe = Provider::start(|_, _| {
        Reply::json(401, r#"{"error":{"message":"Invalid API Key provided"}}"#)
    });
    let endpoints = format!("github={},slack={},stripe={}", gh.url, sl.url, stripe.url);
    let out = nhiscan()
        .current_dir(&tree)
        .env("NHISCAN_VALIDATE_ENDPOINTS", &endpoints)
        .args([
            "scan",
            "--validate",
            "--no-validate-cache",
            "--format",
            "json",
            "--no-progress",
            "-o",
        ])
        .arg(&inventory)
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, inventory, endpoints)
}

fn id_of(inventory: &std::path::Path, principal_kind: &str) -> String {
    let inv: Value = serde_json::from_str(&std::fs::read_to_string(inventory).unwrap()).unwrap();
    inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["validation"]["principal_kind"] == principal_kind || i["service"] == principal_kind
        })
        .unwrap_or_else(|| panic!("no {principal_kind} identity"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn live_tokens_are_revoked_at_their_provider_and_recorded() {
    let (gh, sl) = (github(), slack());
    let (dir, inventory, endpoints) = scanned(&gh, &sl);
    let stripe = id_of(&inventory, "stripe");
    let db = dir.path().join("history.sqlite");
    let out = nhiscan()
        .current_dir(dir.path())
        .env("NHISCAN_VALIDATE_ENDPOINTS", &endpoints)
        .args([
            "revoke",
            "--all-live",
            "--yes",
            "--identity",
            &stripe,
            "--history",
        ])
        .arg(&db)
        .arg(&inventory)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // Stripe could only be revoked by hand: not everything was revoked.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let manual = stderr
        .lines()
        .find(|l| l.contains("no self-revocation API"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        manual.contains("https://docs.stripe.com/keys-best-practices"),
        "{manual}"
    );
    assert!(stderr.contains("will revoke 2 credential(s)"), "{stderr}");
    assert!(
        stderr.contains("acts as GitHub user deploy-bot"),
        "{stderr}"
    );
    for s in [GH_LIVE, SLACK_LIVE, STRIPE] {
        assert!(!stderr.contains(s) && !String::from_utf8_lossy(&out.stdout).contains(s));
    }
    // GitHub got the token in the documented body; Slack the token as its bearer.
    let revoke = gh
        .seen()
        .into_iter()
        .find(|s| s.target == "/credentials/revoke")
        .unwrap();
    assert_eq!(revoke.method, "POST");
    let body: Value = serde_json::from_str(&revoke.body).unwrap();
    assert_eq!(body["credentials"][0], GH_LIVE);
    assert!(sl.seen().iter().any(|s| s.target == "/api/auth.revoke"));

    let history = nhiscan::scan_history::ScanHistory::open(&db).unwrap();
    let records = history.revocations().unwrap();
    assert_eq!(records.len(), 2);
    assert!(
        records
            .iter()
            .all(|r| r.outcome == "revoked" && r.fingerprint.is_some())
    );
    assert_eq!(records.iter().filter(|r| r.provider == "github").count(), 1);
    let raw = String::from_utf8_lossy(&std::fs::read(&db).unwrap()).to_string();
    assert!(!raw.contains(GH_LIVE) && !raw.contains(SLACK_LIVE));
}

#[test]
fn nothing_is_revoked_without_confirmation_or_for_an_unknown_id() {
    let (gh, sl) = (github(), slack());
    let (dir, inventory, endpoints) = scanned(&gh, &sl);
    let before = gh.seen().len() + sl.seen().len();
    // Standard input is no terminal and --yes is missing: refused before any call.
    let out = nhiscan()
        .current_dir(dir.path())
        .env("NHISCAN_VALIDATE_ENDPOINTS", &endpoints)
        .args(["revoke", "--all-live"])
        .arg(&inventory)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --yes"));
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["revoke", "--yes", "--identity", "secret:nosuch"])
        .arg(&inventory)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no identity `secret:nosuch`"));
    assert_eq!(gh.seen().len() + sl.seen().len(), before, "a call was made");
}
