//! `[[validate]]` tables: how `--validate` asks a provider whether a found credential is
//! live, as data beside the provider's detectors. Each names the provider's documented
//! identity or introspection endpoint, how the secret is presented (header, Basic
//! credentials, query, path or body: `{secret}` marks the place), and which fields of the
//! answer name the principal, its account and its scopes.
//!
//! Checked when the set compiles, every problem with its file: an endpoint that is not
//! https (a secret is never sent in clear text; tests redirect endpoints explicitly with
//! `NHISCAN_VALIDATE_ENDPOINTS`), a secret placed nowhere or in the host, a detector of
//! another provider or listed by two checks, a JSON pointer that does not start with `/`.

use super::syntax::LiveCheckSyntax;
use super::{Detector, DetectorProblem};
use std::collections::HashMap;

/// The placeholder a template's secret goes into.
pub const SECRET: &str = "{secret}";

/// The HTTP method of a check: the documented calls only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    /// Only for `[[revoke_api]]`.
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// How the check authenticates: a documented HTTP request with the secret placed in it,
/// or a signing scheme that needs code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    /// AWS Signature Version 4 of `sts:GetCallerIdentity` with an access key id and its secret.
    AwsSigv4,
    /// A GCP service-account key: an RS256 JWT assertion signed with the key of the JSON
    /// file it was found in, exchanged at the token endpoint.
    GcpJwt,
    /// An Azure client secret: the client-credentials token request, with the tenant and
    /// client ids labelled beside the secret (`{tenant}` in the URL's path).
    AzureClientCredentials,
}

impl Scheme {
    /// Whether the check needs the document the value was found in (the key's JSON, the
    /// configuration naming the tenant and client ids).
    pub fn needs_document(self) -> bool {
        matches!(self, Scheme::GcpJwt | Scheme::AzureClientCredentials)
    }
}

/// A validated `[[validate]]` table.
#[derive(Debug, Clone)]
pub struct LiveCheck {
    pub provider: String,
    pub scheme: Scheme,
    /// The detector whose value completes the credential (`aws.access-key-id`).
    pub partner: Option<String>,
    pub docs: String,
    pub method: Method,
    /// `https://host[:port]`: where the secret may be sent, and what
    /// `NHISCAN_VALIDATE_ENDPOINTS` replaces.
    pub base: String,
    /// The rest of the URL after `base` (path and query), `{secret}` allowed.
    pub path: String,
    /// `(name, value template)`.
    pub headers: Vec<(String, String)>,
    /// `(user template, password template)`.
    pub basic: Option<(String, String)>,
    pub body: Option<(String, String)>,
    pub active_status: Vec<u16>,
    pub inactive_status: Vec<u16>,
    pub ok: Option<String>,
    pub error: Option<String>,
    pub principal: Option<String>,
    pub principal_kind: String,
    pub account: Option<String>,
    pub scopes: Option<String>,
    pub scopes_header: Option<String>,
}

impl LiveCheck {
    /// The host the secret goes to (without scheme).
    pub fn host(&self) -> &str {
        self.base.trim_start_matches("https://")
    }
}

/// The checks and calls of a compiled set, by detector.
impl super::DetectorSet {
    /// How `--validate` checks the values `detector` finds, if its provider has a check.
    pub fn live_check(&self, detector: &Detector) -> Option<&LiveCheck> {
        detector.live.map(|i| &self.live_checks[i as usize])
    }
    /// How `nhiscan revoke` revokes the values `detector` finds, if its provider lets a
    /// credential revoke itself.
    pub fn revoke_call(&self, detector: &Detector) -> Option<&LiveCheck> {
        detector.revoke_api.map(|i| &self.revoke_calls[i as usize])
    }
    /// The self-revocation call for a found identity: that of the first of its exposures'
    /// detectors that has one.
    pub fn revoke_call_for(&self, identity: &crate::model::Identity) -> Option<&LiveCheck> {
        identity
            .exposures
            .iter()
            .find_map(|e| self.by_id(&e.detector).and_then(|d| self.revoke_call(d)))
    }
    /// Whether `--validate` or `nhiscan revoke` needs this detector's values.
    pub fn keeps_values(&self, detector: &Detector) -> bool {
        detector.keeps_values() || detector.revoke_api.is_some()
    }
    /// Every `[[revoke_api]]` call.
    pub fn revoke_calls(&self) -> &[LiveCheck] {
        &self.revoke_calls
    }
    /// Providers with a live check or a revocation call: what NHISCAN_VALIDATE_ENDPOINTS
    /// may redirect.
    pub fn callable_providers(&self) -> Vec<&str> {
        let mut known: Vec<&str> = self
            .live_checks
            .iter()
            .chain(&self.revoke_calls)
            .map(|c| c.provider.as_str())
            .collect();
        known.sort_unstable();
        known.dedup();
        known
    }
    /// Every `[[validate]]` check.
    pub fn live_checks(&self) -> &[LiveCheck] {
        &self.live_checks
    }
}

/// Which table a check was written as: they share the request's syntax, not its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `[[validate]]`: is the secret live (reads only).
    Validate,
    /// `[[revoke_api]]`: the provider's self-revocation call; its `active_status` and `ok`
    /// say the revocation was accepted (`nhiscan revoke`).
    RevokeApi,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Validate => "[[validate]]",
            Table::RevokeApi => "[[revoke_api]]",
        }
    }

    fn of(self, d: &Detector) -> Option<u16> {
        match self {
            Table::Validate => d.live,
            Table::RevokeApi => d.revoke_api,
        }
    }

    fn slot(self, d: &mut Detector) -> &mut Option<u16> {
        match self {
            Table::Validate => &mut d.live,
            Table::RevokeApi => &mut d.revoke_api,
        }
    }
}

/// Check `checks` of one `table` (each with the file it came from), give each named
/// detector the index of its check, and return the checks.
pub(super) fn attach(
    table: Table,
    checks: Vec<(String, LiveCheckSyntax)>,
    detectors: &mut [Detector],
    problems: &mut Vec<DetectorProblem>,
) -> Vec<LiveCheck> {
    let index: HashMap<String, usize> = detectors
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    let mut out = Vec::new();
    for (origin, syntax) in checks {
        let mut found = Vec::new();
        let check = compile(table, &syntax, &mut found);
        for id in &syntax.detectors {
            match index.get(id).map(|&i| &detectors[i]) {
                None => found.push(format!("detector `{id}` does not exist")),
                Some(d) if d.provider != syntax.provider => found.push(format!(
                    "detector `{id}` is of provider `{}`, not `{}`",
                    d.provider, syntax.provider
                )),
                Some(d) if table.of(d).is_some() => {
                    found.push(format!("detector `{id}` is named by two {}", table.name()))
                }
                Some(_) => {}
            }
        }
        if syntax.detectors.is_empty() {
            found.push("names no detector".to_string());
        }
        let partner = syntax.partner.as_ref().and_then(|id| match index.get(id) {
            Some(&i) if detectors[i].provider == syntax.provider => Some(i),
            _ => {
                found.push(format!(
                    "partner `{id}` is no detector of provider `{}`",
                    syntax.provider
                ));
                None
            }
        });
        match check {
            Some(check) if found.is_empty() => {
                for id in &syntax.detectors {
                    *table.slot(&mut detectors[index[id]]) = Some(out.len() as u16);
                }
                if let Some(p) = partner {
                    detectors[p].partner_of = Some(out.len() as u16);
                }
                out.push(check);
            }
            _ => problems.extend(found.into_iter().map(|message| DetectorProblem {
                origin: origin.clone(),
                detector: None,
                message: format!(
                    "{} of provider `{}` ({}): {message}",
                    table.name(),
                    syntax.provider,
                    syntax.url
                ),
            })),
        }
    }
    out
}

/// The table's own rules; `None` with the problems pushed when one fails.
fn compile(table: Table, s: &LiveCheckSyntax, found: &mut Vec<String>) -> Option<LiveCheck> {
    let before = found.len();
    if !s.docs.starts_with("https://") {
        found.push(format!(
            "docs `{}` must be the provider's https page",
            s.docs
        ));
    }
    let scheme = match s.scheme.as_deref().unwrap_or("http") {
        "http" => Scheme::Http,
        "aws-sigv4" => Scheme::AwsSigv4,
        "gcp-jwt" => Scheme::GcpJwt,
        "azure-client-credentials" => Scheme::AzureClientCredentials,
        other => {
            found.push(format!(
                "scheme `{other}`: http, aws-sigv4, gcp-jwt or azure-client-credentials"
            ));
            Scheme::Http
        }
    };
    if (scheme == Scheme::AwsSigv4) != s.partner.is_some() {
        found.push("a partner belongs with a signing scheme (aws-sigv4), and only there".into());
    }
    if table == Table::RevokeApi && scheme != Scheme::Http {
        found.push("a revocation is an http call".into());
    }
    let method = match (s.method.as_deref().unwrap_or("GET"), table) {
        ("GET", _) => Method::Get,
        ("POST", _) => Method::Post,
        ("DELETE", Table::RevokeApi) => Method::Delete,
        (other, _) => {
            found.push(format!(
                "method `{other}`: {}",
                match table {
                    Table::Validate => "GET or POST (a check only reads)",
                    Table::RevokeApi => "GET, POST or DELETE",
                }
            ));
            Method::Get
        }
    };
    let (base, path) = match s.url.strip_prefix("https://") {
        Some(rest) => {
            let cut = rest.find(['/', '?']).unwrap_or(rest.len());
            let (host, path) = rest.split_at(cut);
            if host.is_empty() || host.contains('{') {
                found.push("the host must be fixed: the secret never chooses where it goes".into());
            }
            (format!("https://{host}"), path.to_string())
        }
        None => {
            found.push("url must be https: a secret is never sent in clear text".into());
            (String::new(), String::new())
        }
    };
    let mut headers = Vec::new();
    for h in &s.headers {
        match h.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() && !name.contains(SECRET) => {
                headers.push((name.trim().to_string(), value.trim().to_string()))
            }
            _ => found.push(format!("header `{h}` must be `Name: value`")),
        }
    }
    let basic = s.basic.as_ref().and_then(|b| match b.split_once(':') {
        Some((u, p)) => Some((u.to_string(), p.to_string())),
        None => {
            found.push("basic must be `user:password`".into());
            None
        }
    });
    let body = s.body.as_ref().map(|b| {
        (
            b.clone(),
            s.content_type
                .clone()
                .unwrap_or_else(|| "application/json".to_string()),
        )
    });
    let places = path.matches(SECRET).count()
        + headers.iter().filter(|(_, v)| v.contains(SECRET)).count()
        + basic
            .iter()
            .filter(|(u, p)| u.contains(SECRET) || p.contains(SECRET))
            .count()
        + body.iter().filter(|(b, _)| b.contains(SECRET)).count();
    if places == 0 && scheme == Scheme::Http {
        found.push(
            "the secret is presented nowhere: put {secret} in a header, basic, the url or the body"
                .into(),
        );
    }
    for (name, pointer) in [
        ("ok", &s.ok),
        ("error", &s.error),
        ("principal", &s.principal),
        ("account", &s.account),
        ("scopes", &s.scopes),
    ] {
        if let Some(p) = pointer
            && !p.starts_with('/')
        {
            found.push(format!(
                "{name} `{p}` must be a JSON pointer (`/field/0/name`)"
            ));
        }
    }
    let or = |v: &Vec<u16>, d: u16| if v.is_empty() { vec![d] } else { v.clone() };
    let active_status = or(&s.active_status, 200);
    let inactive_status = or(&s.inactive_status, 401);
    if active_status.iter().any(|c| inactive_status.contains(c)) {
        found.push("a status cannot be both active and inactive".into());
    }
    (found.len() == before).then(|| LiveCheck {
        provider: s.provider.clone(),
        scheme,
        partner: s.partner.clone(),
        docs: s.docs.clone(),
        method,
        base,
        path,
        headers,
        basic,
        body,
        active_status,
        inactive_status,
        ok: s.ok.clone(),
        error: s.error.clone(),
        principal: s.principal.clone(),
        principal_kind: s
            .principal_kind
            .clone()
            .unwrap_or_else(|| format!("{} identity", s.provider)),
        account: s.account.clone(),
        scopes: s.scopes.clone(),
        scopes_header: s.scopes_header.clone(),
    })
}
