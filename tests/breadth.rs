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
