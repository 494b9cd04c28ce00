//! The account's secret stores as sources: Secrets Manager secrets and SSM SecureString
//! parameters. Values are never read (no GetSecretValue, no decryption): what an inventory
//! needs is the metadata, whether rotation is on and when it last ran, when the secret was
//! last read, who owns it (tags), and who outside the account may read it (the resource
//! policy). Code that refers to a stored secret (`{{resolve:secretsmanager:NAME}}`, a
//! secret ARN, an SSM parameter) is joined to it by name in the inventory.

use super::{Aws, PROVIDER, timestamp};
use crate::model::{Identity, Status, attr};
use futures_util::StreamExt;

/// Secrets Manager secrets, each with its resource policy's outside principals.
pub async fn secrets(aws: &Aws<'_>, account: &str) -> Vec<Identity> {
    let stream = aws.secrets.list_secrets().into_paginator().send();
    let mut out = Vec::new();
    for page in aws.log.pages("secretsmanager:ListSecrets", stream).await {
        for s in page.secret_list() {
            let (Some(arn), Some(name)) = (s.arn(), s.name()) else {
                continue;
            };
            let mut i = Identity::new(arn, PROVIDER, "stored-secret", name, arn);
            i.service = Some("secretsmanager".into());
            i.status = if s.deleted_date().is_some() {
                Status::Inactive
            } else {
                Status::Active
            };
            i.created_at = s.created_date().and_then(timestamp);
            i.rotated_at = s.last_rotated_date().and_then(timestamp);
            // Secrets Manager records the day a secret was last read (GetSecretValue); a
            // secret without that date was never read.
            i.last_used_at = s.last_accessed_date().and_then(timestamp);
            i.never_used = i.last_used_at.is_none();
            let rotation = s.rotation_enabled().unwrap_or(false);
            i.attributes
                .insert(attr::ROTATION_ENABLED.into(), rotation.to_string());
            if let Some(days) = s
                .rotation_rules()
                .and_then(|r| r.automatically_after_days())
            {
                i.attributes
                    .insert("rotation_days".into(), days.to_string());
            }
            i.attributes
                .insert(attr::STORE.into(), "aws-secrets-manager".into());
            i.attributes.insert(attr::SECRET_NAME.into(), name.into());
            if let Some(service) = s.owning_service() {
                i.attributes.insert("owning_service".into(), service.into());
            }
            for t in s.tags() {
                if let (Some(k), Some(v)) = (t.key(), t.value()) {
                    i.tags.insert(k.into(), v.into());
                }
            }
            out.push(i);
        }
    }
    // Resource policies, a bounded number at once: who outside the account may read it.
    // Owned ARNs: a closure over `&Identity` trips the Send check of async-trait futures.
    let arns: Vec<String> = out.iter().map(|i| i.id.clone()).collect();
    let policies: Vec<Option<String>> = futures_util::stream::iter(arns)
        .map(|arn| async move {
            aws.log
                .call(
                    "secretsmanager:GetResourcePolicy",
                    aws.secrets.get_resource_policy().secret_id(arn).send(),
                )
                .await
                .and_then(|p| p.resource_policy().map(str::to_string))
        })
        .buffered(aws.cx.calls_in_flight.max(1))
        .collect()
        .await;
    for (i, policy) in out.iter_mut().zip(policies) {
        if let Some(doc) = policy.as_deref().and_then(super::policy_doc::parse) {
            i.third_parties = super::policy_doc::trust(&doc, account).third_parties;
        }
    }
    out
}

/// SSM SecureString parameters (a new version is the rotation of a parameter).
pub async fn parameters(aws: &Aws<'_>, account: &str, region: &str) -> Vec<Identity> {
    let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
        .key("Type")
        .values("SecureString")
        .build();
    let Ok(filter) = filter else {
        return Vec::new();
    };
    let stream = aws
        .ssm
        .describe_parameters()
        .parameter_filters(filter)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    for page in aws.log.pages("ssm:DescribeParameters", stream).await {
        for p in page.parameters() {
            let Some(name) = p.name() else { continue };
            let arn = p.arn().map(str::to_string).unwrap_or_else(|| {
                let path = if name.starts_with('/') {
                    name.to_string()
                } else {
                    format!("/{name}")
                };
                format!("arn:aws:ssm:{region}:{account}:parameter{path}")
            });
            let mut i = Identity::new(arn.as_str(), PROVIDER, "stored-secret", name, arn.as_str());
            i.service = Some("ssm".into());
            i.status = Status::Active;
            i.rotated_at = p.last_modified_date().and_then(timestamp);
            i.attributes.insert(attr::STORE.into(), "aws-ssm".into());
            i.attributes.insert(attr::SECRET_NAME.into(), name.into());
            if let Some(user) = p.last_modified_user() {
                i.attributes.insert("last_modified_by".into(), user.into());
            }
            out.push(i);
        }
    }
    out
}
