//! A local GitHub REST server for tests: replays the example responses of GitHub's
//! OpenAPI description (fixtures/github/) on 127.0.0.1, with what the examples lack added
//! the way GitHub's docs describe it: Link-header pagination, a 403 JSON error, a secondary
//! rate limit with Retry-After, and 404s.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One canned answer.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn json(body: impl Into<String>) -> Answer {
        Answer {
            status: 200,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    pub fn fixture(name: &str) -> Answer {
        let path = super::crate_root().join("fixtures/github").join(name);
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

    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Routes: a path (with query) -> the answers to give in order, the last one repeated.
pub struct GithubServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl GithubServer {
    /// Bind a port, then build the routes knowing the server's URL (for Link headers).
    pub fn start(routes: impl FnOnce(&str) -> HashMap<String, Vec<Answer>>) -> GithubServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes = routes(&url);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let routes = Arc::new(Mutex::new(routes));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = Arc::clone(&routes);
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, &routes, &log));
            }
        });
        GithubServer { url, requests }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    stream: std::net::TcpStream,
    routes: &Mutex<HashMap<String, Vec<Answer>>>,
    log: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut auth = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if line.to_ascii_lowercase().starts_with("authorization:") {
                auth = line.trim().to_string();
            }
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        // Pagination parameters the client adds are part of the route key only for page 2+.
        let key = target
            .replace("?per_page=100&", "?")
            .replace("?per_page=100", "")
            .replace("&per_page=100", "");
        log.lock().unwrap().push(key.clone());
        let answer = if !auth.contains("Bearer test-token") && !auth.contains("token test-token") {
            Answer::error(401, "Bad credentials")
        } else {
            let mut routes = routes.lock().unwrap();
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
