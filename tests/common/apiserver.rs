//! A local Kubernetes API server for tests, on 127.0.0.1.
//!
//! No real kube-apiserver can be installed from the registries this project reaches, so
//! this one serves the list endpoints the collector reads, from objects the test builds
//! with k8s-openapi types (so their JSON is the real API's): all namespaces or one
//! (`/api/v1/namespaces/NS/secrets`), `limit`/`continue` pagination (a page size of its own
//! can force several pages), `fieldSelector=metadata.name=X`, a `Status` 403 for the
//! resources the test forbids, a 429 (API Priority and Fairness throttling) the first time
//! a throttled resource is listed, and 401 without the bearer token.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, Status};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "test-token";

/// The objects of one resource type.
pub struct Listing {
    /// `v1` or `rbac.authorization.k8s.io/v1`.
    pub api_version: &'static str,
    /// `SecretList`, ...
    pub list_kind: &'static str,
    pub items: Vec<Value>,
    /// At most this many items per page, whatever `limit` the client sends.
    pub page_size: usize,
}

impl Listing {
    pub fn of<T: serde::Serialize>(
        api_version: &'static str,
        list_kind: &'static str,
        items: &[T],
    ) -> Listing {
        Listing {
            api_version,
            list_kind,
            items: items
                .iter()
                .map(|i| serde_json::to_value(i).unwrap())
                .collect(),
            page_size: usize::MAX,
        }
    }

    pub fn pages_of(mut self, n: usize) -> Listing {
        self.page_size = n;
        self
    }
}

pub struct KubeServer {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

struct State {
    /// Plural resource name -> its objects.
    resources: HashMap<String, Listing>,
    forbidden: HashSet<String>,
    /// Resources whose next list is answered 429 once.
    throttled: Mutex<HashSet<String>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl KubeServer {
    pub fn start(resources: HashMap<String, Listing>, forbidden: &[&str]) -> KubeServer {
        Self::start_throttling(resources, forbidden, &[])
    }

    /// Like [`KubeServer::start`]; the first list of each `throttled` resource is a 429.
    pub fn start_throttling(
        resources: HashMap<String, Listing>,
        forbidden: &[&str],
        throttled: &[&str],
    ) -> KubeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            resources,
            forbidden: forbidden.iter().map(|s| s.to_string()).collect(),
            throttled: Mutex::new(throttled.iter().map(|s| s.to_string()).collect()),
            log: Arc::clone(&requests),
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        KubeServer { url, requests }
    }

    /// Every request target (path and query), in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// A kubeconfig with context `test-cluster` (current) pointing here with the token,
    /// `wrong-token` with a token the server refuses, and `unreachable` at a closed port.
    pub fn kubeconfig(&self, dir: &Path) -> std::path::PathBuf {
        self.kubeconfig_via(dir, &self.url)
    }

    /// Like [`KubeServer::kubeconfig`], with `test-cluster` reaching this server through
    /// `url` (a fault-injecting proxy in front of it).
    pub fn kubeconfig_via(&self, dir: &Path, url: &str) -> std::path::PathBuf {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test-cluster\nclusters:\n- name: local\n  cluster:\n    server: {}\n- name: dead\n  cluster:\n    server: {dead}\nusers:\n- name: scanner\n  user:\n    token: {TOKEN}\n- name: stranger\n  user:\n    token: not-the-token\ncontexts:\n- name: test-cluster\n  context:\n    cluster: local\n    user: scanner\n- name: wrong-token\n  context:\n    cluster: local\n    user: stranger\n- name: unreachable\n  context:\n    cluster: dead\n    user: scanner\n",
            url
        );
        let path = dir.join("kubeconfig");
        std::fs::write(&path, text).unwrap();
        path
    }
}

fn status(code: u16, reason: &str, message: String) -> String {
    let s = Status {
        code: Some(code.into()),
        message: Some(message),
        reason: Some(reason.into()),
        status: Some("Failure".into()),
        ..Default::default()
    };
    let mut v = serde_json::to_value(&s).unwrap();
    v["kind"] = "Status".into();
    v["apiVersion"] = "v1".into();
    v.to_string()
}

/// `(namespace, plural)` of a list path, or `None`.
fn route(path: &str) -> Option<(Option<&str>, &str)> {
    let rest = path
        .strip_prefix("/api/v1/")
        .or_else(|| path.strip_prefix("/apis/rbac.authorization.k8s.io/v1/"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [plural] => Some((None, plural)),
        ["namespaces", ns, plural] => Some((Some(ns), plural)),
        _ => None,
    }
}

fn query<'a>(q: &'a str, key: &str) -> Option<&'a str> {
    q.split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

fn answer(state: &State, target: &str, authorized: bool) -> (u16, String) {
    if !authorized {
        return (401, status(401, "Unauthorized", "Unauthorized".into()));
    }
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    let Some((ns, plural)) = route(path) else {
        return (404, status(404, "NotFound", format!("no route {path}")));
    };
    if state.forbidden.contains(plural) {
        let scope = ns.map_or("at the cluster scope".to_string(), |n| {
            format!("in the namespace \"{n}\"")
        });
        let message = format!(
            "{plural} is forbidden: User \"system:serviceaccount:nhiscan:scanner\" cannot list resource \"{plural}\" in API group \"\" {scope}"
        );
        return (403, status(403, "Forbidden", message));
    }
    if state.throttled.lock().unwrap().remove(plural) {
        let message = "too many requests, please try again later".to_string();
        return (429, status(429, "TooManyRequests", message));
    }
    let Some(listing) = state.resources.get(plural) else {
        return (
            404,
            status(404, "NotFound", format!("no resource {plural}")),
        );
    };
    let field = query(q, "fieldSelector").map(|f| f.replace("%3D", "="));
    let items: Vec<&Value> = listing
        .items
        .iter()
        .filter(|i| ns.is_none_or(|n| i["metadata"]["namespace"] == n))
        .filter(|i| {
            field.as_deref().is_none_or(|f| {
                f.strip_prefix("metadata.name=")
                    .is_some_and(|name| i["metadata"]["name"] == name)
            })
        })
        .collect();
    let start: usize = query(q, "continue")
        .and_then(|c| c.strip_prefix("offset-")?.parse().ok())
        .unwrap_or(0);
    let limit: usize = query(q, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX)
        .min(listing.page_size);
    let end = start.saturating_add(limit).min(items.len());
    let meta = ListMeta {
        continue_: (end < items.len()).then(|| format!("offset-{end}")),
        resource_version: Some("4242".into()),
        ..Default::default()
    };
    let body = serde_json::json!({
        "apiVersion": listing.api_version,
        "kind": listing.list_kind,
        "metadata": meta,
        "items": &items[start.min(end)..end],
    });
    (200, body.to_string())
}

fn serve(stream: std::net::TcpStream, state: &State) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut authorized = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("authorization:") {
                authorized = line.trim().ends_with(&format!("Bearer {TOKEN}"));
            }
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        state.log.lock().unwrap().push(target.clone());
        let (code, body) = answer(state, &target, authorized);
        let out = format!(
            "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if reader.get_mut().write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}
