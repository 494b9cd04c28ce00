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
