//! Roles (from the bulk details), instance profiles, server certificates and the identity
//! providers (OIDC, SAML) that let outside identities into the account.

use super::details::{self, Details};
use super::{Aws, policy_doc, timestamp};
use crate::model::{Identity, Owner, Status, attr};
use std::collections::HashMap;

/// Path of roles AWS creates and manages for its services.
const SERVICE_LINKED_PATH: &str = "/aws-service-role/";

pub fn roles(details: &Details, account: &str, sessions: &HashMap<String, i32>) -> Vec<Identity> {
    details
        .roles
        .iter()
        .filter_map(|r| {
            let mut i = role(r, details, account)?;
            if let Some(secs) = sessions.get(&i.id) {
                i.attributes
                    .insert("max_session_duration_s".into(), secs.to_string());
            }
            Some(i)
        })
        .collect()
}

/// Role ARN -> MaxSessionDuration (seconds): ListRoles carries it, the bulk details do not;
/// one paged call per 100 roles instead of GetRole per role.
pub async fn max_session_durations(aws: &Aws<'_>) -> HashMap<String, i32> {
    let stream = aws.iam.list_roles().into_paginator().send();
    aws.log
        .pages("ListRoles", stream)
        .await
        .iter()
        .flat_map(|page| page.roles())
        .filter_map(|r| Some((r.arn().to_string(), r.max_session_duration()?)))
        .collect()
}

fn role(r: &aws_sdk_iam::types::RoleDetail, details: &Details, account: &str) -> Option<Identity> {
    let (name, arn) = (r.role_name()?, r.arn()?);
    let mut i = Identity::new(arn, super::PROVIDER, "iam-role", name, arn);
    i.service = Some("iam".into());
    i.status = Status::Active;
    i.created_at = r.create_date().and_then(timestamp);
    i.tags = r
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    let mut privileges =
        details::managed(r.attached_managed_policies(), &details.policy_privileges);
    privileges.extend(details::inline(r.role_policy_list()));
    i.privileges = privileges.into_iter().collect();
    if let Some(used) = r.role_last_used() {
        i.last_used_at = used.last_used_date().and_then(timestamp);
        if let Some(region) = used.region() {
            i.attributes
                .insert("last_used_region".into(), region.into());
        }
    }
    i.related = r
        .instance_profile_list()
        .iter()
        .map(|p| p.arn().to_string())
        .collect();
    if let Some(doc) = r.assume_role_policy_document().and_then(policy_doc::parse) {
        let trust = policy_doc::trust(&doc, account);
        i.third_parties = trust.third_parties;
        if !trust.services.is_empty() {
            i.attributes
                .insert("trusted_services".into(), trust.services.join(", "));
        }
        if !trust.saml.is_empty() {
            i.attributes
                .insert("trusted_saml".into(), trust.saml.join(", "));
        }
        if !trust.oidc_without_subject.is_empty() {
            i.attributes.insert(
                attr::OIDC_TRUST_WITHOUT_SUBJECT.into(),
                trust.oidc_without_subject.join(", "),
            );
        }
    }
    if r.path() == Some(SERVICE_LINKED_PATH)
        || r.path().is_some_and(|p| p.starts_with(SERVICE_LINKED_PATH))
    {
        // AWS creates, owns and deletes these with the service that uses them.
        i.owner = Some(Owner {
            team: "AWS".into(),
            backup: None,
            source: "provider".into(),
            evidence: format!(
                "service-linked role (path {})",
                r.path().unwrap_or_default()
            ),
        });
        i.attributes.insert("service_linked".into(), "true".into());
    }
    Some(i)
}

pub async fn instance_profiles(aws: &Aws<'_>) -> Vec<Identity> {
    let mut out = Vec::new();
    let stream = aws.iam.list_instance_profiles().into_paginator().send();
    for page in aws.log.pages("ListInstanceProfiles", stream).await {
        for p in page.instance_profiles() {
            let mut i = Identity::new(
                p.arn(),
                super::PROVIDER,
                "instance-profile",
                p.instance_profile_name(),
                p.arn(),
            );
            i.service = Some("iam".into());
            i.status = Status::Active;
            i.created_at = timestamp(p.create_date());
            i.related = p.roles().iter().map(|r| r.arn().to_string()).collect();
            out.push(i);
        }
    }
    out
}

pub async fn server_certificates(aws: &Aws<'_>) -> Vec<Identity> {
    let mut out = Vec::new();
    let stream = aws.iam.list_server_certificates().into_paginator().send();
    for page in aws.log.pages("ListServerCertificates", stream).await {
        for c in page.server_certificate_metadata_list() {
            let mut i = Identity::new(
                c.arn(),
                super::PROVIDER,
                "certificate",
                c.server_certificate_name(),
                c.arn(),
            );
            i.service = Some("iam".into());
            i.status = Status::Active;
            i.created_at = c.upload_date().and_then(timestamp);
            i.expires_at = c.expiration().and_then(timestamp);
            i.attributes.insert(
                "server_certificate_id".into(),
                c.server_certificate_id().into(),
            );
            out.push(i);
        }
    }
    out
}

pub async fn identity_providers(aws: &Aws<'_>) -> Vec<Identity> {
    let mut out = Vec::new();
    if let Some(list) = aws
        .log
        .call(
            "ListOpenIDConnectProviders",
            aws.iam.list_open_id_connect_providers().send(),
        )
        .await
    {
        for p in list.open_id_connect_provider_list() {
            let Some(arn) = p.arn() else { continue };
            let host = arn.split_once(":oidc-provider/").map_or(arn, |(_, h)| h);
            let mut i = Identity::new(arn, super::PROVIDER, "oidc-provider", host, arn);
            i.service = Some("iam".into());
            i.status = Status::Active;
            if let Some(detail) = aws
                .log
                .call(
                    "GetOpenIDConnectProvider",
                    aws.iam
                        .get_open_id_connect_provider()
                        .open_id_connect_provider_arn(arn)
                        .send(),
                )
                .await
            {
                i.created_at = detail.create_date().and_then(timestamp);
                i.attributes
                    .insert("client_ids".into(), detail.client_id_list().join(", "));
                i.tags = detail
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
            }
            out.push(i);
        }
    }
    if let Some(list) = aws
        .log
        .call("ListSAMLProviders", aws.iam.list_saml_providers().send())
        .await
    {
        for p in list.saml_provider_list() {
            let Some(arn) = p.arn() else { continue };
            let name = arn.split_once(":saml-provider/").map_or(arn, |(_, n)| n);
            let mut i = Identity::new(arn, super::PROVIDER, "saml-provider", name, arn);
            i.service = Some("iam".into());
            i.status = Status::Active;
            i.created_at = p.create_date().and_then(timestamp);
            i.expires_at = p.valid_until().and_then(timestamp);
            out.push(i);
        }
    }
    out
}
