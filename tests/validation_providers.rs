//! Every built-in `[[validate]]` check, end to end through the real HTTP client: a fake of
//! each provider on 127.0.0.1 accepts the secret only where the check's documentation puts
//! it (header, Basic credentials, path, query or body) and answers with the documented
//! fields at the check's JSON pointers; a second secret gets the provider's "revoked"
//! answer, a third a 429 with Retry-After before its answer, a fourth a redirect to
//! another host (not followed). So each provider's data is proved to send the secret the
//! documented way and to read principal, account and scopes from where the provider puts
//! them.

mod common;

use base64::Engine;
use common::providers::{Provider, Reply, Seen};
use nhiscan::detect::DetectorSet;
use nhiscan::detect::live::LiveCheck;
use nhiscan::model::{Exposure, Identity, LiveStatus, Origin, Provider as Source, Timestamp};
use nhiscan::scan::keep::Keeper;
use nhiscan::validate::{self, Options, request::Endpoints};
use serde_json::{Value, json};
use std::time::Duration;

/// Put `leaf` at JSON pointer `pointer` in `root`, creating objects and arrays on the way.
fn set_at(root: &mut Value, pointer: &str, leaf: Value) {
    let mut at = root;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (n, part) in parts.iter().enumerate() {
        let last = n + 1 == parts.len();
        let next = if last {
            leaf.clone()
        } else if parts[n + 1].parse::<usize>().is_ok() {
            json!([])
        } else {
            json!({})
        };
        at = match part.parse::<usize>() {
            Ok(i) => {
                let items = at.as_array_mut().expect("an array on the way");
                while items.len() <= i {
                    items.push(next.clone());
                }
                if last {
                    items[i] = leaf.clone();
                }
                &mut items[i]
            }
            Err(_) => {
                let map = at.as_object_mut().expect("an object on the way");
                let slot = map.entry(part.to_string()).or_insert(next);
                if last {
                    *slot = leaf.clone();
                }
                slot
            }
        };
    }
}

/// The documented "live" answer of `check`: every field it reads, filled in.
fn live_body(check: &LiveCheck) -> String {
    // A list endpoint (Sentry's organisations, Render's owners) answers with an array.
    let pointers = [&check.ok, &check.principal, &check.account, &check.scopes];
    let mut body = if pointers
        .iter()
        .any(|p| p.as_deref().is_some_and(|p| p.starts_with("/0")))
    {
        json!([])
    } else {
        json!({})
    };
    if let Some(ok) = &check.ok {
        match ok.split_once("==") {
            Some((p, want)) => set_at(&mut body, p.trim(), json!(want.trim())),
            None => set_at(&mut body, ok, json!(true)),
        }
    }
    if let Some(p) = &check.principal {
        set_at(
            &mut body,
            p,
            json!(format!("principal-of-{}", check.provider)),
        );
    }
    if let Some(p) = &check.account {
        set_at(
            &mut body,
            p,
            json!(format!("account-of-{}", check.provider)),
        );
    }
    if let Some(p) = &check.scopes {
        set_at(&mut body, p, json!(["scope-a", "scope-b"]));
    }
    body.to_string()
}

/// The request as text, with Basic credentials decoded, to find the secret in it.
fn presented(seen: &Seen) -> String {
    let mut text = seen.text();
    if let Some(basic) = seen
        .header("authorization")
        .and_then(|a| a.strip_prefix("Basic "))
        && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(basic)
    {
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    text
}

fn identity(n: usize, detector: &str) -> Identity {
    let mut i = Identity::found(
        format!("secret:fp{n}"),
        Source::FILE,
        "token",
        format!("token {n}"),
        "a.env",
    );
    i.fingerprint = Some(format!("fp{n}"));
    i.exposures
        .push(Exposure::new(Origin::file("a.env"), "a.env", detector).at(n as u64 + 1, 1));
    i
}

#[test]
fn every_provider_check_sends_the_secret_as_documented_and_reads_its_answer() {
    let set = DetectorSet::builtin().unwrap();
    let checks = set.live_checks();
    let mut providers: Vec<&str> = checks.iter().map(|c| c.provider.as_str()).collect();
    providers.sort_unstable();
    providers.dedup();
    assert!(
        providers.len() >= 25,
        "{} providers: {providers:?}",
        providers.len()
    );
    let now = Timestamp::parse("2026-11-22T12:00:00Z").unwrap();

    for (index, check) in checks.iter().enumerate() {
        // AWS signs with the SDK; tests/validation.rs asks moto's STS.
        if check.scheme != nhiscan::detect::live::Scheme::Http {
            continue;
        }
        assert!(check.docs.starts_with("https://") && check.base.starts_with("https://"));
        // Token-shaped values of the characters provider tokens use.
        let live = format!("LIVE{}0a1b2c3d4e5f6a7b8c9d", check.provider.to_uppercase());
        let dead = format!("DEAD{}0a1b2c3d4e5f6a7b8c9d", check.provider.to_uppercase());
        // Rate-limited once (then live), and redirected to another host.
        let rate = format!("RATE{}0a1b2c3d4e5f6a7b8c9d", check.provider.to_uppercase());
        let moved = format!("MOVE{}0a1b2c3d4e5f6a7b8c9d", check.provider.to_uppercase());
        let (l, d, r, m) = (live.clone(), dead.clone(), rate.clone(), moved.clone());
        let c = check.clone();
        let inactive = check.inactive_status[0];
        let limited = std::sync::atomic::AtomicBool::new(false);
        let server = Provider::start(move |seen, _| {
            let text = presented(seen);
            if text.contains(&r) && !limited.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return Reply::json(429, r#"{"message":"slow down"}"#).header("Retry-After", "0");
            }
            if text.contains(&m) {
                return Reply::json(302, "").header("Location", "https://elsewhere.example/login");
            }
            if text.contains(&l) || text.contains(&r) {
                let mut r = Reply::json(c.active_status[0], live_body(&c));
                if let Some(h) = &c.scopes_header {
                    r = r.header(h, "scope-a, scope-b");
                }
                r
            } else if text.contains(&d) {
                Reply::json(inactive, r#"{"message":"revoked"}"#)
            } else {
                Reply::json(418, "secret not presented where documented")
            }
        });
        let detector = (0..set.len() as u32)
            .map(|n| set.get(n))
            .find(|d| d.live == Some(index as u16))
            .unwrap();
        let keeper = Keeper::default();
        keeper.keep(&detector.id, "fp0", live.as_bytes(), "a.env", 1);
        keeper.keep(&detector.id, "fp1", dead.as_bytes(), "a.env", 2);
        keeper.keep(&detector.id, "fp2", rate.as_bytes(), "a.env", 3);
        keeper.keep(&detector.id, "fp3", moved.as_bytes(), "a.env", 4);
        let mut identities: Vec<Identity> = (0..4).map(|n| identity(n, &detector.id)).collect();
        let opts = Options {
            endpoints: Endpoints::parse(
                &format!("{}={}", check.provider, server.url),
                &[&check.provider],
            )
            .unwrap(),
            timeout: Duration::from_secs(10),
            cache: None,
            ttl_hours: 24,
        };
        let report = validate::run(&mut identities, &set, &keeper, &opts, now);
        let who = format!("{} ({}{})", check.provider, check.base, check.path);
        let v = identities[0].validation.as_ref().unwrap();
        assert_eq!(v.status, LiveStatus::Active, "{who}: {}", v.reason);
        if check.principal.is_some() {
            assert_eq!(
                v.principal.as_deref(),
                Some(format!("principal-of-{}", check.provider).as_str()),
                "{who}"
            );
        }
        if check.account.is_some() {
            assert_eq!(
                v.account.as_deref(),
                Some(format!("account-of-{}", check.provider).as_str()),
                "{who}"
            );
        }
        if check.scopes.is_some() || check.scopes_header.is_some() {
            assert_eq!(v.scopes, ["scope-a", "scope-b"], "{who}");
            assert!(
                identities[0]
                    .privileges
                    .contains(&format!("{}:scope-a", check.provider))
            );
        }
        let v = identities[1].validation.as_ref().unwrap();
        assert_eq!(v.status, LiveStatus::Inactive, "{who}: {}", v.reason);
        let v = identities[2].validation.as_ref().unwrap();
        assert_eq!(
            v.status,
            LiveStatus::Active,
            "{who} after a 429: {}",
            v.reason
        );
        let v = identities[3].validation.as_ref().unwrap();
        assert_eq!(
            v.status,
            LiveStatus::Unknown,
            "{who} redirected: {}",
            v.reason
        );
        assert!(v.reason.contains("elsewhere.example") && v.reason.contains("not followed"));
        // One call per secret (two for the rate-limited one), the documented method and path.
        let seen = server.seen();
        assert_eq!(seen.len(), 5, "{who}");
        assert_eq!(report.summary.calls[&server.host()], 5, "{who}");
        let path = check.path.split('?').next().unwrap();
        for s in &seen {
            assert_eq!(s.method, check.method.as_str(), "{who}");
            let (before, after) = path.split_once("{secret}").unwrap_or((path, ""));
            assert!(
                s.target.starts_with(before)
                    && s.target.split('?').next().unwrap().ends_with(after),
                "{who}: {}",
                s.target
            );
        }
        // Nothing shown holds a value.
        for i in &identities {
            let shown = serde_json::to_string(i).unwrap();
            for value in [&live, &dead, &rate, &moved] {
                assert!(!shown.contains(value.as_str()), "{who}");
            }
        }
    }
}
