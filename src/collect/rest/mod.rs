//! The REST calls of every HTTP collector (GitHub, GitLab), with what an inventory needs
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
/// Items per page asked for: the largest page GitHub and GitLab serve.
const PAGE_SIZE: &str = "per_page=100";
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

/// One GET and its whole answer: status, headers and body text. `target` is a path under
/// the API's base (`/orgs/acme`) or an absolute URL (a `next` link). The error is a
/// one-line reason the exchange failed (connection refused, body cut short).
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn get(&self, target: &str) -> Result<(u16, http::HeaderMap, String), String>;
}

/// How an API's error body carries its message: a top-level key or a JSON pointer.
#[derive(Debug, Clone, Copy)]
pub struct ErrorField(pub &'static str);

pub struct Api<T> {
    transport: T,
    calls: AtomicU64,
    budget: Budget,
    error_field: ErrorField,
}

impl<T: Transport> Api<T> {
    pub fn new(transport: T, budget: Budget) -> Api<T> {
        Api {
            transport,
            calls: AtomicU64::new(0),
            budget,
            error_field: ErrorField("message"),
        }
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// One JSON document.
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        Ok(self.get_page(path).await?.0)
    }

    /// Every item of a list endpoint, following `Link: <...>; rel="next"`. `field` names the
    /// array in wrapped responses (`{"total_count": N, "secrets": [...]}`); `None` for plain
    /// arrays. The items of the pages read before a failure are kept.
    pub async fn list(&self, path: &str, field: Option<&str>) -> Listed {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{path}{sep}{PAGE_SIZE}"));
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
                    path: strip_origin(&url),
                    message,
                });
                break;
            }
            let (body, link) = match self.get_page(&url).await {
                Ok(page) => page,
                Err(e) => {
                    listed.error = Some(e);
                    break;
                }
            };
            match page_items(body, field) {
                Ok(items) => listed.items.extend(items),
                Err(message) => {
                    listed.error = Some(ApiError::Other {
                        path: strip_origin(&url),
                        message,
                    });
                    break;
                }
            }
            next = link;
        }
        listed
    }

    async fn get_page(&self, url: &str) -> Result<(Value, Option<String>), ApiError> {
        let path = strip_origin(url);
        for attempt in 0..=RETRIES {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let (status, headers, text) = self
                .budget
                .call(self.exchange(url, &path))
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
            let message = budget::body_summary(&text, self.error_field.0);
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
        path: &str,
    ) -> Result<(u16, http::HeaderMap, String), ApiError> {
        self.transport
            .get(url)
            .await
            .map_err(|message| ApiError::Other {
                path: path.to_string(),
                message,
            })
    }
}

/// The items of one page, or why the page is not a list.
fn page_items(body: Value, field: Option<&str>) -> Result<Vec<Value>, String> {
    let page = match field {
        Some(f) => match body {
            Value::Object(mut map) => map
                .remove(f)
                .ok_or_else(|| format!("unexpected answer: no `{f}` list in it"))?,
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

/// `/repos/o/r/keys?page=2` from `http://host/repos/o/r/keys?per_page=100&page=2`, for
/// messages.
fn strip_origin(url: &str) -> String {
    let url = url
        .replace("?per_page=100&", "?")
        .replace("&per_page=100", "")
        .replace("?per_page=100", "");
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
            strip_origin("http://127.0.0.1:1/orgs/o/repos?page=2"),
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
