//! `nhiscan scan --aws` against a real IAM emulator (moto's server, started by the test
//! harness on 127.0.0.1 and seeded through the AWS API by tests/aws/seed.py).

mod common;

use common::moto::Moto;
use common::*;
use serde_json::Value;

fn scan_aws(moto: &Moto, dir: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    run_json(
        moto.nhiscan(dir)
            .current_dir(dir)
            .args(["scan", "--format", "json", "--no-history"])
            .args(args),
    )
}

const ACCOUNT: &str = "123456789012";

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}")
}

#[test]
fn a_seeded_account_is_inventoried_with_owners_use_privileges_and_findings() {
    let moto = Moto::start();
    let seeded = moto.seed(&[]);
    let home = tempfile::tempdir().unwrap();
    let (code, inv, stderr) = scan_aws(&moto, home.path(), &["--aws"]);
    assert_eq!(
        code, 1,
        "insecure-oidc-trust is deny level; stderr: {stderr}"
    );
    assert_eq!(inv["scope"]["aws"], serde_json::json!(["default"]));
    assert!(
        inv["scope"]["paths"].as_array().unwrap().is_empty(),
        "--aws alone scans no files"
    );

    // The source: partial only because moto does not implement service-specific credentials.
    let source = &inv["sources"][0];
    assert_eq!(source["id"], "aws:default");
    assert_eq!(source["status"], "partial");
    let errors = source["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .as_str()
            .unwrap()
            .starts_with("iam:ListServiceSpecificCredentials failed")
    );
    assert!(source["api_calls"].as_u64().unwrap() > 5);

    // ci-deploy: Owner tag, two active keys, one used through a signed call, one never used.
    let ci = identity(&inv, &arn("user", "ci-deploy"));
    assert_eq!(ci["owner"]["team"], "platform");
    assert_eq!(ci["owner"]["source"], "tag");
    assert_eq!(ci["attributes"]["access"], "programmatic");
    assert_eq!(
        ci["privileges"],
        serde_json::json!(["AmazonS3ReadOnlyAccess"])
    );
    assert_eq!(
        finding_codes(&inv, &arn("user", "ci-deploy")),
        ["multiple-active-keys"]
    );
    let used = identity(&inv, seeded["used_key"].as_str().unwrap());
    assert_eq!(used["kind"], "access-key");
    assert_eq!(used["status"], "active");
    assert!(used["last_used_at"].is_string());
    assert_eq!(used["attributes"]["last_used_service"], "sts");
    assert_eq!(used["related"][0], arn("user", "ci-deploy"));
    assert_eq!(
        used["owner"]["team"], "platform",
        "a key inherits its user's owner"
    );
    assert!(
        used["owner"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("owner of arn:aws:iam::")
    );
    let unused = identity(&inv, seeded["unused_key"].as_str().unwrap());
    assert!(unused["last_used_at"].is_null());
    assert_eq!(unused["never_used"], true);

    // backup-bot: no owner, inactive key, console password next to a key, inline PassRole.
    let bot = arn("user", "backup-bot");
    assert!(identity(&inv, &bot)["owner"].is_null());
    assert_eq!(identity(&inv, &bot)["console_access"], true);
    assert_eq!(
        finding_codes(&inv, &bot),
        ["human-use", "overprivileged", "unowned"]
    );
    let inactive = identity(&inv, seeded["inactive_key"].as_str().unwrap());
    assert_eq!(inactive["status"], "inactive");
    assert!(
        finding_codes(&inv, seeded["inactive_key"].as_str().unwrap())
            .iter()
            .all(|c| *c != "long-lived")
    );

    // reporting: owner from a lower-case `team` tag; its SSH key.
    assert_eq!(
        identity(&inv, &arn("user", "reporting"))["owner"]["team"],
        "data"
    );
    let ssh = identity(&inv, seeded["ssh_key"].as_str().unwrap());
    assert_eq!(
        (ssh["kind"].as_str(), ssh["status"].as_str()),
        (Some("ssh-key"), Some("active"))
    );

    // legacy-svc: administrator through its group.
    let legacy = arn("user", "legacy-svc");
    assert_eq!(
        identity(&inv, &legacy)["privileges"],
        serde_json::json!(["AdministratorAccess"])
    );
    assert_eq!(finding_codes(&inv, &legacy), ["overprivileged"]);

    // Roles: other account, GitHub OIDC with and without `sub`, admin, service-linked.
    let vendor = arn("role", "vendor-audit");
    assert_eq!(
        identity(&inv, &vendor)["third_parties"],
        serde_json::json!(["aws-account:999988887777"])
    );
    assert_eq!(identity(&inv, &vendor)["owner"]["team"], "security");
    assert_eq!(finding_codes(&inv, &vendor), ["third-party-access"]);
    assert_eq!(
        finding_codes(&inv, &arn("role", "gha-deploy")),
        ["insecure-oidc-trust", "third-party-access"]
    );
    assert_eq!(
        finding_codes(&inv, &arn("role", "gha-deploy-scoped")),
        ["third-party-access"]
    );
    let admin = arn("role", "admin-automation");
    assert_eq!(
        identity(&inv, &admin)["attributes"]["trusted_services"],
        "ec2.amazonaws.com"
    );
    assert_eq!(finding_codes(&inv, &admin), ["overprivileged", "unowned"]);
    let linked = seeded["service_linked_role"].as_str().unwrap();
    assert_eq!(identity(&inv, linked)["owner"]["team"], "AWS");
    assert!(
        finding_codes(&inv, linked).is_empty(),
        "service-linked roles are AWS-owned"
    );

    // Instance profile, server certificate (moto fixes its dates in 2010-2012), providers.
    let profile = identity(&inv, &arn("instance-profile", "admin-automation"));
    assert_eq!(profile["related"][0], admin);
    let cert = identity(&inv, &arn("server-certificate", "api-internal"));
    assert_eq!(cert["expires_at"], "2012-05-08T01:02:03Z");
    assert!(finding_codes(&inv, &arn("server-certificate", "api-internal")).contains(&"expired"));
    identity(
        &inv,
        &arn("oidc-provider", "token.actions.githubusercontent.com"),
    );
    let saml = identity(&inv, &arn("saml-provider", "corp-idp"));
    assert!(saml["expires_at"].is_string());
}

#[test]
fn an_access_key_found_in_a_repository_is_the_collected_key_leaked_and_active() {
    let moto = Moto::start();
    let seeded = moto.seed(&[]);
    let key = seeded["used_key"].as_str().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("deploy.env"),
        format!("# deploy credentials\naws_access_key_id = {key}\n"),
    )
    .unwrap();
    let (code, inv, stderr) = scan_aws(&moto, repo.path(), &[".", "--aws"]);
    assert_eq!(code, 1, "{stderr}");
    let ids: Vec<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["exposures"].as_array().is_some_and(|e| !e.is_empty()))
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [key],
        "one identity: the IAM key, carrying the file exposure"
    );
    let collected = identity(&inv, key);
    assert_eq!(collected["provider"], "aws");
    assert_eq!(collected["exposures"][0]["path"], "deploy.env");
    assert_eq!(collected["exposures"][0]["line"], 2);
    assert_eq!(collected["attributes"]["leaked"], "true");
    let leak = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "leaked-secret")
        .expect("a leaked-secret finding");
    assert_eq!(leak["identity"], key);
    assert_eq!(leak["level"], "deny");
    let message = leak["message"].as_str().unwrap();
    assert!(message.contains("found in deploy.env:2"), "{message}");
    assert!(message.contains("ACTIVE, last used"), "{message}");
    assert!(
        !message.contains(key),
        "the key id itself is not repeated in the message"
    );
}

#[test]
fn without_credentials_the_aws_source_fails_and_the_exit_code_says_incomplete() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "nothing secret\n").unwrap();
    let out = moto
        .nhiscan(dir.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .current_dir(dir.path())
        .args(["scan", ".", "--aws", "--no-history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    let aws = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "aws:default")
        .unwrap();
    assert_eq!(aws["status"], "failed");
    assert!(
        aws["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("cannot authenticate to AWS with the default credential chain")
    );
    let files = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "files")
        .unwrap();
    assert_eq!(files["status"], "ok", "the file scan still lands");
}

#[test]
fn no_aws_flag_means_no_aws_call() {
    // Anything that connects to this listener would be an AWS call.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "hello\n").unwrap();
    let out = nhiscan()
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .current_dir(dir.path())
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        listener.accept().is_err(),
        "nhiscan connected to the AWS endpoint"
    );
}

#[test]
fn a_denied_call_names_the_permission_and_the_rest_of_the_inventory_lands() {
    let moto = Moto::start();
    let seeded = moto.seed(&["--restricted-scanner"]);
    let home = tempfile::tempdir().unwrap();
    let out = moto
        .nhiscan(home.path())
        .env("AWS_ACCESS_KEY_ID", seeded["scanner_key"].as_str().unwrap())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            seeded["scanner_secret"].as_str().unwrap(),
        )
        .current_dir(home.path())
        .args(["scan", "--aws", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{stderr}"));
    let source = &inv["sources"][0];
    assert_eq!(source["status"], "partial", "{stderr}");
    let errors: Vec<&str> = source["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let denied = errors
        .iter()
        .find(|e| e.starts_with("iam:ListSSHPublicKeys failed (AccessDenied"))
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!(denied.contains("grant iam:ListSSHPublicKeys"), "{denied}");
    // The secret stores' listings are denied too (the policy grants IAM only): each named
    // with the permission to grant.
    for op in ["secretsmanager:ListSecrets", "ssm:DescribeParameters"] {
        let e = errors
            .iter()
            .find(|e| e.starts_with(&format!("{op} failed")))
            .unwrap_or_else(|| panic!("{op} not in {errors:?}"));
        assert!(e.contains(&format!("grant {op}")), "{e}");
    }
    assert!(stderr.contains("warning: aws:default: iam:ListSSHPublicKeys failed"));
    // Everything else is still there: users, keys, roles; only the SSH key is missing.
    identity(&inv, &arn("user", "ci-deploy"));
    identity(&inv, seeded["used_key"].as_str().unwrap());
    identity(&inv, &arn("role", "gha-deploy"));
    assert!(
        inv["identities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] != "ssh-key"),
        "ListSSHPublicKeys was denied"
    );
}

#[test]
fn several_profiles_are_several_sources_and_an_unknown_profile_fails_alone() {
    let moto = Moto::start();
    moto.seed(&[]);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("aws-credentials"),
        "[prod]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n\n[staging]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\naws_secret_access_key = y\n",
    )
    .unwrap();
    let out = moto
        .nhiscan(home.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .current_dir(home.path())
        .args(["scan", "--aws", "prod,staging,missing", "--format", "json"])
        .output()
        .unwrap();
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<(&str, &str)> = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    // moto lacks service-specific credentials, hence partial rather than ok.
    assert_eq!(
        states,
        [
            ("aws:prod", "partial"),
            ("aws:staging", "partial"),
            ("aws:missing", "failed")
        ]
    );
    let missing = &inv["sources"][2]["errors"][0];
    assert!(
        missing.as_str().unwrap().contains("profile `missing`"),
        "{missing}"
    );
    assert_eq!(
        inv["scope"]["aws"],
        serde_json::json!(["prod", "staging", "missing"])
    );
    // Both profiles see the same account: one identity per id, not two.
    let ci = arn("user", "ci-deploy");
    let n = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["id"] == ci)
        .count();
    assert_eq!(n, 1);
}

#[test]
fn an_endpoint_that_never_answers_is_cut_off_by_the_source_timeout() {
    // Accepts connections and never replies.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let _hold = std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(8).collect();
        std::thread::sleep(std::time::Duration::from_secs(30));
        drop(held);
    });
    let home = tempfile::tempdir().unwrap();
    let out = nhiscan()
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("c"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("k"))
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home.path())
        .args([
            "scan",
            "--aws",
            "--source-timeout",
            "2",
            "--format",
            "json",
            "--stats",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["sources"][0]["status"], "failed");
    let error = inv["sources"][0]["errors"][0].as_str().unwrap();
    // The collector stops at its own deadline and says which call it was waiting for.
    assert!(
        error.starts_with("sts:GetCallerIdentity: --source-timeout (2s) ran out"),
        "{error}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stats: source aws:default: Failed"),
        "{stderr}"
    );
}

/// An access key stored in a cluster Secret, and a ServiceAccount that becomes an IAM role
/// through IRSA: with `--aws --k8s`, the Secret's copy is an exposure of the IAM key (stored,
/// not leaked), and the account is related to the role the AWS collector saw.
#[test]
fn an_access_key_in_a_cluster_secret_is_the_collected_key_stored_there() {
    use common::apiserver::{KubeServer, Listing};
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    let moto = Moto::start();
    let seeded = moto.seed(&[]);
    let key = seeded["used_key"].as_str().unwrap();
    let meta = |name: &str| ObjectMeta {
        name: Some(name.into()),
        namespace: Some("payments".into()),
        ..Default::default()
    };
    let secret = Secret {
        metadata: meta("aws-creds"),
        type_: Some("Opaque".into()),
        data: Some(
            [(
                "AWS_ACCESS_KEY_ID".to_string(),
                ByteString(key.as_bytes().to_vec()),
            )]
            .into(),
        ),
        ..Default::default()
    };
    let mut account = ServiceAccount {
        metadata: meta("auditor"),
        ..Default::default()
    };
    let role = arn("role", "vendor-audit");
    account.metadata.annotations =
        Some([("eks.amazonaws.com/role-arn".to_string(), role.clone())].into());
    let server = KubeServer::start(
        [
            (
                "secrets".to_string(),
                Listing::of("v1", "SecretList", &[secret]),
            ),
            (
                "serviceaccounts".to_string(),
                Listing::of("v1", "ServiceAccountList", &[account]),
            ),
        ]
        .into(),
        &[],
    );
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(home.path());
    let (_, inv, stderr) = run_json(
        moto.nhiscan(home.path())
            .current_dir(home.path())
            .env("KUBECONFIG", &kubeconfig)
            .args(["scan", "--format", "json", "--aws", "--k8s"]),
    );
    let collected = identity(&inv, key);
    assert_eq!(collected["provider"], "aws", "{stderr}");
    assert_eq!(
        collected["exposures"][0]["path"],
        "kubernetes:test-cluster/payments/secrets/aws-creds/AWS_ACCESS_KEY_ID"
    );
    assert!(
        collected["attributes"].get("leaked").is_none(),
        "stored in a Secret is not leaked"
    );
    assert!(!finding_codes(&inv, key).contains(&"leaked-secret"));
    let ids: Vec<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .filter(|i| i.starts_with("secret:"))
        .collect();
    assert!(ids.is_empty(), "no separate found secret: {ids:?}");
    let sa = identity(
        &inv,
        "kubernetes:test-cluster:serviceaccount:payments/auditor",
    );
    assert_eq!(sa["related"], serde_json::json!([role]));
    identity(&inv, &role);
}

/// Findings of one identity, as (code, level).
fn codes_of(inv: &Value, id: &str) -> Vec<String> {
    inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["identity"] == id)
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn secret_stores_are_inventoried_and_joined_to_the_code_that_refers_to_them() {
    let moto = Moto::start();
    moto.seed(&["--stores"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        "Resources:\n  Db:\n    Properties:\n      MasterUserPassword: '{{resolve:secretsmanager:prod/payments/api:SecretString:password}}'\n      ApiPassword: '{{resolve:ssm-secure:/prod/api/password:1}}'\n      Old: '{{resolve:secretsmanager:prod/retired/token}}'\n",
    )
    .unwrap();
    // The path first: `--aws` takes an optional list of profiles.
    let (_, inv, stderr) = scan_aws(&moto, dir.path(), &[".", "--aws"]);
    let all = inv["identities"].as_array().unwrap();
    let stored = |name: &str| {
        all.iter()
            .find(|i| {
                i["discovery"] == "collected" && i["kind"] == "stored-secret" && i["name"] == name
            })
            .unwrap_or_else(|| panic!("no stored secret {name}: {stderr}"))
    };
    // Secrets Manager: owner from its tag, the other account its policy lets read it,
    // rotation off, and where the code refers to it.
    let api = stored("prod/payments/api");
    assert!(
        api["id"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/payments/api")
    );
    assert_eq!(api["service"], "secretsmanager");
    assert_eq!(api["owner"]["team"], "payments");
    assert_eq!(
        api["third_parties"],
        serde_json::json!(["aws-account:210987654321"])
    );
    assert_eq!(api["attributes"]["rotation_enabled"], "false");
    assert_eq!(api["attributes"]["referenced_from"], "stack.yaml");
    let api_codes = codes_of(&inv, api["id"].as_str().unwrap());
    assert!(
        api_codes.contains(&"rotation-disabled".to_string()),
        "{api_codes:?}"
    );
    assert!(
        api_codes.contains(&"third-party-access".to_string()),
        "{api_codes:?}"
    );
    let db = stored("prod/db/master");
    assert_eq!(db["attributes"]["rotation_enabled"], "true");
    assert_eq!(db["attributes"]["rotation_days"], "30");
    assert!(!codes_of(&inv, db["id"].as_str().unwrap()).contains(&"rotation-disabled".to_string()));
    // SSM: the SecureString only, joined to its reference.
    let param = stored("/prod/api/password");
    assert_eq!(param["service"], "ssm");
    assert_eq!(
        param["id"],
        "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/password"
    );
    assert!(all.iter().all(|i| i["name"] != "/prod/api/user"));
    assert_eq!(param["attributes"]["referenced_from"], "stack.yaml");
    let reference = all
        .iter()
        .find(|i| i["id"] == "reference:aws-ssm:/prod/api/password")
        .expect("the reference found in stack.yaml");
    assert!(
        reference["related"]
            .as_array()
            .unwrap()
            .contains(&param["id"])
    );
    // A reference to a secret the account does not hold.
    let missing: Vec<&Value> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-secret")
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("prod/retired/token")
    );
    assert_eq!(missing[0]["path"], "stack.yaml");
    // No value was read: the synthetic values appear nowhere.
    assert!(!inv.to_string().contains("synthetic-value"));
    // Only the profile's region by default: the eu-west-1 secret is not there.
    assert!(all.iter().all(|i| i["name"] != "eu/payments/api"));

    // --aws-regions lists each region's stores; IAM is listed once.
    let (_, inv, stderr) = scan_aws(
        &moto,
        dir.path(),
        &[".", "--aws", "--aws-regions", "us-east-1,eu-west-1"],
    );
    let stored: Vec<&Value> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["discovery"] == "collected" && i["kind"] == "stored-secret")
        .collect();
    let eu = stored
        .iter()
        .find(|i| i["name"] == "eu/payments/api")
        .unwrap_or_else(|| panic!("the eu-west-1 secret: {stderr}"));
    assert!(
        eu["id"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:secretsmanager:eu-west-1:123456789012:secret:eu/payments/api")
    );
    assert_eq!(eu["owner"]["team"], "payments-eu");
    assert!(stored.iter().any(|i| i["name"] == "prod/payments/api"));
    assert_eq!(
        stored.len(),
        4,
        "three secrets in two regions and one parameter"
    );
}
