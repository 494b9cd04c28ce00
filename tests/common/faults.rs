//! A fault-injecting HTTP proxy for the collector tests, on 127.0.0.1.
//!
//! It sits between nhiscan and a real peer (moto, the GitHub replay server, the Kubernetes
//! API server of [`super::apiserver`]) and forwards every request, except those a [`Rule`]
//! matches: those get the rule's [`Fault`] instead, the way a broken network or API would
//! give it (a server that never answers, one that drips a byte at a time, a body cut
//! short, a canned answer of the wrong shape, a 429 with a long `Retry-After`, a 500 HTML
//! page, pagination that never ends). Each connection carries one request
//! (`Connection: close` both ways), so a fault never leaks into the next call, and the
//! upstream's own address in a `Link` header is rewritten to the proxy's, so later pages
//! come through the proxy too.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A canned answer: status, extra headers, body.
pub type Canned = (u16, Vec<(String, String)>, String);

/// Makes a canned answer from how many matched requests came before and the target.
pub type MakeAnswer = dyn Fn(usize, &str) -> Canned + Send + Sync;

/// What a matched request gets.
#[derive(Clone)]
pub enum Fault {
    /// The request is read and never answered.
    Hang,
    /// A 200 whose body arrives one byte every 200 ms, never finishing.
    Drip,
    /// The upstream's answer with only half of its body, then the connection closed.
    Truncate,
    /// The upstream's answer with this header added (`Link` pointing at the page itself).
    AddHeader(String, String),
    /// An answer made by the function from how many matched requests came before this one
    /// and the request target.
    Answer(Arc<MakeAnswer>),
}

impl Fault {
    pub fn answer(f: impl Fn(usize, &str) -> Canned + Send + Sync + 'static) -> Fault {
        Fault::Answer(Arc::new(f))
    }

    /// Always the same answer.
    pub fn canned(status: u16, headers: &[(&str, &str)], body: &str) -> Fault {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let body = body.to_string();
        Fault::answer(move |_, _| (status, headers.clone(), body.clone()))
    }
}

/// Which requests get a fault: those whose request line or body contains `needle`, after
/// the first `pass` of them went through untouched.
#[derive(Clone)]
pub struct Rule {
    pub needle: String,
    pub pass: usize,
    pub fault: Fault,
}

impl Rule {
    pub fn new(needle: &str, fault: Fault) -> Rule {
        Rule {
            needle: needle.into(),
            pass: 0,
            fault,
        }
    }

    /// Let the first `n` matching requests through.
    pub fn after(mut self, n: usize) -> Rule {
        self.pass = n;
        self
    }
}

pub struct FaultProxy {
    pub url: String,
    /// Request lines of the faulted requests.
    faulted: Arc<Mutex<Vec<String>>>,
}

impl FaultProxy {
    pub fn start(upstream: &str, rules: Vec<Rule>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_end_matches('/').to_string();
        let faulted = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            upstream,
            url: url.clone(),
            rules,
            matched: Mutex::new(Vec::new()),
            faulted: Arc::clone(&faulted),
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                std::thread::spawn(move || state.serve(stream));
            }
        });
        FaultProxy { url, faulted }
    }

    /// How many requests got a fault.
    pub fn faulted(&self) -> Vec<String> {
        self.faulted.lock().unwrap().clone()
    }
}

struct State {
    upstream: String,
    url: String,
    rules: Vec<Rule>,
    /// Per rule, matching requests seen so far.
    matched: Mutex<Vec<usize>>,
    faulted: Arc<Mutex<Vec<String>>>,
}

struct Request {
    line: String,
    headers: Vec<String>,
    body: Vec<u8>,
}

impl State {
    fn serve(&self, client: TcpStream) {
        let mut reader = BufReader::new(client.try_clone().unwrap());
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let mut client = client;
        match self.fault_for(&request) {
            None => self.forward(&request, &mut client, None),
            Some((fault, n)) => {
                self.faulted.lock().unwrap().push(request.line.clone());
                self.inject(fault, n, &request, &mut client, &mut reader);
            }
        }
    }

    fn fault_for(&self, request: &Request) -> Option<(Fault, usize)> {
        let body = String::from_utf8_lossy(&request.body);
        let mut matched = self.matched.lock().unwrap();
        matched.resize(self.rules.len(), 0);
        for (i, rule) in self.rules.iter().enumerate() {
            if request.line.contains(&rule.needle) || body.contains(&rule.needle) {
                matched[i] += 1;
                if matched[i] > rule.pass {
                    return Some((rule.fault.clone(), matched[i] - rule.pass - 1));
                }
            }
        }
        None
    }

    fn inject(
        &self,
        fault: Fault,
        n: usize,
        request: &Request,
        client: &mut TcpStream,
        reader: &mut BufReader<TcpStream>,
    ) {
        let target = request.line.split_whitespace().nth(1).unwrap_or("/");
        match fault {
            Fault::Hang => {
                // Hold the connection until the client gives up (or a minute passes).
                let _ = client.set_read_timeout(Some(Duration::from_secs(60)));
                let mut buf = [0u8; 64];
                let _ = reader.read(&mut buf);
            }
            Fault::Drip => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n[";
                if client.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..300 {
                    std::thread::sleep(Duration::from_millis(200));
                    if client
                        .write_all(b" ")
                        .and_then(|()| client.flush())
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Fault::Truncate => self.forward(request, client, Some(Cut::Half)),
            Fault::AddHeader(name, value) => {
                let value = value.replace("{self}", &format!("{}{target}", self.url));
                self.forward(request, client, Some(Cut::Header(name, value)))
            }
            Fault::Answer(make) => {
                let (status, headers, body) = make(n, target);
                let mut out = format!("HTTP/1.1 {status} Fault\r\n");
                if !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                {
                    out.push_str("Content-Type: application/json\r\n");
                }
                for (k, v) in &headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ));
                let _ = client.write_all(out.as_bytes());
            }
        }
    }

    /// Pass the request on and its answer back, changed as `cut` says.
    fn forward(&self, request: &Request, client: &mut TcpStream, cut: Option<Cut>) {
        let host = self
            .upstream
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let Ok(mut upstream) = TcpStream::connect(&host) else {
            let _ = client.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        };
        let mut head = format!("{}\r\n", request.line);
        for h in &request.headers {
            let lower = h.to_ascii_lowercase();
            if lower.starts_with("connection:") || lower.starts_with("host:") {
                continue;
            }
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str(&format!("Host: {host}\r\nConnection: close\r\n\r\n"));
        if upstream.write_all(head.as_bytes()).is_err()
            || upstream.write_all(&request.body).is_err()
        {
            return;
        }
        let mut reader = BufReader::new(upstream);
        let Some((status_line, headers, body)) = read_response(&mut reader) else {
            return;
        };
        let mut out = format!("{status_line}\r\n");
        for h in &headers {
            let lower = h.to_ascii_lowercase();
            if lower.starts_with("connection:")
                || lower.starts_with("content-length:")
                || lower.starts_with("transfer-encoding:")
            {
                continue;
            }
            out.push_str(&h.replace(&self.upstream, &self.url));
            out.push_str("\r\n");
        }
        if let Some(Cut::Header(name, value)) = &cut {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let body = match cut {
            Some(Cut::Half) => &body[..body.len() / 2],
            _ => &body[..],
        };
        let _ = client.write_all(out.as_bytes());
        let _ = client.write_all(body);
        let _ = client.flush();
    }
}

enum Cut {
    Half,
    Header(String, String),
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let (headers, length, _) = read_headers(reader)?;
    let mut body = vec![0; length.unwrap_or(0)];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        line: line.trim_end().to_string(),
        headers,
        body,
    })
}

/// Header lines, the content length, and whether the body is chunked.
fn read_headers(reader: &mut impl BufRead) -> Option<(Vec<String>, Option<usize>, bool)> {
    let mut headers = Vec::new();
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            return Some((headers, length, chunked));
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok();
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        headers.push(line);
    }
}

fn read_response(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<String>, Vec<u8>)> {
    let mut status = String::new();
    reader.read_line(&mut status).ok()?;
    let (headers, length, chunked) = read_headers(reader)?;
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        reader.read_exact(&mut body).ok()?;
    } else {
        reader.read_to_end(&mut body).ok()?;
    }
    Some((status.trim_end().to_string(), headers, body))
}
