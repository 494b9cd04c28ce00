//! GitHub's transport: octocrab, which knows GitHub's authentication and base URL, under
//! the shared REST layer ([`crate::collect::rest`]) that pages, retries and counts.

use crate::collect::budget::one_line;
use crate::collect::rest;

pub struct Octocrab(octocrab::Octocrab);

/// The octocrab client (built synchronously: its builder is not `Send`). Retries are the
/// REST layer's, so octocrab's own are off.
pub fn client(base_uri: &str, token: &str) -> Result<Octocrab, String> {
    octocrab::Octocrab::builder()
        .base_uri(base_uri)
        .map_err(|e| format!("bad --github-url {base_uri}: {e}"))?
        .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
        .personal_token(token.to_string())
        .build()
        .map(Octocrab)
        .map_err(|e| format!("cannot build the GitHub client: {e}"))
}

#[async_trait::async_trait]
impl rest::Transport for Octocrab {
    async fn send(
        &self,
        target: &str,
        body: Option<rest::Body<'_>>,
    ) -> Result<(u16, http::HeaderMap, String), String> {
        if body.is_some() {
            return Err("the GitHub collector only reads (GET)".into());
        }
        let response = self
            .0
            ._get(target)
            .await
            .map_err(|e| format!("request failed: {}", one_line(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = self
            .0
            .body_to_string(response)
            .await
            .map_err(|e| format!("cannot read the response (cut short?): {}", one_line(&e)))?;
        Ok((status, headers, text))
    }
}
