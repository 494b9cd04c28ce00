//! `nhiscan scan --gcp P --azure T --gitlab G --aws` and a working tree, in one run: AWS
//! against moto, GitLab, Google Cloud and Microsoft Graph against one local server replaying
//! their documented shapes, the Entra token endpoint against another. One inventory holds
//! every source's identities with owners, dates and privileges, and found secrets land on
//! the identities they belong to.

mod common;

use common::github::{Answer, GithubServer as ReplayServer, TOKEN};
use common::moto::Moto;
use common::providers::{Provider, Reply};
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;

const PROJECT: &str = "example-project";
const DEPLOYER: &str = "deployer@example-project.iam.gserviceaccount.com";
const KEY_ID: &str = "6fcd5133687535048fb0e076c86b1876c960537b";
const TENANT: &str = "11111111-0000-4000-8000-000000000001";

fn fixture(dir: &str, name: &str) -> Answer {
    Answer::fixture_in(dir, name)
}

fn json_of(dir: &str, name: &str) -> Value {
    serde_json::from_str(&fixture(dir, name).body).unwrap()
}

/// The three APIs on one server: their paths do not overlap.
fn routes(_: &str) -> HashMap<String, Vec<Answer>> {
    let mut r: HashMap<String, Vec<Answer>> = HashMap::new();
    let mut add = |path: &str, answer: Answer| {
        r.insert(path.to_string(), vec![answer]);
    };
    let list = |v: Value| Answer::json(v.to_string());
    // GitLab: group `acme`, one project with one access token and nothing else.
    let mut group = json_of("gitlab", "groups.get.json");
    group["full_path"] = "acme".into();
    add("/api/v4/groups/acme", list(group));
    let mut project = json_of("gitlab", "groups.list-projects.json")[0].clone();
    project["path_with_namespace"] = "acme/web".into();
    project["default_branch"] = Value::Null;
    add(
        "/api/v4/groups/acme/projects?include_subgroups=true&with_shared=false",
        list(json!([project])),
    );
    for path in [
        "descendant_groups",
        "access_tokens",
        "deploy_tokens",
        "variables",
        "hooks",
        "runners?type=group_type",
    ] {
        add(&format!("/api/v4/groups/acme/{path}"), list(json!([])));
    }
    for path in [
        "deploy_tokens",
        "deploy_keys",
        "variables",
        "triggers",
        "hooks",
    ] {
        add(&format!("/api/v4/projects/9/{path}"), list(json!([])));
    }
    add(
        "/api/v4/projects/9/access_tokens",
        fixture("gitlab", "project_access_tokens.list.json"),
    );
    // Google Cloud: one account with its keys.
    let p = format!("/v1/projects/{PROJECT}");
    add(&p, fixture("gcp", "projects.get.json"));
    let account = json_of("gcp", "projects.serviceAccounts.list.json")["accounts"][0].clone();
    add(
        &format!("{p}/serviceAccounts?pageSize=100"),
        list(json!({"accounts": [account]})),
    );
    add(
        &format!("{p}:getIamPolicy"),
        fixture("gcp", "projects.getIamPolicy.json"),
    );
    add(
        &format!("{p}/serviceAccounts/{DEPLOYER}/keys?keyTypes=USER_MANAGED"),
        fixture("gcp", "projects.serviceAccounts.keys.list.json"),
    );
    add(
        &format!("{p}/serviceAccounts/{DEPLOYER}:getIamPolicy"),
        fixture("gcp", "serviceAccounts.getIamPolicy.json"),
    );
    for kind in [
        "serviceAccountLastAuthentication",
        "serviceAccountKeyLastAuthentication",
    ] {
        add(
            &format!("{p}/locations/global/activityTypes/{kind}/activities:query?pageSize=100"),
            list(json!({})),
        );
    }
    // Microsoft Graph: one application with one secret, owned by a user.
    let app = json_of("azure", "applications.list.json")["value"][0].clone();
    add(
        "/v1.0/applications?$select=id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials,notes,tags&$top=100",
        list(json!({"value": [app]})),
    );
    for path in [
        "/v1.0/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,accountEnabled,appOwnerOrganizationId,alternativeNames,tags&$top=100",
        "/v1.0/oauth2PermissionGrants?$top=100",
        "/beta/reports/servicePrincipalSignInActivities?$top=100",
        "/v1.0/applications/a0000000-0000-4000-8000-000000000001/federatedIdentityCredentials?$top=100",
    ] {
        add(path, list(json!({"value": []})));
    }
    add(
        "/v1.0/applications/a0000000-0000-4000-8000-000000000001/owners?$top=100",
        fixture("azure", "application.owners.list.json"),
    );
    r
}

#[test]
fn every_source_lands_in_one_inventory() {
    let moto = Moto::start();
    moto.seed(&[]);
    let server = ReplayServer::start(routes);
    let login = Provider::start(|_, _| {
        Reply::json(
            200,
            format!(r#"{{"token_type": "Bearer", "expires_in": 3599, "access_token": "{TOKEN}"}}"#),
        )
    });
    // A leaked key file of the listed GCP key, in the scanned tree.
    let leaked = json!({"type": "service_account", "project_id": PROJECT, "private_key_id": KEY_ID,
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIsynthetic\n-----END PRIVATE KEY-----\n",
        "client_email": DEPLOYER});
    let dir = tree(&[("sa.json", leaked.to_string())]);
    let mut cmd = moto.nhiscan(dir.path());
    cmd.current_dir(dir.path())
        .env("PATH", "/nonexistent")
        .env("GITLAB_TOKEN", TOKEN)
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", "scanner")
        .env("AZURE_CLIENT_SECRET", "scanner-secret")
        .env("AZURE_AUTHORITY_HOST", &login.url)
        .args(["scan", ".", "--no-history", "--format", "json"])
        .args(["--gcp", PROJECT, "--gcp-url", &server.url])
        .args(["--azure", TENANT, "--azure-graph-url", &server.url])
        .args(["--gitlab", "acme", "--gitlab-url", &server.url])
        .arg("--aws");
    let (code, inv, stderr) = run_json(&mut cmd);
    assert_eq!(
        code, 1,
        "a leaked key and moto's seeded findings are deny level: {stderr}"
    );
    for scope in ["aws", "gcp", "azure", "gitlab"] {
        assert!(
            inv["scope"][scope].is_array(),
            "scope.{scope}: {}",
            inv["scope"]
        );
    }
    for id in [
        format!("gcp:{PROJECT}"),
        format!("azure:{TENANT}"),
        "gitlab:acme".into(),
    ] {
        assert_eq!(
            source(&inv, &id)["status"],
            "ok",
            "{id}: {}",
            source(&inv, &id)
        );
    }
    // moto leaves out one IAM API (service-specific credentials): partial for that only.
    assert_eq!(source_errors(&inv, "aws:default").len(), 1);
    let providers: std::collections::BTreeSet<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["discovery"] == "collected")
        .filter_map(|i| i["provider"].as_str())
        .collect();
    assert_eq!(
        providers.into_iter().collect::<Vec<_>>(),
        ["aws", "azure", "gcp", "gitlab"]
    );
    // Each with its owner, age, expiry or privileges.
    let key = identity(&inv, &format!("gcp:serviceaccount:{DEPLOYER}:key:{KEY_ID}"));
    assert_eq!(key["owner"]["team"], "team-payments");
    assert_eq!(
        key["exposures"][0]["path"], "sa.json",
        "the leaked file is the listed key"
    );
    let app = identity(&inv, "azure:client:b0000000-0000-4000-8000-000000000001");
    assert_eq!(app["owner"]["source"], "directory");
    let secret = identity(
        &inv,
        "azure:client:b0000000-0000-4000-8000-000000000001:secret:f0000000-0000-4000-8000-000000000001",
    );
    assert_eq!(secret["expires_at"], "2026-08-01T10:15:00Z");
    let token = identity(&inv, "gitlab:acme/web:project-access-token:42");
    assert_eq!(token["expires_at"], "2021-01-31T00:00:00Z");
    assert!(
        token["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "gitlab:api")
    );
    let ci = identity(&inv, "arn:aws:iam::123456789012:user/ci-deploy");
    assert_eq!(ci["owner"]["team"], "platform");
}
