//! `nhiscan scan --gitlab GROUP` against a local server replaying the example responses of
//! GitLab's REST API docs (fixtures/gitlab/), with what the examples lack added the way
//! GitLab documents it: Link-header pagination, a 403 `{"message": "403 Forbidden"}`, a 429
//! with Retry-After, a paid-tier 404 and an answer of the wrong shape. Clones go through
//! `git http-backend` with the token, as from gitlab.com.

mod common;

use base64::Engine;
use common::github::{Answer, GithubServer as ReplayServer, TOKEN};
use common::providers::{Provider, Reply};
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;

const FIXTURES: &str = "gitlab";
// Synthetic tokens in their providers' documented formats (as in the planted fixture).
const GITLAB_PAT: &str = "glpat-qNq_3QDEdOy8Du2QCMRS";
const HF_TOKEN: &str = "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";
/// GitLab's own example trigger token (pipeline_triggers.list.json): never in any output.
const TRIGGER_TOKEN: &str = "6d056f63e50fe6f8c5f8f4aa10edb7";

fn fixture(name: &str) -> Answer {
    Answer::fixture_in(FIXTURES, name)
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name).body).unwrap()
}

fn codeowners(text: &str) -> Answer {
    let mut file = fixture_json("repository_files.get.json");
    file["file_path"] = ".gitlab/CODEOWNERS".into();
    file["content"] = base64::engine::general_purpose::STANDARD
        .encode(text)
        .into();
    Answer::json(file.to_string())
}

/// Group `acme` with subgroup `acme/platform`; projects `acme/web` (page 1) and
/// `acme/platform/api` (page 2). `url` is the server's own address.
fn routes(url: &str) -> HashMap<String, Vec<Answer>> {
    let mut r: HashMap<String, Vec<Answer>> = HashMap::new();
    let mut add = |path: &str, answers: Vec<Answer>| {
        r.insert(path.to_string(), answers);
    };
    let empty = || Answer::json("[]");
    let mut group = fixture_json("groups.get.json");
    group["full_path"] = "acme".into();
    add("/api/v4/groups/acme", vec![Answer::json(group.to_string())]);
    let mut sub = group.clone();
    sub["id"] = 5.into();
    sub["full_path"] = "acme/platform".into();
    add(
        "/api/v4/groups/acme/descendant_groups",
        vec![Answer::json(json!([sub]).to_string())],
    );
    let mut web = fixture_json("groups.list-projects.json")[0].clone();
    web["path_with_namespace"] = "acme/web".into();
    web["http_url_to_repo"] = format!("{url}/git/acme/web.git").into();
    let mut api = web.clone();
    api["id"] = 10.into();
    api["path_with_namespace"] = "acme/platform/api".into();
    api["http_url_to_repo"] = format!("{url}/git/acme/platform/api.git").into();
    let projects = "/api/v4/groups/acme/projects?include_subgroups=true&with_shared=false";
    add(
        projects,
        vec![Answer::json(json!([web]).to_string()).header(
            "Link",
            &format!(
                "<{url}{projects}&page=2>; rel=\"next\", <{url}{projects}&page=2>; rel=\"last\""
            ),
        )],
    );
    add(
        &format!("{projects}&page=2"),
        vec![Answer::json(json!([api]).to_string())],
    );

    // The top group: every list from the docs; runners after one 429.
    let g = "/api/v4/groups/acme";
    let mut tokens = fixture_json("group_access_tokens.list.json");
    tokens[1]["user_id"] = 151.into();
    add(
        &format!("{g}/access_tokens"),
        vec![Answer::json(tokens.to_string())],
    );
    add(
        &format!("{g}/deploy_tokens"),
        vec![fixture("deploy_tokens.list-group.json")],
    );
    add(
        &format!("{g}/variables"),
        vec![fixture("group_level_variables.list.json")],
    );
    add(
        &format!("{g}/hooks"),
        vec![fixture("group_webhooks.list.json")],
    );
    add(
        &format!("{g}/runners?type=group_type"),
        vec![
            Answer {
                status: 429,
                body: "Retry later".into(),
                headers: Vec::new(),
            }
            .header("Retry-After", "1")
            .header("RateLimit-Remaining", "0"),
            fixture("runners.list-group.json"),
        ],
    );
    // The subgroup: the token's user is not an Owner there; Free tier, so no webhooks.
    let s = "/api/v4/groups/acme%2Fplatform";
    add(
        &format!("{s}/access_tokens"),
        vec![Answer::gitlab_error(403, "403 Forbidden")],
    );
    add(&format!("{s}/deploy_tokens"), vec![empty()]);
    add(&format!("{s}/variables"), vec![empty()]);
    add(
        &format!("{s}/hooks"),
        vec![Answer::gitlab_error(404, "404 Not found")],
    );
    add(&format!("{s}/runners?type=group_type"), vec![empty()]);

    // acme/web (id 9): the docs' examples, and CODEOWNERS in .gitlab/ only.
    let p = "/api/v4/projects/9";
    // Every access token has a bot user of its own; the docs' examples share one.
    let mut tokens = fixture_json("project_access_tokens.list.json");
    tokens[0]["user_id"] = 161.into();
    tokens[1]["user_id"] = 171.into();
    add(
        &format!("{p}/access_tokens"),
        vec![Answer::json(tokens.to_string())],
    );
    add(
        &format!("{p}/deploy_tokens"),
        vec![fixture("deploy_tokens.list-project.json")],
    );
    add(
        &format!("{p}/deploy_keys"),
        vec![fixture("deploy_keys.list-project.json")],
    );
    add(
        &format!("{p}/variables"),
        vec![Answer::json(
            json!([{"key": "DEPLOY_TOKEN", "variable_type": "env_var", "value": GITLAB_PAT,
                "protected": true, "masked": true, "hidden": false, "raw": false,
                "environment_scope": "production", "description": null}])
            .to_string(),
        )],
    );
    add(
        &format!("{p}/triggers"),
        vec![fixture("pipeline_triggers.list.json")],
    );
    add(
        &format!("{p}/hooks"),
        vec![fixture("project_webhooks.list.json")],
    );
    add(
        &format!("{p}/repository/files/CODEOWNERS?ref=main"),
        vec![Answer::gitlab_error(404, "404 File Not Found")],
    );
    add(
        &format!("{p}/repository/files/docs%2FCODEOWNERS?ref=main"),
        vec![Answer::gitlab_error(404, "404 File Not Found")],
    );
    add(
        &format!("{p}/repository/files/.gitlab%2FCODEOWNERS?ref=main"),
        vec![codeowners("# owners\n* @acme/web-team @acme/sre\n")],
    );
    // acme/platform/api (id 10): empty lists, and deploy keys of the wrong shape.
    let p = "/api/v4/projects/10";
    for list in [
        "access_tokens",
        "deploy_tokens",
        "variables",
        "triggers",
        "hooks",
    ] {
        add(&format!("{p}/{list}"), vec![empty()]);
    }
    add(
        &format!("{p}/deploy_keys"),
        vec![Answer::json(r#"{"id": 1, "title": "one key"}"#)],
    );
    for file in ["CODEOWNERS", "docs%2FCODEOWNERS", ".gitlab%2FCODEOWNERS"] {
        add(
            &format!("{p}/repository/files/{file}?ref=main"),
            vec![Answer::gitlab_error(404, "404 File Not Found")],
        );
    }
    r
}

fn gitlab_scan(server: &ReplayServer, token: Option<&str>, extra: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = nhiscan();
    cmd.env_remove("GITLAB_TOKEN");
    if let Some(t) = token {
        cmd.env("GITLAB_TOKEN", t);
    }
    cmd.current_dir(dir.path())
        .args([
            "scan",
            "--gitlab",
            "acme",
            "--gitlab-url",
            &server.url,
            "--format",
            "json",
        ])
        .args(extra);
    let (code, inv, stderr) = run_json(&mut cmd);
    for value in [GITLAB_PAT, HF_TOKEN, TRIGGER_TOKEN, "TEST_1"] {
        assert!(!inv.to_string().contains(value), "{value} in the report");
        assert!(!stderr.contains(value), "{value} on stderr");
    }
    (code, inv, stderr)
}

#[test]
fn a_group_is_inventoried_across_subgroups_pages_limits_and_denials() {
    let server = ReplayServer::start(routes);
    let (code, inv, stderr) = gitlab_scan(&server, Some(TOKEN), &[]);
    assert_eq!(
        code, 3,
        "a denied list makes the inventory incomplete: {stderr}"
    );
    assert_eq!(inv["scope"]["gitlab"], json!(["acme"]));
    let status = source(&inv, "gitlab:acme");
    assert_eq!(status["status"], "partial");
    let errors = source_errors(&inv, "gitlab:acme");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e
            .starts_with("/groups/acme%2Fplatform/access_tokens: HTTP 403 403 Forbidden")
            && e.contains("Owner role")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/projects/10/deploy_keys")
                && e.contains("an object where a list was expected")),
        "{errors:?}"
    );

    // Group access tokens: scopes and role as privileges, the date-only expiry, revocation.
    let token = identity(&inv, "gitlab:acme:group-access-token:42");
    assert_eq!(token["kind"], "token");
    assert_eq!(token["provider"], "gitlab");
    assert_eq!(
        token["privileges"],
        json!(["gitlab:api", "gitlab:role:maintainer"])
    );
    assert_eq!(token["expires_at"], "2021-01-31T00:00:00Z");
    assert_eq!(token["created_at"], "2021-01-20T22:11:48.151Z");
    assert!(finding_codes(&inv, "gitlab:acme:group-access-token:42").contains(&"overprivileged"));
    let revoked = identity(&inv, "gitlab:acme:group-access-token:43");
    assert_eq!(revoked["attributes"]["revoked"], "true");
    assert_ne!(revoked["status"], "active");
    assert_eq!(revoked["last_used_at"], "2021-02-13T10:34:57.178Z");
    let deploy = identity(&inv, "gitlab:acme:group-deploy-token:1");
    assert_eq!(
        deploy["privileges"],
        json!(["gitlab:read_registry", "gitlab:read_repository"])
    );
    assert_eq!(deploy["expires_at"], "2020-02-14T00:00:00Z");
    // Variables: names and settings, never values.
    let var = identity(&inv, "gitlab:acme:variable:TEST_VARIABLE_1@*");
    assert_eq!(var["kind"], "ci-secret");
    assert_eq!(var["attributes"]["masked"], "false");
    let var = identity(&inv, "gitlab:acme/web:variable:DEPLOY_TOKEN@production");
    assert_eq!(var["attributes"]["protected"], "true");
    // Runners: read after the 429 was waited out.
    let runner = identity(&inv, "gitlab:runner:8");
    assert_eq!(runner["attributes"]["runner_type"], "group_type");
    assert_eq!(
        server.hits("/api/v4/groups/acme/runners?type=group_type"),
        2,
        "retried once"
    );
    identity(&inv, "gitlab:acme:webhook:1");

    // acme/web: owner from .gitlab/CODEOWNERS for every credential of the project.
    let key = identity(&inv, "gitlab:acme/web:deploy-key:1");
    assert_eq!(key["kind"], "deploy-key");
    assert_eq!(key["privileges"], json!(["repo:read"]));
    assert_eq!(key["owner"]["team"], "@acme/web-team");
    assert_eq!(key["owner"]["backup"], "@acme/sre");
    assert_eq!(key["owner"]["source"], "codeowners");
    assert!(
        key["owner"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("acme/web:.gitlab/CODEOWNERS:2"),
        "{}",
        key["owner"]
    );
    let trigger = identity(&inv, "gitlab:acme/web:trigger:10");
    assert_eq!(trigger["name"], "my trigger");
    assert_eq!(trigger["owner"]["team"], "@acme/web-team");
    let hook = identity(&inv, "gitlab:acme/web:webhook:1");
    assert_eq!(hook["attributes"]["target_host"], "example.com");
    assert!(finding_codes(&inv, "gitlab:acme/web:webhook:1").contains(&"third-party-access"));
    identity(&inv, "gitlab:acme/web:project-access-token:42");
    identity(&inv, "gitlab:acme/web:project-deploy-token:1");

    assert_eq!(
        status["api_calls"].as_u64().unwrap(),
        server.requests().len() as u64,
        "--stats counts every request"
    );
    assert!(
        server.requests().iter().all(|r| r.starts_with("/api/v4/")),
        "{:?}",
        server.requests()
    );
}

#[test]
fn a_bad_token_a_missing_one_and_a_server_that_is_not_gitlab_fail_with_what_to_do() {
    let server = ReplayServer::start(routes);
    let (code, inv, _) = gitlab_scan(&server, Some("wrong-token"), &[]);
    assert_eq!(code, 3);
    let error = source_errors(&inv, "gitlab:acme")[0];
    assert!(
        error.starts_with("cannot read group acme: /groups/acme: HTTP 401")
            && error.contains("check the group's full path"),
        "{error}"
    );
    let (code, inv, _) = gitlab_scan(&server, None, &[]);
    assert_eq!(code, 3);
    let error = source_errors(&inv, "gitlab:acme")[0];
    assert!(
        error.starts_with("no GitLab token: set GITLAB_TOKEN"),
        "{error}"
    );
    // A server answering the group with something else: an error, not an empty inventory.
    let odd = ReplayServer::start(|_| {
        HashMap::from([("/api/v4/groups/acme".to_string(), vec![Answer::json("[]")])])
    });
    let (code, inv, _) = gitlab_scan(&odd, Some(TOKEN), &[]);
    assert_eq!(code, 3);
    let error = source_errors(&inv, "gitlab:acme")[0];
    assert!(error.contains("unexpected answer"), "{error}");
}

/// acme/web as a bare repository under `root/served/acme/web.git`, with a Hugging Face
/// token in its history.
fn serve_web(root: &std::path::Path) {
    let repo = common::git::Repo::new(&root.join("work"), "web");
    repo.write("config/hf.env", &format!("HF_TOKEN={HF_TOKEN}\n"));
    repo.commit("add config", "2025-02-01T10:00:00Z", "Dev One");
    let dest = root.join("served/acme/web.git");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    repo.git_in(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            repo.dir.to_str().unwrap(),
            dest.to_str().unwrap(),
        ],
        "2025-03-01T10:00:00Z",
        "Dev One",
    );
}

#[test]
fn variable_values_and_cloned_history_are_scanned_only_when_asked() {
    let root = tempfile::tempdir().unwrap();
    serve_web(root.path());
    let server =
        ReplayServer::start_with_git_user(routes, Some(root.path().join("served")), "oauth2");
    let exposed = |inv: &Value, path: &str| exposed_at(inv, path).is_some();
    let variable_path = "gitlab:acme/acme/web/variables@production/DEPLOY_TOKEN";
    let (_, inv, _) = gitlab_scan(&server, Some(TOKEN), &[]);
    assert!(
        !exposed(&inv, variable_path),
        "values are not read unless asked"
    );
    assert!(server.git_requests().is_empty(), "no clone unless asked");

    let (code, inv, stderr) = gitlab_scan(
        &server,
        Some(TOKEN),
        &["--gitlab-variables", "--gitlab-clone"],
    );
    assert_eq!(code, 1, "leaked secrets are deny findings: {stderr}");
    assert!(
        exposed(&inv, variable_path),
        "the variable's GitLab token is found"
    );
    assert!(
        exposed(&inv, "acme/web:config/hf.env"),
        "history of the cloned project"
    );
    assert_eq!(source(&inv, "git:acme/web")["status"], "ok", "{stderr}");
    // The second project has no repository served: its clone fails and says so.
    assert!(
        source_errors(&inv, "gitlab:acme")
            .iter()
            .any(|e| e.starts_with("cannot clone acme/platform/api: git exited with 128")),
        "{stderr}"
    );
    assert!(
        server
            .git_requests()
            .iter()
            .all(|(_, authorized)| *authorized)
    );
}

#[test]
fn a_leaked_token_validated_as_a_listed_access_tokens_bot_user_is_joined_to_it() {
    let server = ReplayServer::start(routes);
    // GitLab's token self-lookup (personal_access_tokens.self.json), for the leaked token
    // only: it acts as bot user 161, the one acme/web's project access token 42 has.
    let lookup = Provider::start(|seen, _| {
        if seen.header("private-token") == Some(GITLAB_PAT) {
            let mut me = fixture_json("personal_access_tokens.self.json");
            me["user_id"] = 161.into();
            me["active"] = true.into();
            me["revoked"] = false.into();
            Reply::json(200, me.to_string())
        } else {
            Reply::json(401, r#"{"message": "401 Unauthorized"}"#)
        }
    });
    let dir = common::tree(&[("deploy.env", format!("GITLAB_TOKEN={GITLAB_PAT}\n"))]);
    let mut cmd = nhiscan();
    cmd.env("GITLAB_TOKEN", TOKEN)
        .env(
            "NHISCAN_VALIDATE_ENDPOINTS",
            format!("gitlab={}", lookup.url),
        )
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .current_dir(dir.path())
        .args(["scan", ".", "--gitlab", "acme", "--gitlab-url", &server.url])
        .args(["--validate", "--format", "json"]);
    let (code, inv, stderr) = run_json(&mut cmd);
    assert_eq!(code, 1, "a live leaked token is a deny finding: {stderr}");
    assert!(!inv.to_string().contains(GITLAB_PAT));
    let leaked = exposed_at(&inv, "deploy.env").expect("the leaked token is in the inventory");
    assert_eq!(
        leaked["validation"]["status"], "active",
        "{}",
        leaked["validation"]
    );
    assert_eq!(leaked["validation"]["account"], "161");
    assert!(
        leaked["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "gitlab:acme/web:project-access-token:42"),
        "{leaked}"
    );
    // It takes the project's owner, through the token it is.
    assert_eq!(
        leaked["owner"]["team"], "@acme/web-team",
        "{}",
        leaked["owner"]
    );
    let listed = identity(&inv, "gitlab:acme/web:project-access-token:42");
    assert!(
        listed["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == &leaked["id"])
    );
}
