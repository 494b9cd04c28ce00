//! A local GitHub REST server for tests: replays the example responses of GitHub's
//! OpenAPI description (fixtures/github/) on 127.0.0.1, with what the examples lack added
//! the way GitHub's docs describe it: Link-header pagination, a 403 JSON error, a secondary
//! rate limit with Retry-After, and 404s. With [`GithubServer::start_with_git`] it also
//! serves bare repositories over git's smart HTTP protocol (through `git http-backend`,
//! git's own CGI server), so `--github-clone` fetches over HTTP with the token, as it does
//! from github.com.

use base64::Engine;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One canned answer.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// The token the server accepts, as the REST API and git over HTTP send it.
pub const TOKEN: &str = "test-token";

impl Answer {
    pub fn json(body: impl Into<String>) -> Answer {
        Answer {
            status: 200,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    pub fn fixture(name: &str) -> Answer {
        Answer::fixture_in("github", name)
    }

    /// A fixture of another API replayed by the same server (`fixtures/gitlab/...`).
    pub fn fixture_in(dir: &str, name: &str) -> Answer {
        let path = super::crate_root().join("fixtures").join(dir).join(name);
        Answer::json(
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
    }

    pub fn error(status: u16, message: &str) -> Answer {
        Answer {
            status,
            body: format!(
                r#"{{"message": "{message}", "documentation_url": "https://docs.github.com/rest"}}"#
            ),
            headers: Vec::new(),
        }
    }

    /// GitLab's error body (REST docs, "Status codes"): `{"message": "403 Forbidden"}`.
    pub fn gitlab_error(status: u16, message: &str) -> Answer {
        Answer {
            status,
            body: format!(r#"{{"message": "{message}"}}"#),
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Routes: a path (with query) -> the answers to give in order, the last one repeated.
pub struct GithubServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Git requests (`GET /git/o/r.git/info/refs?...`), with whether they carried the token.
    pub git_requests: Arc<Mutex<Vec<(String, bool)>>>,
}

struct Shared {
    routes: Mutex<HashMap<String, Vec<Answer>>>,
    log: Arc<Mutex<Vec<String>>>,
    git_log: Arc<Mutex<Vec<(String, bool)>>>,
    /// Bare repositories served under `/git/`.
    git_root: Option<PathBuf>,
    /// How long each git request takes (a slow git server).
    git_delay: std::time::Duration,
    /// The user name git must send with the token (`x-access-token`, GitLab's `oauth2`).
    git_user: &'static str,
}

impl GithubServer {
    /// Bind a port, then build the routes knowing the server's URL (for Link headers).
    pub fn start(routes: impl FnOnce(&str) -> HashMap<String, Vec<Answer>>) -> GithubServer {
        Self::start_with_git(routes, None)
    }

    /// Also serve the bare repositories under `git_root` at `{url}/git/<path>`.
    pub fn start_with_git(
        routes: impl FnOnce(&str) -> HashMap<String, Vec<Answer>>,
        git_root: Option<PathBuf>,
    ) -> GithubServer {
        Self::start_with_slow_git(routes, git_root, std::time::Duration::ZERO)
    }

    /// Like [`GithubServer::start_with_git`], each git request answered after `delay`.
    pub fn start_with_slow_git(
        routes: impl FnOnce(&str) -> HashMap<String, Vec<Answer>>,
        git_root: Option<PathBuf>,
        delay: std::time::Duration,
    ) -> GithubServer {
        Self::start_serving(routes, git_root, delay, "x-access-token")
    }

    /// Like [`GithubServer::start_with_git`], git expecting `git_user` with the token
    /// (GitLab's `oauth2`).
    pub fn start_with_git_user(
        routes: impl FnOnce(&str) -> HashMap<String, Vec<Answer>>,
        git_root: Option<PathBuf>,
        git_user: &'static str,
    ) -> GithubServer {
        Self::start_serving(routes, git_root, std::time::Duration::ZERO, git_user)
    }

    fn start_serving(
        routes: impl FnOnce(&str) -> HashMap<String, Vec<Answer>>,
        git_root: Option<PathBuf>,
        delay: std::time::Duration,
        git_user: &'static str,
    ) -> GithubServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes = routes(&url);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let git_requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            routes: Mutex::new(routes),
            log: Arc::clone(&requests),
            git_log: Arc::clone(&git_requests),
            git_root,
            git_delay: delay,
            git_user,
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        GithubServer {
            url,
            requests,
            git_requests,
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests came for `path` (with its query, page-size parameter left out).
    pub fn hits(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.as_str() == path)
            .count()
    }

    pub fn git_requests(&self) -> Vec<(String, bool)> {
        self.git_requests.lock().unwrap().clone()
    }
}

/// One parsed request: target, lower-cased headers, body.
struct Request {
    method: String,
    target: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<std::net::TcpStream>) -> Option<Request> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if let Some(n) = headers.get("content-length").and_then(|n| n.parse().ok()) {
        body.resize(n, 0);
        reader.read_exact(&mut body).ok()?;
    } else if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let mut parts = request_line.split_whitespace();
    Some(Request {
        method: parts.next().unwrap_or("GET").to_string(),
        target: parts.next().unwrap_or("/").to_string(),
        headers,
        body,
    })
}

fn serve(stream: std::net::TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        if let (Some(root), Some(path)) = (&shared.git_root, request.target.strip_prefix("/git")) {
            // GitHub's user name for a token, or GitLab's.
            let basic = |user: &str| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{TOKEN}"))
                )
            };
            let sent = request.headers.get("authorization");
            let authorized = sent == Some(&basic(shared.git_user));
            shared
                .git_log
                .lock()
                .unwrap()
                .push((format!("{} {path}", request.method), authorized));
            std::thread::sleep(shared.git_delay);
            let (head, body) = if authorized {
                git_http_backend(root, path, &request)
            } else {
                (
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"GitHub\"\r\n"
                        .to_string(),
                    Vec::new(),
                )
            };
            let stream = reader.get_mut();
            let head = format!("{head}Content-Length: {}\r\n\r\n", body.len());
            if stream.write_all(head.as_bytes()).is_err() || stream.write_all(&body).is_err() {
                return;
            }
            continue;
        }
        let auth = request
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        let target = request.target.clone();
        // Pagination parameters the client adds are part of the route key only for page 2+.
        let key = target
            .replace("?per_page=100&", "?")
            .replace("?per_page=100", "")
            .replace("&per_page=100", "");
        shared.log.lock().unwrap().push(key.clone());
        let answer = if auth != format!("Bearer {TOKEN}") && auth != format!("token {TOKEN}") {
            Answer::error(401, "Bad credentials")
        } else {
            let mut routes = shared.routes.lock().unwrap();
            match routes.get_mut(&key) {
                Some(list) if list.len() > 1 => list.remove(0),
                Some(list) => list[0].clone(),
                None => Answer::error(404, "Not Found"),
            }
        };
        let mut out = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            answer.status,
            answer.body.len()
        );
        for (k, v) in &answer.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(&answer.body);
        let stream = reader.get_mut();
        if stream.write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}

/// Answer one git smart-HTTP request with `git http-backend` (a CGI program): the status
/// line and headers it chose, and its body.
fn git_http_backend(root: &Path, path: &str, request: &Request) -> (String, Vec<u8>) {
    let (path_info, query) = path.split_once('?').unwrap_or((path, ""));
    let header = |k: &str| request.headers.get(k).cloned().unwrap_or_default();
    let mut child = std::process::Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", path_info)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", &request.method)
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", request.body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        // A missing repository is the test's point; git's complaint is not.
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("git http-backend starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&request.body)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| {
            out.stdout
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, 2))
        })
        .expect("CGI headers end");
    let cgi = String::from_utf8_lossy(&out.stdout[..split.0]).into_owned();
    let body = out.stdout[split.0 + split.1..].to_vec();
    let mut status = "200 OK".to_string();
    let mut head = String::new();
    for line in cgi.lines() {
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
            Some((k, v)) => head.push_str(&format!("{k}: {}\r\n", v.trim())),
            None => {}
        }
    }
    (format!("HTTP/1.1 {status}\r\n{head}"), body)
}
