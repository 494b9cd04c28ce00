//! The calls of validation: every job's request built (the documented one from its check,
//! or by code for a signing scheme: AWS SigV4 through the SDK, a GCP key's JWT assertion,
//! an Azure client-credentials request), sent within the concurrency bounds, and read.

use super::{Job, Options, aws, azure, client, request, scrub, validation};
use crate::collect::gcp::key as gcp;
use crate::detect::live::{LiveCheck, Scheme};
use crate::model::{LiveStatus, Timestamp, Validation};
use request::Endpoints;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Calls in flight at most, over all providers.
const CONCURRENCY: usize = 8;
/// Calls in flight at most to one host: providers rate-limit per credential and per IP.
const PER_HOST: usize = 2;

/// Ask every job's provider, concurrently within the bounds; answers in job order, each
/// with the calls it took and the host asked.
pub(super) fn ask_all(
    jobs: &[(Job, String)],
    checks: &[LiveCheck],
    opts: &Options,
    now: Timestamp,
) -> Vec<(Validation, u32, String)> {
    let failed = |reason: String| {
        jobs.iter()
            .map(|(job, _)| {
                let check = &checks[job.check];
                (
                    validation(check, LiveStatus::Error, reason.clone(), now),
                    0,
                    check.host().to_string(),
                )
            })
            .collect()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return failed(format!("not checked: cannot start the HTTP runtime: {e}")),
    };
    runtime.block_on(async {
        let client = match client::Client::new(opts.timeout) {
            Ok(c) => Arc::new(c),
            Err(e) => return failed(format!("not checked: no TLS root certificates: {e}")),
        };
        let all = Arc::new(Semaphore::new(CONCURRENCY));
        let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
        let mut tasks = Vec::new();
        let timeout = opts.timeout;
        for (job, _) in jobs {
            let check = checks[job.check].clone();
            let value = job.value.clone();
            let extra = job.extra.clone();
            let endpoints = opts.endpoints.clone();
            let client = Arc::clone(&client);
            let all = Arc::clone(&all);
            let host_gate = Arc::clone(
                per_host
                    .entry(endpoints.base(&check).to_string())
                    .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST))),
            );
            tasks.push(tokio::spawn(async move {
                let _all = all.acquire_owned().await;
                let _host = host_gate.acquire_owned().await;
                match check.scheme {
                    Scheme::AwsSigv4 => {
                        let key_id = extra.unwrap_or_default();
                        ask_aws(&check, &key_id, &value, &endpoints, timeout, now).await
                    }
                    Scheme::Http | Scheme::GcpJwt | Scheme::AzureClientCredentials => {
                        ask(&client, &check, &value, extra.as_deref(), &endpoints, now).await
                    }
                }
            }));
        }
        let mut out = Vec::new();
        for (task, (job, _)) in tasks.into_iter().zip(jobs) {
            out.push(task.await.unwrap_or_else(|_| {
                let check = &checks[job.check];
                (
                    validation(
                        check,
                        LiveStatus::Error,
                        "not checked: the check crashed; this is a bug in nhiscan, please report it".into(),
                        now,
                    ),
                    0,
                    check.host().to_string(),
                )
            }));
        }
        out
    })
}

/// One secret's check over HTTP: the request (the documented one, or a GCP key's token
/// exchange), the answer read, the reason scrubbed of the value.
async fn ask(
    client: &client::Client,
    check: &LiveCheck,
    value: &[u8],
    document: Option<&[u8]>,
    endpoints: &Endpoints,
    now: Timestamp,
) -> (Validation, u32, String) {
    let built = match check.scheme {
        Scheme::GcpJwt => gcp_request(check, value, document.unwrap_or_default(), endpoints),
        Scheme::AzureClientCredentials => {
            azure_request(check, value, document.unwrap_or_default(), endpoints)
        }
        _ => request::build(check, value, endpoints)
            .map(|r| (r, None))
            .map_err(|e| e.to_string()),
    };
    let (request, key) = match built {
        Ok(r) => r,
        Err(e) => {
            let v = validation(check, LiveStatus::Unknown, format!("not checked: {e}"), now);
            return (v, 0, check.host().to_string());
        }
    };
    let mut calls = 0;
    let mut outcome = match client.send(&request, &mut calls).await {
        Ok(a) => super::answer::read(
            check,
            &request.shown,
            a.status,
            &|name| a.header(name),
            &a.body,
        ),
        Err(e) => {
            super::answer::Outcome::only(LiveStatus::Error, format!("{}: {e}", request.shown))
        }
    };
    // A GCP key acts as the service account its file names; an Azure secret as its app.
    if let Some((principal, account)) = key.filter(|_| outcome.status == LiveStatus::Active) {
        outcome.principal = Some(principal);
        outcome.account = account;
    }
    let scrub = |text: String| scrub(text, value);
    let v = Validation {
        status: outcome.status,
        checked_at: now,
        reason: scrub(outcome.reason),
        principal: outcome.principal.map(scrub),
        principal_kind: Some(check.principal_kind.clone()),
        account: outcome.account.map(scrub),
        scopes: outcome.scopes.into_iter().map(scrub).collect(),
        host: Some(request.host.clone()),
        cached: false,
    };
    (v, calls, request.host)
}

/// The token exchange of a GCP service-account key found in `document`.
/// A request built by code, and the (principal, account) it is known to act as.
type Built = (request::Request, Option<(String, Option<String>)>);

fn gcp_request(
    check: &LiveCheck,
    key_id: &[u8],
    document: &[u8],
    endpoints: &Endpoints,
) -> Result<Built, String> {
    let key = gcp::key_in(document, key_id)?;
    // The provider checks the assertion's times against its clock: the real one.
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let audience = format!("{}{}", check.base, check.path);
    let assertion = gcp::assertion(&key, &audience, gcp::READ_ONLY_SCOPE, unix)?;
    let request = form_post(
        check,
        &check.path,
        gcp::token_request(&assertion),
        endpoints,
    );
    Ok((request, Some((key.client_email, key.project_id))))
}

/// The client-credentials request of an Azure secret, its ids read beside it.
fn azure_request(
    check: &LiveCheck,
    secret: &[u8],
    document: &[u8],
    endpoints: &Endpoints,
) -> Result<Built, String> {
    let (tenant, client) = azure::ids_near(document, secret)?;
    let path = check.path.replace("{tenant}", &tenant);
    let request = form_post(
        check,
        &path,
        azure::token_request(&client, secret),
        endpoints,
    );
    Ok((
        request,
        Some((format!("app {client}"), Some(format!("tenant {tenant}")))),
    ))
}

/// A form POST to `path` at the check's (or the redirected) base.
fn form_post(
    check: &LiveCheck,
    path: &str,
    body: Vec<u8>,
    endpoints: &Endpoints,
) -> request::Request {
    let base = endpoints.base(check);
    let host = endpoints.host(check);
    request::Request {
        method: check.method,
        url: format!("{base}{path}"),
        headers: vec![("Accept".into(), "application/json".into())],
        body: Some((body, "application/x-www-form-urlencoded".into())),
        shown: format!("{} {host}{path}", check.method.as_str()),
        host,
    }
}

/// AWS: GetCallerIdentity signed with the key id and the secret.
async fn ask_aws(
    check: &LiveCheck,
    key_id: &[u8],
    secret: &[u8],
    endpoints: &Endpoints,
    timeout: Duration,
    now: Timestamp,
) -> (Validation, u32, String) {
    let base = endpoints.base(check);
    let host = endpoints.host(check);
    let shown = format!("sts:GetCallerIdentity at {host}");
    let outcome = aws::caller_identity(
        &String::from_utf8_lossy(key_id),
        &String::from_utf8_lossy(secret),
        base,
        &shown,
        timeout,
    )
    .await;
    let scrub = |text: String| scrub(scrub(text, secret), key_id);
    let v = Validation {
        status: outcome.status,
        checked_at: now,
        reason: scrub(outcome.reason),
        principal: outcome.principal,
        principal_kind: Some(check.principal_kind.clone()),
        account: outcome.account,
        scopes: Vec::new(),
        host: Some(host.clone()),
        cached: false,
    };
    (v, 1, host)
}
