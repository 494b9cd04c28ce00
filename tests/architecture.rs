//! The shape of the code, checked: stages import only stages below them (so there is no
//! import circle), and no source file grows past what one person reads in one sitting.
//! A failure names the file and the offending import or length.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Library modules from the bottom of the pipeline to the top. A module may use itself
/// and any module listed before it, never one after it.
const STAGES: &[&str] = &[
    "model",
    "detect",
    "scan",
    "collect",
    "inventory",
    "owners",
    "validate",
    "policy",
    "config",
    "report",
    "review",
    "drift",
    "scan_history",
    "evidence",
    "pipeline",
];

/// Lines past which a file should be split by concept.
const MAX_LINES: usize = 600;
const MAX_MAIN_LINES: usize = 200;

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level library module a file belongs to (`src/scan/git/mod.rs` -> `scan`).
fn stage_of(path: &Path) -> Option<&'static str> {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    STAGES.iter().copied().find(|s| *s == name)
}

/// Code outside unit-test modules: tests may reach anywhere to build their fixtures.
fn production_code(text: &str, path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text.to_string(),
    }
}

/// Every `crate::<module>` a file mentions, with its line.
fn crate_references(code: &str) -> Vec<(usize, String)> {
    let mut refs = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                refs.push((n + 1, name));
            }
            rest = after;
        }
    }
    refs
}

#[test]
fn every_stage_imports_only_the_stages_below_it() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let rank: BTreeMap<&str, usize> = STAGES.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut violations = Vec::new();
    let mut unstaged = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(src()).unwrap().display().to_string();
        let Some(stage) = stage_of(path) else {
            // The binary (main, cli, cmd) and lib.rs sit above every stage.
            if !["main.rs", "lib.rs", "cli.rs"].contains(&rel.as_str()) && !rel.starts_with("cmd/")
            {
                unstaged.push(rel);
            }
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for (line, used) in crate_references(&production_code(&text, path)) {
            match rank.get(used.as_str()) {
                Some(&r) if r > rank[stage] => violations.push(format!(
                    "src/{rel}:{line}: {stage} uses crate::{used}, a stage above it"
                )),
                _ => {}
            }
        }
    }
    assert!(
        unstaged.is_empty(),
        "modules missing from STAGES: {unstaged:?}"
    );
    assert!(violations.is_empty(), "\n{}", violations.join("\n"));
}

#[test]
fn no_source_file_outgrows_one_reading() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    for path in &files {
        let lines = std::fs::read_to_string(path).unwrap().lines().count();
        let rel = path.strip_prefix(src()).unwrap().display().to_string();
        let limit = if rel == "main.rs" {
            MAX_MAIN_LINES
        } else {
            MAX_LINES
        };
        if lines > limit {
            long.push(format!(
                "src/{rel}: {lines} lines (limit {limit}); split it by concept"
            ));
        }
    }
    assert!(long.is_empty(), "\n{}", long.join("\n"));
}

#[test]
fn the_layering_check_sees_an_upward_import() {
    let code = "use crate::model::Identity;\nfn f() { crate::policy::judge(); }\n";
    let refs = crate_references(code);
    assert_eq!(refs, [(1, "model".to_string()), (2, "policy".to_string())]);
}
