//! `nhiscan scan --azure TENANT` against local servers replaying Microsoft Graph's
//! documented shapes (fixtures/azure/) and the identity platform's token endpoint (through
//! AZURE_AUTHORITY_HOST, the standard setting), with `@odata.nextLink` paging, a 403, a 429
//! with Retry-After, and a found client secret joined to the listed one by its hint.

mod common;

use common::github::{Answer, GithubServer as ReplayServer, TOKEN};
use common::providers::{Provider, Reply};
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;

const TENANT: &str = "11111111-0000-4000-8000-000000000001";
const DEPLOYER_APP: &str = "b0000000-0000-4000-8000-000000000001";
const DEPLOYER_SP: &str = "c0000000-0000-4000-8000-000000000001";
const GRAPH_SP: &str = "7408235b-7540-4850-82fe-a5f15ed019e2";
const CLIENT_SECRET: &str = "scanner-client-secret-value";
/// A synthetic Entra client secret in Microsoft's documented format whose first three
/// characters are the deployer's listed secret's hint (`pd7`).
const LEAKED: &str = "pd78Q~Xq3vT9mK2bN7wR4yL6hJ1cF5gD8sA0eZ";

fn fixture(name: &str) -> Answer {
    Answer::fixture_in("azure", name)
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name).body).unwrap()
}

fn empty() -> Answer {
    Answer::json(r#"{"value": []}"#)
}

fn routes(url: &str) -> HashMap<String, Vec<Answer>> {
    let mut r: HashMap<String, Vec<Answer>> = HashMap::new();
    let mut add = |path: &str, answers: Vec<Answer>| {
        r.insert(path.to_string(), answers);
    };
    // Applications over two pages; the next link points at this server, as Graph's at Graph.
    let apps = fixture_json("applications.list.json");
    let items = apps["value"].as_array().unwrap();
    add(
        "/v1.0/applications?$select=id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials,notes,tags&$top=100",
        vec![Answer::json(
            json!({"value": items[..2], "@odata.nextLink": format!("{url}/v1.0/applications?$skiptoken=p2")}).to_string(),
        )],
    );
    add(
        "/v1.0/applications?$skiptoken=p2",
        vec![Answer::json(json!({"value": items[2..]}).to_string())],
    );
    add(
        "/v1.0/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,accountEnabled,appOwnerOrganizationId,alternativeNames,tags&$top=100",
        vec![fixture("servicePrincipals.list.json")],
    );
    add(
        "/v1.0/oauth2PermissionGrants?$top=100",
        vec![fixture("oauth2PermissionGrants.list.json")],
    );
    // The sign-in report after one 429; the deployer signed in on 1 November.
    let mut sign_ins = fixture_json("reports.servicePrincipalSignInActivities.json");
    sign_ins["value"].as_array_mut().unwrap().push(json!({"appId": DEPLOYER_APP,
        "lastSignInActivity": {"lastSignInDateTime": "2026-11-01T08:00:00Z", "lastSignInRequestId": "r1"}}));
    let throttled = fixture("error.429.json");
    add(
        "/beta/reports/servicePrincipalSignInActivities?$top=100",
        vec![
            Answer {
                status: 429,
                ..throttled
            }
            .header("Retry-After", "1"),
            Answer::json(sign_ins.to_string()),
        ],
    );
    add(
        &format!("/v1.0/servicePrincipals/{DEPLOYER_SP}/appRoleAssignments?$top=100"),
        vec![fixture("servicePrincipal.appRoleAssignments.list.json")],
    );
    add(
        "/v1.0/servicePrincipals/59e617e5-e447-4adc-8b88-00af644d7c92/appRoleAssignments?$top=100",
        vec![empty()],
    );
    // The scanner may not read the managed identity's assignments.
    let denied = fixture("error.403.json");
    add(
        "/v1.0/servicePrincipals/c0000000-0000-4000-8000-000000000002/appRoleAssignments?$top=100",
        vec![Answer {
            status: 403,
            ..denied
        }],
    );
    // Resources named by permissions: Microsoft Graph (its app roles), and others.
    for id in [GRAPH_SP, "fea94d6d-b5bf-44d2-a887-4f72a8d74f44"] {
        add(
            &format!("/v1.0/servicePrincipals/{id}?$select=id,appId,displayName,appRoles"),
            vec![fixture("servicePrincipal.graph.json")],
        );
    }
    for id in [
        "1804a6f8-e623-4520-8f40-ba1b0c11c42d",
        "943603e4-e787-4fe9-93d1-e30f749aae39",
    ] {
        add(
            &format!("/v1.0/servicePrincipals/{id}?$select=id,appId,displayName,appRoles"),
            vec![Answer::json(
                json!({"id": id, "displayName": "Office 365 Exchange Online", "appRoles": []})
                    .to_string(),
            )],
        );
    }
    for (n, app) in items.iter().enumerate() {
        let id = app["id"].as_str().unwrap();
        let (owners, federated) = match n {
            0 => (
                fixture("application.owners.list.json"),
                fixture("application.federatedIdentityCredentials.list.json"),
            ),
            // An answer of the wrong shape: an error, not "no federated credentials".
            1 => (empty(), Answer::json(r#"{"value": {"id": "x"}}"#)),
            _ => (empty(), empty()),
        };
        add(
            &format!("/v1.0/applications/{id}/owners?$top=100"),
            vec![owners],
        );
        add(
            &format!("/v1.0/applications/{id}/federatedIdentityCredentials?$top=100"),
            vec![federated],
        );
    }
    r
}

/// The identity platform's token endpoint: client credentials for the scanner's app.
fn token_endpoint() -> Provider {
    Provider::start(|seen, _| {
        let form = &seen.body;
        if seen.target == format!("/{TENANT}/oauth2/v2.0/token")
            && form.contains("grant_type=client_credentials")
            && form.contains(&format!("client_secret={CLIENT_SECRET}"))
            && form.contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
        {
            Reply::json(
                200,
                format!(
                    r#"{{"token_type": "Bearer", "expires_in": 3599, "access_token": "{TOKEN}"}}"#
                ),
            )
        } else {
            Reply::json(
                401,
                r#"{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}"#,
            )
        }
    })
}

fn azure_command(
    server: &ReplayServer,
    login: &Provider,
    dir: &std::path::Path,
    secret: &str,
) -> assert_cmd::Command {
    let mut cmd = nhiscan();
    cmd.env_remove("AZURE_FEDERATED_TOKEN_FILE")
        .env("PATH", "/nonexistent")
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", "scanner-app")
        .env("AZURE_CLIENT_SECRET", secret)
        .env("AZURE_AUTHORITY_HOST", &login.url)
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
        .current_dir(dir)
        .args([
            "scan",
            ".",
            "--azure",
            "--azure-graph-url",
            &server.url,
            "--format",
            "json",
        ]);
    cmd
}

#[test]
fn a_tenant_is_inventoried_with_owners_permissions_credentials_and_a_leak_joined_by_hint() {
    let server = ReplayServer::start(routes);
    let login = token_endpoint();
    let dir = tree(&[("deploy.env", format!("AZURE_CLIENT_SECRET={LEAKED}\n"))]);
    let (code, inv, stderr) = run_json(&mut azure_command(
        &server,
        &login,
        dir.path(),
        CLIENT_SECRET,
    ));
    assert_eq!(
        code, 1,
        "a leaked client secret is a deny finding: {stderr}"
    );
    assert!(!inv.to_string().contains(LEAKED) && !stderr.contains(LEAKED));
    assert!(!inv.to_string().contains(CLIENT_SECRET) && !stderr.contains(CLIENT_SECRET));
    assert_eq!(login.seen().len(), 1, "one token request");
    let source_id = "azure:default".to_string();
    let status = source(&inv, &source_id);
    assert_eq!(status["status"], "partial", "{stderr}");
    let errors = source_errors(&inv, &source_id);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e
            .contains("c0000000-0000-4000-8000-000000000002/appRoleAssignments")
            && e.contains("HTTP 403 Insufficient privileges")
            && e.contains("Application.Read.All")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e
            .contains("a0000000-0000-4000-8000-000000000002/federatedIdentityCredentials")
            && e.contains("an object where a list was expected")),
        "{errors:?}"
    );

    let app = identity(&inv, &format!("azure:client:{DEPLOYER_APP}"));
    assert_eq!(app["kind"], "application");
    assert_eq!(app["provider"], "azure");
    let privileges: Vec<&str> = app["privileges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for p in [
        "azure:graph:Directory.ReadWrite.All",
        "azure:graph:Application.ReadWrite.All",
        "azure:graph:delegated:Directory.ReadWrite.All",
    ] {
        assert!(privileges.contains(&p), "{p} in {privileges:?}");
    }
    assert!(
        finding_codes(&inv, &format!("azure:client:{DEPLOYER_APP}")).contains(&"overprivileged")
    );
    assert_eq!(
        app["owner"]["team"], "AdeleV@contoso.com",
        "{}",
        app["owner"]
    );
    assert_eq!(app["owner"]["source"], "directory");
    assert_eq!(app["owner"]["backup"], "payments-platform");
    assert_eq!(
        app["last_used_at"], "2026-11-01T08:00:00Z",
        "the sign-in report, after its 429"
    );
    assert!(
        app["third_parties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "oidc:token.actions.githubusercontent.com")
    );
    assert!(
        app["attributes"]["federated_subjects"]
            .as_str()
            .unwrap()
            .contains("repo:octo-org/octo-repo:environment:Production")
    );

    let secret_id =
        format!("azure:client:{DEPLOYER_APP}:secret:f0000000-0000-4000-8000-000000000001");
    let secret = identity(&inv, &secret_id);
    assert_eq!(secret["kind"], "client-secret");
    assert_eq!(secret["preview"], "pd7…");
    assert_eq!(secret["created_at"], "2025-02-01T10:15:00Z");
    assert_eq!(secret["expires_at"], "2026-08-01T10:15:00Z");
    assert_eq!(secret["owner"]["team"], "AdeleV@contoso.com");
    identity(
        &inv,
        &format!("azure:client:{DEPLOYER_APP}:certificate:f0000000-0000-4000-8000-000000000002"),
    );
    // The third application's page, the managed identity and the third-party application.
    identity(&inv, "azure:client:b0000000-0000-4000-8000-000000000003");
    assert_eq!(
        identity(&inv, "azure:client:b0000000-0000-4000-8000-000000000010")["kind"],
        "managed-identity"
    );
    let foreign = identity(&inv, "azure:client:65415bb1-9267-4313-bbf5-ae259732ee12");
    assert_eq!(foreign["third_parties"], json!(["azure-app:foo"]));

    // The leaked secret: its hint is the listed secret's and no other's, so they are linked
    // and the leak is owned through the application.
    let leaked = exposed_at(&inv, "deploy.env").expect("the leaked secret is found");
    assert!(
        leaked["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == &secret_id),
        "{leaked}"
    );
    assert_eq!(leaked["owner"]["team"], "AdeleV@contoso.com", "{leaked}");
    assert_eq!(
        status["api_calls"].as_u64().unwrap(),
        server.requests().len() as u64,
        "--stats counts every Graph request"
    );
}

#[test]
fn no_credentials_and_a_refused_secret_say_what_to_do() {
    let server = ReplayServer::start(routes);
    let login = token_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let (code, inv, _) = run_json(&mut azure_command(&server, &login, dir.path(), "wrong"));
    assert_eq!(code, 3);
    let error = source_errors(&inv, "azure:default")[0];
    assert!(
        error.contains("the token request was refused") && error.contains("AADSTS7000215"),
        "{error}"
    );
    let mut cmd = azure_command(&server, &login, dir.path(), "");
    cmd.env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_CLIENT_ID");
    let (code, inv, _) = run_json(&mut cmd);
    assert_eq!(code, 3);
    let error = source_errors(&inv, "azure:default")[0];
    assert!(
        error.starts_with("no Azure credentials: set AZURE_TENANT_ID"),
        "{error}"
    );
    assert!(
        server.requests().is_empty(),
        "no Graph call without a token"
    );
}
