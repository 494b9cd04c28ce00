//! Detection breadth end to end: webhook URLs that carry their own secret, and stored
//! password hashes as their own kind (an offline-cracking risk, `warn`, not a live
//! credential). Every value here is synthetic, built to the provider's documented format.

mod common;

use common::*;
use std::fs;

/// (detector, kind, level) of every secret finding, sorted.
fn found(inv: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "leaked-secret")
        .map(|f| {
            let id = f["identity"].as_str().unwrap();
            (
                f["detector"].as_str().unwrap_or_default().to_string(),
                identity(inv, id)["kind"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn webhook_urls_with_their_secret_are_found_for_every_chat_and_automation_service() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("notify.env"),
        "\
GCHAT_WEBHOOK=https://chat.googleapis.com/v1/spaces/AAAAx1Yz2Wq/messages?key=AIzaPtYgjmUhBel31iEl2hpChYgCfrL1spNxnyV&token=mihA-2O76UMFxFkM-R5Kjp1vRt_1fjORS-6ilI8ihN5%3D
MATTERMOST_URL=https://mattermost.internal.example.test/hooks/sywb3wkh5dnsipzz5fk2z9ri19
ZAPIER_HOOK=https://hooks.zapier.com/hooks/catch/46563212/jooa5lq/
IFTTT_URL=https://maker.ifttt.com/trigger/deploy_failed/with/key/Kas1VOqg6YYZYn9ZhyiA4u
ROCKETCHAT_HOOK=https://chat.example.test/hooks/9Pi582gBe8Rj36FjS/jOq9wMxEhh2FDEEtfjgVvVqE1SkHbn88HxjSI6bWHtP3fS2q
DINGTALK_HOOK=https://oapi.dingtalk.com/robot/send?access_token=b5b7a767c76fb008f86bebb2737f6a6f0fb23c6f5da2cec255404e4fb440034d
FEISHU_HOOK=https://open.feishu.cn/open-apis/bot/v2/hook/d37ee915-31de-44f4-9f2a-8b79fc8e80b3
WECOM_HOOK=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=40783f0a-072a-48d2-b606-defcdfb85c0d
",
    )
    .unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(code, 1, "live webhook URLs are deny findings");
    let detectors: Vec<String> = found(&inv).into_iter().map(|f| f.0).collect();
    assert_eq!(
        detectors,
        [
            "dingtalk.webhook-url",
            "feishu.webhook-url",
            "google-chat.webhook-url",
            "ifttt.webhook-key",
            "mattermost.webhook-url",
            "rocketchat.webhook-url",
            "wecom.webhook-url",
            "zapier.webhook-url",
        ]
    );
    assert!(
        found(&inv)
            .iter()
            .all(|(_, kind, level)| kind == "webhook" && level == "deny")
    );
    // The secret part never appears in the report.
    assert!(
        !inv.to_string()
            .contains("jOq9wMxEhh2FDEEtfjgVvVqE1SkHbn88HxjSI6bWHtP3fS2q")
    );
}

#[test]
fn password_hashes_are_their_own_kind_at_warn_wherever_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("etc")).unwrap();
    fs::write(
        tmp.path().join("etc/shadow"),
        "root:$6$0hzKnrSqEp5AkW8s$As1XPZxRMjSaP42aVOJgmBliFGdvGo0FXr9NjHfv0hGajFiAgFn4/PZGodCmsFevxLLyJ3uGQaEc/aw6D3l19W:19700:0:99999:7:::\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("etc/.htpasswd"),
        "ops:$apr1$LzBPxpXQ$eo/hE1sfiUIDJd4vsG3.FS\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("seed.py"),
        "ADMIN_PASSWORD = \"$2b$12$zJCNFZofR4Zora2v.ruq6nfN7lfDwHdk3bg2NxH37DFx3pZnW2MhC\"\n",
    )
    .unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(
        code, 0,
        "a hash is an offline risk, not a deny: {}",
        inv["findings"]
    );
    let found = found(&inv);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found
            .iter()
            .all(|(_, kind, level)| kind == "password-hash" && level == "warn"),
        "{found:?}"
    );
    // The bcrypt hash assigned to a password variable is the hash, not a generic password.
    assert!(
        found.iter().any(|f| f.0 == "password-hash.bcrypt"),
        "{found:?}"
    );
}

#[test]
fn platform_tokens_of_swarm_dependency_track_and_sidekiq_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("setup.sh"),
        "\
docker swarm join --token SWMTKN-1-qw7b3pdkhx4py8gpan0rlykei2iiaannkksum8nlmytbx0kjqe-vtavetwt4ul44ldqbwzb90xya 10.0.0.5:2377
echo 'SWMKEY-1-Qm8Zr8vLw3Xk9Tn2Bq7Hs5Jd4Pf6Yc1GaB2cD3eF4gH' | docker swarm unlock
curl -H 'X-Api-Key: odt_Zx4Vb7Nm1Qw9Er3Ty6Ui8Op2As5Df0Gh' https://dtrack.example.test/api/v1/project
export BUNDLE_GEMS__CONTRIBSYS__COM=9a8b7c6d:1e2f3a4b
",
    )
    .unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);
    let detectors: Vec<String> = found(&inv).into_iter().map(|f| f.0).collect();
    assert_eq!(
        detectors,
        [
            "dependency-track.api-key",
            "docker.swarm-join-token",
            "docker.swarm-unlock-key",
            "sidekiq.gems-credentials",
        ]
    );
}

/// (detector, service) of every identity found in `inv`, sorted.
fn providers(inv: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| {
            i["exposures"].as_array().unwrap().iter().map(move |e| {
                (
                    e["detector"].as_str().unwrap_or_default().to_string(),
                    i["service"].as_str().unwrap_or_default().to_string(),
                )
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn long_tail_keys_are_named_by_the_provider_next_to_a_value_of_its_shape() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("settings.py"),
        "\
SCRAPERAPI_KEY = \"7f3c9a1be04d2e6f8a5b1c9d0e3f7a2b\"
OPENWEATHER_API_KEY = 'c41e8f07b2d94a6e9f3a5c1d7b0e2f48'
# the same shape under a name that says it is no secret, or no provider at all
SCRAPERAPI_ACCOUNT_ID = \"5e1b9f3a7c0d2e8f4a6b1c9d3e7f0a2b\"
WIDGET_COLOUR = \"0b7e3d9f1a5c2e8d4f6a0b3c7e9d1f5a\"
",
    )
    .unwrap();
    let (_, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    let found = providers(&inv);
    assert!(
        found.contains(&("scraperapi.api-key".into(), "scraperapi".into())),
        "{found:?}"
    );
    assert!(found.contains(&("openweather.api-key".into(), "openweather".into())));
    let contextual: Vec<&(String, String)> = found
        .iter()
        .filter(|(d, _)| !d.starts_with("generic."))
        .collect();
    assert_eq!(
        contextual.len(),
        2,
        "the account id and the value under an unrelated name are not long-tail keys: {found:?}"
    );
    // A reviewer sees why it was kept, and where the row's documentation is.
    let detectors = inv["detectors"].to_string();
    assert!(detectors.contains("scraperapi.com"), "{detectors}");
}

#[test]
fn a_long_tail_row_wins_over_the_generic_assignment_it_overlaps() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("app.env"),
        "IPSTACK_API_KEY=e2a7c9f14b3d8e0a6c5f1b9d7e3a2c4f\n",
    )
    .unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);
    assert_eq!(
        providers(&inv),
        [("ipstack.access-key".to_string(), "ipstack".to_string())]
    );
}

/// Synthetic values in their providers' documented formats.
const GITLAB_TOKEN: &str = "glpat-Zq8Wk3Xn5Rv1Lt7MhP2c";
const SLACK_TOKEN: &str = "xoxb-518204733916-2290364758101-Wq7nZk3Rx8Lv5Tm2Pb9sYc4H";

/// `path:line` of an exposure.
fn place(e: &serde_json::Value) -> String {
    format!("{}:{}", e["path"].as_str().unwrap_or(""), e["line"])
}

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn a_token_in_a_kubernetes_secret_manifest_is_decoded_and_is_the_same_identity_as_in_plain() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  gitlab-token: {}\n  slack: {}\n",
            base64(GITLAB_TOKEN),
            base64(&format!("SLACK_BOT_TOKEN={SLACK_TOKEN}\n"))
        ),
    )
    .unwrap();
    fs::write(
        tmp.path().join("ci.env"),
        format!("GITLAB_TOKEN={GITLAB_TOKEN}\n"),
    )
    .unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);
    let gitlab: Vec<&serde_json::Value> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["exposures"][0]["detector"]
                .as_str()
                .unwrap_or("")
                .starts_with("gitlab.")
        })
        .collect();
    assert_eq!(gitlab.len(), 1, "one token, one identity: {gitlab:?}");
    let layers: Vec<(String, serde_json::Value)> = gitlab[0]["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (place(e), e["origin"]["decoded"].clone()))
        .collect();
    assert!(
        layers
            .iter()
            .any(|(l, d)| l.starts_with("secret.yaml:6") && *d == serde_json::json!(["base64"])),
        "{layers:?}"
    );
    assert!(
        layers.iter().any(|(l, _)| l.starts_with("ci.env:1")),
        "{layers:?}"
    );
    // The Slack token sat inside an encoded env file (not at the start of the value).
    assert!(
        inv["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["exposures"][0]["detector"]
                .as_str()
                .unwrap_or("")
                .starts_with("slack.")),
        "{inv}"
    );
    assert!(!inv.to_string().contains(&SLACK_TOKEN[10..]));
}

#[test]
fn utf16_files_are_scanned_as_text_with_their_layer_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let script = format!("# deploy\r\n$env:GITLAB_TOKEN = \"{GITLAB_TOKEN}\"\r\n");
    let mut little = vec![0xFF, 0xFE];
    little.extend(script.encode_utf16().flat_map(u16::to_le_bytes));
    fs::write(tmp.path().join("deploy.ps1"), little).unwrap();
    // No byte-order mark, big-endian: known by its NULs alone.
    let reg = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme]\r\n\"SlackToken\"=\"{SLACK_TOKEN}\"\r\n"
    );
    let big: Vec<u8> = reg.encode_utf16().flat_map(u16::to_be_bytes).collect();
    fs::write(tmp.path().join("acme.reg"), big).unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);
    let mut seen: Vec<(String, serde_json::Value)> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["exposures"].as_array().unwrap().iter())
        .map(|e| (place(e), e["origin"]["decoded"].clone()))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("acme.reg:4".to_string(), serde_json::json!(["utf-16"])),
            ("deploy.ps1:2".to_string(), serde_json::json!(["utf-16"])),
        ]
    );
}

/// Every exposure of the identity found by `detector_prefix`, as (place, decoded layers).
fn exposures_of(inv: &serde_json::Value, detector_prefix: &str) -> Vec<Vec<(String, String)>> {
    inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["exposures"][0]["detector"]
                .as_str()
                .unwrap_or("")
                .starts_with(detector_prefix)
        })
        .map(|i| {
            i["exposures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (place(e), e["origin"]["decoded"].to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn escaped_values_are_unescaped_and_are_the_same_identity_as_in_plain() {
    // Synthetic, to the documented formats: a Slack incoming-webhook URL
    // (`T`/`B` ids, 24-character secret) and a 40-character AWS secret access key holding
    // the `/` and `+` that percent-encoding changes.
    const HOOK: &str =
        "https://hooks.slack.com/services/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";
    const AWS_SECRET: &str = "Zq3v9Xk/Lm2Pn7Hc+Rt5Wy8Bd1Fg4Js6Ta0Ue/Vb";
    let tmp = tempfile::tempdir().unwrap();
    // PHP's json_encode and many JSON writers escape every slash.
    fs::write(
        tmp.path().join("hooks.json"),
        format!(
            "{{\n  \"channel\": \"#deploys\",\n  \"url\": \"{}\"\n}}\n",
            HOOK.replace('/', "\\/")
        ),
    )
    .unwrap();
    fs::write(
        tmp.path().join("notify.env"),
        format!("SLACK_WEBHOOK_URL={HOOK}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    )
    .unwrap();
    let encoded = AWS_SECRET.replace('/', "%2F").replace('+', "%2B");
    fs::write(
        tmp.path().join("request.log"),
        format!("POST /session body: region=eu-west-1&aws_secret_access_key={encoded}&ttl=900\n"),
    )
    .unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);

    let slack = exposures_of(&inv, "slack.");
    assert_eq!(slack.len(), 1, "one webhook, one identity: {slack:?}");
    let mut places = slack[0].clone();
    places.sort();
    assert_eq!(
        places,
        [
            ("hooks.json:3".to_string(), "[\"json-escape\"]".to_string()),
            ("notify.env:1".to_string(), "null".to_string()),
        ]
    );

    let aws = exposures_of(&inv, "aws.secret-access-key");
    assert_eq!(aws.len(), 1, "one key, one identity: {aws:?}");
    let mut places = aws[0].clone();
    places.sort();
    assert_eq!(
        places,
        [
            ("notify.env:2".to_string(), "null".to_string()),
            ("request.log:1".to_string(), "[\"url\"]".to_string()),
        ]
    );
    // Neither the value nor its escaped spelling reaches the report.
    let text = inv.to_string();
    assert!(!text.contains(&HOOK[40..]) && !text.contains(&encoded[10..]));
}

#[test]
fn a_password_in_a_secret_manifest_is_decoded_under_its_key_and_a_placeholder_is_not_reported() {
    // Synthetic values: a random database password and the placeholder `changeme`.
    const PASSWORD: &str = "Vq8#rT2m!Lx9pZ4w";
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("db-secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\ntype: Opaque\ndata:\n  db-user: {}\n  db-password: {}\n  admin-password: {}\n",
            base64("orders"),
            base64(PASSWORD),
            base64("changeme")
        ),
    )
    .unwrap();
    // The same Secret as `kubectl get secret -o json` prints it.
    fs::write(
        tmp.path().join("db-secret.json"),
        format!(
            "{{\n    \"apiVersion\": \"v1\",\n    \"data\": {{\n        \"admin-password\": \"{}\",\n        \"db-password\": \"{}\"\n    }},\n    \"kind\": \"Secret\",\n    \"type\": \"Opaque\"\n}}\n",
            base64("changeme"),
            base64(PASSWORD)
        ),
    )
    .unwrap();
    // The same password in a ConfigMap's data is plain text, not encoded: not decoded.
    fs::write(
        tmp.path().join("config.yaml"),
        format!(
            "kind: ConfigMap\ndata:\n  note: {}\n",
            base64("db-password: Zr5!kP9@wQ2#xL7m")
        ),
    )
    .unwrap();
    fs::write(
        tmp.path().join("local.env"),
        format!("DB_PASSWORD=\"{PASSWORD}\"\n"),
    )
    .unwrap();
    let (code, inv) = scan_json(tmp.path(), &[".", "--no-history"]);
    assert_eq!(code, 1);
    let secrets: Vec<Vec<(String, String)>> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "password")
        .map(|i| {
            let mut places: Vec<(String, String)> = i["exposures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (place(e), e["origin"]["decoded"].to_string()))
                .collect();
            places.sort();
            places
        })
        .collect();
    assert_eq!(
        secrets,
        [vec![
            ("db-secret.json:5".to_string(), "[\"base64\"]".to_string()),
            ("db-secret.yaml:8".to_string(), "[\"base64\"]".to_string()),
            ("local.env:1".to_string(), "null".to_string()),
        ]],
        "one password, found decoded under its key (YAML and JSON manifests) and in plain; \
         the placeholder, the user name and the ConfigMap are not reported: {inv}"
    );
    assert!(!inv.to_string().contains(&PASSWORD[4..]));
}
