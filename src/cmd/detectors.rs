//! `nhiscan detectors list|check`: show the detectors, or self-test their examples.

use super::{exit, load_detectors};
use crate::cli::{DetectorsAction, ListFormat};
use anyhow::{Context, Result};
use nhiscan::detect::{DetectorSet, self_test};

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
                .map(|d| d.syntax.examples.len() + d.syntax.negative_examples.len())
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
            serde_json::json!({
                "id": d.id, "name": d.name, "provider": d.provider, "kind": d.kind,
                "keywords": d.keywords, "regex": d.syntax.regex, "entropy": d.entropy,
                "validate": d.syntax.validate, "generic": d.generic, "level": d.level,
                "confidence": d.confidence, "reference": d.reference, "origin": d.origin,
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
        .set_header(["Id", "Name", "Provider", "Kind", "Keywords"]);
    for d in set.detectors() {
        table.add_row(vec![
            d.id.clone(),
            d.name.clone(),
            d.provider.clone(),
            d.kind.clone(),
            d.keywords.join(" "),
        ]);
    }
    format!("{table}\n{} detectors\n", set.len())
}
