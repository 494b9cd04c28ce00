//! Microsoft Entra credentials, found the way Azure's `DefaultAzureCredential` finds them,
//! and turned into a Microsoft Graph access token.
//!
//! In order: a client secret in the environment (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//! `AZURE_CLIENT_SECRET`), workload identity (`AZURE_FEDERATED_TOKEN_FILE` with the tenant
//! and client ids: a Kubernetes pod's projected token as the client assertion), the Azure
//! CLI (`az account get-access-token`), then a VM's managed identity (IMDS, or
//! `AZURE_POD_IDENTITY_AUTHORITY_HOST`). The login
//! host is `AZURE_AUTHORITY_HOST` (sovereign clouds, tests), else
//! `https://login.microsoftonline.com`. The token never leaves memory.

use crate::collect::budget::Budget;
use crate::collect::rest::transport::HttpTransport;
use crate::collect::rest::{Api, Paging, escaped};
use serde_json::Value;
use std::time::Duration;

/// The Graph resource the token is for, whatever `--azure-graph-url` points at.
const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
const AUTHORITY: &str = "https://login.microsoftonline.com";
/// The instance metadata service; `AZURE_POD_IDENTITY_AUTHORITY_HOST` moves it, as in
/// Azure's own libraries.
const IMDS_HOST: &str = "http://169.254.169.254";

use crate::collect::env_var as env;

/// A Graph token for `tenant` (`None`: the tenant of the credentials), and where it came
/// from, for messages.
pub async fn graph_token(tenant: Option<&str>, budget: Budget) -> Result<(String, String), String> {
    let tenant_for = |what: &str| {
        tenant
            .map(str::to_string)
            .or_else(|| env("AZURE_TENANT_ID"))
            .ok_or_else(|| format!("{what} needs a tenant: name it (--azure TENANT) or set AZURE_TENANT_ID"))
    };
    let authority = env("AZURE_AUTHORITY_HOST").unwrap_or_else(|| AUTHORITY.into());
    let authority = authority.trim_end_matches('/');
    let scope = escaped(&format!("{GRAPH_RESOURCE}/.default"));
    if let (Some(client), Some(secret)) = (env("AZURE_CLIENT_ID"), env("AZURE_CLIENT_SECRET")) {
        let tenant = tenant_for("AZURE_CLIENT_SECRET")?;
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={scope}",
            escaped(&client),
            escaped(&secret)
        );
        let url = format!("{authority}/{}/oauth2/v2.0/token", escaped(&tenant));
        return token_from(&url, form, budget).await.map(|t| (t, "AZURE_CLIENT_SECRET".into()));
    }
    if let (Some(client), Some(file)) = (env("AZURE_CLIENT_ID"), env("AZURE_FEDERATED_TOKEN_FILE")) {
        let tenant = tenant_for("workload identity")?;
        let assertion = std::fs::read_to_string(&file)
            .map_err(|e| format!("AZURE_FEDERATED_TOKEN_FILE={file}: cannot read it ({e})"))?;
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={}&scope={scope}",
            escaped(&client),
            escaped(assertion.trim())
        );
        let url = format!("{authority}/{}/oauth2/v2.0/token", escaped(&tenant));
        return token_from(&url, form, budget)
            .await
            .map(|t| (t, "workload identity (AZURE_FEDERATED_TOKEN_FILE)".into()));
    }
    // The CLI (Python) can take seconds: off the collectors' two async workers, so the
    // other sources go on and the source timeout can give up on it.
    let owned = tenant.map(str::to_string);
    let cli = tokio::task::spawn_blocking(move || azure_cli(owned.as_deref()));
    if let Ok(Some(token)) = cli.await {
        return Ok((token, "the Azure CLI (az account get-access-token)".into()));
    }
    managed_identity(budget).await.map(|t| (t, "the managed identity (IMDS)".into()))
}

async fn token_from(url: &str, form: String, budget: Budget) -> Result<String, String> {
    let api = Api::new(HttpTransport::new(url, Vec::new())?, budget)
        .with_style(Paging::LinkHeader, "error_description");
    let answer = api
        .post(url, ("application/x-www-form-urlencoded", form.as_bytes()))
        .await
        .map_err(|e| format!("the token request was refused: {e}"))?;
    access_token_of(&answer)
}

fn access_token_of(answer: &Value) -> Result<String, String> {
    answer
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "the token endpoint answered without an access_token".into())
}

/// `az account get-access-token`, when the CLI is installed and logged in.
fn azure_cli(tenant: Option<&str>) -> Option<String> {
    let mut cmd = std::process::Command::new("az");
    cmd.args(["account", "get-access-token", "--resource", GRAPH_RESOURCE, "--query", "accessToken", "-o", "tsv"]);
    if let Some(t) = tenant {
        cmd.args(["--tenant", t]);
    }
    let out = cmd.stdin(std::process::Stdio::null()).output().ok()?;
    let token = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !token.trim().is_empty()).then(|| token.trim().to_string())
}

/// A VM's or App Service's managed identity through IMDS; bounded to two seconds, since
/// off Azure nothing answers there.
async fn managed_identity(budget: Budget) -> Result<String, String> {
    let host = env("AZURE_POD_IDENTITY_AUTHORITY_HOST").unwrap_or_else(|| IMDS_HOST.into());
    let url = format!(
        "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={}",
        host.trim_end_matches('/'),
        escaped(GRAPH_RESOURCE)
    );
    let api = Api::new(HttpTransport::new(&url, vec![("metadata", "true".into())])?, budget);
    let none = "no Azure credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), or log in with `az login`";
    match tokio::time::timeout(Duration::from_secs(2), api.get(&url)).await {
        Ok(Ok(answer)) => access_token_of(&answer),
        Ok(Err(e)) => Err(format!("{none} (the managed identity endpoint answered: {e})")),
        Err(_) => Err(format!("{none}; no managed identity endpoint answered")),
    }
}
