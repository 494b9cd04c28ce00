//! Every IAM call goes through [`CallLog`]: it counts calls for `--stats`, turns a failed
//! SDK call into one error per operation (naming the permission to grant) on the shared
//! [`calls::CallLog`], and stops calling an operation that was denied or is not available,
//! so 1,000 users do not mean 1,000 identical AccessDenied round trips.

use crate::collect::budget::{Budget, OutOfTime};
use crate::collect::calls::{self, Failure};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::future::Future;

/// The IAM calls of one collector run, on the shared [`CallLog`](crate::collect::calls::CallLog).
#[derive(Debug, Default)]
pub struct CallLog {
    log: calls::CallLog,
    budget: Budget,
}

/// Error codes after which the same operation will fail for every other input too.
const STICKY: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "NotImplemented",
    "InternalFailure",
    "InvalidAction",
];

impl CallLog {
    /// A log whose calls are bounded by `budget`.
    pub fn new(budget: Budget) -> CallLog {
        CallLog {
            log: calls::CallLog::default(),
            budget,
        }
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn calls(&self) -> u64 {
        self.log.calls()
    }

    /// Run one call of IAM operation `op` (`"ListSSHPublicKeys"`); `None` when it failed
    /// or the operation is disabled after an earlier failure.
    pub async fn call<T, E, F>(&self, op: &'static str, fut: F) -> Option<T>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if self.log.is_disabled(&operation(op)) {
            return None;
        }
        self.log.count();
        match self.budget.call(fut).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.record(op, &e);
                None
            }
            Err(out_of_time) => {
                self.out_of_time(op, out_of_time);
                None
            }
        }
    }

    /// A call cut off by the budget: the deadline is one line for the whole source, a
    /// request timeout one line per operation.
    pub fn out_of_time(&self, op: &'static str, out_of_time: OutOfTime) {
        match out_of_time {
            OutOfTime::Source(_) => self
                .log
                .fail(self.budget.deadline_failure(&operation(op)), false),
            OutOfTime::Request(_) => self.log.fail(
                calls::FailedCall {
                    operation: operation(op),
                    failure: Failure::Other,
                    message: format!("{} failed ({out_of_time})", operation(op)),
                    fix: "the data this call returns is missing from the inventory".into(),
                    affected: 1,
                    count_affected: true,
                },
                true,
            ),
        }
    }

    /// Count one call made outside [`CallLog::call`].
    pub fn count(&self) {
        self.log.count();
    }

    /// Every page of a paginated operation, each counted as a call; stops at the first
    /// failed page (recorded like a failed call) and keeps the pages before it. A marker
    /// handed back twice is a pagination loop, an error of the list: the SDK's paginator
    /// would otherwise just stop there, and the rest of the list would be silently missing.
    pub async fn pages<O, E>(
        &self,
        op: &'static str,
        mut stream: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
    ) -> Vec<O>
    where
        O: Page,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut out = Vec::new();
        let mut markers = std::collections::HashSet::new();
        if self.log.is_disabled(&operation(op)) {
            return out;
        }
        loop {
            let page = match self.budget.call(stream.next()).await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(out_of_time) => {
                    self.count();
                    self.out_of_time(op, out_of_time);
                    break;
                }
            };
            self.count();
            match page {
                Ok(page) => {
                    let repeated = page
                        .next_marker()
                        .is_some_and(|m| !markers.insert(m.to_string()));
                    out.push(page);
                    if repeated {
                        self.pagination_loop(op);
                        break;
                    }
                }
                Err(e) => {
                    self.record(op, &e);
                    break;
                }
            }
        }
        out
    }

    /// A list whose marker came back a second time.
    pub fn pagination_loop(&self, op: &'static str) {
        self.log.fail(
            calls::FailedCall {
                operation: operation(op),
                failure: Failure::Other,
                message: format!(
                    "{} failed (the endpoint handed back a marker already used, a pagination loop; the list was cut there)",
                    operation(op)
                ),
                fix: "the rest of this list is missing from the inventory".into(),
                affected: 1,
                count_affected: false,
            },
            true,
        );
    }

    pub fn record<E>(&self, op: &'static str, e: &SdkError<E, HttpResponse>)
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let (code, message) = describe(e);
        // An HTTP 5xx that survived the SDK's retries, or a response that is not IAM's XML
        // (an emulator without the operation), will not answer for the next user either.
        let sticky = STICKY.contains(&code.as_str())
            || matches!(e, SdkError::ResponseError(_))
            || code == "ServiceFailure"
            || code == "ServerError"
            || code == "UnparseableError";
        let denied = is_denied(&code);
        let fix = if denied {
            format!(
                "grant {} to the scanning principal (see README, minimal IAM policy)",
                operation(op)
            )
        } else {
            "the data this call returns is missing from the inventory".to_string()
        };
        let call = calls::FailedCall {
            operation: operation(op),
            failure: if denied {
                Failure::Denied
            } else {
                Failure::Other
            },
            message: format!("{} failed ({code}: {message})", operation(op)),
            fix,
            affected: 1,
            count_affected: true,
        };
        self.log.fail(call, sticky);
    }

    /// One line per failed operation, for the source's errors.
    pub fn errors(&self) -> Vec<String> {
        self.log.errors_by_operation()
    }
}

/// A page of a paginated IAM list: its marker for the next page, when it is truncated.
pub trait Page {
    fn next_marker(&self) -> Option<&str>;
}

/// Lists of the other services page with a `NextToken` instead of IAM's marker.
macro_rules! token_paged {
    ($($output:ty),* $(,)?) => {
        $(impl Page for $output {
            fn next_marker(&self) -> Option<&str> {
                self.next_token()
            }
        })*
    };
}

token_paged!(
    aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput,
    aws_sdk_ssm::operation::describe_parameters::DescribeParametersOutput,
);

macro_rules! paged {
    ($($output:ty),* $(,)?) => {
        $(impl Page for $output {
            fn next_marker(&self) -> Option<&str> {
                if self.is_truncated() { self.marker() } else { None }
            }
        })*
    };
}

paged!(
    aws_sdk_iam::operation::list_roles::ListRolesOutput,
    aws_sdk_iam::operation::list_instance_profiles::ListInstanceProfilesOutput,
    aws_sdk_iam::operation::list_server_certificates::ListServerCertificatesOutput,
    aws_sdk_iam::operation::list_user_tags::ListUserTagsOutput,
    aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput,
    aws_sdk_iam::operation::list_ssh_public_keys::ListSshPublicKeysOutput,
    aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput,
);

/// The permission an operation needs: `iam:<op>`, or the op itself when it names its
/// service (`secretsmanager:ListSecrets`).
fn operation(op: &str) -> String {
    if op.contains(':') {
        op.to_string()
    } else {
        format!("iam:{op}")
    }
}

/// (code, message) of an SDK error, with a useful text for transport failures.
pub fn describe<E>(e: &SdkError<E, HttpResponse>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match e {
        SdkError::ServiceError(s) => match s.err().code() {
            Some(code) => (
                code.to_string(),
                s.err().message().unwrap_or("no message").to_string(),
            ),
            // The body was not IAM's error XML (a proxy, an HTML 5xx page, an emulator):
            // the HTTP status still says what happened.
            None => {
                let status = s.raw().status();
                let code = match status.as_u16() {
                    401 | 403 => "AccessDenied",
                    429 => "Throttling",
                    500..=599 => "ServerError",
                    _ => "UnparseableError",
                };
                (
                    code.to_string(),
                    format!(
                        "HTTP {}, response body not in the service's error format",
                        status_words(status)
                    ),
                )
            }
        },
        SdkError::ResponseError(_) => (
            "InvalidResponse".into(),
            "the endpoint answered with something that is not an IAM response".into(),
        ),
        other => ("RequestFailed".into(), crate::collect::budget::one_line(other)),
    }
}

/// `500 Internal Server Error`.
fn status_words(status: aws_smithy_runtime_api::http::StatusCode) -> String {
    let code = status.as_u16();
    match http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{code} {reason}"),
        None => code.to_string(),
    }
}

/// Whether an error code says the principal lacks a permission (so the advice is to grant
/// it) rather than that the endpoint failed.
pub fn is_denied(code: &str) -> bool {
    code.starts_with("AccessDenied") || code == "UnauthorizedOperation"
}
