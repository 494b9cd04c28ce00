//! What kind of place a path is: source, test, docs, vendor or example.
//!
//! The policy relaxes findings below high confidence outside source code: a generic
//! `password = "..."` in a test fixture or a README is a warning, the same line in a
//! service's configuration a failure. The classification reads the path only (and, for
//! generic matches, whether the line is a comment), so it is the same for a file, a commit
//! and a clone, and a user can predict it.

use crate::model::Context;

/// Directories of third-party code checked into a repository.
const VENDOR_DIRS: &[&str] = &[
    "vendor",
    "vendors",
    "node_modules",
    "bower_components",
    "third_party",
    "third-party",
    "thirdparty",
    "external",
    "site-packages",
    "dist-packages",
    ".venv",
    "venv",
    "pods",
    "jspm_packages",
];

/// Directories of tests, test data and fixtures.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "testdata",
    "test-data",
    "test_data",
    "testing",
    "testutil",
    "testutils",
    "test-utils",
    "testfixtures",
    "__tests__",
    "__mocks__",
    "__fixtures__",
    "__snapshots__",
    "spec",
    "specs",
    "fixture",
    "fixtures",
    "mock",
    "mocks",
    "e2e",
    "integration-tests",
    "integration_tests",
    "it",
    "dockertest",
    "testfixtures",
    "test-fixtures",
    "smoke-test",
    "smoke-tests",
];

/// Directories of documentation.
const DOCS_DIRS: &[&str] = &[
    "doc",
    "docs",
    "documentation",
    "guides",
    "guide",
    "manual",
    "site",
    "website",
    "_docs",
    "wiki",
];

/// Directories of examples, samples and demos.
const EXAMPLE_DIRS: &[&str] = &[
    "example",
    "examples",
    "sample",
    "samples",
    "demo",
    "demos",
    "quickstart",
    "quickstarts",
    "tutorial",
    "tutorials",
    "playground",
];

/// File extensions of documentation.
const DOCS_EXTENSIONS: &[&str] = &["md", "markdown", "rst", "adoc", "asciidoc", "txt", "mdx"];

/// The context of `path` (a path inside a tree, `/`-separated). `in_comment` says the
/// value sits on a comment line, which documents rather than configures.
pub fn classify(path: &str, in_comment: bool) -> Context {
    let lower = path.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
    let (dirs, file) = match parts.split_last() {
        Some((file, dirs)) => (dirs, *file),
        None => (&[][..], ""),
    };
    let in_dir = |names: &[&str]| dirs.iter().any(|d| names.contains(d));
    if in_dir(VENDOR_DIRS) {
        return Context::Vendor;
    }
    if in_dir(EXAMPLE_DIRS) || is_example_file(file) {
        return Context::Example;
    }
    let source_set = path.split('/').rev().skip(1).any(is_test_source_set);
    if in_dir(TEST_DIRS) || is_test_file(file) || source_set {
        return Context::Test;
    }
    if in_dir(DOCS_DIRS) || is_docs_file(file) || in_comment {
        return Context::Docs;
    }
    Context::Source
}

/// `src/testFixtures`, `src/dockerTest`, `src/integrationTest`, `test-utils`: Gradle and
/// Maven source sets and helpers of tests (case as written, so `latest/` is no test).
fn is_test_source_set(dir: &str) -> bool {
    let camel_suffix = ["Test", "Tests"].iter().any(|s| {
        dir.strip_suffix(s)
            .is_some_and(|rest| rest.bytes().last().is_some_and(|b| b.is_ascii_lowercase()))
    });
    let test_prefix = dir.strip_prefix("test").is_some_and(|rest| {
        rest.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
    });
    camel_suffix || test_prefix
}

fn extension(file: &str) -> &str {
    file.rsplit_once('.').map_or("", |(_, e)| e)
}

fn is_test_file(file: &str) -> bool {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with("_spec")
        || stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with("test") && file.ends_with(".java")
        || stem.ends_with("tests") && (file.ends_with(".java") || file.ends_with(".cs"))
        || stem.ends_with("test") && (file.ends_with(".kt") || file.ends_with(".cs"))
        || file == "conftest.py"
}

fn is_docs_file(file: &str) -> bool {
    DOCS_EXTENSIONS.contains(&extension(file))
        || is_message_bundle(file)
        || file.starts_with("openapi")
        || file.starts_with("swagger")
        || file.starts_with("readme")
        || file.starts_with("changelog")
}

/// `messages_de.properties`, `login_zh_TW.properties`: translated text for people.
fn is_message_bundle(file: &str) -> bool {
    let Some(stem) = file.strip_suffix(".properties") else {
        return false;
    };
    let parts: Vec<&str> = stem.rsplit('_').take(2).collect();
    let language = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_lowercase());
    match parts.as_slice() {
        [country, lang, ..] if country.len() == 2 && language(lang) => true,
        [lang, ..] => language(lang) && stem.contains('_'),
        _ => false,
    }
}

/// `.env.example`, `config.sample.yml`, `settings.py.dist`, `values.template`.
fn is_example_file(file: &str) -> bool {
    let markers = ["example", "sample", "template", "tmpl", "dist", "skel"];
    file.split('.').skip(1).any(|part| markers.contains(&part))
        || file.starts_with("example.")
        || file.starts_with("sample.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified_by_directory_and_file_name() {
        for (path, want) in [
            ("deploy/prod.env", Context::Source),
            ("src/main/resources/application.yml", Context::Source),
            ("internal/auth/token.go", Context::Source),
            ("vendor/github.com/x/y/z.go", Context::Vendor),
            ("web/node_modules/pkg/index.js", Context::Vendor),
            ("pkg/api/testdata/secret.yaml", Context::Test),
            ("src/test/java/com/acme/ClientTest.java", Context::Test),
            ("module/src/testFixtures/resources/a.p12", Context::Test),
            ("module/src/dockerTest/resources/ssl/ca.key", Context::Test),
            ("auth/token_test.go", Context::Test),
            ("docs/latest/install.go", Context::Docs),
            ("releases/latest/config.go", Context::Source),
            ("tests/unit/test_api.py", Context::Test),
            ("web/src/app.spec.ts", Context::Test),
            ("spec/models/user_spec.rb", Context::Test),
            ("docs/operator-manual/sso.md", Context::Docs),
            ("README.md", Context::Docs),
            ("core/src/main/resources/login_de.properties", Context::Docs),
            (
                "core/src/main/resources/login_zh_tw.properties",
                Context::Docs,
            ),
            (
                "core/src/main/resources/application.properties",
                Context::Source,
            ),
            ("api/openapi.yaml", Context::Docs),
            ("examples/basic/main.tf", Context::Example),
            (".env.example", Context::Example),
            ("config/settings.sample.yml", Context::Example),
        ] {
            assert_eq!(classify(path, false), want, "{path}");
        }
        assert_eq!(classify("app/config.py", true), Context::Docs);
        assert_eq!(classify("tests/config.py", true), Context::Test);
    }
}
