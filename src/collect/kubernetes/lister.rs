//! Listing one resource type from the API server, page by page, within the collector's
//! budget.
//!
//! Raw requests rather than kube's typed `Api::list`, so that every answer is judged here:
//! an error status is reported with its code and reason whatever its body (a proxy's HTML
//! page, a `Status` without a code), a page of the wrong shape or a continue token already
//! used is an error of that list, an object that does not decode is skipped with an error
//! naming it, and the objects read before any failure are kept.

use super::Resource;
use crate::collect::budget::{Budget, OutOfTime, body_summary, one_line, refused_wait, retry_after};
use crate::collect::calls::{CallLog, FailedCall, Failure};
use kube::api::ListParams;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

/// Objects per list page: the API server's own default cap for a consistent snapshot.
const PAGE: u32 = 500;
/// Retries of a throttled page.
const RETRIES: u32 = 3;
/// Pages of one list before it is taken for endless (500 objects each).
const MAX_PAGES: usize = 10_000;

pub(super) struct Lister<'a> {
    pub client: kube::Client,
    pub namespace: Option<&'a str>,
    pub context: &'a str,
    pub log: CallLog,
    pub budget: Budget,
}

/// Why one list stopped before its end.
enum ListError {
    /// The API server answered with an error status.
    Status {
        code: u16,
        reason: String,
        message: String,
    },
    /// Rate limited with a wait nhiscan does not take (said with when to retry).
    Throttled(String),
    /// No answer in time: this call's own timeout.
    Timeout(OutOfTime),
    /// The source's deadline passed.
    Deadline,
    /// Unreachable, cut short, not JSON, not a list, or a pagination loop.
    Other(String),
}

impl Lister<'_> {
    /// The list path of `K` in the scanned namespace (or all namespaces).
    pub fn path<K>(&self) -> String
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        K::url_path(&K::DynamicType::default(), self.namespace)
    }

    pub fn cluster_path<K>(&self) -> String
    where
        K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope>,
        K::DynamicType: Default,
    {
        K::url_path(&K::DynamicType::default(), None)
    }

    /// Every object of one list, page by page; on failure the error is recorded and what
    /// was read before it kept.
    pub async fn list<K>(&self, path: String, resource: &Resource) -> Vec<K>
    where
        K: DeserializeOwned + kube::ResourceExt,
    {
        self.try_list(path, resource, ListParams::default())
            .await
            .unwrap_or_else(|partial| partial)
    }

    /// Like [`Lister::list`]; `Err` with the objects read so far when the list did not
    /// finish.
    pub async fn try_list<K>(
        &self,
        path: String,
        resource: &Resource,
        params: ListParams,
    ) -> Result<Vec<K>, Vec<K>>
    where
        K: DeserializeOwned + kube::ResourceExt,
    {
        let mut items = Vec::new();
        match self.pages(&path, resource, params, &mut items).await {
            Ok(()) => Ok(items),
            Err(e) => {
                self.log.fail(self.explain(resource, e), false);
                Err(items)
            }
        }
    }

    async fn pages<K>(
        &self,
        path: &str,
        resource: &Resource,
        params: ListParams,
        items: &mut Vec<K>,
    ) -> Result<(), ListError>
    where
        K: DeserializeOwned + kube::ResourceExt,
    {
        let mut seen: HashSet<String> = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = params.clone().limit(PAGE);
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            let page = self.page(path, &params).await?;
            let (objects, next) = page_objects(page)?;
            for object in objects {
                match K::deserialize(&object) {
                    Ok(k) => items.push(k),
                    // One object that does not decode (a Secret whose data is not base64)
                    // is skipped with an error naming it; the list goes on.
                    Err(e) => self.log.fail(self.undecodable(resource, &object, &e), false),
                }
            }
            let Some(next) = next else { return Ok(()) };
            if !seen.insert(next.clone()) {
                return Err(ListError::Other(
                    "the API server handed back a continue token already used (a pagination loop); the list was cut there".into(),
                ));
            }
            if seen.len() > MAX_PAGES {
                return Err(ListError::Other(format!(
                    "more than {MAX_PAGES} pages; the list was cut there"
                )));
            }
            token = Some(next);
        }
    }

    /// One page, as JSON. Throttling (429, 503, 504) is retried here, at most three times,
    /// waiting what `Retry-After` says when that fits the budget; kube's own retry layer
    /// is off so a long `Retry-After` is reported at once instead of waited out.
    async fn page(&self, path: &str, params: &ListParams) -> Result<Value, ListError> {
        let request = kube::core::Request::new(path)
            .list(params)
            .map_err(|e| ListError::Other(format!("cannot build the request: {e}")))?;
        for attempt in 0..=RETRIES {
            self.log.count();
            let request = request.clone().map(kube::client::Body::from);
            let exchange = async {
                let response = self.client.send(request).await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.into_body().collect_bytes().await?;
                Ok::<_, kube::Error>((status, headers, body))
            };
            let (status, headers, body) = match self.budget.call(exchange).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(e)) => return Err(ListError::Other(one_line(&e))),
                Err(OutOfTime::Source(_)) => return Err(ListError::Deadline),
                Err(timeout) => return Err(ListError::Timeout(timeout)),
            };
            let text = String::from_utf8_lossy(&body);
            if status.is_success() {
                return serde_json::from_str(&text).map_err(|e| {
                    ListError::Other(format!("the answer is not JSON ({e}): {}", body_summary(&text, "message")))
                });
            }
            let code = status.as_u16();
            if matches!(code, 429 | 503 | 504) && attempt < RETRIES {
                let wait = retry_after(&headers).unwrap_or(Duration::from_secs(1 << attempt));
                if !self.budget.can_wait(wait) {
                    return Err(ListError::Throttled(refused_wait(wait, &self.budget)));
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            // The API server's errors are a `Status` object; a proxy's are anything.
            let status_body: Option<Value> = serde_json::from_str(&text).ok();
            let field = |name: &str| {
                status_body
                    .as_ref()
                    .and_then(|v| v.get(name))
                    .and_then(Value::as_str)
                    .map(|s| crate::model::text::bounded(&crate::model::text::printable(s), 200).into_owned())
            };
            return Err(ListError::Status {
                code,
                reason: field("reason")
                    .or_else(|| status.canonical_reason().map(str::to_string))
                    .unwrap_or_default(),
                message: field("message").unwrap_or_else(|| body_summary(&text, "message")),
            });
        }
        Err(ListError::Other("still throttled after 3 retries".into()))
    }

    /// An object of a list that could not be decoded, named by its namespace and name.
    fn undecodable(&self, r: &Resource, object: &Value, e: &serde_json::Error) -> FailedCall {
        let meta = &object["metadata"];
        let name = match (meta["namespace"].as_str(), meta["name"].as_str()) {
            (Some(ns), Some(name)) => format!("{ns}/{name}"),
            (None, Some(name)) => name.to_string(),
            _ => "(unnamed)".to_string(),
        };
        let name = crate::model::text::printable(&name).into_owned();
        let what = format!("skipped {} {name}: it does not decode as a Kubernetes object ({e}); the rest of the list is in the inventory", r.singular());
        FailedCall {
            operation: what.clone(),
            failure: Failure::Other,
            message: what,
            fix: String::new(),
            affected: 1,
            count_affected: false,
        }
    }

    /// A failed list, in words that say what to do.
    fn explain(&self, r: &Resource, e: ListError) -> FailedCall {
        let scope = match (r.namespaced, self.namespace) {
            (true, Some(ns)) => format!("in namespace {ns}"),
            (true, None) => "in all namespaces".to_string(),
            (false, _) => "(cluster-scoped)".to_string(),
        };
        let group = if r.group.is_empty() {
            "\"\"".to_string()
        } else {
            r.group.to_string()
        };
        let what = format!("cannot list {} {scope}", r.plural);
        let cluster_wide = if r.namespaced && self.namespace.is_none() {
            " in a ClusterRole bound cluster-wide"
        } else {
            ""
        };
        let (failure, message) = match e {
            ListError::Status { code: 403, message, .. } => (
                Failure::Denied,
                format!(
                    "{what}: forbidden ({message}); grant the scanning identity `list` on `{}` (apiGroups: [{group}]){cluster_wide}",
                    r.plural
                ),
            ),
            ListError::Status { code: 401, message, .. } => (
                Failure::Unauthorized,
                format!(
                    "{what}: the API server rejected the credentials of context {} (401 {message}); check `kubectl --context {} auth whoami`",
                    self.context, self.context
                ),
            ),
            ListError::Status { code, reason, message } => (
                Failure::Other,
                format!("{what}: HTTP {code} {reason}: {message}"),
            ),
            ListError::Throttled(message) => (Failure::RateLimited, format!("{what}: {message}")),
            ListError::Timeout(out_of_time) => (Failure::Other, format!("{what}: {out_of_time}")),
            ListError::Deadline => return self.budget.deadline_failure(&format!("list {}", r.plural)),
            ListError::Other(message) => (Failure::Other, format!("{what}: {message}")),
        };
        FailedCall {
            operation: what,
            failure,
            message,
            fix: String::new(),
            affected: 1,
            count_affected: false,
        }
    }
}

/// The objects of a list page and its continue token; an answer that is not a list is an
/// error, never an empty list.
fn page_objects(page: Value) -> Result<(Vec<Value>, Option<String>), ListError> {
    let Value::Object(mut map) = page else {
        return Err(ListError::Other(
            "unexpected answer: not a JSON object where a list was expected".into(),
        ));
    };
    let items = match map.remove("items") {
        Some(Value::Array(items)) => items,
        // An empty list may be sent as `"items": null`.
        Some(Value::Null) => Vec::new(),
        _ => {
            return Err(ListError::Other(
                "unexpected answer: no `items` list in it".into(),
            ));
        }
    };
    let next = map
        .get("metadata")
        .and_then(|m| m.get("continue"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok((items, next))
}
