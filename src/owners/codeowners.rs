//! CODEOWNERS as GitHub reads it: the first file found in `.github/`, the root or `docs/`,
//! gitignore-style patterns, and the last matching line wins.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::Path;

/// One CODEOWNERS line: its pattern matcher and owners.
struct CodeownersRule {
    line: usize,
    pattern: String,
    matcher: Gitignore,
    owners: Vec<String>,
}

/// The CODEOWNERS file that applies to a tree, parsed.
pub struct Codeowners {
    file: String,
    rules: Vec<CodeownersRule>,
}

/// GitHub looks in these places, in this order, and uses the first file it finds.
const CODEOWNERS_LOCATIONS: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

impl Codeowners {
    pub fn discover(root: &Path) -> Option<Codeowners> {
        CODEOWNERS_LOCATIONS.iter().find_map(|rel| {
            let path = root.join(rel);
            let text = std::fs::read_to_string(&path).ok()?;
            Some(Codeowners::parse(&text, root, rel))
        })
    }

    pub fn parse(text: &str, root: &Path, file: &str) -> Codeowners {
        let rules = text
            .lines()
            .enumerate()
            .filter_map(|(i, line)| {
                let line_text = line.split('#').next().unwrap_or("").trim();
                let mut parts = line_text.split_whitespace();
                let pattern = parts.next()?;
                let owners: Vec<String> = parts.map(str::to_string).collect();
                let mut builder = GitignoreBuilder::new(root);
                builder.add_line(None, pattern).ok()?;
                Some(CodeownersRule {
                    line: i + 1,
                    pattern: pattern.to_string(),
                    matcher: builder.build().ok()?,
                    owners,
                })
            })
            .collect();
        Codeowners {
            file: file.to_string(),
            rules,
        }
    }

    /// The owners of `path` (the last matching line), with the line as evidence. A matching
    /// line without owners means "no owner" in GitHub's semantics.
    pub fn owners_of(&self, path: &str) -> Option<(Vec<String>, String)> {
        let rule = self.rules.iter().rev().find(|r| {
            r.matcher
                .matched_path_or_any_parents(path, false)
                .is_ignore()
        })?;
        (!rule.owners.is_empty()).then(|| {
            (
                rule.owners.clone(),
                format!(
                    "{}:{} `{}` {}",
                    self.file,
                    rule.line,
                    rule.pattern,
                    rule.owners.join(" ")
                ),
            )
        })
    }
}
