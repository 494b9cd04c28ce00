//! `--validate` against fake providers on 127.0.0.1 (NHISCAN_VALIDATE_ENDPOINTS redirects
//! each provider's documented host there): live and revoked tokens, the principal, scopes
//! and owner suggestion they map to, rate limits, server errors, slow answers and redirects,
//! the cache, and that no call is made and no secret shown unless asked.

mod common;

use common::providers::{Provider, Reply, Run, scan};
use common::{NOW, nhiscan, tree};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Synthetic classic GitHub tokens with valid checksums (base62 CRC32 of their random part).
const GH_LIVE: &str = "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";
const GH_DEAD: &str = "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";
const GH_OTHER: &str = "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";
/// Synthetic Slack bot tokens (`xoxb-`, team id, bot id, 24 characters).
const SLACK_LIVE: &str = "xoxb-418204733916-3290364758101-Hb6Jd2Kq8Rt3Vx7Lm2Pw9Zc4";
const SLACK_DEAD: &str = "xoxb-418204733916-3290364758101-Wq7nZk3Rx8Lv5Tm2Pb9sYc4H";

/// GitHub's `GET /user`: 200 with the login and the classic scopes header for the live
/// token, 401 "Bad credentials" for any other (as docs.github.com documents both).
fn github() -> Provider {
    Provider::start(|req, _| match req.header("authorization") {
        Some(a) if a == format!("Bearer {GH_LIVE}") && req.target == "/user" => {
            Reply::json(200, r#"{"login":"deploy-bot","id":583231,"type":"User"}"#)
                .header("X-OAuth-Scopes", "repo, admin:org")
        }
        _ => Reply::json(
            401,
            r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#,
        ),
    })
}

/// Slack's `auth.test`: always 200, `ok` says whether the token works (api.slack.com).
fn slack() -> Provider {
    Provider::start(|req, _| {
        if req.method == "POST"
            && req.target == "/api/auth.test"
            && req.header("authorization") == Some(&format!("Bearer {SLACK_LIVE}"))
        {
            Reply::json(
                200,
                r#"{"ok":true,"url":"https://example-workspace.slack.com/","team":"Example Workspace","user":"ci-bot","team_id":"T0EXAMPLE","user_id":"U0EXAMPLE","bot_id":"B0EXAMPLE"}"#,
            )
        } else {
            Reply::json(200, r#"{"ok":false,"error":"invalid_auth"}"#)
        }
    })
}

fn four_tokens() -> tempfile::TempDir {
    tree(&[
        ("deploy.env", format!("GITHUB_TOKEN={GH_LIVE}\n")),
        ("old.env", format!("GH_TOKEN={GH_DEAD}\n")),
        (
            "slack.env",
            format!("SLACK_BOT_TOKEN={SLACK_LIVE}\nSLACK_OLD_TOKEN={SLACK_DEAD}\n"),
        ),
    ])
}

fn identity_at<'a>(inv: &'a Value, path: &str) -> &'a Value {
    inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["exposures"]
                .as_array()
                .is_some_and(|es| es.iter().any(|e| e["path"] == path))
        })
        .unwrap_or_else(|| panic!("no identity at {path}"))
}

fn codes_at(inv: &Value, path: &str) -> Vec<(String, String)> {
    inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_no_secret(run: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(!run.stdout.contains(s), "secret in stdout");
        assert!(!run.stderr.contains(s), "secret in stderr");
    }
}

#[test]
fn live_and_revoked_tokens_are_told_apart_with_principal_scopes_and_owner() {
    let (gh, sl) = (github(), slack());
    let dir = four_tokens();
    let endpoints = format!("github={},slack={}", gh.url, sl.url);
    let run = scan(
        dir.path(),
        &endpoints,
        &["--validate", "--no-validate-cache"],
    );
    assert_eq!(
        run.code, 1,
        "a live secret is a deny finding: {}",
        run.stderr
    );
    let inv = &run.inventory;

    let live = identity_at(inv, "deploy.env");
    assert_eq!(live["validation"]["status"], "active");
    assert_eq!(live["validation"]["principal"], "deploy-bot");
    assert_eq!(live["validation"]["principal_kind"], "GitHub user");
    assert_eq!(live["validation"]["checked_at"], NOW);
    assert_eq!(
        live["validation"]["scopes"],
        serde_json::json!(["admin:org", "repo"])
    );
    assert_eq!(live["status"], "active");
    let privileges: Vec<&str> = live["privileges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(privileges.contains(&"github:admin:org") && privileges.contains(&"github:repo"));
    // The principal is a lead for the reviewer, not an accountable owner.
    assert_eq!(live["owner"]["team"], "deploy-bot");
    assert_eq!(live["owner"]["source"], "validation");
    assert!(
        live["owner"]["evidence"]
            .as_str()
            .unwrap()
            .contains("GitHub user deploy-bot")
    );
    let codes = codes_at(inv, "deploy.env");
    for expected in [
        ("live-secret", "deny"),
        ("leaked-secret", "deny"),
        ("overprivileged", "warn"),
        ("unowned", "warn"),
    ] {
        assert!(
            codes.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} not in {codes:?}"
        );
    }

    let dead = identity_at(inv, "old.env");
    assert_eq!(dead["validation"]["status"], "inactive");
    assert!(
        dead["validation"]["reason"]
            .as_str()
            .unwrap()
            .ends_with("answered 401: Bad credentials")
    );
    assert!(dead["validation"].get("principal").is_none());
    // Revoked: no leaked-secret deny, an inactive-secret warning instead.
    let dead_codes = codes_at(inv, "old.env");
    assert!(dead_codes.contains(&("inactive-secret".to_string(), "warn".to_string())));
    assert!(
        dead_codes
            .iter()
            .all(|(c, l)| c != "leaked-secret" && l != "deny"),
        "{dead_codes:?}"
    );

    // Slack: `ok` decides, the workspace is the account.
    let slack_ids: Vec<&Value> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["validation"]["principal_kind"] == "Slack user or bot")
        .collect();
    assert_eq!(slack_ids.len(), 2);
    let live_slack = slack_ids
        .iter()
        .find(|i| i["validation"]["status"] == "active")
        .unwrap();
    assert_eq!(live_slack["validation"]["principal"], "ci-bot");
    assert_eq!(live_slack["validation"]["account"], "Example Workspace");
    let dead_slack = slack_ids
        .iter()
        .find(|i| i["validation"]["status"] == "inactive")
        .unwrap();
    assert!(
        dead_slack["validation"]["reason"]
            .as_str()
            .unwrap()
            .contains("invalid_auth")
    );

    // One call per secret, to the provider's (redirected) host, the secret presented as
    // documented and nowhere else.
    let calls = &inv["summary"]["validation"]["calls"];
    assert_eq!(calls[gh.host()], 2);
    assert_eq!(calls[sl.host()], 2);
    let seen = gh.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!((s.method.as_str(), s.target.as_str()), ("GET", "/user"));
        assert_eq!(s.header("user-agent"), Some("nhiscan"));
        assert_eq!(s.header("accept"), Some("application/vnd.github+json"));
    }
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("validation: 4 calls ("))
        .unwrap_or_else(|| panic!("no validation line in {}", run.stderr));
    assert!(
        line.contains(&format!("{} 2", gh.host())) && line.contains(&format!("{} 2", sl.host()))
    );
    assert!(line.contains("0 from cache"), "{line}");
    assert!(
        run.stderr.contains("2 active, 2 inactive"),
        "{}",
        run.stderr
    );
    assert_eq!(
        inv["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "validation")
            .unwrap()["status"],
        "ok"
    );
    assert_no_secret(&run, &[GH_LIVE, GH_DEAD, SLACK_LIVE, SLACK_DEAD]);
}

#[test]
fn a_live_secret_leads_the_table() {
    let (gh, sl) = (github(), slack());
    let dir = four_tokens();
    let endpoints = format!("github={},slack={}", gh.url, sl.url);
    let out = nhiscan()
        .current_dir(dir.path())
        .env("NHISCAN_VALIDATE_ENDPOINTS", &endpoints)
        .args([
            "scan",
            "--validate",
            "--no-validate-cache",
            "--no-progress",
            "--wide",
            ".",
        ])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let first_row = table
        .lines()
        .find(|l| l.contains(".env"))
        .unwrap_or_else(|| panic!("no row in {table}"));
    assert!(
        first_row.contains("deploy.env") || first_row.contains("slack.env"),
        "{table}"
    );
    assert!(
        first_row.contains("LIVE"),
        "the live secret is marked: {table}"
    );
    for s in [GH_LIVE, GH_DEAD, SLACK_LIVE, SLACK_DEAD] {
        assert!(!table.contains(s));
    }
}

#[test]
fn without_validate_no_provider_is_called() {
    let (gh, sl) = (github(), slack());
    let dir = four_tokens();
    let endpoints = format!("github={},slack={}", gh.url, sl.url);
    let run = scan(dir.path(), &endpoints, &[]);
    assert_eq!(run.code, 1);
    assert!(gh.seen().is_empty() && sl.seen().is_empty());
    assert!(
        run.inventory["identities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i.get("validation").is_none())
    );
    assert!(run.inventory["summary"].get("validation").is_none());
    assert_eq!(codes_at(&run.inventory, "old.env")[0].0, "leaked-secret");
}

#[test]
fn the_cache_answers_a_rerun_without_calls() {
    let (gh, sl) = (github(), slack());
    let dir = four_tokens();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = cache_dir.path().join("validations.sqlite");
    let endpoints = format!("github={},slack={}", gh.url, sl.url);
    let args = ["--validate", "--validate-cache", cache.to_str().unwrap()];
    let first = scan(dir.path(), &endpoints, &args);
    assert_eq!(gh.seen().len() + sl.seen().len(), 4);
    let second = scan(dir.path(), &endpoints, &args);
    assert_eq!(gh.seen().len() + sl.seen().len(), 4, "the rerun made calls");
    let summary = &second.inventory["summary"]["validation"];
    assert_eq!(summary["cached"], 4);
    assert_eq!(summary["calls"], serde_json::json!({}));
    let live = identity_at(&second.inventory, "deploy.env");
    assert_eq!(live["validation"]["cached"], true);
    assert_eq!(live["validation"]["principal"], "deploy-bot");
    assert_eq!(
        codes_at(&first.inventory, "old.env"),
        codes_at(&second.inventory, "old.env")
    );
    // The cache holds fingerprints and answers, never a value.
    let bytes = std::fs::read(&cache).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for s in [GH_LIVE, GH_DEAD, SLACK_LIVE, SLACK_DEAD] {
        assert!(!text.contains(s));
    }
    // A TTL passed: asked again.
    let later = nhiscan()
        .current_dir(dir.path())
        .env("NHISCAN_NOW", "2026-11-24T12:00:00Z")
        .env("NHISCAN_VALIDATE_ENDPOINTS", &endpoints)
        .args(["scan", "--format", "json", "--no-progress"])
        .args(args)
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(later.status.code(), Some(1));
    assert_eq!(gh.seen().len() + sl.seen().len(), 8);
}

#[test]
fn rate_limits_errors_slow_answers_and_redirects_each_get_their_outcome() {
    let elsewhere = Provider::start(|_, _| Reply::json(200, r#"{"login":"stolen"}"#));
    let other = elsewhere.url.clone();
    // One GitHub that rate-limits the first token once, fails the second with 500s, is too
    // slow for the third and redirects the fourth to another host.
    let tokens = [
        GH_LIVE,
        GH_DEAD,
        GH_OTHER,
        "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",
    ];
    let gh = Provider::start(move |req, _| {
        let auth = req.header("authorization").unwrap_or_default().to_string();
        if auth.ends_with(GH_LIVE) {
            return Reply::json(200, r#"{"login":"after-wait"}"#);
        }
        if auth.ends_with(GH_DEAD) {
            return Reply::json(502, "<html>bad gateway</html>");
        }
        if auth.ends_with(GH_OTHER) {
            return Reply::json(200, r#"{"login":"slow"}"#).after(Duration::from_secs(4));
        }
        Reply::json(302, "").header("Location", &format!("{other}/user"))
    });
    // The rate limit comes first for the live token: a separate provider counts its calls.
    let limited = Provider::start(|_, before| {
        if before == 0 {
            Reply::json(429, r#"{"message":"API rate limit exceeded"}"#).header("Retry-After", "1")
        } else {
            Reply::json(200, r#"{"login":"after-wait"}"#)
        }
    });
    let dir = tree(&[
        ("a.env", format!("GITHUB_TOKEN={}\n", tokens[1])),
        ("b.env", format!("GITHUB_TOKEN={}\n", tokens[2])),
        ("c.env", format!("GITHUB_TOKEN={}\n", tokens[3])),
    ]);
    let run = scan(
        dir.path(),
        &format!("github={}", gh.url),
        &[
            "--validate",
            "--no-validate-cache",
            "--request-timeout",
            "1",
        ],
    );
    let inv = &run.inventory;
    let v = |path: &str| identity_at(inv, path)["validation"].clone();
    assert_eq!(v("a.env")["status"], "error");
    assert!(
        v("a.env")["reason"]
            .as_str()
            .unwrap()
            .contains("answered 502")
    );
    assert_eq!(v("b.env")["status"], "error");
    assert!(
        v("b.env")["reason"]
            .as_str()
            .unwrap()
            .contains("no answer within 1s"),
        "{}",
        v("b.env")
    );
    assert_eq!(v("c.env")["status"], "unknown");
    assert!(
        v("c.env")["reason"]
            .as_str()
            .unwrap()
            .contains("not followed")
    );
    assert!(
        elsewhere.seen().is_empty(),
        "a redirect to another host was followed"
    );
    // 502 was retried (three attempts), the others asked once.
    let attempts = |token: &str| {
        gh.seen()
            .iter()
            .filter(|s| {
                s.header("authorization")
                    .is_some_and(|a| a.ends_with(token))
            })
            .count()
    };
    assert_eq!(
        (
            attempts(tokens[1]),
            attempts(tokens[2]),
            attempts(tokens[3])
        ),
        (3, 1, 1)
    );
    // Unanswered checks make the inventory incomplete, each named without its value (the
    // leaks themselves still deny: exit 1 wins over 3).
    assert_eq!(run.code, 1, "{}", run.stderr);
    let source = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "validation")
        .unwrap();
    assert_eq!(source["status"], "partial");
    assert_eq!(source["errors"].as_array().unwrap().len(), 2);
    assert_no_secret(&run, &tokens);

    // 429 with Retry-After: waited for, then answered.
    let dir = tree(&[("live.env", format!("GITHUB_TOKEN={GH_LIVE}\n"))]);
    let run = scan(
        dir.path(),
        &format!("github={}", limited.url),
        &["--validate", "--no-validate-cache"],
    );
    assert_eq!(
        identity_at(&run.inventory, "live.env")["validation"]["status"],
        "active"
    );
    assert_eq!(limited.seen().len(), 2);
    assert_eq!(
        run.inventory["summary"]["validation"]["calls"][limited.host()],
        2
    );
}

#[test]
fn a_bad_endpoint_setting_is_a_usage_error_naming_it() {
    let dir = four_tokens();
    let run = scan(dir.path(), "gihtub=http://127.0.0.1:1", &["--validate"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("NHISCAN_VALIDATE_ENDPOINTS: `gihtub` is no provider"),
        "{}",
        run.stderr
    );
}

/// `nhiscan validate SAVED` run in `dir`, GitHub and Slack redirected to their fakes.
fn validate_saved(dir: &Path, gh: &Provider, sl: &Provider, saved: &Path) -> std::process::Output {
    nhiscan()
        .current_dir(dir)
        .env(
            "NHISCAN_VALIDATE_ENDPOINTS",
            format!("github={},slack={}", gh.url, sl.url),
        )
        .args(["validate", "--no-validate-cache"])
        .arg(saved)
        .output()
        .unwrap()
}

#[test]
fn a_saved_inventory_is_validated_later_from_its_files_and_commits() {
    let (gh, sl) = (github(), slack());
    let root = tempfile::tempdir().unwrap();
    let repo = common::git::Repo::new(root.path(), "svc");
    repo.write("old.env", &format!("GH_TOKEN={GH_DEAD}\n"));
    repo.commit("add token", "2025-01-01T00:00:00Z", "Dev One");
    std::fs::remove_file(repo.dir.join("old.env")).unwrap();
    repo.write("deploy.env", &format!("GITHUB_TOKEN={GH_LIVE}\n"));
    repo.commit("rotate", "2025-02-01T00:00:00Z", "Dev One");
    let saved = root.path().join("inventory.json");
    let out = nhiscan()
        .current_dir(&repo.dir)
        .args(["scan", "--format", "json", "--no-progress", "-o"])
        .arg(&saved)
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(gh.seen().is_empty());
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(!text.contains(GH_LIVE) && !text.contains(GH_DEAD));

    // Later, from another directory: the values are read again where the scan saw them.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = validate_saved(elsewhere.path(), &gh, &sl, &saved);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let inv: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        identity_at(&inv, "deploy.env")["validation"]["status"],
        "active"
    );
    let removed = identity_at(&inv, "old.env");
    assert_eq!(removed["validation"]["status"], "inactive", "{stderr}");
    let codes: Vec<&str> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["identity"] == removed["id"])
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"inactive-secret") && !codes.contains(&"secret-in-history"),
        "{codes:?}"
    );
    assert!(
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "live-secret")
    );
    assert_eq!(gh.seen().len(), 2);
    assert!(stderr.contains("validation: 2 calls"), "{stderr}");
    assert!(!stdout.contains(GH_LIVE) && !stderr.contains(GH_LIVE));

    // A file that is gone is named, and the inventory says it is incomplete.
    std::fs::remove_file(repo.dir.join("deploy.env")).unwrap();
    let out = validate_saved(elsewhere.path(), &gh, &sl, &saved);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("deploy.env: cannot read it again"),
        "{stderr}"
    );
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    let source = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "validation")
        .unwrap();
    assert_eq!(source["status"], "partial");
}
