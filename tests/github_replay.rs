//! `nhiscan scan --github ORG` against a local server replaying GitHub's published example
//! responses (fixtures/github/), with pagination, a 403, a secondary rate limit and a 404.

mod common;

use base64::Engine;
use common::github::{Answer, GithubServer};
use common::*;
use serde_json::Value;
use std::collections::HashMap;

const ORG: &str = "octo-org";

fn page(answer: Answer, server: &str, next: &str) -> Answer {
    answer.header("Link", &format!("<{server}{next}>; rel=\"next\""))
}

fn deploy_key(id: u64, read_only: bool) -> Value {
    serde_json::json!({"id": id, "key": "ssh-ed25519 AAAA-synthetic", "title": format!("deploy-{id}"),
        "verified": true, "created_at": "2025-01-10T15:53:42Z", "read_only": read_only,
        "added_by": "release-bot", "last_used": "2026-11-01T09:00:00Z", "enabled": true})
}

/// Both repositories' routes; `url` is the server's own address for Link headers.
fn routes(url: &str) -> HashMap<String, Vec<Answer>> {
    let mut r: HashMap<String, Vec<Answer>> = HashMap::new();
    let mut add = |path: &str, answers: Vec<Answer>| {
        r.insert(path.to_string(), answers);
    };
    let empty_secrets = || Answer::json(r#"{"total_count": 0, "secrets": []}"#);
    add("/orgs/octo-org", vec![Answer::fixture("orgs.get.json")]);
    // Repositories over two pages: Hello-World (fixture), then Spoon-Knife.
    let mut second: Value =
        serde_json::from_str(&Answer::fixture("repos.list-for-org.json").body).unwrap();
    second[0]["id"] = 1300000.into();
    second[0]["name"] = "Spoon-Knife".into();
    second[0]["full_name"] = "octo-org/Spoon-Knife".into();
    add(
        "/orgs/octo-org/repos",
        vec![page(
            Answer::fixture("repos.list-for-org.json"),
            url,
            "/orgs/octo-org/repos?page=2",
        )],
    );
    add(
        "/orgs/octo-org/repos?page=2",
        vec![Answer::json(second.to_string())],
    );
    add(
        "/orgs/octo-org/hooks",
        vec![Answer::fixture("orgs.list-webhooks.json")],
    );
    add(
        "/orgs/octo-org/installations",
        vec![Answer::fixture("orgs.list-app-installations.json")],
    );
    add(
        "/orgs/octo-org/actions/secrets",
        vec![Answer::fixture("actions.list-org-secrets.json")],
    );
    add(
        "/orgs/octo-org/dependabot/secrets",
        vec![Answer::fixture("dependabot.list-org-secrets.json")],
    );
    add(
        "/orgs/octo-org/codespaces/secrets",
        vec![Answer::fixture("codespaces.list-org-secrets.json")],
    );
    // The token cannot read fine-grained PAT grants (a classic token, as GitHub answers it).
    let denied = Answer::error(403, "Resource not accessible by personal access token");
    add(
        "/orgs/octo-org/personal-access-tokens",
        vec![denied.clone()],
    );
    add(
        "/orgs/octo-org/personal-access-token-requests",
        vec![denied],
    );
    // Not in the OpenAPI examples: built from the REST docs' field list, synthetic values.
    add(
        "/orgs/octo-org/credential-authorizations",
        vec![Answer::json(
            r#"[{"login": "ci-robot", "credential_id": 161195, "credential_type": "personal access token",
            "token_last_eight": "71c3fc11", "credential_authorized_at": "2025-03-01T10:00:00Z",
            "credential_accessed_at": "2026-11-20T08:00:00Z", "authorized_credential_expires_at": null,
            "scopes": ["repo"]}]"#,
        )],
    );
    add(
        "/orgs/octo-org/actions/oidc/customization/sub",
        vec![Answer::fixture(
            "oidc.get-oidc-custom-sub-template-for-org.json",
        )],
    );
    add(
        "/orgs/octo-org/properties/values",
        vec![Answer::fixture(
            "orgs.custom-properties-for-repos-get-organization-values.json",
        )],
    );

    // Hello-World: deploy keys over three pages; a secondary rate limit before its secrets.
    let hw = "/repos/octocat/Hello-World";
    let keys = |ids: &[(u64, bool)]| {
        Answer::json(
            Value::from(
                ids.iter()
                    .map(|&(i, ro)| deploy_key(i, ro))
                    .collect::<Vec<_>>(),
            )
            .to_string(),
        )
    };
    add(
        &format!("{hw}/keys"),
        vec![page(keys(&[(1, true)]), url, &format!("{hw}/keys?page=2"))],
    );
    add(
        &format!("{hw}/keys?page=2"),
        vec![page(keys(&[(2, false)]), url, &format!("{hw}/keys?page=3"))],
    );
    add(&format!("{hw}/keys?page=3"), vec![keys(&[(3, true)])]);
    add(
        &format!("{hw}/hooks"),
        vec![Answer::fixture("repos.list-webhooks.json")],
    );
    add(
        &format!("{hw}/actions/secrets"),
        vec![
            Answer::error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
                .header("Retry-After", "1"),
            Answer::fixture("actions.list-repo-secrets.json"),
        ],
    );
    add(
        &format!("{hw}/dependabot/secrets"),
        vec![Answer::fixture("dependabot.list-repo-secrets.json")],
    );
    add(
        &format!("{hw}/codespaces/secrets"),
        vec![Answer::fixture("codespaces.list-repo-secrets.json")],
    );
    add(
        &format!("{hw}/environments"),
        vec![Answer::fixture("repos.get-all-environments.json")],
    );
    add(
        &format!("{hw}/environments/staging/secrets"),
        vec![Answer::fixture("actions.list-environment-secrets.json")],
    );

    add(
        &format!("{hw}/actions/oidc/customization/sub"),
        vec![Answer::fixture(
            "actions.get-custom-oidc-sub-claim-for-repo.json",
        )],
    );
    // Spoon-Knife: no environments (404), owner from CODEOWNERS.
    let sk = "/repos/octo-org/Spoon-Knife";
    add(&format!("{sk}/keys"), vec![Answer::json("[]")]);
    add(&format!("{sk}/hooks"), vec![Answer::json("[]")]);
    add(
        &format!("{sk}/actions/secrets"),
        vec![Answer::fixture("actions.list-repo-secrets.json")],
    );
    add(&format!("{sk}/dependabot/secrets"), vec![empty_secrets()]);
    add(&format!("{sk}/codespaces/secrets"), vec![empty_secrets()]);
    let mut file: Value = serde_json::from_str(
        &Answer::fixture("repos.get-content.response-if-content-is-a-file.json").body,
    )
    .unwrap();
    let codeowners =
        "# owners\n*       @octo-org/platform @octo-org/sre\n/docs/ @octo-org/writers\n";
    file["content"] = base64::engine::general_purpose::STANDARD
        .encode(codeowners)
        .into();
    file["path"] = ".github/CODEOWNERS".into();
    add(
        &format!("{sk}/contents/.github/CODEOWNERS"),
        vec![Answer::json(file.to_string())],
    );
    add(
        &format!("{sk}/teams"),
        vec![Answer::fixture("repos.list-teams.json")],
    );
    r
}

fn scan_github(server: &GithubServer, token: Option<&str>) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = nhiscan();
    cmd.env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("PATH", "/nonexistent");
    if let Some(t) = token {
        cmd.env("GITHUB_TOKEN", t);
    }
    run_json(cmd.current_dir(dir.path()).args([
        "scan",
        "--github",
        ORG,
        "--github-url",
        &server.url,
        "--format",
        "json",
    ]))
}

#[test]
fn an_organisation_is_inventoried_across_pages_limits_and_denials() {
    let server = GithubServer::start(routes);
    let (code, inv, stderr) = scan_github(&server, Some("test-token"));
    assert_eq!(
        code, 3,
        "PAT grants were denied, so the inventory is incomplete: {stderr}"
    );
    let source = &inv["sources"][0];
    assert_eq!(source["id"], "github:octo-org");
    assert_eq!(source["status"], "partial");
    let errors: Vec<&str> = source["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("/orgs/octo-org/personal-access-tokens"),
        "{errors:?}"
    );
    assert!(errors[0].contains("HTTP 403 Resource not accessible by personal access token"));
    assert!(errors[0].contains("'Personal access tokens' read"));
    assert!(
        source["warnings"][0]
            .as_str()
            .unwrap()
            .contains("OIDC subject template of octo-org")
    );
    assert_eq!(inv["scope"]["github"], serde_json::json!(["octo-org"]));

    // Deploy keys from three pages.
    for (id, write) in [(1, false), (2, true), (3, false)] {
        let key = identity(&inv, &format!("github:octocat/Hello-World:deploy-key:{id}"));
        assert_eq!(key["kind"], "deploy-key");
        assert_eq!(key["created_at"], "2025-01-10T15:53:42Z");
        assert_eq!(key["last_used_at"], "2026-11-01T09:00:00Z");
        assert_eq!(
            key["privileges"][0],
            if write { "repo:write" } else { "repo:read" }
        );
        // Hello-World's custom property `team` names the owner.
        assert_eq!(key["owner"]["team"], "octocat");
        assert_eq!(key["owner"]["source"], "tag");
    }
    // The secondary rate limit was waited out: the repository's Actions secrets are there.
    let secret = identity(&inv, "github:octocat/Hello-World:actions-secret:GH_TOKEN");
    assert_eq!(secret["kind"], "ci-secret");
    assert_eq!(secret["rotated_at"], "2020-01-10T14:59:22Z");
    assert!(
        finding_codes(&inv, "github:octocat/Hello-World:actions-secret:GH_TOKEN")
            .contains(&"rotation-overdue")
    );
    let hits = server
        .requests()
        .iter()
        .filter(|r| r.as_str() == "/repos/octocat/Hello-World/actions/secrets")
        .count();
    assert_eq!(hits, 2, "retried once after Retry-After");
    // Environment secrets of Hello-World; Spoon-Knife's 404 environments are no error.
    identity(
        &inv,
        "github:octocat/Hello-World@staging:environment-secret:GH_TOKEN",
    );
    // Webhooks and Apps are third parties.
    let hook = identity(&inv, "github:octocat/Hello-World:webhook:12345678");
    assert_eq!(hook["attributes"]["target_host"], "example.com");
    assert_eq!(hook["attributes"]["secret_set"], "false");
    assert!(
        finding_codes(&inv, "github:octocat/Hello-World:webhook:12345678")
            .contains(&"third-party-access")
    );
    let app = identity(&inv, "github:octo-org:installation:25381");
    assert_eq!(app["kind"], "app-installation");
    assert_eq!(app["name"], "github-actions");
    assert_eq!(
        app["third_parties"],
        serde_json::json!(["github-app:github-actions"])
    );
    assert!(
        app["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "github:deployments:write")
    );
    assert!(
        finding_codes(&inv, "github:octo-org:installation:25381").contains(&"third-party-access")
    );
    let sso = identity(&inv, "github:octo-org:sso-credential:161195");
    assert_eq!(sso["preview"], "…71c3fc11");
    assert_eq!(sso["owner"]["team"], "ci-robot");
    assert!(finding_codes(&inv, "github:octo-org:sso-credential:161195").contains(&"long-lived"));
    // Org secrets with visibility.
    let org_secret = identity(&inv, "github:octo-org:actions-secret:DEPLOY_TOKEN");
    assert_eq!(org_secret["attributes"]["visibility"], "all");
    // Spoon-Knife: owner from CODEOWNERS (the `*` rule), backup the second owner.
    let sk = identity(&inv, "github:octo-org/Spoon-Knife:actions-secret:GH_TOKEN");
    assert_eq!(sk["owner"]["team"], "@octo-org/platform");
    assert_eq!(sk["owner"]["backup"], "@octo-org/sre");
    assert_eq!(sk["owner"]["source"], "codeowners");
    assert!(
        sk["owner"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("octo-org/Spoon-Knife:.github/CODEOWNERS:2")
    );
    assert_eq!(
        api_calls(&inv),
        server.requests().len() as u64,
        "--stats counts every request"
    );
}

fn api_calls(inv: &Value) -> u64 {
    inv["sources"][0]["api_calls"].as_u64().unwrap()
}

#[test]
fn a_bad_token_or_none_fails_the_source_with_what_to_do() {
    let server = GithubServer::start(routes);
    let (code, inv, _) = scan_github(&server, Some("wrong-token"));
    assert_eq!(code, 3);
    let error = inv["sources"][0]["errors"][0].as_str().unwrap();
    assert!(
        error.starts_with(
            "cannot read organisation octo-org: /orgs/octo-org: HTTP 401 Bad credentials"
        ),
        "{error}"
    );
    let (code, inv, _) = scan_github(&server, None);
    assert_eq!(code, 3);
    let error = inv["sources"][0]["errors"][0].as_str().unwrap();
    assert!(
        error.starts_with("no GitHub token: set GITHUB_TOKEN"),
        "{error}"
    );
}
