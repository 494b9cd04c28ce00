//! Precision end to end: what is a credential, how sure nhiscan is and why, where it lies,
//! what is vaulted rather than hard-coded, what is looked for under a decoding layer, and
//! that every candidate left out is counted.

mod common;

use base64::Engine;
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn write(root: &Path, path: &str, text: &str) {
    let file = root.join(path);
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(file, text).unwrap();
}

fn findings<'a>(inv: &'a Value, code: &str) -> Vec<&'a Value> {
    inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn finding_at<'a>(inv: &'a Value, path: &str) -> &'a Value {
    findings(inv, "leaked-secret")
        .into_iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no leaked-secret at {path}: {}", inv["findings"]))
}

/// A synthetic GitHub classic token with a valid checksum (GitHub's documented format).
const GITHUB_TOKEN: &str = "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";

#[test]
fn a_finding_says_how_sure_and_why_and_a_test_or_docs_place_lowers_only_the_unsure() {
    let dir = tempfile::tempdir().unwrap();
    let generic = "DB_PASSWORD=Xq7vN2kL9pR4tW8z\n";
    write(dir.path(), "deploy/prod.env", generic);
    write(
        dir.path(),
        "tests/fixtures/app.env",
        generic.replace('X', "Y").as_str(),
    );
    write(
        dir.path(),
        "docs/setup.md",
        "Set `DB_PASSWORD=Zm4pQ8rT2vX6kN9w`.\n",
    );
    write(
        dir.path(),
        "tests/fixtures/github.env",
        &format!("TOKEN={GITHUB_TOKEN}\n"),
    );
    let (code, inv) = scan_json(dir.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);

    let prod = finding_at(&inv, "deploy/prod.env");
    assert_eq!(prod["confidence"], "low");
    assert_eq!(prod["context"], "source");
    assert_eq!(prod["level"], "deny");
    assert!(
        prod["reason"]
            .as_str()
            .unwrap()
            .starts_with("generic assignment, entropy"),
        "{prod}"
    );
    let test = finding_at(&inv, "tests/fixtures/app.env");
    assert_eq!(
        (&test["context"], &test["level"]),
        (&"test".into(), &"warn".into())
    );
    let docs = finding_at(&inv, "docs/setup.md");
    assert_eq!(
        (&docs["context"], &docs["level"]),
        (&"docs".into(), &"warn".into())
    );
    // A checksum proves the provider minted it: a leak in a test file all the same.
    let github = finding_at(&inv, "tests/fixtures/github.env");
    assert_eq!(github["confidence"], "high");
    assert_eq!(github["reason"], "checksum verified");
    assert_eq!(github["level"], "deny");

    // --min-confidence drops what is below it, and says how much it dropped.
    let (code, inv) = scan_json(
        dir.path(),
        &[".", "--no-history", "--min-confidence", "high"],
    );
    assert_eq!(code, 1);
    assert_eq!(leaks(&inv).len(), 1, "only the checksummed token");
    assert_eq!(inv["summary"]["below_min_confidence"], 3);
}

#[test]
fn code_placeholders_references_and_hashes_are_rejected_and_counted_by_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/config.py",
        concat!(
            "password = os.environ['DB_PASSWORD']\n",
            "api_token = session?.api_token\n",
            "password = \"changeme\"\n",
            "password = \"hunter42\"\n",
            "password_hash = \"$2b$12$Kq9e3vZm4Rt7Yw2Lp8Xc5uJh1Bn6Df0Gs3Ak7Ql2Wz9Ex4Cv8Tr5\"\n",
            "client_secret: ${{ secrets.CLIENT_SECRET }}\n",
        ),
    );
    let (code, inv) = scan_json(dir.path(), &[".", "--no-history"]);
    assert_eq!(code, 0, "nothing here is a credential: {}", inv["findings"]);
    assert!(leaks(&inv).is_empty());
    let rejected = &inv["summary"]["rejected"];
    for reason in ["code", "placeholder", "weak-word", "reference"] {
        assert!(
            rejected[reason].as_u64().unwrap_or(0) >= 1,
            "{reason}: {rejected}"
        );
    }
    // The table says it too, so a clean result can be questioned.
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--no-history"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("candidates that are no credentials ("),
        "{table}"
    );
}

#[test]
fn references_to_stores_are_vaulted_inventory_and_values_are_hard_coded() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/deploy.yml",
        concat!(
            "jobs:\n  deploy:\n    steps:\n      - run: ./deploy.sh\n        env:\n",
            "          DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n",
            "          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
        ),
    );
    write(
        dir.path(),
        "k8s/deployment.yaml",
        concat!(
            "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n",
            "        name: payments-db\n        key: password\n",
        ),
    );
    write(
        dir.path(),
        "scripts/release.sh",
        &format!("GH={GITHUB_TOKEN}\n"),
    );
    let (code, inv) = scan_json(dir.path(), &[".", "--no-history"]);
    assert_eq!(code, 1, "the hard-coded token is a leak");
    assert_eq!(
        leaks(&inv).len(),
        1,
        "references are no leaks: {}",
        inv["findings"]
    );

    let ids: Vec<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for id in [
        "reference:github-actions:DEPLOY_TOKEN",
        "reference:github-actions:NPM_TOKEN",
        "reference:kubernetes:payments-db",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let deploy = identity(&inv, "reference:github-actions:DEPLOY_TOKEN");
    assert_eq!(deploy["kind"], "stored-secret");
    let e = &deploy["exposures"][0];
    assert_eq!(e["kind"], "reference");
    assert_eq!(
        e["reference"],
        serde_json::json!({"store": "github-actions", "name": "DEPLOY_TOKEN"})
    );
    assert!(finding_codes(&inv, "reference:github-actions:DEPLOY_TOKEN").is_empty());

    assert_eq!(
        inv["storage"],
        serde_json::json!([{
            "repository": ".", "vaulted": 3, "hard_coded": 1,
            "stores": {"github-actions": 2, "kubernetes": 1},
        }])
    );
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--no-history"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("secrets in .: 3 vaulted (2 github-actions, 1 kubernetes), 1 hard-coded"),
        "{table}"
    );
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--no-history", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("vaulted (github-actions)") && csv.contains("hard-coded"));
}

#[test]
fn a_private_key_base64_encoded_in_a_manifest_is_found_under_its_layer() {
    let key = rcgen::KeyPair::generate().unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(key.serialize_pem());
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deploy/tls.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-tls\ntype: kubernetes.io/tls\ndata:\n  tls.key: {encoded}\n"
        ),
    );
    let (code, inv) = scan_json(dir.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);
    let leak = finding_at(&inv, "deploy/tls.yaml");
    assert_eq!(leak["detector"], "private-key.pkcs8");
    assert_eq!(leak["line"], 7, "the line of the encoded value");
    assert_eq!(leak["reason"], "structure verified");
    let id = identity(&inv, leak["identity"].as_str().unwrap());
    assert_eq!(
        id["exposures"][0]["origin"]["decoded"],
        serde_json::json!(["base64"])
    );
    // Never the value, encoded or not.
    let text = inv.to_string();
    assert!(!text.contains(&encoded[..40]) && !text.contains("PRIVATE KEY-----\n"));
}

/// The first bytes of a JKS with one entry of `tag` (1: private key, 2: certificate).
fn jks(tag: u32) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(0xfeed_feedu32.to_be_bytes());
    d.extend(2u32.to_be_bytes());
    d.extend(1u32.to_be_bytes());
    d.extend(tag.to_be_bytes());
    d.extend(5u16.to_be_bytes());
    d.extend(b"alias");
    d.extend(0u64.to_be_bytes());
    d.extend(5u16.to_be_bytes());
    d.extend(b"X.509");
    d.extend(4u32.to_be_bytes());
    d.extend([0x30, 0x02, 0x00, 0x00]);
    d
}

#[test]
fn keystores_are_recognised_by_their_bytes_and_truststores_left_out() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("keystore.jks"), jks(1)).unwrap();
    fs::write(dir.path().join("truststore.jks"), jks(2)).unwrap();
    // A PFX whose authSafe shows a pkcs8ShroudedKeyBag (RFC 7292).
    let mut p12 = vec![
        0x30, 0x82, 0x00, 0x30, 0x02, 0x01, 0x03, 0x30, 0x82, 0x00, 0x20,
    ];
    p12.extend([
        0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
    ]);
    p12.extend([0u8; 24]);
    fs::write(dir.path().join("client.p12"), p12).unwrap();
    let (code, inv) = scan_json(dir.path(), &[".", "--no-history"]);
    assert_eq!(code, 0, "a keystore's password is unknown: warn, not deny");
    let mut found: Vec<(String, String)> = findings(&inv, "leaked-secret")
        .into_iter()
        .map(|f| {
            assert_eq!(f["line"], 0, "the whole file");
            assert_eq!(f["level"], "warn");
            (
                f["path"].as_str().unwrap().to_string(),
                f["detector"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("client.p12".to_string(), "keystore.pkcs12".to_string()),
            ("keystore.jks".to_string(), "keystore.java".to_string()),
        ]
    );
    assert_eq!(inv["summary"]["rejected"]["structure"], 1, "the truststore");
    // SARIF without a region for a whole file stays valid.
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--no-history", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(location["region"].is_null(), "{location}");
}

#[test]
fn published_examples_are_reported_as_such_and_never_fail_a_build() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/aws.py",
        concat!(
            "AWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\n",
            "AWS_SECRET_ACCESS_KEY = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n",
        ),
    );
    // Key ids of the account AWS's documentation uses (123456789012) are examples too.
    write(
        dir.path(),
        "app/docs_account.py",
        "key = \"AKIARZPUZDIKGB2VALC4\"\n",
    );
    let (code, inv) = scan_json(dir.path(), &[".", "--no-history"]);
    assert_eq!(code, 0, "{}", inv["findings"]);
    let found = examples(&inv);
    assert_eq!(found.len(), 3, "{found:?}");
    let f = finding_at(&inv, "app/docs_account.py");
    assert!(
        f["reason"]
            .as_str()
            .unwrap()
            .contains("AWS (documentation example account)"),
        "{f}"
    );
}
