//! Reading a TOML file the way a user wants its problems: all of them at once.
//!
//! serde stops at the first error, so a file with a typo in line 3 and a wrong type in
//! line 9 would take two runs to fix. Here the document is parsed with the TOML parser's
//! own recovery (every syntax error, each with its place), then deserialized again and
//! again: each error is recorded and the entry it points at removed, until the rest
//! deserializes. The caller then runs its semantic checks on what remains, so syntax,
//! type and meaning problems come back together, in one report.

use serde::de::DeserializeOwned;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// At most this many problems are collected from one file.
const MAX_PROBLEMS: usize = 100;

/// One problem: its byte range in the file, when known, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// `T` from `text`, or `None` if nothing could be made of it, with every problem found.
/// With problems, a `Some` holds what deserialized once the broken entries were left out,
/// for the caller's own checks; it must not be used as the configuration.
pub fn deserialize_all<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<Problem>) {
    let (mut table, syntax) = DeTable::parse_recoverable(text);
    if syntax.is_empty() {
        // The common case, a valid file, deserializes the parsed table itself rather than a
        // copy kept for recovery; only a file with a problem is parsed a second time.
        if let Ok(value) = T::deserialize(toml::de::Deserializer::from(table)) {
            return (Some(value), Vec::new());
        }
        table = DeTable::parse_recoverable(text).0;
    }
    let mut problems: Vec<Problem> = syntax.iter().map(problem).collect();
    loop {
        let deserializer = toml::de::Deserializer::from(table.clone());
        match T::deserialize(deserializer) {
            Ok(value) => return (Some(value), by_position(problems)),
            Err(e) => {
                let found = problem(&e);
                let removed = found
                    .span
                    .as_ref()
                    .is_some_and(|span| remove_at(table.get_mut(), span.start));
                let repeated = problems.contains(&found);
                if !repeated {
                    problems.push(found);
                }
                if !removed || repeated || problems.len() >= MAX_PROBLEMS {
                    return (None, by_position(problems));
                }
            }
        }
    }
}

/// In the order of the file, so the report reads top to bottom.
fn by_position(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| p.span.as_ref().map_or(usize::MAX, |s| s.start));
    problems
}

fn problem(e: &toml::de::Error) -> Problem {
    Problem {
        span: e.span(),
        message: e.message().trim().to_string(),
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

impl Problem {
    /// `3:14: message`, or the message alone when the place is unknown.
    pub fn at(&self, text: &str) -> String {
        match &self.span {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!("{line}:{column}: {}", self.message)
            }
            None => self.message.clone(),
        }
    }
}

fn contains(span: Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

/// Remove the innermost entry of `table` at byte `pos`; false when none is there. Every
/// nested table is searched whatever its own span: a `[section]`'s span is its header
/// only, not the lines under it.
fn remove_at(table: &mut DeTable<'_>, pos: usize) -> bool {
    for (_, value) in table.iter_mut() {
        if remove_inside(value.get_mut(), pos) {
            return true;
        }
    }
    let hit = table
        .iter()
        .find(|(key, value)| contains(key.span(), pos) || contains(value.span(), pos))
        .map(|(key, _)| key.clone());
    hit.is_some_and(|key| table.remove(&key).is_some())
}

fn remove_inside(value: &mut DeValue<'_>, pos: usize) -> bool {
    match value {
        DeValue::Table(table) => remove_at(table, pos),
        DeValue::Array(items) => {
            for item in items.iter_mut() {
                if remove_inside(item.get_mut(), pos) {
                    return true;
                }
            }
            let all: Vec<Spanned<DeValue<'_>>> = items.iter().cloned().collect();
            let before = all.len();
            let kept: Vec<Spanned<DeValue<'_>>> = all
                .into_iter()
                .filter(|item| !contains(item.span(), pos))
                .collect();
            let changed = kept.len() != before;
            *items = kept.into_iter().collect();
            changed
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        #[serde(default)]
        limit: Option<u32>,
        #[serde(default)]
        rule: Vec<Rule>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Rule {
        name: String,
    }

    fn lines(text: &str, problems: &[Problem]) -> Vec<(usize, String)> {
        problems
            .iter()
            .map(|p| {
                let line = p
                    .span
                    .as_ref()
                    .map_or(0, |s| text[..s.start].matches('\n').count() + 1);
                (line, p.message.clone())
            })
            .collect()
    }

    #[test]
    fn every_type_unknown_and_missing_field_problem_is_reported_with_its_line() {
        let text = "limit = \"ten\"\ncolour = 3\n[[rule]]\nname = \"a\"\n[[rule]]\nnmae = \"b\"\n";
        let (doc, problems) = deserialize_all::<Doc>(text);
        let found = lines(text, &problems);
        // The misspelt key is unknown, and so the field it meant to set is missing.
        assert_eq!(found.len(), 4, "{found:?}");
        // In file order.
        assert_eq!(found[0].0, 1, "{found:?}");
        assert!(found[0].1.contains("invalid type"), "{found:?}");
        assert!(
            found.iter().any(|(l, m)| *l == 2 && m.contains("colour")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|(l, m)| *l == 6 && m.contains("nmae")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 5 && m.contains("missing field `name`")),
            "{found:?}"
        );
        // What remains is still read, for the caller's own checks.
        assert_eq!(doc.map(|d| d.rule.len()), Some(1));
    }

    #[test]
    fn syntax_errors_are_all_reported_and_the_rest_still_checked() {
        let text = "limit = \nx = [1,\nlimit2 = 3\n[[rule]]\nname = 7\n";
        let (_, problems) = deserialize_all::<Doc>(text);
        assert!(problems.len() >= 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.span.is_some()), "{problems:?}");
    }

    #[test]
    fn a_clean_document_has_no_problems() {
        let (doc, problems) = deserialize_all::<Doc>("limit = 3\n");
        assert!(problems.is_empty());
        assert_eq!(doc.unwrap().limit, Some(3));
    }
}
