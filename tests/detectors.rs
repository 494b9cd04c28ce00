//! Detector data: the embedded list is the directory, every example behaves, and a user's
//! broken detector is reported with its file and id instead of being silently loaded.

mod common;

use common::*;
use nhiscan::detect::{DetectorSet, DetectorSource, EMBEDDED, self_test};
use std::collections::BTreeSet;
use std::fs;

#[test]
fn embedded_detector_files_are_exactly_the_detectors_directory() {
    let on_disk: BTreeSet<String> = fs::read_dir(crate_root().join("detectors"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let embedded: BTreeSet<String> = EMBEDDED.iter().map(|f| f.name.to_string()).collect();
    assert_eq!(embedded, on_disk);
    for file in EMBEDDED {
        let disk = fs::read_to_string(crate_root().join("detectors").join(file.name)).unwrap();
        assert_eq!(file.toml, disk, "{} embedded copy is stale", file.name);
        // Start-up reads the JSON build.rs made of it: it must hold the same data.
        let from_toml: toml::Value = toml::from_str(&disk).unwrap();
        let from_json: toml::Value = serde_json::from_str(file.json).unwrap();
        assert_eq!(from_json, from_toml, "{} JSON form differs", file.name);
    }
}

#[test]
fn every_builtin_example_matches_and_no_negative_does() {
    let set = DetectorSet::builtin().expect("built-in detectors compile");
    let failures = self_test(&set);
    let report: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert!(failures.is_empty(), "{}", report.join("\n"));
}

#[test]
fn builtin_set_covers_at_least_150_detectors_with_unique_ids() {
    let set = DetectorSet::builtin().unwrap();
    assert!(set.len() >= 150, "only {} detectors", set.len());
    let ids: BTreeSet<&str> = set.detectors().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), set.len());
    for family in [
        "aws.",
        "gcp.",
        "azure.",
        "github.",
        "gitlab.",
        "slack.",
        "stripe.",
        "private-key.",
        "jwt.",
        "uri.",
        "generic.",
        "npmrc.",
        "docker.",
        "kubernetes.",
    ] {
        assert!(
            ids.iter().any(|i| i.starts_with(family)),
            "no {family} detector"
        );
    }
}

#[test]
fn detectors_check_command_reports_all_passed() {
    let out = nhiscan().args(["detectors", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" 0 failed"), "{text}");
}

#[test]
fn detectors_list_json_describes_every_detector() {
    let out = nhiscan()
        .args(["detectors", "list", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), DetectorSet::builtin().unwrap().len());
    let gh = list
        .iter()
        .find(|d| d["id"] == "github.pat-classic")
        .unwrap();
    assert_eq!(gh["validate"], "base62-crc32");
    assert_eq!(gh["keywords"][0], "ghp_");
    // Which detectors --validate and `nhiscan revoke` can act on, and where they call.
    assert_eq!(gh["live_check"]["host"], "api.github.com");
    assert_eq!(gh["revoke_api"]["host"], "api.github.com");
    let generic = list.iter().find(|d| d["generic"] == true).unwrap();
    assert!(generic["live_check"].is_null());
}

const USER_DETECTOR: &str = r#"
[[detector]]
id = "acme.deploy-token"
name = "ACME deploy token"
provider = "acme"
kind = "token"
keywords = ["acme_dt_"]
regex = '''\b(?P<secret>acme_dt_[A-Za-z0-9]{32})\b'''
examples = ["ACME_TOKEN=acme_dt_Qm8Zr8vLw3Xk9Tn2Bq7Hs5Jd4Pf6Yc1G"]
negative_examples = ["ACME_TOKEN=acme_dt_short"]
"#;

/// A directory with the user detector, and a tree with one of its tokens in `deploy.sh`.
fn user_detector_tree(root: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let det_dir = root.join("detectors");
    fs::create_dir(&det_dir).unwrap();
    fs::write(det_dir.join("acme.toml"), USER_DETECTOR).unwrap();
    let src = root.join("src");
    fs::create_dir(&src).unwrap();
    fs::write(
        src.join("deploy.sh"),
        "export ACME_TOKEN=acme_dt_Wq4Lx9Vb2Nc7Mz3Kp8Rt5Yh1Gd6Fs0Je\n",
    )
    .unwrap();
    (det_dir, src)
}

/// The hash `--version` prints names the built-in set a scan records; a user's detector
/// file makes the recorded set another one (a history compares only like with like).
#[test]
fn a_scan_records_the_detector_set_it_used() {
    let out = nhiscan().arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&out.stdout).to_string();
    let built_in = version
        .split("detectors ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{version}"));
    let dir = tempfile::tempdir().unwrap();
    let (det_dir, src) = user_detector_tree(dir.path());
    let (_, inv) = scan_json(&src, &["."]);
    assert_eq!(inv["tool"]["detector_set"], built_in, "{version}");
    let (_, inv) = scan_json(&src, &[".", "--detectors", det_dir.to_str().unwrap()]);
    let with_user = inv["tool"]["detector_set"].as_str().unwrap();
    assert_eq!(with_user.len(), 16, "{with_user}");
    assert_ne!(with_user, built_in);
}

#[test]
fn user_detectors_are_loaded_and_used_by_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (det_dir, src) = user_detector_tree(dir.path());
    let (code, inv) = scan_json(&src, &[".", "--detectors", det_dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        leaks(&inv),
        vec![("deploy.sh".into(), 1, "acme.deploy-token".into())]
    );
}

/// `nhiscan detectors check --detectors DIR`: (exit code, standard error).
fn detectors_check(dir: &std::path::Path) -> (Option<i32>, String) {
    let out = nhiscan()
        .args(["detectors", "check", "--detectors"])
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_problem_in_user_detectors_is_reported_with_file_and_id() {
    let dir = tempfile::tempdir().unwrap();
    let broken = r#"
[[detector]]
id = "acme.no-group"
name = "no secret group"
provider = "acme"
kind = "token"
keywords = ["acme_"]
regex = '''acme_[a-z]+'''
examples = ["acme_x"]
negative_examples = ["y"]

[[detector]]
id = "acme.bad-kind"
name = "bad kind"
provider = "acme"
kind = "tokn"
keywords = ["acme_"]
regex = '''(?P<secret>acme_[a-z]+)'''
examples = ["acme_x"]
negative_examples = ["y"]

[[detector]]
id = "aws.access-key-id"
name = "duplicate of a built-in"
provider = "acme"
kind = "token"
keywords = ["acme_"]
regex = '''(?P<secret>acme_[a-z]+)'''
examples = ["acme_x"]
negative_examples = ["y"]
"#;
    fs::write(dir.path().join("broken.toml"), broken).unwrap();
    fs::write(dir.path().join("syntax.toml"), "[[detector]\nid = ").unwrap();
    let (code, err) = detectors_check(dir.path());
    assert_eq!(code, Some(2));
    for needle in [
        "broken.toml: detector `acme.no-group`: regex has no named group `secret`",
        "broken.toml: detector `acme.bad-kind`: unknown kind `tokn`",
        "broken.toml: detector `aws.access-key-id`: duplicate id",
        "syntax.toml: 1:12: unclosed array table",
        // The parser recovers and reads on, so what follows the broken header is checked
        // too: one run reports everything.
        "syntax.toml: 2:1: unknown field `id`",
        "5 problem(s)",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn every_malformed_known_example_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    // Vendor-published values (AWS's documented example key id and account) reused as
    // malformed entries; each must be refused with its own reason, all in one run.
    let known = r#"
[[known_example]]
value = "AKIAIOSFODNN7EXAMPLE"
vendor = "AWS"
source = "https://docs.aws.amazon.com/again"

[[known_example]]
value = "short"
vendor = "Acme"
source = "https://example.com/short"

[[known_example]]
value = "acme_documented_example"
aws_account = "123456789012"
vendor = "Acme"
source = "https://example.com/both"

[[known_example]]
aws_account = "12345"
vendor = "AWS"
source = "https://example.com/account"

[[known_example]]
value = "acme_documented_example"
vendor = " "
source = "https://example.com/vendorless"
"#;
    fs::write(dir.path().join("known.toml"), known).unwrap();
    let (code, err) = detectors_check(dir.path());
    assert_eq!(code, Some(2), "{err}");
    for needle in [
        "known_example listed twice (source https://docs.aws.amazon.com/again)",
        "known_example value shorter than 8 bytes would match common words (source https://example.com/short)",
        "known_example needs exactly one of value and aws_account (source https://example.com/both)",
        "known_example aws_account must be a 12-digit account id (source https://example.com/account)",
        "known_example needs the vendor and the source publishing it (source https://example.com/vendorless)",
        "5 problem(s)",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn an_id_defined_three_times_names_its_first_definition_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let detector = r#"
[[detector]]
id = "acme.twice"
name = "defined more than once"
provider = "acme"
kind = "token"
keywords = ["acme_"]
regex = '''(?P<secret>acme_[a-z]{8})'''
examples = ["acme_abcdefgh"]
negative_examples = ["acme_x"]
"#;
    for name in ["a.toml", "b.toml", "c.toml"] {
        fs::write(dir.path().join(name), detector).unwrap();
    }
    let (code, err) = detectors_check(dir.path());
    assert_eq!(code, Some(2), "{err}");
    for later in ["b.toml", "c.toml"] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("{later}: detector `acme.twice`: duplicate id")))
            .unwrap_or_else(|| panic!("no duplicate reported for {later}:\n{err}"));
        assert!(
            line.contains("a.toml)"),
            "{later} must name a.toml as the first: {line}"
        );
    }
}

#[test]
fn user_detector_whose_example_fails_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = USER_DETECTOR.replace(
        "examples = [\"ACME_TOKEN=acme_dt_Qm8Zr8vLw3Xk9Tn2Bq7Hs5Jd4Pf6Yc1G\"]",
        "examples = [\"ACME_TOKEN=acme_dt_tooshort\"]",
    );
    fs::write(dir.path().join("acme.toml"), wrong).unwrap();
    let out = nhiscan()
        .args(["scan", ".", "--detectors"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("acme.deploy-token"), "{err}");
    assert!(err.contains("example is not detected"), "{err}");
}

#[test]
fn self_test_detects_a_detector_that_matches_its_negative() {
    let source = DetectorSource {
        origin: "test.toml".into(),
        embedded: false,
        json: None,
        text: USER_DETECTOR
            .replace(
                "acme_dt_short",
                "ACME_TOKEN=acme_dt_Zr8vLw3Xk9Tn2Bq7Hs5Jd4Pf6Yc1GQm8",
            )
            .into(),
    };
    let set = DetectorSet::compile(&[source]).unwrap();
    let failures = self_test(&set);
    assert_eq!(failures.len(), 1);
    assert!(!failures[0].expected_match);
}

#[test]
fn every_builtin_regex_compiles() {
    let set = DetectorSet::builtin().unwrap();
    let broken: Vec<String> = set.verify_regexes().iter().map(|p| p.to_string()).collect();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn a_saved_inventory_renders_with_its_user_detectors_names_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let (det_dir, src) = user_detector_tree(dir.path());
    let saved = dir.path().join("inventory.json");
    let out = nhiscan()
        .current_dir(&src)
        .args(["scan", ".", "--format", "json", "-o"])
        .arg(&saved)
        .arg("--detectors")
        .arg(&det_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let inv: serde_json::Value = serde_json::from_slice(&fs::read(&saved).unwrap()).unwrap();
    let table = inv["detectors"].as_array().unwrap();
    assert_eq!(table.len(), 1, "only detectors that found something");
    assert_eq!(table[0]["id"], "acme.deploy-token");
    assert_eq!(table[0]["name"], "ACME deploy token");
    assert!(table[0]["origin"].as_str().unwrap().ends_with("acme.toml"));

    // Re-rendered elsewhere, without --detectors: the name still comes through.
    let out = nhiscan()
        .args(["report", "--format", "sarif"])
        .arg(&saved)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = &sarif["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "leaked-secret/acme.deploy-token");
    assert_eq!(rule["shortDescription"]["text"], "ACME deploy token");
}

#[test]
fn a_providers_revocation_steps_reach_the_table_sarif_html_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (det_dir, src) = user_detector_tree(dir.path());
    let mut text = USER_DETECTOR.to_string();
    text.push_str(
        "\n[[revoke]]\nprovider = \"acme\"\nurl = \"https://docs.acme.example/tokens#revoke\"\nhow = \"Delete the token under Settings > Tokens, then issue a new one.\"\n",
    );
    fs::write(det_dir.join("acme.toml"), text).unwrap();
    let det = det_dir.to_str().unwrap();
    let (_, inv) = scan_json(&src, &[".", "--detectors", det]);
    let info = inv["detectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "acme.deploy-token")
        .unwrap();
    assert_eq!(
        info["revoke"]["url"],
        "https://docs.acme.example/tokens#revoke"
    );
    let run = |format: &str| {
        let out = nhiscan()
            .current_dir(&src)
            .args(["scan", ".", "--format", format, "--detectors", det])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run("table").contains(
        "To revoke (from each provider's documentation):\n  acme: Delete the token under Settings > Tokens, then issue a new one. (https://docs.acme.example/tokens#revoke)"
    ));
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let rule = &sarif["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(
        rule["help"]["text"],
        "To revoke: Delete the token under Settings > Tokens, then issue a new one. (https://docs.acme.example/tokens#revoke)"
    );
    assert!(run("html").contains(
        "To revoke: Delete the token under Settings &gt; Tokens, then issue a new one. (docs.acme.example/tokens#revoke)"
    ));
}

#[test]
fn a_revocation_table_that_cannot_be_used_is_a_problem_of_the_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = USER_DETECTOR.to_string();
    for (provider, url, how) in [
        ("acme", "https://docs.acme.example/revoke", "Delete it."),
        (
            "acme",
            "https://docs.acme.example/again",
            "Delete it again.",
        ),
        ("nosuch", "https://nosuch.example/", "Delete it."),
        ("github", "http://github.example/", "Delete it."),
        ("stripe", "https://docs.stripe.example/", ""),
    ] {
        text.push_str(&format!(
            "\n[[revoke]]\nprovider = \"{provider}\"\nurl = \"{url}\"\nhow = \"{how}\"\n"
        ));
    }
    fs::write(dir.path().join("acme.toml"), text).unwrap();
    let (code, err) = detectors_check(dir.path());
    assert_eq!(code, Some(2));
    for needle in [
        "[[revoke]] for provider `acme`: listed twice",
        "[[revoke]] for provider `nosuch`: no detector has this provider",
        "[[revoke]] for provider `github`: url `http://github.example/` must be the provider's https page",
        "[[revoke]] for provider `stripe`: how must be one line",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn a_live_check_that_could_leak_or_misplace_a_secret_is_refused_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.toml"),
        r#"
[[detector]]
id = "acme.key"
name = "Acme key"
provider = "acme"
kind = "api-key"
keywords = ["acme_"]
regex = '''\b(?P<secret>acme_[A-Za-z0-9]{24})\b'''
examples = ["acme_Zq8mN3vR7tL2wX9kP4sJ6hF1"]

[[validate]]
provider = "acme"
detectors = ["acme.key"]
docs = "https://docs.acme.example/whoami"
url = "http://api.acme.example/whoami"
headers = ["Authorization: Bearer {secret}"]

[[validate]]
provider = "acme"
detectors = ["acme.key", "github.pat-classic"]
docs = "https://docs.acme.example/whoami"
url = "https://{secret}.acme.example/whoami"

[[revoke_api]]
provider = "acme"
detectors = ["acme.key"]
docs = "https://docs.acme.example/revoke"
method = "PUT"
url = "https://api.acme.example/revoke"
"#,
    )
    .unwrap();
    let out = nhiscan()
        .args(["detectors", "check", "--detectors"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "url must be https: a secret is never sent in clear text",
        "the host must be fixed",
        "the secret is presented nowhere",
        "detector `github.pat-classic` is of provider `github`, not `acme`",
        "[[revoke_api]] of provider `acme`",
        "method `PUT`",
    ] {
        assert!(stderr.contains(needle), "{needle} not in {stderr}");
    }
    assert!(stderr.contains("acme.toml"), "{stderr}");
}
