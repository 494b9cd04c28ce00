//! Python tools the tests run as real peers (moto's server, the pre-commit tool),
//! installed from PyPI, pinned, into virtualenvs under target/test-deps/ the first time
//! they are needed. Installation goes to a scratch directory renamed into place, so a
//! parallel or interrupted run never sees a half-installed environment.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::crate_root().join("target"))
}

/// target/test-deps/NAME with `requirement` installed; `probe` is a script of the package
/// (in bin/) whose presence means the environment is complete.
pub fn venv(name: &str, requirement: &str, probe: &str) -> PathBuf {
    let venv = target_dir().join(format!("test-deps/{name}"));
    if venv.join("bin").join(probe).is_file() {
        return venv;
    }
    let scratch = target_dir().join(format!("test-deps/{name}.tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.parent().unwrap()).unwrap();
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&scratch),
        "create a virtualenv (install python3-venv)",
    );
    run(
        Command::new(scratch.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(requirement),
        &format!("install {requirement} from PyPI"),
    );
    // pip's scripts name their interpreter by absolute path: repoint them after the rename.
    if std::fs::rename(&scratch, &venv).is_ok() {
        fix_shebangs(&venv, &scratch);
    } else {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    assert!(
        venv.join("bin").join(probe).is_file(),
        "{probe} missing in {}",
        venv.display()
    );
    venv
}

/// Scripts installed by pip point at the scratch path; point them at the final one.
fn fix_shebangs(venv: &Path, scratch: &Path) {
    let (old, new) = (
        scratch.to_string_lossy().into_owned(),
        venv.to_string_lossy().into_owned(),
    );
    for entry in std::fs::read_dir(venv.join("bin")).unwrap().flatten() {
        let path = entry.path();
        if let Ok(text) = std::fs::read_to_string(&path)
            && text.contains(&old)
        {
            std::fs::write(&path, text.replace(&old, &new)).unwrap();
        }
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot {what}: {e}"));
    assert!(
        out.status.success(),
        "cannot {what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
