//! Validation by signing schemes, against real or documented peers: AWS keys through
//! moto's STS (SigV4 by the AWS SDK) and a documented STS rejection; GCP service-account
//! keys through a token endpoint that verifies the RS256 assertion with the key's public
//! half, as Google's does.

mod common;

use common::providers::{Provider, Reply, scan};
use common::tree;
use serde_json::Value;
use std::time::Duration;

/// STS's documented answer to a deleted or wrong key: 403 `InvalidClientTokenId`.
fn sts_rejecting() -> Provider {
    Provider::start(|_, _| {
        Reply {
        status: 403,
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>".into(),
        delay: Duration::ZERO,
    }
    })
}

#[test]
fn an_aws_key_pair_is_asked_who_it_is_and_joined_to_its_iam_user() {
    let moto = common::moto::Moto::start();
    let seeded = moto.seed(&[]);
    let key = seeded["used_key"].as_str().unwrap();
    let secret = seeded["used_secret"].as_str().unwrap();
    let dir = tree(&[(
        "credentials",
        format!("[deploy]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )]);
    let home = tempfile::tempdir().unwrap();
    let out = moto
        .nhiscan(home.path())
        .current_dir(dir.path())
        .env(
            "NHISCAN_VALIDATE_ENDPOINTS",
            format!("aws={}", moto.endpoint),
        )
        .args([
            "scan",
            "--aws",
            "--validate",
            "--no-validate-cache",
            "--format",
            "json",
            "--no-progress",
            ".",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let inv: Value = serde_json::from_str(&stdout).unwrap();
    let user = "arn:aws:iam::123456789012:user/ci-deploy";
    let secret_identity = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "secret-key")
        .unwrap_or_else(|| panic!("no secret key found: {stderr}"));
    let v = &secret_identity["validation"];
    assert_eq!(v["status"], "active", "{v}");
    assert_eq!(v["principal"], user);
    assert_eq!(v["account"], "123456789012");
    assert_eq!(v["principal_kind"], "AWS principal");
    // Joined to the IAM user the collector listed: related both ways, the user's owner.
    assert!(
        secret_identity["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == user)
    );
    let iam_user = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == user)
        .unwrap();
    assert!(
        iam_user["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| *r == secret_identity["id"])
    );
    assert_eq!(secret_identity["owner"]["team"], "platform");
    assert!(
        secret_identity["owner"]["evidence"]
            .as_str()
            .unwrap()
            .contains(user)
    );
    assert!(
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "live-secret" && f["identity"] == secret_identity["id"])
    );
    assert!(!stdout.contains(secret) && !stderr.contains(secret));

    // A key STS rejects is inactive.
    let sts = sts_rejecting();
    let run = scan(
        dir.path(),
        &format!("aws={}", sts.url),
        &["--validate", "--no-validate-cache"],
    );
    let inv = &run.inventory;
    let v = &inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "secret-key")
        .unwrap()["validation"];
    assert_eq!(v["status"], "inactive", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("InvalidClientTokenId")
    );
    assert_eq!(sts.seen().len(), 1);
    // Signed with the key id it was found with (SigV4's Credential names it), the secret never sent.
    let seen = &sts.seen()[0];
    assert!(
        seen.header("authorization")
            .unwrap()
            .contains(&format!("Credential={key}/"))
    );
    assert!(!seen.text().contains(secret));
}

/// A service-account key file of the documented shape, synthetic values; its token_uri
/// points elsewhere, which must not matter.
fn key_file(project: &str, email: &str, key_id: &str, pem: &str) -> String {
    serde_json::json!({
        "type": "service_account", "project_id": project, "private_key_id": key_id,
        "private_key": pem, "client_email": email, "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://token-thief.example/token",
    })
    .to_string()
}

const AUDIENCE: &str = "https://oauth2.googleapis.com/token";

#[test]
fn a_gcp_service_account_key_is_exchanged_with_a_signed_assertion() {
    let keys = tempfile::tempdir().unwrap();
    let (live_pem, live_public) = common::keys::rsa_key(keys.path(), "live");
    let (dead_pem, _) = common::keys::rsa_key(keys.path(), "dead");
    let live_email = "ci-deployer@example-project-4821.iam.gserviceaccount.com";
    // The token endpoint knows the live key's public half only (the other was deleted).
    let google = Provider::start(move |req, _| {
        let assertion = req
            .body
            .split('&')
            .find_map(|p| p.strip_prefix("assertion="))
            .unwrap_or_default()
            .to_string();
        let grant = req
            .body
            .contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer");
        let parts: Vec<&str> = assertion.split('.').collect();
        let ok = grant && parts.len() == 3 && {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap_or_default())
                .unwrap_or(Value::Null);
            let signature = b64.decode(parts[2]).unwrap_or_default();
            let key = ring::signature::UnparsedPublicKey::new(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                &live_public,
            );
            claims["iss"] == live_email
                && claims["aud"] == AUDIENCE
                && key
                    .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
                    .is_ok()
        };
        if req.method == "POST" && req.target == "/token" && ok {
            Reply::json(
                200,
                r#"{"access_token":"ya29.synthetic-not-a-token","expires_in":3599,"token_type":"Bearer"}"#,
            )
        } else {
            Reply::json(
                400,
                r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
            )
        }
    });
    let dir = tree(&[
        (
            "live-sa.json",
            key_file(
                "example-project-4821",
                live_email,
                "c71e04b9f2d85a3396e1b7f0a54c28d9e6b31f07",
                &live_pem,
            ),
        ),
        (
            "old-sa.json",
            key_file(
                "example-project-4821",
                "old@example-project-4821.iam.gserviceaccount.com",
                "0d9c8b7a6f5e4d3c2b1a0f8e6b4c6d3a9e7b2c1f",
                &dead_pem,
            ),
        ),
    ]);
    let run = scan(
        dir.path(),
        &format!("gcp={}", google.url),
        &["--validate", "--no-validate-cache"],
    );
    let (stdout, stderr, inv) = (&run.stdout, &run.stderr, &run.inventory);
    let key_at = |path: &str| {
        inv["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| {
                i["exposures"][0]["path"] == path
                    && i["exposures"][0]["detector"] == "gcp.service-account-key"
            })
            .unwrap_or_else(|| panic!("no key in {path}: {stderr}"))
            .clone()
    };
    let live = key_at("live-sa.json");
    assert_eq!(
        live["validation"]["status"], "active",
        "{}",
        live["validation"]
    );
    assert_eq!(live["validation"]["principal"], live_email);
    assert_eq!(live["validation"]["account"], "example-project-4821");
    assert_eq!(live["validation"]["principal_kind"], "GCP service account");
    let old = key_at("old-sa.json");
    assert_eq!(old["validation"]["status"], "inactive");
    assert!(
        old["validation"]["reason"]
            .as_str()
            .unwrap()
            .ends_with("answered 400: Invalid JWT Signature.")
    );
    // One exchange per key, at the redirected endpoint: the file's token_uri is not used.
    assert_eq!(google.seen().len(), 2);
    assert!(google.seen().iter().all(|s| s.target == "/token"));
    // Neither the private keys nor the access token reach the output.
    for s in [&stdout, &stderr] {
        assert!(!s.contains("BEGIN PRIVATE KEY") && !s.contains("ya29."));
        assert!(!s.contains(live_pem.lines().nth(1).unwrap()));
    }
}

#[test]
fn an_azure_client_secret_is_tried_with_the_tenant_and_app_named_beside_it() {
    const TENANT: &str = "5b2d8e41-7c39-4f0a-9e16-3d84a7c2f091";
    const APP: &str = "a93f1c27-6e58-4b0d-8f42-1c7e9d35b604";
    const LIVE: &str = "7hk8Q~e0BnMBtagfeFCvyxNkA0QRg042YxZ9mIsR";
    const DEAD: &str = "14F5Q~0KZR5GbiYOFGxKPUZ-viJBcbQ3LgI5ro";
    let login = Provider::start(|req, _| {
        let form: Vec<&str> = req.body.split('&').collect();
        let live = req.target == format!("/{TENANT}/oauth2/v2.0/token")
            && form.contains(&format!("client_id={APP}").as_str())
            && form.contains(&"client_secret=7hk8Q~e0BnMBtagfeFCvyxNkA0QRg042YxZ9mIsR")
            && form.contains(&"grant_type=client_credentials");
        if live {
            Reply::json(
                200,
                r#"{"token_type":"Bearer","expires_in":3599,"access_token":"synthetic-access-token"}"#,
            )
        } else {
            Reply::json(
                401,
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#,
            )
        }
    });
    let dir = tree(&[
        (
            "prod.env",
            format!(
                "AZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_ID={APP}\nAZURE_CLIENT_SECRET={LIVE}\n"
            ),
        ),
        (
            "old.env",
            format!(
                "AZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_ID={APP}\nAZURE_CLIENT_SECRET={DEAD}\n"
            ),
        ),
        (
            "lonely.env",
            "AZURE_CLIENT_SECRET=k2Xf8Q~Zr4Vb8Nq2Lx6Tm9Pk3Wd7Hc1Jq5Ys0Ug\n".to_string(),
        ),
    ]);
    let run = scan(
        dir.path(),
        &format!("azure={}", login.url),
        &["--validate", "--no-validate-cache"],
    );
    let (stdout, inv) = (&run.stdout, &run.inventory);
    let at = |path: &str| {
        inv["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["exposures"][0]["path"] == path && i["kind"] == "client-secret")
            .unwrap_or_else(|| panic!("no secret in {path}"))["validation"]
            .clone()
    };
    assert_eq!(at("prod.env")["status"], "active", "{}", at("prod.env"));
    assert_eq!(at("prod.env")["principal"], format!("app {APP}"));
    assert_eq!(at("prod.env")["account"], format!("tenant {TENANT}"));
    assert_eq!(at("old.env")["status"], "inactive");
    assert!(
        at("old.env")["reason"]
            .as_str()
            .unwrap()
            .contains("AADSTS7000215")
    );
    // Without the ids beside it, the secret is not sent anywhere.
    assert_eq!(at("lonely.env")["status"], "unknown");
    assert!(
        at("lonely.env")["reason"]
            .as_str()
            .unwrap()
            .contains("no tenant id")
    );
    assert_eq!(login.seen().len(), 2);
    assert!(!stdout.contains(LIVE) && !stdout.contains("synthetic-access-token"));
}
