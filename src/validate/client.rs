//! The HTTP side of validation: one request, bounded in time and size, never following a
//! redirect (hyper's client does not; a 3xx is read as an answer and reported), retried on
//! 429 (honouring `Retry-After` up to [`MAX_RETRY_AFTER`]) and on 5xx with backoff.

use super::request::Request;
use crate::detect::live::Method;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// Attempts per request at most (the first and two retries).
const ATTEMPTS: u32 = 3;
/// A `Retry-After` longer than this is not waited for: the check reports it instead.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Bodies read at most: identity answers are small; anything larger is cut.
const MAX_BODY: usize = 256 * 1024;

/// A final answer.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// Why no answer came.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    #[error("no answer within {0:?} (--request-timeout)")]
    Timeout(Duration),
    #[error("rate limited (429) after {attempts} attempts; the provider asks to wait {wait}")]
    RateLimited { attempts: u32, wait: String },
    #[error("cannot reach {host}: {message}")]
    Connect { host: String, message: String },
}

pub struct Client {
    inner: HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Client {
    pub fn new(timeout: Duration) -> std::io::Result<Client> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
            // Plain HTTP only reaches a base the user redirected explicitly
            // (NHISCAN_VALIDATE_ENDPOINTS); every built-in endpoint is https.
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Client {
            inner: HyperClient::builder(TokioExecutor::new()).build(https),
            timeout,
        })
    }

    /// Send `request`, retrying 429 and 5xx; `calls` counts every attempt.
    pub async fn send(&self, request: &Request, calls: &mut u32) -> Result<Answer, SendError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            *calls += 1;
            let answer = self.send_once(request).await?;
            let wait = match answer.status {
                429 => {
                    let asked = answer.header("retry-after");
                    let wait = asked
                        .as_deref()
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map_or(Duration::from_secs(1), Duration::from_secs);
                    if wait > MAX_RETRY_AFTER || attempt >= ATTEMPTS {
                        return Err(SendError::RateLimited {
                            attempts: attempt,
                            wait: asked.map_or("an unspecified time".into(), |s| format!("{s} s")),
                        });
                    }
                    wait
                }
                500..=599 if attempt < ATTEMPTS => Duration::from_millis(250 << attempt),
                _ => return Ok(answer),
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(&self, request: &Request) -> Result<Answer, SendError> {
        let mut builder = http::Request::builder()
            .method(match request.method {
                Method::Get => http::Method::GET,
                Method::Post => http::Method::POST,
                Method::Delete => http::Method::DELETE,
            })
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let body = match &request.body {
            Some((bytes, content_type)) => {
                builder = builder.header("content-type", content_type);
                Full::new(Bytes::from(bytes.clone()))
            }
            None => Full::new(Bytes::new()),
        };
        let connect_error = |message: String| SendError::Connect {
            host: request.host.clone(),
            message,
        };
        // The message of a bad request names no part of it: the URL may hold the secret.
        let http_request = builder
            .body(body)
            .map_err(|_| connect_error("the request could not be built".into()))?;
        let exchange = async {
            let response = self
                .inner
                .request(http_request)
                .await
                .map_err(|e| connect_error(super::cause_chain(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map(|b| b.to_bytes().to_vec())
                // A body over the limit or cut off: read what the status says.
                .unwrap_or_default();
            Ok(Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| SendError::Timeout(self.timeout))?
    }
}
