//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, which
//! `.ci/test` installs) loads the page at 1,280 px, a probe script measures it, and a
//! screenshot is written under target/html-report/ for a person to look at.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser"] {
        if let Ok(out) = Command::new("which").arg(name).output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "Chromium is needed for this test: apt-get install chromium (bash .ci/test installs it)"
    );
}

fn chromium_cmd(width: u32, height: u32) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        &format!("--window-size={width},{height}"),
    ]);
    cmd
}

/// What the page measures once loaded in a 1,280 px window: its scroll and client
/// widths, the ids of its sections and how many SVG charts it drew.
fn probe(html: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(html).unwrap();
    let script = "<script>window.addEventListener('load',()=>{const d=document.documentElement;\
document.body.setAttribute('data-probe',JSON.stringify({scroll:d.scrollWidth,client:d.clientWidth,\
ids:[...document.querySelectorAll('[id]')].map(e=>e.id),svgs:document.querySelectorAll('svg').length}))});</script>";
    let probed = html.with_extension("probe.html");
    std::fs::write(
        &probed,
        text.replace("</body>", &format!("{script}</body>")),
    )
    .unwrap();
    let out = chromium_cmd(1280, 1000)
        .args(["--virtual-time-budget=3000", "--dump-dom"])
        .arg(format!("file://{}", probed.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let attr = regex::Regex::new(r#"data-probe="([^"]*)""#).unwrap();
    let json = attr.captures(&dom).unwrap_or_else(|| {
        panic!(
            "no probe in the page Chromium loaded: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })[1]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// A full-page screenshot under target/html-report/NAME.png.
fn screenshot(html: &Path, name: &str) -> PathBuf {
    let dir = crate_root().join("target/html-report");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join(format!("{name}.png"));
    let out = chromium_cmd(1280, 3200)
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::metadata(&png).unwrap().len() > 10_000,
        "an empty screenshot"
    );
    png
}

fn ids(probe: &serde_json::Value) -> Vec<String> {
    probe["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_report_fits_1280_px_with_every_section_and_its_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("report.html");
    let out = nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--format", "html", "-o"])
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let p = probe(&html);
    assert!(
        p["scroll"].as_u64().unwrap() <= p["client"].as_u64().unwrap(),
        "horizontal overflow at 1,280 px: {p}"
    );
    for section in [
        "scope",
        "summary",
        "charts",
        "controls",
        "identities",
        "findings",
        "signoff",
    ] {
        assert!(ids(&p).iter().any(|i| i == section), "no #{section}: {p}");
    }
    assert_eq!(p["svgs"], 4, "age, kind, owner and control charts");
    screenshot(&html, "planted");
}

#[test]
fn the_probe_sees_an_overflowing_page() {
    // Guards the test above: a page wider than the window is measured as such.
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("wide.html");
    std::fs::write(
        &html,
        "<html><body><div style=\"width:2400px\">wide</div></body></html>",
    )
    .unwrap();
    let p = probe(&html);
    assert!(
        p["scroll"].as_u64().unwrap() > p["client"].as_u64().unwrap(),
        "{p}"
    );
}

#[test]
fn the_period_report_shows_the_period_and_its_trend() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy_tree(&planted(), &tree);
    let db = tmp.path().join("h.db");
    for now in [
        "2026-01-05T09:00:00Z",
        "2026-02-05T09:00:00Z",
        "2026-03-05T09:00:00Z",
    ] {
        let out = nhiscan()
            .env("NHISCAN_NOW", now)
            .current_dir(&tree)
            .args(["scan", ".", "--format", "json", "--history"])
            .arg(&db)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
    }
    let pack = tmp.path().join("pack");
    let out = nhiscan()
        .args([
            "evidence",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--history",
        ])
        .arg(&db)
        .arg("-o")
        .arg(&pack)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = pack.join("report.html");
    let p = probe(&html);
    assert!(
        p["scroll"].as_u64().unwrap() <= p["client"].as_u64().unwrap(),
        "{p}"
    );
    assert!(ids(&p).iter().any(|i| i == "period"), "{p}");
    assert_eq!(p["svgs"], 5, "the trend chart too");
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("Period:</b> 2026-01-01 to 2026-03-31 (3 scans)"));
    screenshot(&html, "period");
}
