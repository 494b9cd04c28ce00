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

/// The virtualenv with moto's server and boto3, installed if missing.
pub fn venv() -> PathBuf {
    // One installer per test process; the scratch-and-rename covers parallel processes.
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(|| {
        super::pytools::venv(
            &format!("moto-{MOTO_VERSION}"),
            &format!("moto[server]=={MOTO_VERSION}"),
            "moto_server",
        )
    })
    .clone()
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
