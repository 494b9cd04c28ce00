//! The plain HTTPS transport of the REST collectors that do not come with a client of their
//! own (GitLab, Google Cloud, Microsoft Entra, and their token endpoints): hyper with rustls and the system's roots, one fixed set of headers (the
//! token) on every request, bodies capped so a runaway answer cannot fill memory.
//!
//! Requests never follow redirects (hyper's client does not): a 3xx is an answer like any
//! other, so the token is never sent to a host the user did not name.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The largest answer read: a page of 100 objects is far below it.
const MAX_BODY: usize = 32 * 1024 * 1024;

pub struct HttpTransport {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// `https://gitlab.example.com/api/v4`, without the trailing slash.
    base: String,
    /// Sent with every request (`Authorization: Bearer ...`); never in messages.
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

impl HttpTransport {
    /// A client for `base`; `headers` go with every request (marked sensitive so they never
    /// show in debug output).
    pub fn new(base: &str, headers: Vec<(&'static str, String)>) -> Result<HttpTransport, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("cannot load the system's TLS roots: {e}"))?
            // Plain HTTP only when the user's base URL says so (a test server, a private
            // instance behind a proxy).
            .https_or_http()
            .enable_http1()
            .build();
        let headers = headers
            .into_iter()
            .map(|(name, value)| {
                let mut value = http::HeaderValue::from_str(&value).map_err(|_| {
                    format!("the {name} header value has characters HTTP cannot carry")
                })?;
                value.set_sensitive(true);
                Ok((http::HeaderName::from_static(name), value))
            })
            .collect::<Result<_, String>>()?;
        Ok(HttpTransport {
            client: Client::builder(TokioExecutor::new()).build(https),
            base: base.trim_end_matches('/').to_string(),
            headers,
        })
    }
}

#[async_trait::async_trait]
impl super::Transport for HttpTransport {
    async fn send(
        &self,
        target: &str,
        body: Option<super::Body<'_>>,
    ) -> Result<(u16, http::HeaderMap, String), String> {
        let url = if target.starts_with('/') {
            format!("{}{target}", self.base)
        } else {
            target.to_string()
        };
        let method = if body.is_some() {
            http::Method::POST
        } else {
            http::Method::GET
        };
        let mut request = http::Request::builder()
            .method(method)
            .uri(&url)
            .header("accept", "application/json");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let bytes = match body {
            Some((media_type, bytes)) => {
                request = request.header("content-type", media_type);
                Bytes::copy_from_slice(bytes)
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(bytes))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("request failed: {}", crate::collect::budget::one_line(&e)))?;
        let (parts, body) = response.into_parts();
        let bytes = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| {
                format!(
                    "cannot read the response (cut short, or over {} MiB): {e}",
                    MAX_BODY >> 20
                )
            })?
            .to_bytes();
        Ok((
            parts.status.as_u16(),
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }
}
