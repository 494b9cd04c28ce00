//! Microsoft Entra ID collector (Microsoft Graph): the tenant's application registrations,
//! service principals and managed identities, their credentials, owners and permissions.
//!
//! Per tenant: applications (password and certificate credentials: start, end, hint),
//! service principals (enabled, type, publisher), consented delegated permissions, the
//! sign-in activity report (beta; needs Entra ID P1), and, eight at a time, each
//! application's owners and federated identity credentials and each principal's
//! application permissions (app role assignments, named through the resource's app roles).
//! Microsoft's own first-party principals, present in every tenant, are left out. Lists
//! follow `@odata.nextLink`; a 403 names the Graph permission to grant and makes the source
//! `partial`.

mod auth;
mod flags;
pub mod items;

use super::{Batch, CollectError, Collector, Context};
use crate::collect::rest::transport::HttpTransport;
use crate::collect::rest::{ApiError, Paging, Session, escaped};
use crate::model::{Identity, Owner};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub use flags::AzureFlags;

/// The provider of every identity this source reports.
pub const PROVIDER: crate::model::Provider = crate::model::Provider::named("azure");

/// Objects read at once (owners, federated credentials, role assignments): Graph's
/// throttling allows far more, but answers 429 with `Retry-After` when it does not.
const AT_ONCE: usize = 8;

const NEED_APPS: &str = "grant the Graph application permission Application.Read.All";
const NEED_GRANTS: &str = "grant the Graph application permission Directory.Read.All";
const NEED_SIGN_INS: &str =
    "grant AuditLog.Read.All (the report also needs Entra ID P1 or P2) for last sign-in times";

pub struct AzureCollector {
    tenant: Option<String>,
    graph: String,
}

struct Scan<'a> {
    rest: Session<HttpTransport>,
    graph: &'a str,
    tenant: &'a str,
    /// The run's key, so a credential's hint hashes as a found secret's does.
    fingerprinter: &'a crate::scan::redact::Fingerprinter,
}

#[async_trait::async_trait]
impl Collector for AzureCollector {
    fn id(&self) -> String {
        format!("azure:{}", self.tenant.as_deref().unwrap_or("default"))
    }

    async fn collect(&self, cx: &Context) -> Result<Batch, CollectError> {
        let (token, origin) = auth::graph_token(self.tenant.as_deref(), cx.budget)
            .await
            .map_err(CollectError::Setup)?;
        let transport =
            HttpTransport::new(&self.graph, vec![("authorization", format!("Bearer {token}"))])
                .map_err(CollectError::Setup)?;
        let tenant = self
            .tenant
            .clone()
            .or_else(|| crate::collect::env_var("AZURE_TENANT_ID"))
            .unwrap_or_else(|| "default".into());
        let scan = Scan {
            rest: Session::new(transport, cx.budget).styled(
                Paging::NextLinkField {
                    field: "@odata.nextLink",
                    size: "$top=100",
                },
                "/error/message",
            ),
            graph: &self.graph,
            tenant: &tenant,
            fingerprinter: &cx.fingerprinter,
        };
        let identities = scan.tenant_identities().await.map_err(|e| {
            CollectError::Api(format!(
                "cannot list the applications of tenant {tenant} (credentials from {origin}): {e}; {NEED_APPS}"
            ))
        })?;
        Ok(Batch {
            identities,
            errors: scan.rest.errors(),
            api_calls: scan.rest.api.calls(),
            ..Batch::default()
        })
    }
}

impl Scan<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.graph)
    }

    async fn tenant_identities(&self) -> Result<Vec<Identity>, ApiError> {
        let apps_path = self.url("/v1.0/applications?$select=id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials,notes,tags");
        let sps_path = self.url("/v1.0/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,accountEnabled,appOwnerOrganizationId,alternativeNames,tags");
        let (grants_path, sign_ins_path) = (
            self.url("/v1.0/oauth2PermissionGrants"),
            self.url("/beta/reports/servicePrincipalSignInActivities"),
        );
        let (apps, sps, grants, sign_ins) = futures_util::join!(
            self.rest.api.list(&apps_path, Some("value")),
            self.rest.api.list(&sps_path, Some("value")),
            self.rest.list_or_note(&grants_path, Some("value"), NEED_GRANTS),
            self.rest.list_or_note(&sign_ins_path, Some("value"), NEED_SIGN_INS),
        );
        // Without the applications there is no inventory to speak of.
        if let Some(e @ (ApiError::Denied { .. } | ApiError::NotFound { .. })) = apps.error {
            return Err(e);
        }
        for listed in [&apps, &sps] {
            if let Some(e) = &listed.error {
                self.rest.note(e, NEED_APPS);
            }
        }
        let registered: HashSet<&str> = apps.items.iter().filter_map(|a| a.get("appId")?.as_str()).collect();
        // The tenant's own principals: its registrations', managed identities, third
        // parties; not Microsoft's first-party applications.
        let principals: Vec<&Value> = sps
            .items
            .iter()
            .filter(|sp| {
                let owner = sp.get("appOwnerOrganizationId").and_then(Value::as_str).unwrap_or("");
                !items::MICROSOFT_TENANTS.contains(&owner)
            })
            .collect();
        let principal_ids: Vec<String> = principals
            .iter()
            .filter_map(|sp| Some(sp.get("id")?.as_str()?.to_string()))
            .collect();
        let app_objects: Vec<String> = apps
            .items
            .iter()
            .map(|a| a.get("id").and_then(Value::as_str).unwrap_or("").to_string())
            .collect();
        // Role assignments per principal and owners and federated credentials per
        // application, all at once: the slowest part of a tenant is these small lists.
        let (assignments, per_app_lists) = futures_util::join!(
            futures_util::stream::iter(principal_ids)
                .map(|id| async move {
                    let path = self.url(&format!(
                        "/v1.0/servicePrincipals/{}/appRoleAssignments",
                        escaped(&id)
                    ));
                    self.rest.list_or_note(&path, Some("value"), NEED_APPS).await
                })
                .buffered(AT_ONCE)
                .collect::<Vec<_>>(),
            futures_util::stream::iter(app_objects)
                .map(|object| self.owners_and_federated(object))
                .buffered(AT_ONCE)
                .collect::<Vec<_>>()
        );
        let assignments: Vec<Value> = assignments.into_iter().flatten().collect();
        let resources = self.resources(&assignments, &grants).await;
        let privileges = items::privileges_by_principal(&assignments, &grants, &resources);
        let last_sign_in = items::last_sign_ins(&sign_ins);
        let sp_by_app: HashMap<&str, &Value> = principals
            .iter()
            .filter_map(|sp| Some((sp.get("appId")?.as_str()?, *sp)))
            .collect();
        let with_principal = |mut i: Identity, sp: Option<&Value>, app_id: &str| {
            if let Some(p) = sp.and_then(|sp| privileges.get(sp.get("id")?.as_str()?)) {
                i.privileges = p.iter().cloned().collect();
            }
            i.last_used_at = last_sign_in.get(app_id).copied();
            i
        };
        // Hints shared by two credentials of the tenant name neither.
        let mut hints: HashMap<&str, usize> = HashMap::new();
        for app in &apps.items {
            for c in app.get("passwordCredentials").and_then(Value::as_array).into_iter().flatten() {
                if let Some(h) = c.get("hint").and_then(Value::as_str) {
                    *hints.entry(h).or_default() += 1;
                }
            }
        }
        let mut out = Vec::new();
        for (app, (owners, federated)) in apps.items.iter().zip(per_app_lists) {
            let Some(app_id) = app.get("appId").and_then(Value::as_str) else { continue };
            let sp = sp_by_app.get(app_id).copied();
            let Some(identity) = items::application(self.tenant, app, sp) else { continue };
            let identity = with_principal(identity, sp, app_id);
            out.extend(self.application_with_credentials(identity, app, &owners, &federated, &hints));
        }
        for sp in &principals {
            let Some(app_id) = sp.get("appId").and_then(Value::as_str) else { continue };
            if registered.contains(app_id) {
                continue;
            }
            if let Some(i) = items::service_principal(self.tenant, sp) {
                out.push(with_principal(i, Some(sp), app_id));
            }
        }
        Ok(out)
    }

    /// The resource principals named by permissions, with their app roles (to name them).
    async fn resources(&self, assignments: &[Value], grants: &[Value]) -> HashMap<String, Value> {
        let ids: HashSet<String> = assignments
            .iter()
            .chain(grants)
            .filter_map(|a| Some(a.get("resourceId")?.as_str()?.to_string()))
            .collect();
        futures_util::stream::iter(ids)
            .map(|id| async move {
                let path = self.url(&format!("/v1.0/servicePrincipals/{}?$select=id,appId,displayName,appRoles", escaped(&id)));
                match self.rest.api.get(&path).await {
                    Ok(sp) => Some((id, sp)),
                    Err(e) => {
                        self.rest.note(&e, NEED_APPS);
                        None
                    }
                }
            })
            .buffered(AT_ONCE)
            .filter_map(|x| async move { x })
            .collect()
            .await
    }

    /// An application's directory owners and federated identity credentials.
    async fn owners_and_federated(&self, object: String) -> (Vec<Value>, Vec<Value>) {
        if object.is_empty() {
            return (Vec::new(), Vec::new()); // an application without an object id
        }
        let owners_path = self.url(&format!("/v1.0/applications/{}/owners", escaped(&object)));
        let federated_path = self.url(&format!(
            "/v1.0/applications/{}/federatedIdentityCredentials",
            escaped(&object)
        ));
        futures_util::join!(
            self.rest.list_or_note(&owners_path, Some("value"), NEED_APPS),
            self.rest.list_or_note(&federated_path, Some("value"), NEED_APPS)
        )
    }

    /// An application with its owner and federated credentials applied, and its
    /// credentials as identities of their own.
    fn application_with_credentials(
        &self,
        mut app: Identity,
        json: &Value,
        owners: &[Value],
        federated: &[Value],
        hints: &HashMap<&str, usize>,
    ) -> Vec<Identity> {
        let owner: Option<Owner> = items::directory_owner(&app.name, owners);
        if owner.is_some() {
            app.owner = owner;
        }
        items::apply_federated(&mut app, federated);
        let mut out = Vec::new();
        for (field, password) in [("passwordCredentials", true), ("keyCredentials", false)] {
            for c in json.get(field).and_then(Value::as_array).into_iter().flatten() {
                let hint_key = c
                    .get("hint")
                    .and_then(Value::as_str)
                    .filter(|h| password && hints.get(h) == Some(&1))
                    .map(|h| self.fingerprinter.fingerprint(h.as_bytes()));
                out.extend(items::credential(&app, c, password, hint_key));
            }
        }
        out.insert(0, app);
        out
    }
}
