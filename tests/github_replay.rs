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
    // Their clone URLs point at this server, as github.com's point at github.com.
    let mut first: Value =
        serde_json::from_str(&Answer::fixture("repos.list-for-org.json").body).unwrap();
    first[0]["clone_url"] = format!("{url}/git/octocat/Hello-World.git").into();
    let mut second = first.clone();
    second[0]["id"] = 1300000.into();
    second[0]["name"] = "Spoon-Knife".into();
    second[0]["full_name"] = "octo-org/Spoon-Knife".into();
    second[0]["clone_url"] = format!("{url}/git/octo-org/Spoon-Knife.git").into();
    add(
        "/orgs/octo-org/repos",
        vec![page(
            Answer::json(first.to_string()),
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
    // Org secrets shared with selected repositories (GitHub's examples: GH_TOKEN).
    for store in ["actions", "dependabot"] {
        add(
            &format!("/orgs/octo-org/{store}/secrets/GH_TOKEN/repositories"),
            vec![Answer::json(
                serde_json::json!({"total_count": 1, "repositories": [first[0].clone()]})
                    .to_string(),
            )],
        );
    }
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
    // The primary rate limit runs out on Spoon-Knife's webhooks and resets in a second:
    // the collector waits for the reset instead of giving up.
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    add(
        &format!("{sk}/hooks"),
        vec![
            Answer::error(403, "API rate limit exceeded for user ID 1.")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", &reset.to_string()),
            Answer::json("[]"),
        ],
    );
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

/// The same organisation, with a token that may read fine-grained PAT grants and requests.
fn routes_with_pat_grants(url: &str) -> HashMap<String, Vec<Answer>> {
    let mut r = routes(url);
    r.insert(
        "/orgs/octo-org/personal-access-tokens".into(),
        vec![Answer::fixture("orgs.list-pat-grants.json")],
    );
    r.insert(
        "/orgs/octo-org/personal-access-token-requests".into(),
        vec![Answer::fixture("orgs.list-pat-grant-requests.json")],
    );
    r
}

fn scan_github(server: &GithubServer, token: Option<&str>) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = nhiscan();
    // No `gh` on PATH, so only the variables can supply a token.
    cmd.env("PATH", "/nonexistent");
    github_command(&mut cmd, server, token, dir.path());
    run_json(&mut cmd)
}

fn github_command(
    cmd: &mut assert_cmd::Command,
    server: &GithubServer,
    token: Option<&str>,
    dir: &std::path::Path,
) {
    cmd.env_remove("GITHUB_TOKEN").env_remove("GH_TOKEN");
    if let Some(t) = token {
        cmd.env("GITHUB_TOKEN", t);
    }
    cmd.current_dir(dir).args([
        "scan",
        "--github",
        ORG,
        "--github-url",
        &server.url,
        "--format",
        "json",
    ]);
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
    let errors = source_errors(&inv, "github:octo-org");
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
    assert_eq!(
        server.hits("/repos/octocat/Hello-World/actions/secrets"),
        2,
        "retried once after Retry-After"
    );
    assert_eq!(
        server.hits("/repos/octo-org/Spoon-Knife/hooks"),
        2,
        "retried once the primary limit reset (and not an error: only the two PAT errors)"
    );
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
    let shared = identity(&inv, "github:octo-org:actions-secret:GH_TOKEN");
    assert_eq!(shared["attributes"]["visibility"], "selected");
    assert_eq!(
        shared["attributes"]["selected_repositories"],
        "octocat/Hello-World"
    );
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

// Synthetic tokens in their providers' formats (the planted fixture's values).
const GITLAB_TOKEN: &str = "glpat-qNq_3QDEdOy8Du2QCMRS";
const HF_TOKEN: &str = "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";
const SLACK_TOKEN: &str = "xoxb-897627113486-0469624207057-ZPAt8y9KwRhEgEMV6IXzhroF";

/// Bare repositories under `root` as the server serves them: Hello-World has a GitLab
/// token at HEAD and a Hugging Face token removed in a later commit; Spoon-Knife (unless
/// `with_spoon_knife` is false) a Slack token. Returns (Hello-World's first, second commit).
fn served_repositories(root: &std::path::Path, with_spoon_knife: bool) -> (String, String) {
    let work = root.join("work");
    let hw = common::git::Repo::new(&work, "hello");
    hw.write(
        "config/deploy.env",
        &format!("GITLAB_TOKEN={GITLAB_TOKEN}\n"),
    );
    hw.write("old/hf.env", &format!("HF_TOKEN={HF_TOKEN}\n"));
    let first = hw.commit("add deploy config", "2025-02-01T10:00:00Z", "Dev One");
    std::fs::remove_file(hw.dir.join("old/hf.env")).unwrap();
    let second = hw.commit("drop the old token", "2025-03-01T10:00:00Z", "Dev One");
    let served = root.join("served");
    let bare = |from: &std::path::Path, to: &str| {
        let dest = served.join(to);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        hw.git_in(
            root,
            &[
                "clone",
                "-q",
                "--bare",
                from.to_str().unwrap(),
                dest.to_str().unwrap(),
            ],
            "2025-03-01T10:00:00Z",
            "Dev One",
        );
    };
    bare(&hw.dir, "octocat/Hello-World.git");
    if with_spoon_knife {
        let sk = common::git::Repo::new(&work, "spoon");
        sk.write("src/notify.py", &format!("SLACK = \"{SLACK_TOKEN}\"\n"));
        sk.commit("notify", "2025-04-01T10:00:00Z", "Dev Two");
        bare(&sk.dir, "octo-org/Spoon-Knife.git");
    }
    (first, second)
}

/// `scan --github octo-org --github-clone[=depth]` against a server with git repositories;
/// clones go to `tmp` (TMPDIR), so the test can see they are removed.
fn scan_with_clones(
    server: &GithubServer,
    depth: &str,
    tmp: &std::path::Path,
    extra: &[&str],
) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = nhiscan();
    github_command(&mut cmd, server, Some("test-token"), dir.path());
    cmd.arg(format!("--github-clone={depth}"))
        .args(extra)
        .env("TMPDIR", tmp);
    let (code, inv, stderr) = run_json(&mut cmd);
    for secret in [GITLAB_TOKEN, HF_TOKEN, SLACK_TOKEN] {
        assert!(
            !inv.to_string().contains(secret),
            "a secret value in the report"
        );
        assert!(!stderr.contains(secret), "a secret value on stderr");
    }
    (code, inv, stderr)
}

fn finding_at<'a>(inv: &'a Value, code: &str, path: &str) -> &'a Value {
    inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["path"] == path)
        .unwrap_or_else(|| panic!("no {code} at {path}: {}", inv["findings"]))
}

#[test]
fn cloned_repositories_put_their_leaked_secrets_in_the_same_inventory() {
    let root = tempfile::tempdir().unwrap();
    let (first, second) = served_repositories(root.path(), true);
    let server =
        GithubServer::start_with_git(routes_with_pat_grants, Some(root.path().join("served")));
    let tmp = tempfile::tempdir().unwrap();
    let (code, inv, stderr) = scan_with_clones(&server, "full", tmp.path(), &[]);
    assert_eq!(code, 1, "secrets at HEAD are deny-level leaks: {stderr}");
    assert_eq!(source(&inv, "github:octo-org")["status"], "ok", "{stderr}");
    for id in ["git:octocat/Hello-World", "git:octo-org/Spoon-Knife"] {
        assert_eq!(source(&inv, id)["status"], "ok", "{id}: {stderr}");
    }
    // The GitHub identities are still there, from the same run; this token may read the
    // fine-grained PAT grants: a person's token with access to the organisation, expired.
    identity(&inv, "github:octocat/Hello-World:deploy-key:1");
    let pat = identity(&inv, "github:octo-org:pat:25381");
    assert_eq!(pat["kind"], "personal-access-token");
    assert_eq!(pat["name"], "Some Token (octocat)");
    assert_eq!(pat["expires_at"], "2023-11-16T15:47:09Z");
    assert_eq!(pat["owner"]["team"], "octocat");
    assert!(finding_codes(&inv, "github:octo-org:pat:25381").contains(&"expired"));
    let request = identity(&inv, "github:octo-org:pat-request:25381");
    // Pending, for a token whose published expiry (2023) has passed.
    assert_eq!(request["status"], "expired");
    assert_eq!(request["attributes"]["pending_request"], "true");

    // At HEAD: a leak, named by repository and path, at the commit that introduced it.
    let gitlab = exposed_at(&inv, "octocat/Hello-World:config/deploy.env").expect("GitLab token");
    assert_eq!(gitlab["provider"], "git");
    assert_eq!(gitlab["exposures"][0]["commit"], first.as_str());
    assert_eq!(gitlab["exposures"][0]["in_head"], true);
    assert_eq!(
        gitlab["exposures"][0]["origin"],
        serde_json::json!({
            "kind": "clone", "source": "github:octo-org", "repository": "octocat/Hello-World",
            "path": "config/deploy.env", "commit": first, "in_head": true,
        }),
        "a clone's exposure says which source listed which repository"
    );
    assert_eq!(gitlab["discovery"], "found");
    assert_eq!(gitlab["created_at"], "2025-02-01T10:00:00Z");
    let leak = finding_at(
        &inv,
        "leaked-secret",
        "octocat/Hello-World:config/deploy.env",
    );
    assert_eq!(leak["level"], "deny");
    assert_eq!(leak["line"], 1);
    // Hello-World's owner is its custom property `team`.
    assert_eq!(gitlab["owner"]["team"], "octocat");
    assert!(
        gitlab["owner"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("owner of repository octocat/Hello-World: custom property `team=octocat`"),
        "{}",
        gitlab["owner"]
    );

    // Removed from HEAD, still in every clone: secret-in-history with the removal commit.
    let hf = exposed_at(&inv, "octocat/Hello-World:old/hf.env").expect("HF token in history");
    assert_eq!(hf["exposures"][0]["in_head"], false);
    assert_eq!(hf["attributes"]["removed_in"], second.as_str());
    let old = finding_at(&inv, "secret-in-history", "octocat/Hello-World:old/hf.env");
    assert_eq!(old["commit"], first.as_str());

    // Spoon-Knife's secret is owned through its CODEOWNERS, read by the collector.
    let slack = exposed_at(&inv, "octo-org/Spoon-Knife:src/notify.py").expect("Slack token");
    assert_eq!(slack["owner"]["team"], "@octo-org/platform");
    assert_eq!(slack["owner"]["source"], "codeowners");

    // Every git request carried the token (as a header), and the clones are gone.
    let git = server.git_requests();
    assert!(git.len() >= 4, "{git:?}");
    assert!(git.iter().all(|(_, authorized)| *authorized), "{git:?}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "clones removed"
    );
}

#[test]
fn a_shallow_clone_sees_the_tip_and_a_failed_clone_leaves_the_rest() {
    let root = tempfile::tempdir().unwrap();
    // Spoon-Knife is listed by the API but has no repository to clone.
    served_repositories(root.path(), false);
    // A slow git server: each clone takes longer than the source's deadline, which bounds
    // only the API calls; clones run after the collector, so the source still lands.
    let server = GithubServer::start_with_slow_git(
        routes,
        Some(root.path().join("served")),
        std::time::Duration::from_millis(2500),
    );
    let tmp = tempfile::tempdir().unwrap();
    let (code, inv, stderr) =
        scan_with_clones(&server, "shallow", tmp.path(), &["--source-timeout", "4"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(exposed_at(&inv, "octocat/Hello-World:config/deploy.env").is_some());
    assert!(
        exposed_at(&inv, "octocat/Hello-World:old/hf.env").is_none(),
        "a shallow clone has only the tip"
    );
    let github = source(&inv, "github:octo-org");
    assert_eq!(github["status"], "partial");
    let errors = github["errors"].to_string();
    assert!(
        errors.contains("cannot clone octo-org/Spoon-Knife: git exited with 128"),
        "{errors}"
    );
    assert!(
        stderr.contains("warning: github:octo-org: cannot clone octo-org/Spoon-Knife"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// A synthetic classic token (valid checksum) whose last eight characters a SAML credential
/// authorization lists: linked without any call, and the found token inherits the owner.
#[test]
fn a_found_token_is_linked_to_the_saml_authorisation_showing_its_last_eight() {
    const TOKEN: &str = "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";
    let server = GithubServer::start(|url| {
        let mut r = routes(url);
        r.insert(
            "/orgs/octo-org/credential-authorizations".into(),
            vec![Answer::json(format!(
                r#"[{{"login": "ci-robot", "credential_id": 161195, "credential_type": "personal access token",
                "token_last_eight": "{}", "credential_authorized_at": "2025-03-01T10:00:00Z",
                "credential_accessed_at": "2026-11-20T08:00:00Z", "authorized_credential_expires_at": null,
                "scopes": ["repo"]}}]"#,
                &TOKEN[TOKEN.len() - 8..]
            ))],
        );
        r
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ci.env"), format!("GH_TOKEN={TOKEN}\n")).unwrap();
    let mut cmd = nhiscan();
    cmd.env("PATH", "/nonexistent");
    github_command(&mut cmd, &server, Some(common::github::TOKEN), dir.path());
    cmd.args(["--no-history", "."]);
    let (_, inv, stderr) = run_json(&mut cmd);
    let sso = "github:octo-org:sso-credential:161195";
    let found = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["exposures"][0]["path"] == "ci.env")
        .unwrap_or_else(|| panic!("token not found: {stderr}"));
    assert_eq!(found["related"][0], sso, "{found}");
    assert!(
        identity(&inv, sso)["related"]
            .as_array()
            .unwrap()
            .contains(&found["id"])
    );
    assert_eq!(found["owner"]["team"], "ci-robot");
    assert!(found["owner"]["evidence"].as_str().unwrap().contains(sso));
    // The found token carries only a keyed hash of its last eight characters.
    let key = found["attributes"]["token_last_eight_fp"].as_str().unwrap();
    assert!(key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()));
    let text = found.to_string();
    assert!(!text.contains(&TOKEN[TOKEN.len() - 8..]));
    assert!(!inv.to_string().contains(TOKEN));
}
