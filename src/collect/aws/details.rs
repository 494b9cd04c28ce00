//! GetAccountAuthorizationDetails: users, groups, roles and customer-managed policies with
//! their documents, in a handful of paged calls instead of several calls per entity.

use super::calls::CallLog;
use super::policy_doc;
use aws_sdk_iam::types::{
    AttachedPolicy, EntityType, GroupDetail, ManagedPolicyDetail, PolicyDetail, RoleDetail,
    UserDetail,
};
use std::collections::{BTreeSet, HashMap};

/// The account's authorization details, with privileges already summarised.
#[derive(Debug, Default)]
pub struct Details {
    pub users: Vec<UserDetail>,
    pub roles: Vec<RoleDetail>,
    /// Group name -> privileges its policies grant.
    pub group_privileges: HashMap<String, BTreeSet<String>>,
    /// Customer-managed policy ARN -> privileges of its default version.
    pub policy_privileges: HashMap<String, BTreeSet<String>>,
}

pub async fn fetch(iam: &aws_sdk_iam::Client, log: &CallLog) -> Result<Details, (String, String)> {
    let mut details = Details::default();
    let mut markers = std::collections::HashSet::new();
    let mut groups: Vec<GroupDetail> = Vec::new();
    let mut pages = iam
        .get_account_authorization_details()
        .filter(EntityType::User)
        .filter(EntityType::Group)
        .filter(EntityType::Role)
        .filter(EntityType::LocalManagedPolicy)
        .into_paginator()
        .send();
    loop {
        let page = match log.budget().call(pages.next()).await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(out_of_time) => return Err(("Timeout".into(), out_of_time.to_string())),
        };
        log.count();
        let page = page.map_err(|e| super::calls::describe(&e))?;
        if let Some(marker) = super::calls::Page::next_marker(&page)
            && !markers.insert(marker.to_string())
        {
            return Err((
                "PaginationLoop".into(),
                "the endpoint handed back a marker already used".into(),
            ));
        }
        details
            .users
            .extend(page.user_detail_list().iter().cloned());
        details
            .roles
            .extend(page.role_detail_list().iter().cloned());
        groups.extend(page.group_detail_list().iter().cloned());
        for p in page.policies() {
            if let Some(arn) = p.arn() {
                details
                    .policy_privileges
                    .insert(arn.to_string(), default_version_privileges(p));
            }
        }
    }
    for g in groups {
        let mut privileges = managed(g.attached_managed_policies(), &details.policy_privileges);
        privileges.extend(inline(g.group_policy_list()));
        if let Some(name) = g.group_name() {
            details
                .group_privileges
                .insert(name.to_string(), privileges);
        }
    }
    Ok(details)
}

fn default_version_privileges(p: &ManagedPolicyDetail) -> BTreeSet<String> {
    p.policy_version_list()
        .iter()
        .filter(|v| v.is_default_version())
        .filter_map(|v| v.document())
        .filter_map(policy_doc::parse)
        .flat_map(|doc| policy_doc::privileges(&doc))
        .collect()
}

/// Attached managed policies: each policy's name (`AdministratorAccess` says more to a
/// reviewer than its 1-statement document) plus, for customer-managed ones, what the
/// default version grants.
pub fn managed(
    attached: &[AttachedPolicy],
    local: &HashMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in attached {
        if let Some(name) = a.policy_name() {
            out.insert(name.to_string());
        }
        if let Some(granted) = a.policy_arn().and_then(|arn| local.get(arn)) {
            out.extend(granted.iter().cloned());
        }
    }
    out
}

pub fn inline(policies: &[PolicyDetail]) -> BTreeSet<String> {
    policies
        .iter()
        .filter_map(|p| p.policy_document())
        .filter_map(policy_doc::parse)
        .flat_map(|doc| policy_doc::privileges(&doc))
        .collect()
}
