//! IAM users and the credentials they hold: access keys (with last use), SSH public keys
//! and service-specific credentials.
//!
//! Per user: ListAccessKeys, GetAccessKeyLastUsed per key (skipped when the credential
//! report has the key, by creation time, as never used),
//! ListSSHPublicKeys and ListServiceSpecificCredentials; ListUserTags only when the bulk
//! details did not carry the user's tags.

use super::credential_report::ReportRow;
use super::details::{self, Details};
use super::{Aws, timestamp};
use crate::model::{Identity, Status, attr};
use aws_sdk_iam::types::{StatusType, UserDetail};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Identities for one user: the user first, then its credentials.
pub async fn user_identities(
    aws: &Aws<'_>,
    user: &UserDetail,
    details: &Details,
    report: Option<&HashMap<String, ReportRow>>,
) -> Vec<Identity> {
    let (Some(name), Some(arn)) = (user.user_name(), user.arn()) else {
        return Vec::new();
    };
    let row = report.and_then(|r| r.get(arn));
    let mut identity = Identity::new(arn, super::PROVIDER, "iam-user", name, arn);
    identity.service = Some("iam".into());
    identity.created_at = user.create_date().and_then(timestamp);
    identity.status = Status::Active;
    identity.tags = tags(aws, user).await;
    identity.privileges = privileges(user, details).into_iter().collect();
    identity.related = user
        .group_list()
        .iter()
        .map(|g| format!("group:{g}"))
        .collect();

    // Always listed: the report can be hours old and miss a key created since.
    let mut out = access_keys(aws, &identity, name, row).await;
    out.extend(ssh_keys(aws, &identity, name).await);
    out.extend(service_credentials(aws, &identity, name).await);

    describe_use(&mut identity, &out, row);
    let mut all = vec![identity];
    all.append(&mut out);
    all
}

/// Tags from the bulk details, or ListUserTags when the details left them out (some IAM
/// implementations do; an absent list is not the same as an empty one).
async fn tags(aws: &Aws<'_>, user: &UserDetail) -> BTreeMap<String, String> {
    let pairs = |list: &[aws_sdk_iam::types::Tag]| -> Vec<(String, String)> {
        list.iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    };
    if user.tags.is_some() {
        return pairs(user.tags()).into_iter().collect();
    }
    let Some(name) = user.user_name() else {
        return BTreeMap::new();
    };
    let stream = aws
        .iam
        .list_user_tags()
        .user_name(name)
        .into_paginator()
        .send();
    aws.log
        .pages("ListUserTags", stream)
        .await
        .iter()
        .flat_map(|page| pairs(page.tags()))
        .collect()
}

fn privileges(user: &UserDetail, details: &Details) -> BTreeSet<String> {
    let mut p = details::managed(user.attached_managed_policies(), &details.policy_privileges);
    p.extend(details::inline(user.user_policy_list()));
    for g in user.group_list() {
        if let Some(granted) = details.group_privileges.get(g) {
            p.extend(granted.iter().cloned());
        }
    }
    p
}

fn status(s: &StatusType) -> Status {
    match s {
        StatusType::Active => Status::Active,
        StatusType::Inactive => Status::Inactive,
        _ => Status::Unknown,
    }
}

/// A credential of `user`: inherits its privileges and points back to it.
fn credential(user: &Identity, id: &str, kind: &str, name: String) -> Identity {
    let mut i = Identity::new(id, super::PROVIDER, kind, name, &user.location);
    i.service = Some("iam".into());
    i.privileges = user.privileges.clone();
    i.related = vec![user.id.clone()];
    i
}

async fn access_keys(
    aws: &Aws<'_>,
    user: &Identity,
    name: &str,
    row: Option<&ReportRow>,
) -> Vec<Identity> {
    let mut out = Vec::new();
    let stream = aws
        .iam
        .list_access_keys()
        .user_name(name)
        .into_paginator()
        .send();
    for page in aws.log.pages("ListAccessKeys", stream).await {
        for meta in page.access_key_metadata() {
            let Some(key_id) = meta.access_key_id() else {
                continue;
            };
            let mut key = credential(user, key_id, "access-key", format!("{name} access key"));
            key.created_at = meta.create_date().and_then(timestamp);
            key.status = meta.status().map_or(Status::Unknown, status);
            // The scanner fingerprints a found key id the same way: a leak joins this identity.
            key.fingerprint = Some(aws.cx.fingerprinter.fingerprint(key_id.as_bytes()));
            if row.is_some_and(|r| r.vouches_never_used(key.created_at)) {
                key.never_used = true;
                let generated = row
                    .and_then(|r| r.generated_at)
                    .map_or_else(|| "unknown time".to_string(), |t| t.to_string());
                key.attributes.insert(
                    "last_used_source".into(),
                    format!("credential report generated {generated}"),
                );
            } else {
                last_used(aws, &mut key, key_id).await;
            }
            out.push(key);
        }
    }
    out
}

async fn last_used(aws: &Aws<'_>, key: &mut Identity, key_id: &str) {
    let Some(out) = aws
        .log
        .call(
            "GetAccessKeyLastUsed",
            aws.iam
                .get_access_key_last_used()
                .access_key_id(key_id)
                .send(),
        )
        .await
    else {
        return; // unknown, not "never used"
    };
    let Some(used) = out.access_key_last_used() else {
        return;
    };
    match used.last_used_date().and_then(timestamp) {
        Some(t) => {
            key.last_used_at = Some(t);
            key.attributes
                .insert("last_used_service".into(), used.service_name().to_string());
            key.attributes
                .insert("last_used_region".into(), used.region().to_string());
        }
        // IAM answers "N/A" service and no date for a key that was never used.
        None => key.never_used = true,
    }
}

async fn ssh_keys(aws: &Aws<'_>, user: &Identity, name: &str) -> Vec<Identity> {
    let stream = aws
        .iam
        .list_ssh_public_keys()
        .user_name(name)
        .into_paginator()
        .send();
    let pages = aws.log.pages("ListSSHPublicKeys", stream).await;
    pages
        .iter()
        .flat_map(|page| page.ssh_public_keys())
        .map(|k| {
            let mut i = credential(
                user,
                k.ssh_public_key_id(),
                "ssh-key",
                format!("{name} SSH public key (CodeCommit)"),
            );
            i.created_at = timestamp(k.upload_date());
            i.status = status(k.status());
            i
        })
        .collect()
}

async fn service_credentials(aws: &Aws<'_>, user: &Identity, name: &str) -> Vec<Identity> {
    let Some(out) = aws
        .log
        .call(
            "ListServiceSpecificCredentials",
            aws.iam
                .list_service_specific_credentials()
                .user_name(name)
                .send(),
        )
        .await
    else {
        return Vec::new();
    };
    out.service_specific_credentials()
        .iter()
        .map(|c| {
            let mut i = credential(
                user,
                c.service_specific_credential_id(),
                "service-credential",
                format!("{name} credential for {}", c.service_name()),
            );
            i.created_at = timestamp(c.create_date());
            i.expires_at = c.expiration_date().and_then(timestamp);
            i.status = status(c.status());
            i.attributes
                .insert("service_name".into(), c.service_name().to_string());
            i.attributes.insert(
                "service_user_name".into(),
                c.service_user_name().to_string(),
            );
            i
        })
        .collect()
}

/// How the user is used: console vs programmatic, MFA, last use over every credential,
/// and two active access keys.
fn describe_use(user: &mut Identity, credentials: &[Identity], row: Option<&ReportRow>) {
    let keys: Vec<&Identity> = credentials
        .iter()
        .filter(|c| c.kind == "access-key")
        .collect();
    let active = keys.iter().filter(|k| k.status == Status::Active).count();
    if active >= 2 {
        user.attributes
            .insert(attr::ACTIVE_ACCESS_KEYS.into(), active.to_string());
    }
    let password = row.is_some_and(|r| r.password_enabled);
    let access = match (!keys.is_empty(), password) {
        (true, true) => "programmatic+console",
        (true, false) => "programmatic",
        (false, true) => "console",
        (false, false) => "none",
    };
    user.attributes.insert("access".into(), access.into());
    // A person's sign-in on a machine identity: a console password next to access keys.
    user.console_access = password && !keys.is_empty();
    if let Some(r) = row {
        user.attributes
            .insert("mfa_active".into(), r.mfa_active.to_string());
        user.attributes
            .insert("password_enabled".into(), r.password_enabled.to_string());
    }
    let password_used = row.and_then(|r| r.password_last_used);
    user.last_used_at = keys
        .iter()
        .filter_map(|k| k.last_used_at)
        .chain(password_used)
        .max();
    user.never_used =
        !keys.is_empty() && keys.iter().all(|k| k.never_used) && password_used.is_none();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::Context;
    use std::io::{BufRead, BufReader, Read, Write};

    const THROTTLED: &str = r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
  <RequestId>5d1f3b3e-0000-4000-8000-00000EXAMPLE</RequestId>
</ErrorResponse>"#;

    /// Serve `answers` (status, body) in order on a 127.0.0.1 port, the last one forever.
    fn replay(answers: Vec<(u16, &'static str)>) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().flatten().enumerate() {
                let (status, body) = answers[n.min(answers.len() - 1)];
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut request = vec![0; length];
                let _ = reader.read_exact(&mut request);
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        format!("http://{addr}")
    }

    const RECORDED: &str =
        include_str!("../../../fixtures/aws/list-service-specific-credentials.xml");

    #[tokio::test]
    async fn service_specific_credentials_from_a_recorded_response_after_throttling() {
        // IAM throttles first; the SDK's standard retry waits and asks again.
        let endpoint = replay(vec![(400, THROTTLED), (200, RECORDED)]);
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .retry_config(super::super::retry_policy())
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "AKIDTEST", "secret", None, None, "test",
            ))
            .build();
        let log = super::super::calls::CallLog::default();
        let cx = Context {
            now: crate::model::Timestamp::now(),
            fingerprinter: Default::default(),
            calls_in_flight: 1,
            budget: Default::default(),
        };
        // The stores' clients are not called here.
        let aws = Aws {
            iam: aws_sdk_iam::Client::from_conf(config),
            secrets: aws_sdk_secretsmanager::Client::from_conf(
                aws_sdk_secretsmanager::Config::builder()
                    .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
                    .build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::Config::builder()
                    .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
                    .build(),
            ),
            log: &log,
            cx: &cx,
        };
        let mut user = Identity::new(
            "arn:aws:iam::123456789012:user/ci-deploy",
            crate::collect::aws::PROVIDER,
            "iam-user",
            "ci-deploy",
            "arn",
        );
        user.privileges = vec!["AmazonS3ReadOnlyAccess".into()];
        let creds = service_credentials(&aws, &user, "ci-deploy").await;
        assert_eq!(log.errors(), Vec::<String>::new());
        assert_eq!(log.calls(), 1, "a retried call is one call");
        assert_eq!(creds.len(), 2);
        let git = &creds[0];
        assert_eq!(git.id, "ACCAQEXAMPLEQEXAMPLE1");
        assert_eq!(git.kind, "service-credential");
        assert_eq!(git.status, Status::Active);
        assert_eq!(git.created_at.unwrap().to_string(), "2025-03-14T10:00:00Z");
        assert!(git.expires_at.is_none());
        assert_eq!(
            git.attributes["service_user_name"],
            "ci-deploy-at-123456789012"
        );
        assert_eq!(git.related, [user.id.clone()]);
        let bedrock = &creds[1];
        assert_eq!(bedrock.status, Status::Inactive);
        assert_eq!(
            bedrock.expires_at.unwrap().to_string(),
            "2026-12-01T08:00:00Z"
        );
        assert_eq!(
            bedrock.name,
            "ci-deploy credential for bedrock.amazonaws.com"
        );
    }
}
