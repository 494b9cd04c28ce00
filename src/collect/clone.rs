//! Cloning a repository a source listed (`--github-clone`, `--gitlab-clone`,
//! `--repos-file`), so the history scanner can read every blob in it and its leaked secrets join the inventory next to the source's
//! deploy keys and CI secrets. Nothing here is specific to one provider: any source that
//! hands back a [`RemoteRepository`](super::RemoteRepository) is cloned the same way.
//!
//! Clones are bare (`git clone --bare`): the history scanner reads every blob of every
//! branch and tells which are still at the tip, so a working tree would only be scanned
//! twice. `shallow` fetches only the default branch's tip (`--depth 1`): what is in the code
//! today, not what was ever committed.
//!
//! The token never appears on a command line (where `ps` would show it) or in a URL (where
//! git's messages would): it reaches git as an `Authorization` header in configuration
//! passed through the environment, scoped to the clone URL's origin so a redirect to another
//! host does not carry it. Credential helpers and prompts are off, so a refused clone fails
//! at once instead of waiting for a password nobody will type; a transfer slower than 1 KB/s
//! for a minute is abandoned, so one stuck server cannot hold the scan forever.

use base64::Engine;
use std::path::Path;
use std::process::Stdio;

/// How much of each repository to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CloneDepth {
    /// Every branch and tag, all history.
    Full,
    /// The default branch's tip commit only.
    Shallow,
}

/// Why one repository could not be cloned.
#[derive(Debug, thiserror::Error)]
pub enum CloneError {
    #[error("cannot clone {repo}: {url} is not an http(s) URL; nhiscan clones only over HTTPS")]
    Scheme { repo: String, url: String },
    #[error(
        "cannot clone {repo}: `git` could not be started ({source}); install git or drop the clone option"
    )]
    NoGit {
        repo: String,
        source: std::io::Error,
    },
    #[error("cannot clone {repo}: git exited with {code}: {message}")]
    Failed {
        repo: String,
        code: String,
        message: String,
    },
}

/// `git clone --bare` of `url` (the path of a repository when `local`) into `dest`,
/// authenticated with `(username, token)`.
pub fn clone_bare(
    repo: &str,
    url: &str,
    local: bool,
    dest: &Path,
    (username, token): (&str, &str),
    depth: CloneDepth,
) -> Result<(), CloneError> {
    let origin = if local {
        None
    } else {
        Some(origin_of(url).ok_or_else(|| CloneError::Scheme {
            repo: repo.to_string(),
            url: url.to_string(),
        })?)
    };
    let mut cmd = std::process::Command::new("git");
    cmd.args(["clone", "--bare", "--quiet"]);
    if depth == CloneDepth::Shallow {
        cmd.args(["--depth", "1"]);
    }
    cmd.arg("--").arg(url).arg(dest);
    // No token (a public repository, a local path): only the helpers are turned off.
    let origin = origin.filter(|_| !token.is_empty());
    for (k, v) in git_config(origin.as_deref(), username, token) {
        cmd.env(k, v);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_HTTP_LOW_SPEED_LIMIT", "1000")
        .env("GIT_HTTP_LOW_SPEED_TIME", "60")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = cmd.output().map_err(|source| CloneError::NoGit {
        repo: repo.to_string(),
        source,
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(CloneError::Failed {
        repo: repo.to_string(),
        code: out
            .status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| c.to_string()),
        message: last_lines(&stderr, token),
    })
}

/// `https://host[:port]/` of a clone URL; `None` for anything but http(s).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    // A URL with user info would put a name (or a token) in git's messages.
    (!host.contains('@')).then(|| format!("{scheme}://{host}/"))
}

/// Git configuration, through `GIT_CONFIG_*` variables, that turns every credential helper
/// off (a user's stored credentials are never offered) and, given an origin, sends the
/// token to that origin only.
fn git_config(origin: Option<&str>, username: &str, token: &str) -> Vec<(String, String)> {
    let mut pairs = vec![("credential.helper".to_string(), String::new())];
    if let Some(origin) = origin {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{token}"));
        pairs.push((
            format!("http.{origin}.extraHeader"),
            format!("Authorization: Basic {basic}"),
        ));
    }
    let mut env = vec![("GIT_CONFIG_COUNT".to_string(), pairs.len().to_string())];
    for (n, (k, v)) in pairs.into_iter().enumerate() {
        env.push((format!("GIT_CONFIG_KEY_{n}"), k));
        env.push((format!("GIT_CONFIG_VALUE_{n}"), v));
    }
    env
}

/// The end of git's error output, on one line, with the token masked should git ever echo
/// it.
fn last_lines(stderr: &str, token: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let text = lines[lines.len().saturating_sub(2)..].join(" / ");
    if token.is_empty() {
        text
    } else {
        text.replace(token, "****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_origins_without_user_info_are_cloned() {
        assert_eq!(
            origin_of("https://github.com/octo-org/app.git").as_deref(),
            Some("https://github.com/")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/git/a.git").as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        for bad in [
            "git@github.com:octo-org/app.git",
            "ext::sh -c touch% /tmp/pwned",
            "file:///etc",
            "https://user:pw@github.com/o/r.git",
            "https:///o/r.git",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_token_travels_as_a_header_scoped_to_the_origin() {
        let env = git_config(
            Some("https://github.com/"),
            "x-access-token",
            "ghp_synthetic",
        );
        assert_eq!(env[0], ("GIT_CONFIG_COUNT".into(), "2".into()));
        assert_eq!(env[1].1, "credential.helper");
        assert_eq!(env[2].1, "");
        assert_eq!(env[3].1, "http.https://github.com/.extraHeader");
        let header = env[4].1.strip_prefix("Authorization: Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(header)
            .unwrap();
        assert_eq!(decoded, b"x-access-token:ghp_synthetic");
    }

    #[test]
    fn without_a_token_credential_helpers_are_still_off() {
        // A public repository or a local path: a user's stored credentials (a keychain,
        // `gh auth setup-git`) are never offered, and no header is sent.
        let env = git_config(None, "", "");
        assert_eq!(
            env,
            vec![
                ("GIT_CONFIG_COUNT".to_string(), "1".to_string()),
                (
                    "GIT_CONFIG_KEY_0".to_string(),
                    "credential.helper".to_string()
                ),
                ("GIT_CONFIG_VALUE_0".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn git_messages_are_shortened_and_never_carry_the_token() {
        let stderr = "Cloning...\nremote: Repository not found.\nfatal: repository 'x' not found for tok123\n";
        assert_eq!(
            last_lines(stderr, "tok123"),
            "remote: Repository not found. / fatal: repository 'x' not found for ****"
        );
    }
}
