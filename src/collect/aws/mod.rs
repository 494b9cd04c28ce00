//! AWS IAM collector: every machine identity of an account, through aws-sdk-iam.
//!
//! Credentials come from aws-config's standard chain (environment, profiles, SSO, web
//! identity, instance metadata); `AWS_ENDPOINT_URL` and `AWS_REGION` are honoured. One
//! collector per profile. The order of work keeps calls per identity low:
//! 1. sts:GetCallerIdentity: the account (to tell own principals from third parties);
//! 2. iam:GetAccountAuthorizationDetails: users, groups, roles, policies in bulk;
//! 3. the credential report: passwords, MFA, which users have keys at all;
//! 4. per user, at most `calls_in_flight` at once: keys, last use, SSH keys,
//!    service-specific credentials;
//! 5. instance profiles, server certificates, OIDC and SAML providers;
//! 6. the secret stores: Secrets Manager secrets (with their resource policies) and SSM
//!    SecureString parameters, metadata only.
//!
//! A failed call is an error on the source (which becomes `partial`) naming the permission;
//! only a failure of step 1 or 2 fails the whole source.

mod calls;
pub mod credential_report;
mod details;
mod flags;
pub mod policy_doc;
mod resources;
mod stores;
mod users;

use super::{Batch, CollectError, Collector, Context};
use crate::model::{Identity, Timestamp};
use calls::CallLog;
use futures_util::StreamExt;

pub use flags::AwsFlags;

/// The provider of every identity this source reports.
pub const PROVIDER: crate::model::Provider = crate::model::Provider::named("aws");

/// The AWS account behind one profile (or the default chain).
pub struct AwsCollector {
    profile: Option<String>,
    /// Regions whose secret stores are listed; empty: the profile's own region.
    regions: Vec<String>,
}

impl AwsCollector {
    /// `None`: the default credential chain, exactly as the AWS CLI would resolve it.
    pub fn new(profile: Option<String>) -> Self {
        AwsCollector {
            profile,
            regions: Vec::new(),
        }
    }

    /// List Secrets Manager and SSM in these regions (`--aws-regions`).
    pub fn with_regions(mut self, regions: Vec<String>) -> Self {
        self.regions = regions;
        self
    }
}

/// What every step needs: the clients, the call log and the scan context.
pub(crate) struct Aws<'a> {
    pub iam: aws_sdk_iam::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub log: &'a CallLog,
    pub cx: &'a Context,
}

/// The SDK's standard retry (exponential backoff with jitter; throttling and transient
/// errors), three attempts per call.
pub(crate) fn retry_policy() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(3)
}

pub(crate) fn timestamp(t: &aws_smithy_types::DateTime) -> Option<Timestamp> {
    time::OffsetDateTime::from_unix_timestamp(t.secs())
        .ok()
        .map(Timestamp)
}

#[async_trait::async_trait]
impl Collector for AwsCollector {
    fn id(&self) -> String {
        format!("aws:{}", self.profile.as_deref().unwrap_or("default"))
    }

    async fn collect(&self, cx: &Context) -> Result<Batch, CollectError> {
        let conf = self.sdk_config().await;
        let log = CallLog::new(cx.budget);
        let aws = Aws {
            iam: aws_sdk_iam::Client::new(&conf),
            secrets: aws_sdk_secretsmanager::Client::new(&conf),
            ssm: aws_sdk_ssm::Client::new(&conf),
            log: &log,
            cx,
        };
        let account = self.account(&conf, &log).await?;
        let details = details::fetch(&aws.iam, &log).await.map_err(|(code, message)| {
            let advice = if calls::is_denied(&code) {
                "grant it to the scanning principal (see README, minimal IAM policy)"
            } else {
                "the endpoint failed, not the permissions: re-run later, or check AWS_ENDPOINT_URL and the service health"
            };
            CollectError::Api(format!(
                "iam:GetAccountAuthorizationDetails failed ({code}: {message}); nhiscan needs it to list users and roles: {advice}"
            ))
        })?;
        let mut warnings = Vec::new();
        let report = match credential_report::fetch(&aws).await {
            Ok(r) => Some(r),
            Err(message) => {
                warnings.push(format!("no credential report ({message}); console-password and MFA facts are missing and every user's keys are listed one by one"));
                None
            }
        };
        // By index: a closure over `&UserDetail` trips the Send check of async-trait futures.
        let (aws_ref, details_ref, report_ref) = (&aws, &details, report.as_ref());
        let mut identities: Vec<Identity> = futures_util::stream::iter(0..details.users.len())
            .map(move |n| {
                users::user_identities(aws_ref, &details_ref.users[n], details_ref, report_ref)
            })
            .buffered(cx.calls_in_flight.max(1))
            .flat_map(futures_util::stream::iter)
            .collect()
            .await;
        let sessions = resources::max_session_durations(&aws).await;
        identities.extend(resources::roles(&details, &account, &sessions));
        if let Some(report) = &report {
            warnings.extend(credential_report::cross_check(report, &identities));
        }
        identities.extend(resources::instance_profiles(&aws).await);
        identities.extend(resources::server_certificates(&aws).await);
        identities.extend(resources::identity_providers(&aws).await);
        // Secret stores are regional: each region asked for, else the profile's own.
        let home = conf.region().map_or("us-east-1".to_string(), |r| r.to_string());
        let regions = if self.regions.is_empty() {
            vec![home]
        } else {
            self.regions.clone()
        };
        for region in regions {
            let here = aws_config::Region::new(region.clone());
            let regional = Aws {
                iam: aws.iam.clone(),
                secrets: aws_sdk_secretsmanager::Client::from_conf(
                    aws_sdk_secretsmanager::config::Builder::from(&conf)
                        .region(here.clone())
                        .build(),
                ),
                ssm: aws_sdk_ssm::Client::from_conf(
                    aws_sdk_ssm::config::Builder::from(&conf).region(here).build(),
                ),
                log: &log,
                cx,
            };
            identities.extend(stores::secrets(&regional, &account).await);
            identities.extend(stores::parameters(&regional, &account, &region).await);
        }
        for i in &mut identities {
            i.attributes.insert("aws_account".into(), account.clone());
        }
        Ok(Batch {
            identities,
            errors: log.errors(),
            warnings,
            api_calls: log.calls(),
            ..Batch::default()
        })
    }
}

impl AwsCollector {
    async fn sdk_config(&self) -> aws_config::SdkConfig {
        let region = aws_config::meta::region::RegionProviderChain::default_provider()
            .or_else(aws_config::Region::new("us-east-1"));
        let mut loader = aws_config::from_env()
            .region(region)
            .retry_config(retry_policy());
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        loader.load().await
    }

    /// The account id of the credentials in use; failing here means no usable credentials.
    async fn account(
        &self,
        conf: &aws_config::SdkConfig,
        log: &CallLog,
    ) -> Result<String, CollectError> {
        log.count();
        let sts = aws_sdk_sts::Client::new(conf);
        let answer = log.budget().call(sts.get_caller_identity().send()).await;
        match answer {
            Ok(Ok(out)) => Ok(out.account().unwrap_or_default().to_string()),
            Err(out_of_time) => Err(CollectError::Api(format!(
                "sts:GetCallerIdentity: {out_of_time}; check AWS_ENDPOINT_URL and that `aws sts get-caller-identity` answers"
            ))),
            Ok(Err(e)) => {
                let (code, message) = calls::describe(&e);
                let detail = format!("{code}: {message}");
                Err(CollectError::Setup(format!(
                    "cannot authenticate to AWS with {} ({detail}); check `aws sts get-caller-identity{}` works, or set AWS_PROFILE / AWS_ACCESS_KEY_ID",
                    match &self.profile {
                        Some(p) => format!("profile `{p}`"),
                        None => "the default credential chain".into(),
                    },
                    self.profile
                        .as_ref()
                        .map(|p| format!(" --profile {p}"))
                        .unwrap_or_default()
                )))
            }
        }
    }
}
