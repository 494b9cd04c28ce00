//! AWS: `sts:GetCallerIdentity`, signed (SigV4, by the AWS SDK) with a found access key id
//! and the secret key found beside it. The one call AWS documents as needing no
//! permission: it answers with the account, the user or role ARN and its id, and changes
//! nothing. <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>

use super::answer::Outcome;
use crate::model::LiveStatus;
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;
use std::time::Duration;

/// Error codes with which STS rejects the credentials themselves (the key is deleted,
/// deactivated, expired or the secret is wrong).
const REJECTED: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "UnrecognizedClientException",
];

/// Ask STS at `base` (the global endpoint, or a redirected one) who `key_id` is.
pub async fn caller_identity(
    key_id: &str,
    secret: &str,
    base: &str,
    shown: &str,
    timeout: Duration,
) -> Outcome {
    let credentials = Credentials::new(key_id, secret, None, None, "nhiscan-validate");
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(base)
        // One attempt: every call is counted, and STS does not throttle a single call.
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_sts::config::timeout::TimeoutConfig::builder()
                .operation_timeout(timeout)
                .build(),
        )
        .build();
    let client = aws_sdk_sts::Client::from_conf(config);
    match client.get_caller_identity().send().await {
        Ok(out) => Outcome {
            status: LiveStatus::Active,
            reason: format!("{shown} answered with the caller's identity"),
            principal: out.arn().map(str::to_string),
            account: out.account().map(str::to_string),
            scopes: Vec::new(),
        },
        Err(e) => {
            let code = e.code().unwrap_or_default().to_string();
            let message = e.message().unwrap_or_default().to_string();
            if REJECTED.contains(&code.as_str()) {
                Outcome::only(
                    LiveStatus::Inactive,
                    format!("{shown} answered {code}: {message}"),
                )
            } else if code.is_empty() {
                Outcome::only(
                    LiveStatus::Error,
                    format!("{shown}: no answer ({})", super::cause_chain(&e)),
                )
            } else {
                Outcome::only(
                    LiveStatus::Unknown,
                    format!("{shown} answered {code}: {message}"),
                )
            }
        }
    }
}
