//! `[policy] min_confidence`, `context_applies_below`, `[policy.confidence]` and
//! `[policy.context]`: how sure a finding must be to be reported, and how far where it
//! lies lowers its level.

use super::parse_level;
use crate::model::{Confidence, Context};
use crate::policy::Precision;
use std::collections::BTreeMap;
use toml::Spanned;

/// The precision keys of `[policy]` as written (serde reads them into `RawPolicy`).
#[derive(Debug)]
pub(super) struct RawPrecision {
    pub min_confidence: Option<Spanned<String>>,
    pub context_applies_below: Option<Spanned<String>>,
    pub confidence: BTreeMap<String, Spanned<String>>,
    pub context: BTreeMap<String, Spanned<String>>,
}

pub fn parse_confidence(text: &str) -> Option<Confidence> {
    Confidence::ALL.into_iter().find(|c| c.as_str() == text)
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|&c| name(c)).collect::<Vec<_>>().join(", ")
}

/// Validate `raw` into `into`; every problem is pushed with its place (`at`).
pub(super) fn apply(
    raw: RawPrecision,
    into: &mut Precision,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
    problems: &mut Vec<String>,
) {
    let confidences = names(&Confidence::ALL, Confidence::as_str);
    let mut confidence = |key: &str, value: &Spanned<String>| {
        let parsed = parse_confidence(value.get_ref());
        if parsed.is_none() {
            problems.push(format!(
                "{}: policy.{key}: `{}` is not a confidence; use one of {confidences}",
                at(value.span()),
                value.get_ref()
            ));
        }
        parsed
    };
    if let Some(v) = &raw.min_confidence
        && let Some(c) = confidence("min_confidence", v)
    {
        into.min_confidence = c;
    }
    if let Some(v) = &raw.context_applies_below
        && let Some(c) = confidence("context_applies_below", v)
    {
        into.context_below = c;
    }
    for (name, level) in &raw.confidence {
        let Some(c) = parse_confidence(name) else {
            problems.push(format!(
                "{}: policy.confidence.{name}: unknown confidence; use one of {confidences}",
                at(level.span())
            ));
            continue;
        };
        match parse_level(level.get_ref()) {
            Some(l) => {
                into.by_confidence.insert(c, l);
            }
            None => problems.push(level_problem(at, "confidence", name, level)),
        }
    }
    let contexts = names(&Context::ALL, Context::as_str);
    for (name, level) in &raw.context {
        let Some(c) = Context::ALL.into_iter().find(|c| c.as_str() == name) else {
            problems.push(format!(
                "{}: policy.context.{name}: unknown context; use one of {contexts}",
                at(level.span())
            ));
            continue;
        };
        match parse_level(level.get_ref()) {
            Some(l) => {
                into.by_context.insert(c, l);
            }
            None => problems.push(level_problem(at, "context", name, level)),
        }
    }
}

fn level_problem(
    at: &dyn Fn(std::ops::Range<usize>) -> String,
    table: &str,
    name: &str,
    level: &Spanned<String>,
) -> String {
    format!(
        "{}: policy.{table}.{name}: `{}` is not a level; use allow, warn or deny",
        at(level.span()),
        level.get_ref()
    )
}
