//! `nhiscan detectors list|check`: show the detectors, or self-test their examples.

use super::{exit, load_detectors};
use crate::cli::{DetectorsAction, ListFormat};
use anyhow::{Context, Result};
use nhiscan::detect::{DetectorSet, Tier, self_test};
use std::collections::BTreeMap;

pub fn run(action: DetectorsAction) -> Result<u8> {
    match action {
        DetectorsAction::List { format, detectors } => {
            let set = load_detectors(&detectors)?;
            let text = match format {
                ListFormat::Json => detector_list_json(&set),
                ListFormat::Table => detector_list_table(&set),
            };
            super::out::stdout(&text).context("cannot write to standard output")?;
            Ok(exit::CLEAN)
        }
        DetectorsAction::Check { detectors } => {
            let set = load_detectors(&detectors)?;
            let broken = set.verify_regexes();
            if !broken.is_empty() {
                anyhow::bail!(nhiscan::detect::DetectorError::Invalid(broken));
            }
            let failures = self_test(&set);
            let examples: usize = set
                .detectors()
                .iter()
                .map(|d| {
                    let (examples, negatives) = d.cases();
                    examples.len() + negatives.len()
                })
                .sum();
            let mut text = String::new();
            for f in &failures {
                text.push_str(&format!("FAIL {f}\n"));
            }
            text.push_str(&format!(
                "{} detectors, {} examples: {} passed, {} failed\n",
                set.len(),
                examples,
                examples - failures.len(),
                failures.len()
            ));
            super::out::stdout(&nhiscan::model::text::printable_lines(&text))
                .context("cannot write to standard output")?;
            Ok(if failures.is_empty() {
                exit::CLEAN
            } else {
                exit::DENY
            })
        }
    }
}

fn detector_list_json(set: &DetectorSet) -> String {
    let list: Vec<serde_json::Value> = set
        .detectors()
        .iter()
        .map(|d| {
            let (examples, negative_examples) = d.cases();
            serde_json::json!({
                "id": d.id, "name": d.name, "provider": d.provider, "kind": d.kind,
                "keywords": d.keywords, "regex": d.pattern(), "entropy": d.entropy,
                "validate": d.validate, "generic": d.generic, "level": d.level,
                "confidence": d.confidence, "reference": d.reference, "origin": d.origin,
                "form": form(d),
                "category": d.contextual.as_ref().map(|r| r.syntax.category.clone()),
                "examples": examples, "negative_examples": negative_examples,
                "live_check": set.live_check(d).map(|c| serde_json::json!({
                    "host": c.host(), "docs": c.docs, "principal_kind": c.principal_kind,
                })),
                "revoke_api": set.revoke_call(d).map(|c| serde_json::json!({
                    "host": c.host(), "docs": c.docs,
                })),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&list).expect("list serialises");
    text.push('\n');
    text
}

fn detector_list_table(set: &DetectorSet) -> String {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["Id", "Name", "Provider", "Kind", "Keywords", "--validate"]);
    for d in set.detectors() {
        table.add_row(vec![
            d.id.clone(),
            d.name.clone(),
            d.provider.clone(),
            d.kind.clone(),
            d.keywords.join(" "),
            set.live_check(d)
                .map_or("-".to_string(), |c| c.host().to_string()),
        ]);
    }
    format!("{table}\n{}", counts(set))
}

/// How a detector recognises its value: a provider's own format, the provider's name next
/// to a value of its shape (a contextual row), or a generic assignment.
fn form(d: &nhiscan::detect::Detector) -> &'static str {
    match d.tier() {
        Tier::Format => "format",
        Tier::Contextual => "contextual",
        Tier::Generic => "generic",
    }
}

/// The footer: the total, then counts by form and by kind, largest first.
fn counts(set: &DetectorSet) -> String {
    let tally = |key: &dyn Fn(&nhiscan::detect::Detector) -> String| {
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for d in set.detectors() {
            *by.entry(key(d)).or_default() += 1;
        }
        let mut list: Vec<(String, usize)> = by.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        list.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let live = set
        .detectors()
        .iter()
        .filter(|d| set.live_check(d).is_some())
        .count();
    let revocable = set
        .detectors()
        .iter()
        .filter(|d| set.revoke_call(d).is_some())
        .count();
    let providers = |calls: &[nhiscan::detect::live::LiveCheck]| {
        calls
            .iter()
            .map(|c| c.provider.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    format!(
        "{} detectors\nby form: {}\nby kind: {}\nlive checks (--validate): {live} detectors of {} providers; self-revocation (nhiscan revoke): {revocable} detectors of {} providers\n",
        set.len(),
        tally(&|d| form(d).to_string()),
        tally(&|d| d.kind.clone()),
        providers(set.live_checks()),
        providers(set.revoke_calls()),
    )
}
