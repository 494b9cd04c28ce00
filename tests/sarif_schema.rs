//! SARIF output validated against the SARIF 2.1.0 JSON schema kept in fixtures/sarif/.

mod common;

use common::*;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(crate_root().join("fixtures/sarif/sarif-schema-2.1.0.json"))
        .expect("schema fixture");
    // The published schema's `run.language` pattern has a stray `]` that ECMA-262 reads as
    // a literal and strict regex checking rejects; escaping it keeps the same meaning.
    let text = text.replace(r#"-[a-zA-Z]{2}]?$"#, r#"-[a-zA-Z]{2}\\]?$"#);
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    jsonschema::draft7::new(&schema).expect("schema compiles")
}

fn sarif_of(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = nhiscan()
        .current_dir(dir)
        .args(["scan", "--format", "sarif"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

fn problems(validator: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_of_the_planted_fixtures_is_valid_sarif_2_1_0() {
    let validator = schema();
    let doc = sarif_of(&planted(), &["."]);
    assert_eq!(problems(&validator, &doc), Vec::<String>::new());
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn sarif_of_a_clean_tree_is_valid_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "nothing to see\n").unwrap();
    let doc = sarif_of(dir.path(), &["."]);
    assert_eq!(problems(&schema(), &doc), Vec::<String>::new());
}

#[test]
fn the_schema_rejects_what_is_not_sarif() {
    // Guards the test itself: a validator that accepts anything would prove nothing.
    let mut doc = sarif_of(&planted(), &["."]);
    doc["runs"][0]["results"][0]["level"] = serde_json::json!("catastrophic");
    doc["version"] = serde_json::json!("2.0.0");
    assert_eq!(problems(&schema(), &doc).len(), 2);
}

#[test]
fn every_result_follows_one_rule_id_convention_and_every_rule_has_a_security_severity() {
    let doc = sarif_of(&planted(), &["."]);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap_or_else(|| panic!("no security-severity: {rule}"))
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity), "{rule}");
        // GitHub reads security-severity only on rules tagged `security`.
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&"security".into())
        );
    }
    for result in run["results"].as_array().unwrap() {
        let id = result["ruleId"].as_str().unwrap();
        let code = result["properties"]["code"].as_str().unwrap();
        assert!(
            id == code || id.starts_with(&format!("{code}/")),
            "rule id {id} for a {code} finding"
        );
        assert!(rules.iter().any(|r| r["id"] == id), "{id} has no rule");
    }
    // A secret in the tree is critical, its detector named in the rule id.
    let leaked = rules
        .iter()
        .find(|r| r["id"].as_str().unwrap().starts_with("leaked-secret/"))
        .expect("a leaked-secret rule");
    assert_eq!(leaked["properties"]["security-severity"], "9.0");
}

/// What GitHub code scanning documents for an upload ("SARIF results exceed limit" and
/// "SARIF support for code scanning"), beyond the schema: every problem found, named.
fn github_upload_problems(doc: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let compressed = gzip_size(&serde_json::to_vec_pretty(doc).unwrap());
    if compressed > 10 * 1024 * 1024 {
        out.push(format!("{compressed} bytes gzip-compressed is over 10 MB"));
    }
    let runs = doc["runs"].as_array().unwrap();
    if runs.len() > 20 {
        out.push(format!("{} runs > 20", runs.len()));
    }
    for run in runs {
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        if results.len() > 25_000 || rules.len() > 25_000 {
            out.push(format!("{} results, {} rules", results.len(), rules.len()));
        }
        for rule in rules {
            if rule["properties"]["tags"].as_array().map_or(0, Vec::len) > 20 {
                out.push(format!("rule {} has more than 20 tags", rule["id"]));
            }
        }
        let bases = &run["originalUriBaseIds"];
        for result in results {
            let id = result["ruleId"].as_str().unwrap_or_default();
            if !rules.iter().any(|r| r["id"] == id) {
                out.push(format!("ruleId {id} has no rule"));
            }
            if result["message"]["text"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
            {
                out.push(format!("{id}: no message"));
            }
            let locations = result["locations"]
                .as_array()
                .map_or(&[][..], Vec::as_slice);
            if locations.len() > 1000 {
                out.push(format!("{id}: more than 1,000 locations"));
            }
            for loc in locations {
                let artifact = &loc["physicalLocation"]["artifactLocation"];
                let uri = artifact["uri"].as_str().unwrap_or_default();
                match artifact["uriBaseId"].as_str() {
                    Some(base) => {
                        let declared = bases[base]["uri"].as_str().unwrap_or_default();
                        if !declared.starts_with("file:///") || !declared.ends_with('/') {
                            out.push(format!("{uri}: base {base} declared as {declared:?}"));
                        }
                        if uri.starts_with('/') || uri.contains(':') || uri.contains("..") {
                            out.push(format!("{uri}: not relative to {base}"));
                        }
                    }
                    None if !uri.starts_with("file:///") => {
                        out.push(format!("{uri}: relative without a base"))
                    }
                    None => {}
                }
                if loc["physicalLocation"]["region"]["startLine"].as_u64() == Some(0) {
                    out.push(format!("{uri}: startLine 0"));
                }
            }
        }
    }
    out
}

/// Size of `data` compressed by gzip(1), as the upload compresses it.
fn gzip_size(data: &[u8]) -> usize {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip runs");
    let mut stdin = child.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    out.stdout.len()
}

/// (uri, uriBaseId) of every result's place, sorted and deduplicated.
fn places(doc: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let a = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            Some((
                a["uri"].as_str()?.to_string(),
                a["uriBaseId"].as_str().unwrap_or("").to_string(),
            ))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn sarif_places_are_relative_to_the_repository_root_from_any_directory() {
    // Synthetic Slack bot tokens in the documented `xoxb-` form.
    const OLD: &str = "xoxb-263594206564-2343440192240-kNq8Rt3Vx7Lm2Pw9Zc4Hb6Jd";
    const CURRENT: &str = "xoxb-263594206564-2343440192240-Zr4Vb8Nq2Lx6Tm9Pk3Wd7Hc1";
    const LOOSE: &str = "xoxb-263594206564-2343440192240-Hm3Qw7Zx9Lc2Vb5Nt8Rk4Pd";
    const DATE: &str = "2025-03-01T10:00:00Z";
    let tmp = tempfile::tempdir().unwrap();
    let repo = common::git::Repo::new(tmp.path(), "shop");
    repo.write("deploy/old.env", &format!("SLACK_BOT_TOKEN={OLD}\n"));
    repo.commit("bot", DATE, "Dev One");
    repo.write("deploy/old.env", "SLACK_BOT_TOKEN=${SLACK_BOT_TOKEN}\n");
    repo.write(
        "svc/config/bot #1.env",
        &format!("SLACK_BOT_TOKEN={CURRENT}\n"),
    );
    repo.commit("move to the store", DATE, "Dev One");
    std::fs::write(
        tmp.path().join("loose.env"),
        format!("SLACK_BOT_TOKEN={LOOSE}\n"),
    )
    .unwrap();
    let root_uri = format!("file://{}/", repo.dir.display());
    let current = (
        "svc/config/bot%20%231.env".to_string(),
        "%SRCROOT%".to_string(),
    );
    let in_history = ("deploy/old.env".to_string(), "%SRCROOT%".to_string());

    // From the root, with its history.
    let doc = sarif_of(&repo.dir, &["."]);
    assert_eq!(problems(&schema(), &doc), Vec::<String>::new());
    assert_eq!(github_upload_problems(&doc), Vec::<String>::new());
    assert_eq!(
        doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        root_uri
    );
    assert_eq!(places(&doc), [in_history.clone(), current.clone()]);

    // From a subdirectory, scanning a directory below it: the same place.
    let doc = sarif_of(&repo.dir.join("svc"), &["config"]);
    assert_eq!(github_upload_problems(&doc), Vec::<String>::new());
    assert_eq!(
        doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        root_uri
    );
    assert_eq!(places(&doc), std::slice::from_ref(&current));

    // From outside, by absolute path, with a file outside the repository too.
    let doc = sarif_of(
        tmp.path(),
        &[
            repo.dir.to_str().unwrap(),
            tmp.path().join("loose.env").to_str().unwrap(),
        ],
    );
    assert_eq!(problems(&schema(), &doc), Vec::<String>::new());
    assert_eq!(github_upload_problems(&doc), Vec::<String>::new());
    assert_eq!(
        places(&doc),
        [
            in_history,
            (
                format!("file://{}/loose.env", tmp.path().display()),
                String::new()
            ),
            current,
        ]
    );
    assert!(
        !serde_json::to_string(&doc)
            .unwrap()
            .contains(&CURRENT[30..])
    );
}

#[test]
fn the_upload_check_rejects_what_github_refuses() {
    // Guards the checker: places GitHub cannot resolve are named.
    let mut doc = sarif_of(&planted(), &["."]);
    let loc = &mut doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    loc["artifactLocation"] = serde_json::json!({"uri": "/tmp/x.env"});
    assert_eq!(github_upload_problems(&doc).len(), 1);
    doc["runs"][0]["originalUriBaseIds"] = serde_json::json!({});
    assert!(github_upload_problems(&doc).len() > 1);
}

#[test]
fn a_run_beyond_githubs_result_limit_keeps_the_most_severe_and_says_what_was_left_out() {
    let (_, mut inv) = scan_json(&planted(), &["."]);
    let findings = inv["findings"].as_array().unwrap().clone();
    let deny = findings.iter().filter(|f| f["level"] == "deny").count();
    let mut many = Vec::new();
    while many.len() <= 25_000 {
        many.extend(findings.iter().cloned());
    }
    let total = many.len();
    let denied = many.iter().filter(|f| f["level"] == "deny").count();
    assert!(denied < 25_000 && deny > 0);
    inv["findings"] = serde_json::Value::Array(many);
    let tmp = tempfile::tempdir().unwrap();
    let saved = tmp.path().join("inventory.json");
    std::fs::write(&saved, serde_json::to_vec(&inv).unwrap()).unwrap();
    let out = nhiscan()
        .args(["report", "--format", "sarif"])
        .arg(&saved)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    assert_eq!(
        results.iter().filter(|r| r["level"] == "error").count(),
        denied,
        "every deny finding is kept"
    );
    let note = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(
        note.starts_with(&format!("{} findings not included", total - 25_000)),
        "{note}"
    );
    assert_eq!(github_upload_problems(&doc), Vec::<String>::new());
}
