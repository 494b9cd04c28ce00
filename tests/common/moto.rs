//! A real IAM emulator for tests: moto's server, pinned, installed from PyPI into a
//! virtualenv under target/ the first time it is needed, started on a free 127.0.0.1 port
//! and stopped when the handle drops. Seeding goes through boto3 (the AWS API), never
//! through moto's internals.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto release the tests are written against.
pub const MOTO_VERSION: &str = "5.1.22";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::crate_root().join("target"))
}

/// The virtualenv with moto's server and boto3, installed if missing. Installation goes to
/// a scratch directory renamed into place, so a parallel or interrupted run never sees a
/// half-installed environment.
pub fn venv() -> PathBuf {
    // One installer per test process; the scratch-and-rename below covers parallel processes.
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(install).clone()
}

fn install() -> PathBuf {
    let venv = target_dir().join(format!("test-deps/moto-{MOTO_VERSION}"));
    if venv.join("bin/moto_server").is_file() {
        return venv;
    }
    let scratch = target_dir().join(format!(
        "test-deps/moto-{MOTO_VERSION}.tmp{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.parent().unwrap()).unwrap();
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&scratch),
        "create a virtualenv (install python3-venv)",
    );
    run(
        Command::new(scratch.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("moto[server]=={MOTO_VERSION}")),
        "install moto from PyPI",
    );
    // pip's scripts name their interpreter by absolute path: repoint them after the rename.
    if std::fs::rename(&scratch, &venv).is_ok() {
        fix_shebangs(&venv, &scratch);
    } else {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    assert!(
        venv.join("bin/moto_server").is_file(),
        "moto_server missing in {}",
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

/// A running moto server.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    venv: PathBuf,
}

impl Moto {
    pub fn start() -> Moto {
        let venv = venv();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // AWS managed policies (AdministratorAccess, ...) exist only when asked for.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            venv,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Run tests/aws/seed.py against this server; returns what it printed.
    pub fn seed(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(self.venv.join("bin/python"))
            .arg(super::crate_root().join("tests/aws/seed.py"))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seeding failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("seed prints JSON")
    }

    /// `nhiscan` pointed at this server with static test credentials and no AWS config
    /// files, so nothing on the machine running the tests is used.
    pub fn nhiscan(&self, home: &Path) -> assert_cmd::Command {
        let mut cmd = super::nhiscan();
        cmd.env("HOME", home)
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "testing-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        cmd
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
