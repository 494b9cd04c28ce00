//! Every IAM call goes through [`CallLog`]: it counts calls for `--stats`, turns a failed
//! SDK call into one error per operation (naming the permission to grant) on the shared
//! [`calls::CallLog`], and stops calling an operation that was denied or is not available,
//! so 1,000 users do not mean 1,000 identical AccessDenied round trips.

use crate::collect::calls::{self, Failure};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::future::Future;

/// The IAM calls of one collector run, on the shared [`CallLog`](crate::collect::calls::CallLog).
#[derive(Debug, Default)]
pub struct CallLog {
    log: calls::CallLog,
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
        match fut.await {
            Ok(v) => Some(v),
            Err(e) => {
                self.record(op, &e);
                None
            }
        }
    }

    /// Count one call made outside [`CallLog::call`].
    pub fn count(&self) {
        self.log.count();
    }

    /// Every page of a paginated operation, each counted as a call; stops at the first
    /// failed page (recorded like a failed call) and keeps the pages before it.
    pub async fn pages<O, E>(
        &self,
        op: &'static str,
        mut stream: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
    ) -> Vec<O>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut out = Vec::new();
        if self.log.is_disabled(&operation(op)) {
            return out;
        }
        while let Some(page) = stream.next().await {
            self.count();
            match page {
                Ok(page) => out.push(page),
                Err(e) => {
                    self.record(op, &e);
                    break;
                }
            }
        }
        out
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
            || code == "UnparseableError";
        let denied = code.starts_with("AccessDenied") || code == "UnauthorizedOperation";
        let fix = if denied {
            format!("grant iam:{op} to the scanning principal (see README, minimal IAM policy)")
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
            message: format!("iam:{op} failed ({code}: {message})"),
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

fn operation(op: &str) -> String {
    format!("iam:{op}")
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
                let status = s.raw().status().as_u16();
                let code = match status {
                    401 | 403 => "AccessDenied",
                    _ => "UnparseableError",
                };
                (
                    code.to_string(),
                    format!("HTTP {status}, response body not in IAM's error format"),
                )
            }
        },
        SdkError::ResponseError(_) => (
            "InvalidResponse".into(),
            "the endpoint answered with something that is not an IAM response".into(),
        ),
        other => (
            "RequestFailed".into(),
            aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
        ),
    }
}
