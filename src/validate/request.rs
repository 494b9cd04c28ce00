//! One live check turned into the request to send: the secret put where the provider's
//! documentation says, and the endpoint's base replaced when the user redirected it.
//! Pure: no I/O, so every provider's request shape is unit-tested.

use crate::detect::live::{LiveCheck, Method, SECRET};
use base64::Engine;
use std::collections::HashMap;

/// A request ready to send. `Debug` hides everything that may hold the secret.
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<(Vec<u8>, String)>,
    /// `GET api.github.com/user`: what may be shown (the template, never the secret).
    pub shown: String,
    /// The host (and port) the secret goes to.
    pub host: String,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Request {{ {} <secret hidden> }}", self.shown)
    }
}

/// Why a value could not be put into its request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the value holds bytes an HTTP header cannot carry; not sent")]
    NotHeaderSafe,
}

/// `NHISCAN_VALIDATE_ENDPOINTS`: provider id -> the base URL replacing its own.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    bases: HashMap<String, String>,
}

/// A problem in `NHISCAN_VALIDATE_ENDPOINTS`.
#[derive(Debug, thiserror::Error)]
#[error(
    "NHISCAN_VALIDATE_ENDPOINTS: {0}; write provider=http://host:port pairs separated by commas, e.g. github=http://127.0.0.1:8080"
)]
pub struct EndpointsError(String);

impl Endpoints {
    /// Parse `github=http://127.0.0.1:8080,slack=http://127.0.0.1:8081`, each provider one
    /// that has a live check in `known`.
    pub fn parse(text: &str, known: &[&str]) -> Result<Endpoints, EndpointsError> {
        let mut bases = HashMap::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((provider, base)) = pair.split_once('=') else {
                return Err(EndpointsError(format!("`{pair}` has no `=`")));
            };
            let (provider, base) = (provider.trim(), base.trim().trim_end_matches('/'));
            if !known.contains(&provider) {
                return Err(EndpointsError(format!(
                    "`{provider}` is no provider with a live check (known: {})",
                    known.join(", ")
                )));
            }
            let rest = base
                .strip_prefix("http://")
                .or_else(|| base.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
                return Err(EndpointsError(format!(
                    "`{base}` for {provider} is not an http:// or https:// base URL"
                )));
            }
            bases.insert(provider.to_string(), base.to_string());
        }
        Ok(Endpoints { bases })
    }

    /// From the environment; unset or empty: no redirection.
    pub fn from_env(known: &[&str]) -> Result<Endpoints, EndpointsError> {
        match std::env::var("NHISCAN_VALIDATE_ENDPOINTS") {
            Ok(text) => Endpoints::parse(&text, known),
            Err(_) => Ok(Endpoints::default()),
        }
    }

    /// The base URL requests of `check` go to.
    pub fn base<'a>(&'a self, check: &'a LiveCheck) -> &'a str {
        self.bases
            .get(&check.provider)
            .map_or(check.base.as_str(), String::as_str)
    }

    /// The host (and port) requests of `check` go to.
    pub fn host(&self, check: &LiveCheck) -> String {
        let base = self.base(check);
        base.split_once("://")
            .map_or(base, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

/// Build the request of `check` for `secret`.
pub fn build(
    check: &LiveCheck,
    secret: &[u8],
    endpoints: &Endpoints,
) -> Result<Request, RequestError> {
    let text = String::from_utf8_lossy(secret);
    let base = endpoints.base(check);
    let url = format!("{base}{}", check.path.replace(SECRET, &url_escape(&text)));
    let mut headers = Vec::new();
    for (name, value) in &check.headers {
        let value = value.replace(SECRET, &text);
        if value.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(RequestError::NotHeaderSafe);
        }
        headers.push((name.clone(), value));
    }
    if let Some((user, password)) = &check.basic {
        let pair = format!(
            "{}:{}",
            user.replace(SECRET, &text),
            password.replace(SECRET, &text)
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        headers.push(("Authorization".into(), format!("Basic {encoded}")));
    }
    let body = check.body.as_ref().map(|(template, content_type)| {
        let escaped = json_escape(&text);
        (
            template.replace(SECRET, &escaped).into_bytes(),
            content_type.clone(),
        )
    });
    let host = endpoints.host(check);
    let shown_path = check.path.replace(SECRET, "<secret>");
    let shown_path = shown_path.split('?').next().unwrap_or_default();
    Ok(Request {
        method: check.method,
        url,
        headers,
        body,
        shown: format!("{} {host}{shown_path}", check.method.as_str()),
        host,
    })
}

/// Percent-escape what a URL path or query value cannot hold as is.
fn url_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value as the inside of a JSON string.
fn json_escape(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1)].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::live::Method;

    fn check(path: &str) -> LiveCheck {
        LiveCheck {
            provider: "telegram".into(),
            scheme: crate::detect::live::Scheme::Http,
            partner: None,
            docs: "https://core.telegram.org/bots/api#getme".into(),
            method: Method::Get,
            base: "https://api.telegram.org".into(),
            path: path.into(),
            headers: vec![("X-Key".into(), "k {secret}".into())],
            basic: Some(("api".into(), "{secret}".into())),
            body: Some((r#"{"t":"{secret}"}"#.into(), "application/json".into())),
            active_status: vec![200],
            inactive_status: vec![401],
            ok: None,
            error: None,
            principal: None,
            principal_kind: "Telegram bot".into(),
            account: None,
            scopes: None,
            scopes_header: None,
        }
    }

    #[test]
    fn the_secret_goes_where_the_template_says_and_is_never_shown() {
        let c = check("/bot{secret}/getMe?x=1");
        let r = build(&c, b"123:AB/C\"d", &Endpoints::default()).unwrap();
        assert_eq!(
            r.url,
            "https://api.telegram.org/bot123:AB%2FC%22d/getMe?x=1"
        );
        assert_eq!(r.headers[0], ("X-Key".into(), "k 123:AB/C\"d".into()));
        // base64("api:123:AB/C\"d")
        assert_eq!(r.headers[1].1, "Basic YXBpOjEyMzpBQi9DImQ=");
        assert_eq!(
            r.body.as_ref().unwrap().0,
            br#"{"t":"123:AB/C\"d"}"#.to_vec()
        );
        assert_eq!(r.shown, "GET api.telegram.org/bot<secret>/getMe");
        assert_eq!(r.host, "api.telegram.org");
        assert!(!format!("{r:?}").contains("123:AB"));
    }

    #[test]
    fn a_redirected_provider_keeps_its_path_on_the_new_base() {
        let e = Endpoints::parse("telegram=http://127.0.0.1:9/tg/", &["telegram"]).unwrap();
        let r = build(&check("/bot{secret}/getMe"), b"1:A", &e).unwrap();
        assert_eq!(r.url, "http://127.0.0.1:9/tg/bot1:A/getMe");
        assert_eq!(r.host, "127.0.0.1:9");
    }

    #[test]
    fn bad_endpoint_settings_name_the_problem() {
        for (text, needle) in [
            ("github", "has no `=`"),
            ("nosuch=http://127.0.0.1:1", "`nosuch` is no provider"),
            ("telegram=ftp://x", "not an http"),
            ("telegram=http://", "not an http"),
        ] {
            let e = Endpoints::parse(text, &["telegram"])
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn a_value_with_a_line_break_is_not_put_in_a_header() {
        let r = build(&check("/x"), b"a\r\nX-Evil: 1", &Endpoints::default());
        assert_eq!(r.unwrap_err(), RequestError::NotHeaderSafe);
    }
}
