//! The access-review cycle end to end: scans recorded over a simulated period
//! (`NHISCAN_NOW`), a review sheet exported, filled in and imported (bad rows rejected with
//! their lines, good ones recorded), and the review rules in the scans after it.

mod common;

use common::*;
use std::path::Path;

// Synthetic Slack bot tokens in the documented `xoxb-` form.
const PAYMENTS: &str = "xoxb-263594206564-2343440192240-kNq8Rt3Vx7Lm2Pw9Zc4Hb6Jd";
const SEARCH: &str = "xoxb-263594206564-2343440192240-Zr4Vb8Nq2Lx6Tm9Pk3Wd7Hc1";

fn app(root: &Path) -> std::path::PathBuf {
    let dir = root.join("app");
    std::fs::create_dir_all(dir.join("services/payments")).unwrap();
    std::fs::create_dir_all(dir.join("services/search")).unwrap();
    std::fs::write(
        dir.join("nhiscan.toml"),
        "[[owners]]\nteam = \"payments\"\nbackup = \"sre\"\npath = \"services/payments/**\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("services/payments/bot.env"),
        format!("SLACK_BOT_TOKEN={PAYMENTS}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("services/search/bot.env"),
        format!("SLACK_BOT_TOKEN={SEARCH}\n"),
    )
    .unwrap();
    dir
}

/// `nhiscan scan . --history DB` at `now`: (exit code, inventory).
fn scan_at(dir: &Path, db: &Path, now: &str) -> (i32, serde_json::Value) {
    let (code, inv, _) = run_json(
        nhiscan()
            .env("NHISCAN_NOW", now)
            .current_dir(dir)
            .args(["scan", ".", "--no-history", "--format", "json", "--history"])
            .arg(db),
    );
    (code, inv)
}

/// `nhiscan ARGS` at `now`: (exit code, standard error).
fn nhiscan_at(args: &[&str], now: &str) -> (i32, String) {
    let out = nhiscan()
        .env("NHISCAN_NOW", now)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (code, identity location) of every review finding, sorted.
fn review_findings(inv: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ["review-overdue", "revocation-pending"].contains(&f["code"].as_str().unwrap()))
        .map(|f| {
            let id = f["identity"].as_str().unwrap();
            (
                f["code"].as_str().unwrap().to_string(),
                identity(inv, id)["location"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_review_cycle_over_a_period_records_decisions_and_judges_later_scans() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = app(tmp.path());
    let db = tmp.path().join("history.db");

    // Two scans a month apart: nothing is overdue yet.
    for now in ["2026-01-05T09:00:00Z", "2026-02-05T09:00:00Z"] {
        let (code, inv) = scan_at(&dir, &db, now);
        assert_eq!(code, 1, "the tokens are leaks");
        assert_eq!(review_findings(&inv), []);
    }

    // The sheet: one row per identity, owner and backup owner filled, reviewer columns empty.
    let sheet = tmp.path().join("review.csv");
    let out = nhiscan()
        .args(["review", "export", "--history"])
        .arg(&db)
        .arg("-o")
        .arg(&sheet)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&sheet).unwrap();
    assert!(!text.contains(&PAYMENTS[30..]) && !text.contains(&SEARCH[30..]));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header.len(), 19);
    assert_eq!(
        &header[14..],
        ["decision", "reviewer", "review_date", "ticket", "notes"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    let row_of = |dir: &str| rows.iter().find(|r| r[5].contains(dir)).unwrap().clone();
    let (payments, search) = (row_of("payments"), row_of("search"));
    assert_eq!(
        (&payments[6][..], &payments[7][..], &payments[8][..]),
        ("payments", "sre", "mapping")
    );
    assert!(payments[13].contains("leaked-secret"));
    assert!(payments[14..].iter().all(String::is_empty));

    // The reviewers' answers: two good rows, then three bad ones.
    let filled = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n",
        header.join(","),
        format_args!(
            "{},,,,,,,,,,,,,,keep,security-lead,2026-02-06,SEC-11,still needed",
            payments[0]
        ),
        format_args!(
            "{},,,,,,,,,,,,,,revoke,security-lead,2026-02-06,SEC-12,",
            search[0]
        ),
        "secret:0000,,,,,,,,,,,,,,maybe,,2026-13-01,,",
        format_args!("{},,,,,,,,,,,,,,keep,SRE,2027-01-01,,", payments[0]),
        format_args!("{},,,,,,,,,,,,,,,,,,", search[0]),
    );
    std::fs::write(&sheet, filled).unwrap();
    let (code, stderr) = nhiscan_at(
        &[
            "review",
            "import",
            sheet.to_str().unwrap(),
            "--history",
            db.to_str().unwrap(),
        ],
        "2026-02-07T09:00:00Z",
    );
    assert_eq!(code, 1, "rows were rejected: {stderr}");
    let sheet_name = sheet.display().to_string();
    for expected in [
        format!("{sheet_name}:line 4: unknown-identity"),
        format!("{sheet_name}:line 5: self-review: `SRE` owns"),
        format!("{sheet_name}:line 5: future-date"),
    ] {
        assert!(stderr.contains(&expected), "{expected} in:\n{stderr}");
    }
    assert!(
        stderr.contains("recorded 2 review decision(s)")
            && stderr.contains("2 row(s) rejected, 1 without a decision"),
        "{stderr}"
    );

    // Three weeks after the decision the revoked token is still there: revocation-pending
    // (deny); the kept one was reviewed recently.
    let (_, inv) = scan_at(&dir, &db, "2026-03-01T09:00:00Z");
    let search_location = "services/search/bot.env:1".to_string();
    assert_eq!(
        review_findings(&inv),
        [("revocation-pending".to_string(), search_location.clone())]
    );
    let pending = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "revocation-pending")
        .unwrap();
    assert_eq!(pending["level"], "deny");
    assert!(
        pending["message"]
            .as_str()
            .unwrap()
            .contains("ticket SEC-12")
    );
    let payments_identity = identity(&inv, &payments[0]);
    assert_eq!(payments_identity["review"]["last"]["decision"], "keep");
    assert_eq!(
        payments_identity["review"]["last"]["reviewer"],
        "security-lead"
    );

    // Four months on, the kept token's review is overdue too.
    let (_, inv) = scan_at(&dir, &db, "2026-06-10T09:00:00Z");
    assert_eq!(
        review_findings(&inv),
        [
            (
                "review-overdue".to_string(),
                "services/payments/bot.env:1".to_string()
            ),
            ("revocation-pending".to_string(), search_location),
        ]
    );

    // A scan without the history database expects no review.
    let (_, inv) = scan_json(&dir, &[".", "--no-history"]);
    assert_eq!(review_findings(&inv), []);
    assert!(inv["identities"][0].get("review").is_none());
}

#[test]
fn identities_never_reviewed_become_overdue_once_the_history_has_known_them_long_enough() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = app(tmp.path());
    std::fs::write(dir.join("nhiscan.toml"), "[policy]\nreview_days = 30\n").unwrap();
    let db = tmp.path().join("history.db");
    let (_, inv) = scan_at(&dir, &db, "2026-01-05T09:00:00Z");
    assert_eq!(review_findings(&inv), []);
    let (_, inv) = scan_at(&dir, &db, "2026-02-20T09:00:00Z");
    let codes: Vec<String> = review_findings(&inv).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["review-overdue", "review-overdue"]);
    let message = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "review-overdue")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("never been reviewed") && message.contains("46 days"),
        "{message}"
    );
}

#[test]
fn a_sheet_without_the_reviewer_columns_is_refused_at_its_header() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = app(tmp.path());
    let db = tmp.path().join("history.db");
    scan_at(&dir, &db, "2026-01-05T09:00:00Z");
    let sheet = tmp.path().join("review.csv");
    std::fs::write(&sheet, "id,name\nsecret:1,x\n").unwrap();
    let (code, stderr) = nhiscan_at(
        &[
            "review",
            "import",
            sheet.to_str().unwrap(),
            "--history",
            db.to_str().unwrap(),
        ],
        "2026-01-06T09:00:00Z",
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "line 1: missing-column: the header has no decision, reviewer, review_date column"
        ),
        "{stderr}"
    );
}

#[test]
fn a_period_pack_holds_the_scans_reviews_and_controls_and_verify_finds_an_edited_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = app(tmp.path());
    let db = tmp.path().join("history.db");
    let db_arg = db.to_str().unwrap();
    for now in [
        "2026-01-05T09:00:00Z",
        "2026-02-05T09:00:00Z",
        "2026-03-05T09:00:00Z",
    ] {
        scan_at(&dir, &db, now);
    }
    // A review: the search token revoked, a bad row rejected.
    let sheet = tmp.path().join("review.csv");
    let sheet_arg = sheet.to_str().unwrap();
    let (code, _) = nhiscan_at(
        &["review", "export", "--history", db_arg, "-o", sheet_arg],
        "2026-03-06T09:00:00Z",
    );
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&sheet).unwrap();
    let id_of = |dir: &str| {
        text.lines()
            .find(|l| l.contains(dir))
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string()
    };
    let (search_id, payments_id) = (id_of("services/search"), id_of("services/payments"));
    std::fs::write(
        &sheet,
        format!(
            "id,decision,reviewer,review_date,ticket\n{search_id},revoke,security-lead,2026-03-06,SEC-12\n{search_id},delete,security-lead,2026-03-06,\n{payments_id},keep,security-lead,2026-03-06,SEC-13\n"
        ),
    )
    .unwrap();
    let (code, stderr) = nhiscan_at(
        &["review", "import", sheet_arg, "--history", db_arg],
        "2026-03-07T09:00:00Z",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("line 3: bad-decision"), "{stderr}");
    assert!(stderr.contains("recorded 2 review decision(s)"), "{stderr}");
    // The search token is removed; the fourth scan no longer sees it.
    std::fs::remove_file(dir.join("services/search/bot.env")).unwrap();
    scan_at(&dir, &db, "2026-03-20T09:00:00Z");

    let pack = tmp.path().join("pack");
    let pack_arg = pack.to_str().unwrap();
    let (code, stderr) = nhiscan_at(
        &[
            "evidence",
            "--history",
            db_arg,
            "--from",
            "2026-02-01",
            "--to",
            "2026-03-31",
            "-o",
            pack_arg,
        ],
        "2026-04-01T09:00:00Z",
    );
    assert_eq!(code, 0, "{stderr}");
    let read = |name: &str| std::fs::read_to_string(pack.join(name)).unwrap();
    let scans: serde_json::Value = serde_json::from_str(&read("scans.json")).unwrap();
    let times: Vec<&str> = scans
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["generated_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2026-02-05T09:00:00Z",
            "2026-03-05T09:00:00Z",
            "2026-03-20T09:00:00Z"
        ],
        "the scans of the period, and only those"
    );
    assert_eq!(scans[0]["sources"][0]["status"], "ok");
    let set = scans[0]["tool"]["detector_set"].as_str().unwrap();
    assert!(
        set.len() == 16 && set.bytes().all(|b| b.is_ascii_hexdigit()),
        "{set}"
    );
    let timelines: serde_json::Value = serde_json::from_str(&read("timelines.json")).unwrap();
    let search = timelines
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == search_id.as_str())
        .unwrap();
    assert_eq!(search["first_seen"], "2026-01-05T09:00:00Z");
    let leaked = search["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "leaked-secret")
        .unwrap();
    assert_eq!(leaked["opened_at"], "2026-02-05T09:00:00Z");
    assert_eq!(leaked["closed_at"], "2026-03-20T09:00:00Z");
    assert_eq!(leaked["days_to_remediate"], 43);
    assert!(read("reviews.csv").contains(&format!(
        "{search_id},revoke,security-lead,2026-03-06,SEC-12"
    )));
    let period: serde_json::Value = serde_json::from_str(&read("period.json")).unwrap();
    assert_eq!(period["scans"], 3);
    assert_eq!(period["identities_at_end"], 1);
    assert_eq!(
        period["identities_reviewed"], 1,
        "the kept token was reviewed; the revoked one is gone"
    );
    assert_eq!(period["review_coverage"], 1.0);
    let controls = read("controls.csv");
    assert!(
        controls
            .contains("SOC2-CC7.1,scans ran over the period and each was complete,3,0,operated"),
        "{controls}"
    );
    assert!(
        controls
            .lines()
            .any(|l| l.starts_with("OWASP-NHI2,") && l.contains(",exceptions,leaked-secret")),
        "{controls}"
    );

    let (code, stderr) = nhiscan_at(&["evidence", "verify", pack_arg], "2026-04-01T09:00:00Z");
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = nhiscan_at(
        &["evidence", "verify", "--history", db_arg],
        "2026-04-01T09:00:00Z",
    );
    assert_eq!(code, 0, "{stderr}");

    // One byte of the second recorded inventory changed: verify names that scan.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let edited = conn
        .execute(
            "UPDATE scans SET inventory = replace(inventory, '\"findings_deny\":2', '\"findings_deny\":0') WHERE id = 2",
            [],
        )
        .unwrap();
    assert_eq!(edited, 1);
    drop(conn);
    let (code, stderr) = nhiscan_at(
        &["evidence", "verify", "--history", db_arg],
        "2026-04-01T09:00:00Z",
    );
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("chain: scan 2 (2026-02-05T09:00:00Z): its inventory does not match"),
        "{stderr}"
    );
    // In the pack, an edited file fails its manifest line and its chain link.
    let file = pack.join("scans/scan-3.json");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("\"deny\"", "\"warn\"", 1);
    std::fs::write(&file, text).unwrap();
    let (code, stderr) = nhiscan_at(&["evidence", "verify", pack_arg], "2026-04-01T09:00:00Z");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("scans/scan-3.json: does not match its SHA-256"),
        "{stderr}"
    );
    assert!(
        stderr.contains("chain: scan 3 (2026-03-05T09:00:00Z): its inventory does not match"),
        "{stderr}"
    );
}
