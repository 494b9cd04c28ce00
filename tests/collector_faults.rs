//! Every collector against a broken network or API: a server that never answers, one that
//! drips a byte at a time, pagination that points back at itself or never ends, an answer
//! of the wrong shape, a body cut short, a 429 asking to come back in an hour, and a 500
//! HTML page. A fault-injecting proxy ([`common::faults`]) sits in front of the real peer
//! (moto, the GitHub replay server, the Kubernetes API server) and breaks one list late in
//! the collection. Each case asserts what a user relies on: the exit code says the
//! inventory is incomplete, the source is `partial` with a message naming the list and
//! what happened, and what was collected before the fault is in the inventory.

mod common;

use common::apiserver::{KubeServer, Listing};
use common::faults::{Fault, FaultProxy, Rule};
use common::github::{Answer, GithubServer};
use common::moto::Moto;
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The source's status, errors and the identity kinds in the inventory, after checking
/// the exit code says the inventory is incomplete.
fn partial_source<'a>(code: i32, inv: &'a Value, id: &str, stderr: &str) -> Vec<&'a str> {
    assert_eq!(code, 3, "exit code; stderr: {stderr}");
    let source = source(inv, id);
    assert_eq!(source["status"], "partial", "{source}");
    source["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect()
}

fn kinds(inv: &Value) -> Vec<&str> {
    inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect()
}

fn error_with<'a>(errors: &[&'a str], needles: &[&str]) -> &'a str {
    errors
        .iter()
        .find(|e| needles.iter().all(|n| e.contains(n)))
        .unwrap_or_else(|| panic!("no error with {needles:?} in {errors:#?}"))
}

const HTML_500: &str = "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>";

// ---------------------------------------------------------------------------------------
// GitHub
// ---------------------------------------------------------------------------------------

const ORG: &str = "octo-org";
/// The list the GitHub faults break: the second repository's deploy keys, read after the
/// organisation's webhooks and the first repository's keys.
const GH_FAULTED: &str = "/repos/octo-org/Spoon-Knife/keys";

fn github_routes(_url: &str) -> HashMap<String, Vec<Answer>> {
    let deploy_key = |id: u64| {
        json!([{"id": id, "key": "ssh-ed25519 AAAA-synthetic", "title": format!("deploy-{id}"),
            "verified": true, "created_at": "2025-01-10T15:53:42Z", "read_only": true,
            "added_by": "release-bot", "last_used": "2026-11-01T09:00:00Z", "enabled": true}])
        .to_string()
    };
    let repos: Value =
        serde_json::from_str(&Answer::fixture("repos.list-for-org.json").body).unwrap();
    let mut second = repos[0].clone();
    second["id"] = 1300000.into();
    second["name"] = "Spoon-Knife".into();
    second["full_name"] = "octo-org/Spoon-Knife".into();
    let both = json!([repos[0].clone(), second]);
    let mut r: HashMap<String, Vec<Answer>> = HashMap::new();
    r.insert(
        format!("/orgs/{ORG}"),
        vec![Answer::fixture("orgs.get.json")],
    );
    r.insert(
        format!("/orgs/{ORG}/repos"),
        vec![Answer::json(both.to_string())],
    );
    r.insert(
        format!("/orgs/{ORG}/hooks"),
        vec![Answer::fixture("orgs.list-webhooks.json")],
    );
    r.insert(
        "/repos/octocat/Hello-World/keys".into(),
        vec![Answer::json(deploy_key(1))],
    );
    r.insert(GH_FAULTED.into(), vec![Answer::json(deploy_key(2))]);
    r
}

fn github_with(rules: Vec<Rule>, args: &[&str]) -> (i32, Value, String) {
    let server = GithubServer::start(github_routes);
    let proxy = FaultProxy::start(&server.url, rules);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = nhiscan();
    cmd.env("PATH", "/nonexistent")
        .env_remove("GH_TOKEN")
        .env("GITHUB_TOKEN", common::github::TOKEN)
        .current_dir(dir.path())
        .args([
            "scan",
            "--github",
            ORG,
            "--github-url",
            &proxy.url,
            "--format",
            "json",
        ])
        .args(args);
    let out = run_json(&mut cmd);
    assert!(!proxy.faulted().is_empty(), "no request was faulted");
    out
}

/// A GitHub case: the fault on [`GH_FAULTED`], the error it must give, and the org
/// webhook and first repository's deploy key collected before it.
fn github_case(fault: Fault, args: &[&str], needles: &[&str]) {
    let (code, inv, stderr) = github_with(vec![Rule::new(GH_FAULTED, fault)], args);
    let errors = partial_source(code, &inv, "github:octo-org", &stderr);
    let error = error_with(&errors, needles);
    // The advice to raise the source timeout only where that would help.
    let deadline = needles.iter().any(|n| n.contains("--source-timeout"));
    assert_eq!(
        error.contains("raise --source-timeout"),
        deadline,
        "{error}"
    );
    let kinds = kinds(&inv);
    assert!(kinds.contains(&"webhook"), "{kinds:?}");
    assert!(
        kinds.contains(&"deploy-key"),
        "the first repository's key: {kinds:?}"
    );
}

#[test]
fn github_a_hung_request_costs_that_call_only() {
    github_case(
        Fault::Hang,
        &["--request-timeout", "1"],
        &[
            GH_FAULTED,
            "no complete answer within 1s (--request-timeout)",
        ],
    );
}

#[test]
fn github_a_dripping_body_costs_that_call_only() {
    github_case(
        Fault::Drip,
        &["--request-timeout", "1"],
        &[GH_FAULTED, "no complete answer within 1s"],
    );
}

#[test]
fn github_a_next_link_to_the_same_page_is_a_loop_and_the_page_is_kept() {
    let (code, inv, stderr) = github_with(
        vec![Rule::new(
            GH_FAULTED,
            Fault::AddHeader("Link".into(), "<{self}>; rel=\"next\"".into()),
        )],
        &[],
    );
    let errors = partial_source(code, &inv, "github:octo-org", &stderr);
    error_with(&errors, &[GH_FAULTED, "pagination loop"]);
    // Both repositories' keys: the looping page itself was read once.
    let keys = kinds(&inv).iter().filter(|k| **k == "deploy-key").count();
    assert_eq!(keys, 2, "{}", inv["identities"]);
}

#[test]
fn github_endless_pages_stop_at_the_deadline_and_keep_what_was_collected() {
    // Every page links to a new one, forever.
    let endless = Fault::answer(|n, _| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let link = format!("<{GH_FAULTED}?page={}>; rel=\"next\"", n + 2);
        (200, vec![("Link".into(), link)], "[]".into())
    });
    github_case(
        endless,
        &["--source-timeout", "3"],
        &[
            "--source-timeout (3s) ran out",
            "first unfinished: /repos/octo-org/Spoon-Knife/keys?page=",
            "what was collected before is in the inventory",
        ],
    );
}

#[test]
fn github_answers_of_the_wrong_shape_are_errors_not_empty_lists() {
    let (code, inv, stderr) = github_with(
        vec![
            Rule::new(GH_FAULTED, Fault::canned(200, &[], r#"{"message": "ok"}"#)),
            // A list whose item lacks the field that identifies it.
            Rule::new(
                "/repos/octocat/Hello-World/keys",
                Fault::canned(
                    200,
                    &[],
                    r#"[{"title": "no id", "key": "ssh-ed25519 AAAA"}]"#,
                ),
            ),
            // A wrapper without its `secrets` field.
            Rule::new(
                "/orgs/octo-org/actions/secrets",
                Fault::canned(200, &[], r#"{"total_count": 3}"#),
            ),
        ],
        &[],
    );
    let errors = partial_source(code, &inv, "github:octo-org", &stderr);
    error_with(
        &errors,
        &[
            GH_FAULTED,
            "unexpected answer: an object where a list was expected",
        ],
    );
    error_with(
        &errors,
        &["/orgs/octo-org/actions/secrets", "no `secrets` list in it"],
    );
    error_with(
        &errors,
        &[
            "/repos/octocat/Hello-World/keys",
            "1 of 1 item(s) lack the fields that identify them",
        ],
    );
    assert!(kinds(&inv).contains(&"webhook"));
}

#[test]
fn github_a_body_cut_short_is_an_error_of_that_call() {
    github_case(
        Fault::Truncate,
        &[],
        &[GH_FAULTED, "cannot read the response"],
    );
}

#[test]
fn github_a_retry_after_of_an_hour_is_reported_at_once() {
    let fault = Fault::canned(
        429,
        &[("Retry-After", "3600")],
        r#"{"message": "You have exceeded a secondary rate limit."}"#,
    );
    github_case(
        fault,
        &[],
        &[
            GH_FAULTED,
            "rate limited: the server asks to retry in 60m",
            "re-run after 20",
        ],
    );
}

#[test]
fn github_a_500_html_page_is_one_line_naming_the_call() {
    let fault = Fault::canned(500, &[("Content-Type", "text/html")], HTML_500);
    let (code, inv, stderr) = github_with(vec![Rule::new(GH_FAULTED, fault)], &[]);
    let errors = partial_source(code, &inv, "github:octo-org", &stderr);
    let error = error_with(&errors, &[GH_FAULTED, "HTTP 500", "an HTML page"]);
    assert!(!error.contains("<html"), "{error}");
    assert!(kinds(&inv).contains(&"deploy-key"));
}

// ---------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------

/// A namespace, a ServiceAccount, and three Secrets served one per page: the faults break
/// the secrets list after its first page.
fn cluster() -> HashMap<String, Listing> {
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    let meta = |ns: Option<&str>, name: &str| ObjectMeta {
        namespace: ns.map(str::to_string),
        name: Some(name.into()),
        uid: Some(format!("uid-{name}")),
        creation_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            "2025-03-01T00:00:00Z".parse().unwrap(),
        )),
        ..Default::default()
    };
    let token = |name: &str| {
        let mut m = meta(Some("payments"), name);
        m.annotations = Some(
            [(
                "kubernetes.io/service-account.name".to_string(),
                "api".to_string(),
            )]
            .into(),
        );
        Secret {
            metadata: m,
            type_: Some("kubernetes.io/service-account-token".into()),
            data: Some(
                [(
                    "token".to_string(),
                    ByteString(b"synthetic-token-value".to_vec()),
                )]
                .into(),
            ),
            ..Default::default()
        }
    };
    let mut r = HashMap::new();
    r.insert(
        "namespaces".into(),
        Listing::of(
            "v1",
            "NamespaceList",
            &[Namespace {
                metadata: meta(None, "payments"),
                ..Default::default()
            }],
        ),
    );
    r.insert(
        "serviceaccounts".into(),
        Listing::of(
            "v1",
            "ServiceAccountList",
            &[ServiceAccount {
                metadata: meta(Some("payments"), "api"),
                ..Default::default()
            }],
        ),
    );
    r.insert(
        "secrets".into(),
        Listing::of(
            "v1",
            "SecretList",
            &[
                token("api-token-1"),
                token("api-token-2"),
                token("api-token-3"),
            ],
        )
        .pages_of(1),
    );
    for (plural, kind, version) in [
        ("pods", "PodList", "v1"),
        (
            "rolebindings",
            "RoleBindingList",
            "rbac.authorization.k8s.io/v1",
        ),
        ("roles", "RoleList", "rbac.authorization.k8s.io/v1"),
        (
            "clusterrolebindings",
            "ClusterRoleBindingList",
            "rbac.authorization.k8s.io/v1",
        ),
        (
            "clusterroles",
            "ClusterRoleList",
            "rbac.authorization.k8s.io/v1",
        ),
    ] {
        r.insert(plural.into(), Listing::of::<Value>(version, kind, &[]));
    }
    r
}

fn kube_with(
    listings: HashMap<String, Listing>,
    rules: Vec<Rule>,
    args: &[&str],
) -> (i32, Value, String) {
    let server = KubeServer::start(listings, &[]);
    let expect_fault = !rules.is_empty();
    let proxy = FaultProxy::start(&server.url, rules);
    let config = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig_via(config.path(), &proxy.url);
    let mut cmd = nhiscan();
    cmd.current_dir(config.path())
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["scan", "--k8s", "--format", "json"])
        .args(args);
    let out = run_json(&mut cmd);
    if expect_fault {
        assert!(!proxy.faulted().is_empty(), "no request was faulted");
    }
    out
}

/// Token secrets the inventory holds, by name.
fn tokens(inv: &Value) -> Vec<String> {
    let mut names: Vec<String> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "service-account-token")
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// A Kubernetes case: the secrets list faulted after its first page; the account and the
/// first page's token are in the inventory.
fn kube_case(fault: Fault, args: &[&str], needles: &[&str]) -> Value {
    let (code, inv, stderr) = kube_with(
        cluster(),
        vec![Rule::new("/api/v1/secrets", fault).after(1)],
        args,
    );
    let errors = partial_source(code, &inv, "kubernetes:test-cluster", &stderr);
    error_with(&errors, needles);
    assert!(
        kinds(&inv).contains(&"service-account"),
        "{:?}",
        kinds(&inv)
    );
    let tokens = tokens(&inv);
    assert!(
        tokens.iter().any(|t| t.contains("api-token-1")),
        "the first page: {tokens:?}"
    );
    inv
}

#[test]
fn kubernetes_a_hung_page_costs_that_list_only() {
    kube_case(
        Fault::Hang,
        &["--request-timeout", "1"],
        &[
            "cannot list secrets in all namespaces",
            "no complete answer within 1s (--request-timeout)",
        ],
    );
}

#[test]
fn kubernetes_a_dripping_page_costs_that_list_only() {
    kube_case(
        Fault::Drip,
        &["--request-timeout", "1"],
        &["cannot list secrets", "no complete answer within 1s"],
    );
}

#[test]
fn kubernetes_a_continue_token_handed_back_twice_is_a_loop() {
    let again = Fault::answer(|_, _| {
        let body = json!({"apiVersion": "v1", "kind": "SecretList", "metadata": {"continue": "offset-1"}, "items": []});
        (200, Vec::new(), body.to_string())
    });
    kube_case(
        again,
        &[],
        &[
            "cannot list secrets",
            "continue token already used (a pagination loop)",
        ],
    );
}

#[test]
fn kubernetes_endless_continue_stops_at_the_deadline_and_keeps_what_was_collected() {
    let endless = Fault::answer(|n, _| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let body = json!({"apiVersion": "v1", "kind": "SecretList", "metadata": {"continue": format!("endless-{n}")}, "items": []});
        (200, Vec::new(), body.to_string())
    });
    kube_case(
        endless,
        &["--source-timeout", "3"],
        &[
            "--source-timeout (3s) ran out",
            "first unfinished: list secrets",
            "raise --source-timeout",
        ],
    );
}

#[test]
fn kubernetes_an_answer_of_the_wrong_shape_is_an_error_not_an_empty_list() {
    let shape = Fault::canned(
        200,
        &[],
        r#"{"kind": "Status", "apiVersion": "v1", "status": "Success"}"#,
    );
    kube_case(
        shape,
        &[],
        &[
            "cannot list secrets",
            "unexpected answer: no `items` list in it",
        ],
    );
}

#[test]
fn kubernetes_a_page_cut_short_is_an_error_of_that_list() {
    kube_case(
        Fault::Truncate,
        &[],
        &["cannot list secrets in all namespaces:"],
    );
}

#[test]
fn kubernetes_a_retry_after_of_an_hour_is_reported_at_once() {
    let fault = Fault::canned(
        429,
        &[("Retry-After", "3600")],
        r#"{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "TooManyRequests", "code": 429}"#,
    );
    kube_case(
        fault,
        &[],
        &[
            "cannot list secrets",
            "rate limited: the server asks to retry in 60m",
        ],
    );
}

#[test]
fn kubernetes_a_500_is_named_by_its_status_whatever_the_body() {
    let html = Fault::canned(500, &[("Content-Type", "text/html")], HTML_500);
    kube_case(
        html,
        &[],
        &[
            "cannot list secrets",
            "HTTP 500 Internal Server Error",
            "an HTML page",
        ],
    );
    // A Status body without a code was once "HTTP 0".
    let bare = Fault::canned(
        500,
        &[],
        r#"{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "etcdserver: leader changed"}"#,
    );
    let inv = kube_case(
        bare,
        &[],
        &["HTTP 500 Internal Server Error: etcdserver: leader changed"],
    );
    assert!(!inv.to_string().contains("HTTP 0"));
}

#[test]
fn kubernetes_one_undecodable_secret_is_skipped_by_name_and_the_list_lands() {
    let mut listings = cluster();
    let secrets = listings.get_mut("secrets").unwrap();
    // `data` values must be base64: this one is not, so the object does not decode.
    secrets.items.insert(
        1,
        json!({"metadata": {"namespace": "payments", "name": "broken", "uid": "uid-broken"},
               "type": "Opaque", "data": {"password": "***not base64***"}}),
    );
    let (code, inv, stderr) = kube_with(listings, Vec::new(), &[]);
    let errors = partial_source(code, &inv, "kubernetes:test-cluster", &stderr);
    error_with(
        &errors,
        &["skipped secret payments/broken", "does not decode"],
    );
    let tokens = tokens(&inv);
    assert_eq!(
        tokens.len(),
        3,
        "every other secret, on every page: {tokens:?}"
    );
}

// ---------------------------------------------------------------------------------------
// AWS (moto)
// ---------------------------------------------------------------------------------------

/// Every finding code the seeded account can raise.
const AWS_CODES: &[&str] = &[
    "expired",
    "expiring-soon",
    "human-use",
    "insecure-oidc-trust",
    "leaked-secret",
    "long-lived",
    "multiple-active-keys",
    "never-used",
    "overprivileged",
    "rotation-overdue",
    "stale",
    "third-party-access",
    "unowned",
];

/// The call the AWS faults break: server certificates, listed after every user and key.
const AWS_FAULTED: &str = "Action=ListServerCertificates";

fn aws_with(rules: Vec<Rule>, args: &[&str]) -> (i32, Value, String, Value) {
    let moto = Moto::start();
    let seeded = moto.seed(&[]);
    let proxy = FaultProxy::start(&moto.endpoint, rules);
    let home = tempfile::tempdir().unwrap();
    // The seeded account has deny findings, which would take precedence in the exit code;
    // here only whether the inventory is complete matters.
    let config = home.path().join("nhiscan.toml");
    let levels: String = AWS_CODES
        .iter()
        .map(|c| format!("{c} = \"warn\"\n"))
        .collect();
    std::fs::write(&config, format!("[policy.levels]\n{levels}")).unwrap();
    let mut cmd = moto.nhiscan(home.path());
    cmd.env("AWS_ENDPOINT_URL", &proxy.url)
        .current_dir(home.path())
        .args(["scan", "--aws", "--format", "json", "--config"])
        .arg(&config)
        .args(args);
    let (code, inv, stderr) = run_json(&mut cmd);
    assert!(!proxy.faulted().is_empty(), "no request was faulted");
    (code, inv, stderr, seeded)
}

/// An AWS case: the fault on [`AWS_FAULTED`]; the users and keys listed before it are in
/// the inventory, and the error never says to grant a permission.
fn aws_case(fault: Fault, args: &[&str], needles: &[&str]) {
    let (code, inv, stderr, seeded) = aws_with(vec![Rule::new(AWS_FAULTED, fault)], args);
    let errors = partial_source(code, &inv, "aws:default", &stderr);
    let error = error_with(&errors, needles);
    assert!(
        !error.contains("grant"),
        "not a permission problem: {error}"
    );
    assert!(
        !error.contains('\n') && error.len() < 400,
        "one short line: {error}"
    );
    identity(&inv, "arn:aws:iam::123456789012:user/ci-deploy");
    identity(&inv, seeded["used_key"].as_str().unwrap());
}

fn certificates_page(marker: &str) -> String {
    format!(
        r#"<ListServerCertificatesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListServerCertificatesResult><IsTruncated>true</IsTruncated><Marker>{marker}</Marker><ServerCertificateMetadataList/></ListServerCertificatesResult><ResponseMetadata><RequestId>fault-1</RequestId></ResponseMetadata></ListServerCertificatesResponse>"#
    )
}

fn xml(body: String) -> Canned {
    (200, vec![("Content-Type".into(), "text/xml".into())], body)
}

use common::faults::Canned;

#[test]
fn aws_a_hung_call_costs_that_call_only() {
    aws_case(
        Fault::Hang,
        &["--request-timeout", "2"],
        &["iam:ListServerCertificates failed (no complete answer within 2s (--request-timeout)"],
    );
}

#[test]
fn aws_a_dripping_answer_costs_that_call_only() {
    aws_case(
        Fault::Drip,
        &["--request-timeout", "2"],
        &[
            "iam:ListServerCertificates failed",
            "no complete answer within 2s",
        ],
    );
}

#[test]
fn aws_a_marker_handed_back_twice_is_a_loop() {
    aws_case(
        Fault::answer(|_, _| xml(certificates_page("again"))),
        &[],
        &["iam:ListServerCertificates failed", "pagination loop"],
    );
}

#[test]
fn aws_endless_markers_stop_at_the_deadline_and_keep_what_was_collected() {
    let endless = Fault::answer(|n, _| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        xml(certificates_page(&format!("m-{n}")))
    });
    let (code, inv, stderr, seeded) = aws_with(
        vec![Rule::new(AWS_FAULTED, endless)],
        &["--source-timeout", "10"],
    );
    let errors = partial_source(code, &inv, "aws:default", &stderr);
    error_with(
        &errors,
        &[
            "--source-timeout (10s) ran out",
            "first unfinished: iam:ListServerCertificates",
            "raise --source-timeout",
        ],
    );
    identity(&inv, seeded["used_key"].as_str().unwrap());
}

#[test]
fn aws_an_answer_of_the_wrong_shape_is_an_error() {
    aws_case(
        Fault::canned(
            200,
            &[("Content-Type", "application/json")],
            r#"{"ServerCertificates": "none"}"#,
        ),
        &[],
        &["iam:ListServerCertificates failed"],
    );
}

#[test]
fn aws_an_answer_cut_short_is_an_error_of_that_call() {
    aws_case(Fault::Truncate, &[], &["iam:ListServerCertificates failed"]);
}

#[test]
fn aws_a_429_with_a_long_retry_after_is_reported_at_once() {
    aws_case(
        Fault::canned(
            429,
            &[("Retry-After", "3600"), ("Content-Type", "text/plain")],
            "Rate exceeded",
        ),
        &[],
        &["iam:ListServerCertificates failed", "429"],
    );
}

#[test]
fn aws_a_500_html_page_is_a_server_error_not_a_missing_permission() {
    aws_case(
        Fault::canned(500, &[("Content-Type", "text/html")], HTML_500),
        &[],
        &["iam:ListServerCertificates failed (ServerError: HTTP 500 Internal Server Error"],
    );
    // On the call every later one depends on, the source fails, still without "grant".
    let (code, inv, stderr, _) = aws_with(
        vec![Rule::new(
            "Action=GetAccountAuthorizationDetails",
            Fault::canned(500, &[("Content-Type", "text/html")], HTML_500),
        )],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");
    let source = source(&inv, "aws:default");
    assert_eq!(source["status"], "failed");
    let error = source["errors"][0].as_str().unwrap();
    assert!(
        error.contains("the endpoint failed, not the permissions"),
        "{error}"
    );
    assert!(!error.contains("grant"), "{error}");
}
