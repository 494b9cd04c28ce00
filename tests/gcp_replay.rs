//! `nhiscan scan --gcp PROJECT` against a local server replaying the shapes of Google's
//! IAM, Resource Manager and Policy Analyzer APIs (fixtures/gcp/), with what they lack
//! added the way Google documents it: `pageToken` pagination, a 403 naming the missing
//! permission, a 429 with Retry-After, and an answer of the wrong shape.

mod common;

use common::github::{Answer, GithubServer as ReplayServer, TOKEN};
use common::providers::{Provider, Reply};
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;

const PROJECT: &str = "example-project";
const DEPLOYER: &str = "deployer@example-project.iam.gserviceaccount.com";
const REPORTING: &str = "reporting@example-project.iam.gserviceaccount.com";
const LEGACY: &str = "legacy-etl@example-project.iam.gserviceaccount.com";
/// The deployer's first key in the fixture (projects.serviceAccounts.keys.list.json).
const KEY_ID: &str = "6fcd5133687535048fb0e076c86b1876c960537b";

fn fixture(name: &str) -> Answer {
    Answer::fixture_in("gcp", name)
}

/// A Google error fixture with its status; `permission` replaces the one it names.
fn google_error(status: u16, file: &str, permission: Option<&str>) -> Answer {
    let mut a = fixture(file);
    a.status = status;
    if let Some(p) = permission {
        a.body = a.body.replace("iam.serviceAccounts.list", p);
    }
    a
}

fn routes(_: &str) -> HashMap<String, Vec<Answer>> {
    let mut r: HashMap<String, Vec<Answer>> = HashMap::new();
    let mut add = |path: &str, answers: Vec<Answer>| {
        r.insert(path.to_string(), answers);
    };
    let p = format!("/v1/projects/{PROJECT}");
    add(&p, vec![fixture("projects.get.json")]);
    // Three accounts over two pages.
    let all: Value =
        serde_json::from_str(&fixture("projects.serviceAccounts.list.json").body).unwrap();
    let accounts = all["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3);
    add(
        &format!("{p}/serviceAccounts?pageSize=100"),
        vec![Answer::json(
            json!({"accounts": accounts[..2], "nextPageToken": "cGFnZS8y+="}).to_string(),
        )],
    );
    add(
        &format!("{p}/serviceAccounts?pageSize=100&pageToken=cGFnZS8y%2B%3D"),
        vec![Answer::json(json!({"accounts": accounts[2..]}).to_string())],
    );
    add(
        &format!("{p}:getIamPolicy"),
        vec![fixture("projects.getIamPolicy.json")],
    );
    let sa = |email: &str| format!("{p}/serviceAccounts/{email}");
    add(
        &format!("{}/keys?keyTypes=USER_MANAGED", sa(DEPLOYER)),
        vec![fixture("projects.serviceAccounts.keys.list.json")],
    );
    add(
        &format!("{}:getIamPolicy", sa(DEPLOYER)),
        vec![fixture("serviceAccounts.getIamPolicy.json")],
    );
    // Google leaves an empty list out: `{}` is an account without keys.
    add(
        &format!("{}/keys?keyTypes=USER_MANAGED", sa(REPORTING)),
        vec![Answer::json("{}")],
    );
    // ... and a policy of the wrong shape: an error, not "nobody may act as it".
    add(
        &format!("{}:getIamPolicy", sa(REPORTING)),
        vec![Answer::json("[]")],
    );
    // The scanner may not list the legacy account's keys.
    add(
        &format!("{}/keys?keyTypes=USER_MANAGED", sa(LEGACY)),
        vec![google_error(
            403,
            "error.403.json",
            Some("iam.serviceAccountKeys.list"),
        )],
    );
    add(
        &format!("{}:getIamPolicy", sa(LEGACY)),
        vec![Answer::json(r#"{"version": 1, "etag": "BwY="}"#)],
    );
    // Activities: the account query after one 429; the key query over two pages.
    let activity = |kind: &str| {
        format!("{p}/locations/global/activityTypes/{kind}/activities:query?pageSize=100")
    };
    add(
        &activity("serviceAccountLastAuthentication"),
        vec![
            google_error(429, "error.429.json", None).header("Retry-After", "1"),
            fixture("activities.query.serviceAccountLastAuthentication.json"),
        ],
    );
    let keys = activity("serviceAccountKeyLastAuthentication");
    let first: Value = serde_json::from_str(&fixture("activities.query.json").body).unwrap();
    let token = first["nextPageToken"].as_str().unwrap().to_string();
    add(&keys, vec![fixture("activities.query.json")]);
    add(
        &format!("{keys}&pageToken={token}"),
        vec![fixture("activities.query.page2.json")],
    );
    r
}

fn gcp_command(server: &ReplayServer, dir: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = nhiscan();
    for var in [
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_PROJECT",
        "CLOUDSDK_CORE_PROJECT",
        "CLOUDSDK_CONFIG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", dir)
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        // Never the real metadata server.
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .current_dir(dir)
        .args([
            "scan",
            "--gcp",
            PROJECT,
            "--gcp-url",
            &server.url,
            "--format",
            "json",
        ]);
    cmd
}

#[test]
fn a_project_is_inventoried_across_pages_limits_and_denials() {
    let server = ReplayServer::start(routes);
    let dir = tempfile::tempdir().unwrap();
    let (code, inv, stderr) = run_json(&mut gcp_command(&server, dir.path()));
    assert_eq!(
        code, 3,
        "a denied key list makes the inventory incomplete: {stderr}"
    );
    assert_eq!(inv["scope"]["gcp"], json!([PROJECT]));
    let status = source(&inv, &format!("gcp:{PROJECT}"));
    assert_eq!(status["status"], "partial");
    let errors = source_errors(&inv, &format!("gcp:{PROJECT}"));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains(&format!("/serviceAccounts/{LEGACY}/keys"))
                && e.contains("HTTP 403 Permission 'iam.serviceAccountKeys.list' denied")
                && e.contains("grant iam.serviceAccountKeys.list")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(
            |e| e.contains(&format!("/serviceAccounts/{REPORTING}:getIamPolicy"))
                && e.contains("unexpected answer")
        ),
        "{errors:?}"
    );

    // The deployer: editor on the project (broad), owned through the project's label,
    // impersonable by a group, bound to a Kubernetes ServiceAccount, last used per Policy
    // Analyzer.
    let deployer = identity(&inv, &format!("gcp:serviceaccount:{DEPLOYER}"));
    assert_eq!(deployer["kind"], "service-account");
    assert_eq!(deployer["provider"], "gcp");
    assert!(
        deployer["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "gcp:roles/editor")
    );
    assert!(
        finding_codes(&inv, &format!("gcp:serviceaccount:{DEPLOYER}")).contains(&"overprivileged")
    );
    assert_eq!(
        deployer["owner"]["team"], "team-payments",
        "{}",
        deployer["owner"]
    );
    assert_eq!(deployer["owner"]["source"], "tag");
    assert_eq!(deployer["attributes"]["gke_workload_identity"], "ns/ksa");
    assert!(
        deployer["attributes"]["impersonated_by"]
            .as_str()
            .unwrap()
            .contains("group:sre@example.com (iam.serviceAccountTokenCreator)")
    );
    assert_eq!(deployer["last_used_at"], "2024-06-17T07:00:00Z");

    // Its keys: creation, no expiry (9999), last authentication from the second page.
    let key = identity(&inv, &format!("gcp:serviceaccount:{DEPLOYER}:key:{KEY_ID}"));
    assert_eq!(key["kind"], "service-account-key");
    assert_eq!(key["created_at"], "2024-01-15T09:12:45Z");
    assert!(key["expires_at"].is_null());
    assert_eq!(key["last_used_at"], "2024-06-10T07:00:00Z");
    assert_eq!(key["owner"]["team"], "team-payments");
    assert!(
        key["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == &deployer["id"])
    );
    let exposed = identity(
        &inv,
        &format!("gcp:serviceaccount:{DEPLOYER}:key:7d32f134a1af850983ea404f5085ea2fa82e2c6a"),
    );
    assert_eq!(exposed["status"], "inactive");
    assert_eq!(
        exposed["attributes"]["disable_reason"],
        "SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED"
    );
    // Every key id Google lists, every page of activities read.
    assert_eq!(
        server.hits(&format!(
            "/v1/projects/{PROJECT}/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query?pageSize=100"
        )),
        2,
        "retried once after Retry-After"
    );
    identity(&inv, &format!("gcp:serviceaccount:{LEGACY}"));
    let reporting = identity(&inv, &format!("gcp:serviceaccount:{REPORTING}"));
    assert!(reporting["attributes"].get("user_managed_keys").is_none());
    assert_eq!(
        status["api_calls"].as_u64().unwrap(),
        server.requests().len() as u64,
        "--stats counts every request"
    );
}

/// A service-account key file of the documented shape, synthetic values.
fn key_file(email: &str, key_id: &str, pem: &str, token_uri: &str) -> String {
    json!({
        "type": "service_account", "project_id": PROJECT, "private_key_id": key_id,
        "private_key": pem, "client_email": email, "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
    })
    .to_string()
}

#[test]
fn a_key_file_signs_in_and_a_leaked_key_file_is_the_listed_key() {
    let server = ReplayServer::start(routes);
    let keys = tempfile::tempdir().unwrap();
    let (pem, _) = common::keys::rsa_key(keys.path(), "scanner");
    // Google's token endpoint: a JWT-bearer grant gets the token the API server accepts.
    let token_endpoint = Provider::start(|seen, _| {
        if seen.method == "POST"
            && seen.body.starts_with(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey",
            )
        {
            Reply::json(
                200,
                format!(
                    r#"{{"access_token": "{TOKEN}", "expires_in": 3599, "token_type": "Bearer"}}"#
                ),
            )
        } else {
            Reply::json(
                400,
                r#"{"error": "invalid_grant", "error_description": "Invalid JWT"}"#,
            )
        }
    });
    let credentials = keys.path().join("scanner.json");
    std::fs::write(
        &credentials,
        key_file(
            "scanner@example-project.iam.gserviceaccount.com",
            &"5".repeat(40),
            &pem,
            &format!("{}/token", token_endpoint.url),
        ),
    )
    .unwrap();
    // In the scanned tree: the deployer's listed key, leaked as a key file.
    let leaked = key_file(
        DEPLOYER,
        KEY_ID,
        "-----BEGIN PRIVATE KEY-----\nMIIsynthetic\n-----END PRIVATE KEY-----\n",
        "https://oauth2.googleapis.com/token",
    );
    let dir = tree(&[("sa.json", leaked)]);
    let mut cmd = gcp_command(&server, dir.path());
    cmd.env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
        .env("GOOGLE_APPLICATION_CREDENTIALS", &credentials)
        .arg(".");
    let (code, inv, stderr) = run_json(&mut cmd);
    assert_eq!(code, 1, "a leaked live key is a deny finding: {stderr}");
    assert_eq!(token_endpoint.seen().len(), 1, "one token request");
    let key = identity(&inv, &format!("gcp:serviceaccount:{DEPLOYER}:key:{KEY_ID}"));
    let paths: Vec<&str> = key["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(paths, ["sa.json"], "the found key file is the listed key");
    assert!(!finding_codes(&inv, key["id"].as_str().unwrap()).is_empty());
    assert!(!inv.to_string().contains("MIIsynthetic"));
}

#[test]
fn missing_credentials_a_missing_project_and_a_refused_token_say_what_to_do() {
    let server = ReplayServer::start(routes);
    let dir = tempfile::tempdir().unwrap();
    // Nothing in the chain, and no metadata server (GCE_METADATA_HOST is a closed port).
    let mut cmd = gcp_command(&server, dir.path());
    cmd.env_remove("GOOGLE_OAUTH_ACCESS_TOKEN");
    let (code, inv, _) = run_json(&mut cmd);
    assert_eq!(code, 3);
    let error = source_errors(&inv, &format!("gcp:{PROJECT}"))[0];
    assert!(
        error.contains("no Google credentials")
            && error.contains("gcloud auth application-default login"),
        "{error}"
    );
    // A token but no project named anywhere.
    let mut cmd = nhiscan();
    cmd.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env("HOME", dir.path())
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        .current_dir(dir.path())
        .args([
            "scan",
            "--gcp",
            "--gcp-url",
            &server.url,
            "--format",
            "json",
        ]);
    let (code, inv, _) = run_json(&mut cmd);
    assert_eq!(code, 3);
    let error = source_errors(&inv, "gcp:default")[0];
    assert!(
        error.starts_with("no Google Cloud project: name it (--gcp PROJECT)"),
        "{error}"
    );
    // A wrong token: the account list is refused, the source fails naming the permission.
    let mut cmd = gcp_command(&server, dir.path());
    cmd.env("GOOGLE_OAUTH_ACCESS_TOKEN", "wrong");
    let (code, inv, _) = run_json(&mut cmd);
    assert_eq!(code, 3);
    let error = source_errors(&inv, &format!("gcp:{PROJECT}"))[0];
    assert!(
        error.starts_with(&format!(
            "cannot list the service accounts of project {PROJECT}"
        )),
        "{error}"
    );
}
