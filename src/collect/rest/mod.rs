//! The REST calls of every HTTP collector (GitHub, GitLab, Google Cloud, Microsoft Entra)
//! and of their token endpoints, with what an inventory needs
//! on top of a transport: every page, rate limits handled, each call counted, and a failed
//! endpoint turned into one error naming the permission instead of stopping the scan. The
//! collector chooses the [`Transport`] (octocrab for GitHub, [`transport::HttpTransport`] for the
//! others) and how its API pages ([`Paging`]); nothing here knows which API it talks to.
//!
//! - Rate limit with `Retry-After` (a 429, or GitHub's secondary limit on a 403): wait that
//!   long (at most 60 s) and retry, up to three times.
//! - Quota exhausted (`x-ratelimit-remaining: 0` on GitHub, `RateLimit-Remaining: 0` on
//!   GitLab): wait for the reset when it is under a minute away; otherwise the call fails
//!   with a message saying when to retry.
//! - 401/403/404 on an endpoint: [`ApiError::Denied`] / [`ApiError::NotFound`], which callers
//!   record (the source becomes `partial`) or accept (a repository without environments).
//! - Every call (request and body) is bounded by the collector's [`Budget`]: a hung or
//!   dripping server costs that call, and at the source deadline every call not yet made
//!   fails at once with [`ApiError::Deadline`], so the collector returns what it has.
//! - A list keeps the pages read before a failure; a page of the wrong shape (an object
//!   where a list was expected, a wrapper without its array) or a `next` link already
//!   followed is an error of that list, never an empty or endless one.

pub mod session;
pub mod transport;

pub use session::Session;

use crate::collect::budget::{self, Budget, MAX_RETRY_WAIT as MAX_WAIT, OutOfTime};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const RETRIES: usize = 3;

/// Pages of one list before it is taken for endless (100 items each: a million items).
const MAX_PAGES: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{path}: HTTP {status} {message}")]
    Denied {
        path: String,
        status: u16,
        message: String,
    },
    #[error("{path}: HTTP 404 (not found, or the token cannot see it)")]
    NotFound { path: String },
    #[error("{path}: rate limit exhausted until {reset}; re-run after that time")]
    RateLimited { path: String, reset: String },
    #[error("{path}: {message}")]
    Other { path: String, message: String },
    /// The source's deadline passed before this call could finish.
    #[error("{path}: {out_of_time}")]
    Deadline {
        path: String,
        out_of_time: OutOfTime,
    },
}

impl ApiError {
    /// The call's path, as messages name it.
    pub fn path(&self) -> &str {
        match self {
            ApiError::Denied { path, .. }
            | ApiError::NotFound { path }
            | ApiError::RateLimited { path, .. }
            | ApiError::Other { path, .. }
            | ApiError::Deadline { path, .. } => path,
        }
    }
}

/// What a list endpoint gave: every item read, and the error that ended it early.
#[derive(Debug, Default)]
pub struct Listed {
    pub items: Vec<Value>,
    pub error: Option<ApiError>,
}

/// A request body: its media type and bytes (a JSON document, a form).
pub type Body<'a> = (&'static str, &'a [u8]);

/// One request and its whole answer: status, headers and body text. `target` is a path
/// under the API's base (`/orgs/acme`) or an absolute URL (a `next` link); with a body the
/// request is a POST. The error is a one-line reason the exchange failed (connection
/// refused, body cut short).
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn send(
        &self,
        target: &str,
        body: Option<Body<'_>>,
    ) -> Result<(u16, http::HeaderMap, String), String>;
}

/// How an API hands out pages.
#[derive(Debug, Clone, Copy)]
pub enum Paging {
    /// `Link: <...>; rel="next"` headers (GitHub, GitLab), `per_page=100`.
    LinkHeader,
    /// `nextPageToken` in the body, sent back as `pageToken` (Google); `size` is the query
    /// parameter asking for the largest page. Google leaves an empty list out of the
    /// answer, so a missing list field is an empty page there.
    PageToken { size: &'static str },
    /// An absolute `@odata.nextLink` URL in the body (Microsoft Graph); `size` as above.
    NextLinkField {
        field: &'static str,
        size: &'static str,
    },
}

impl Paging {
    fn size(self) -> &'static str {
        match self {
            Paging::LinkHeader => "per_page=100",
            Paging::PageToken { size } | Paging::NextLinkField { size, .. } => size,
        }
    }
}

pub struct Api<T> {
    transport: T,
    calls: AtomicU64,
    budget: Budget,
    /// Where an error body carries its message: a top-level key (`message`) or a JSON
    /// pointer (`/error/message` for Google and Microsoft).
    error_field: &'static str,
    paging: Paging,
}

impl<T: Transport> Api<T> {
    pub fn new(transport: T, budget: Budget) -> Api<T> {
        Api {
            transport,
            calls: AtomicU64::new(0),
            budget,
            error_field: "message",
            paging: Paging::LinkHeader,
        }
    }

    /// An API that pages and reports errors its own way.
    pub fn with_style(mut self, paging: Paging, error_field: &'static str) -> Api<T> {
        self.paging = paging;
        self.error_field = error_field;
        self
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// One JSON document.
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        Ok(self.get_page(path, None).await?.0)
    }

    /// One JSON document answering a POST of `body` (Google's `getIamPolicy`, a token
    /// request), with the same retries and limits as a GET.
    pub async fn post(&self, path: &str, body: Body<'_>) -> Result<Value, ApiError> {
        Ok(self.get_page(path, Some(body)).await?.0)
    }

    /// Every item of a list endpoint, page after page as the API's [`Paging`] says. `field`
    /// names the array in wrapped responses (`{"total_count": N, "secrets": [...]}`);
    /// `None` for plain arrays. The items of the pages read before a failure are kept.
    pub async fn list(&self, path: &str, field: Option<&str>) -> Listed {
        let sep = if path.contains('?') { '&' } else { '?' };
        let first = format!("{path}{sep}{}", self.paging.size());
        let mut next = Some(first.clone());
        let mut seen: HashSet<String> = HashSet::new();
        let mut listed = Listed::default();
        while let Some(url) = next.take() {
            if !seen.insert(url.clone()) || seen.len() > MAX_PAGES {
                let message = if seen.len() > MAX_PAGES {
                    format!("more than {MAX_PAGES} pages; the list was cut there")
                } else {
                    "the next-page link points back to a page already read (a pagination loop); the list was cut there".to_string()
                };
                listed.error = Some(ApiError::Other {
                    path: strip_origin(&url, self.paging.size()),
                    message,
                });
                break;
            }
            let (body, link) = match self.get_page(&url, None).await {
                Ok(page) => page,
                Err(e) => {
                    listed.error = Some(e);
                    break;
                }
            };
            let link = match self.paging {
                Paging::LinkHeader => link,
                Paging::PageToken { .. } => body
                    .get("nextPageToken")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .map(|t| format!("{first}&pageToken={}", escaped(t))),
                Paging::NextLinkField { field, .. } => {
                    body.get(field).and_then(Value::as_str).map(str::to_string)
                }
            };
            let absent_is_empty = matches!(self.paging, Paging::PageToken { .. });
            match items_of(body, field, absent_is_empty) {
                Ok(items) => listed.items.extend(items),
                Err(message) => {
                    listed.error = Some(ApiError::Other {
                        path: strip_origin(&url, self.paging.size()),
                        message,
                    });
                    break;
                }
            }
            next = link;
        }
        listed
    }

    async fn get_page(
        &self,
        url: &str,
        body: Option<Body<'_>>,
    ) -> Result<(Value, Option<String>), ApiError> {
        let path = strip_origin(url, self.paging.size());
        for attempt in 0..=RETRIES {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let (status, headers, text) = self
                .budget
                .call(self.exchange(url, body, &path))
                .await
                .map_err(|out_of_time| match out_of_time {
                    OutOfTime::Source(_) => ApiError::Deadline {
                        path: path.clone(),
                        out_of_time,
                    },
                    OutOfTime::Request(_) => ApiError::Other {
                        path: path.clone(),
                        message: out_of_time.to_string(),
                    },
                })??;
            if (200..300).contains(&status) {
                let body = serde_json::from_str(&text).map_err(|e| ApiError::Other {
                    path: path.clone(),
                    message: format!("response is not JSON: {e}"),
                })?;
                return Ok((body, next_link(&headers)));
            }
            if let Some(wait) = rate_limit_wait(status, &headers, &path)?
                && attempt < RETRIES
            {
                if !self.budget.can_wait(wait) {
                    return Err(ApiError::Other {
                        path,
                        message: budget::refused_wait(wait, &self.budget),
                    });
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            let message = budget::body_summary(&text, self.error_field);
            return Err(match status {
                403 | 401 => ApiError::Denied {
                    path,
                    status,
                    message,
                },
                404 => ApiError::NotFound { path },
                _ => ApiError::Other {
                    path,
                    message: format!("HTTP {status} {message}"),
                },
            });
        }
        Err(ApiError::Other {
            path,
            message: "still rate limited after 3 retries".into(),
        })
    }

    /// One request and its whole body.
    async fn exchange(
        &self,
        url: &str,
        body: Option<Body<'_>>,
        path: &str,
    ) -> Result<(u16, http::HeaderMap, String), ApiError> {
        self.transport
            .send(url, body)
            .await
            .map_err(|message| ApiError::Other {
                path: path.to_string(),
                message,
            })
    }
}

/// The items of one page, or why the page is not a list.
pub fn items_of(
    body: Value,
    field: Option<&str>,
    absent_is_empty: bool,
) -> Result<Vec<Value>, String> {
    let page = match field {
        Some(f) => match body {
            Value::Object(mut map) => match map.remove(f) {
                Some(list) => list,
                None if absent_is_empty => Value::Array(Vec::new()),
                None => return Err(format!("unexpected answer: no `{f}` list in it")),
            },
            other => {
                return Err(format!(
                    "unexpected answer: {} where an object with a `{f}` list was expected",
                    json_kind(&other)
                ));
            }
        },
        None => body,
    };
    match page {
        Value::Array(items) => Ok(items),
        other => Err(format!(
            "unexpected answer: {} where a list was expected",
            json_kind(&other)
        )),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// How long to wait before retrying a rate-limited answer; `None` when it is not one.
fn rate_limit_wait(
    status: u16,
    headers: &http::HeaderMap,
    path: &str,
) -> Result<Option<Duration>, ApiError> {
    if status != 403 && status != 429 {
        return Ok(None);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        // Longer waits are refused by the caller, which says when to retry.
        return Ok(Some(Duration::from_secs(secs)));
    }
    // GitHub's `x-ratelimit-*`, GitLab's `RateLimit-*` (header names are case-blind).
    let quota = |suffix: &str| {
        header(&format!("x-ratelimit-{suffix}")).or(header(&format!("ratelimit-{suffix}")))
    };
    if quota("remaining") == Some("0") {
        let reset = quota("reset")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let wait = Duration::from_secs(reset.saturating_sub(now) + 1);
        if wait <= MAX_WAIT {
            return Ok(Some(wait));
        }
        let reset = time::OffsetDateTime::from_unix_timestamp(reset as i64)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| reset.to_string());
        return Err(ApiError::RateLimited {
            path: path.to_string(),
            reset,
        });
    }
    Ok(None)
}

/// The `rel="next"` URL of a Link header.
fn next_link(headers: &http::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// The host a URL names (`hooks.example.test:8443` of
/// `https://user:pw@hooks.example.test:8443/x?y`), without credentials; the text itself
/// when it is no URL. Webhook targets, OIDC issuers and redirect targets are named by it.
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    host.rsplit('@').next().unwrap_or(host)
}

/// `text` as one URL path segment, query value or form value: every byte but RFC 3986's
/// unreserved ones percent-encoded (`acme/platform` -> `acme%2Fplatform`; Google's page
/// tokens are base64 and may hold `+/=`).
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `/repos/o/r/keys?page=2` from `http://host/repos/o/r/keys?per_page=100&page=2` (the
/// page-size parameter `size` left out), for messages.
fn strip_origin(url: &str, size: &str) -> String {
    let url = url
        .replace(&format!("?{size}&"), "?")
        .replace(&format!("&{size}"), "")
        .replace(&format!("?{size}"), "");
    let url = url.as_str();
    match url.find("://") {
        Some(i) => url[i + 3..]
            .find('/')
            .map_or_else(|| "/".to_string(), |j| url[i + 3 + j..].to_string()),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "link",
            r#"<http://127.0.0.1:1/orgs/o/repos?page=3>; rel="last", <http://127.0.0.1:1/orgs/o/repos?page=2>; rel="next""#
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("http://127.0.0.1:1/orgs/o/repos?page=2")
        );
        assert_eq!(
            strip_origin("http://127.0.0.1:1/orgs/o/repos?page=2", "per_page=100"),
            "/orgs/o/repos?page=2"
        );
    }

    #[test]
    fn a_far_primary_reset_is_an_error_with_the_time_and_a_near_one_a_wait() {
        let mut h = http::HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "4102444800".parse().unwrap()); // 2100-01-01
        let err = rate_limit_wait(403, &h, "/orgs/o").unwrap_err().to_string();
        assert_eq!(
            err,
            "/orgs/o: rate limit exhausted until 2100-01-01T00:00:00Z; re-run after that time"
        );
        let mut h = http::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(
            rate_limit_wait(429, &h, "/x").unwrap(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(rate_limit_wait(404, &h, "/x").unwrap(), None);
    }
}
