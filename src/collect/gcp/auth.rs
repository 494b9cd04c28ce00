//! Google credentials, found the way Google's client libraries find application default
//! credentials, and turned into an access token for the collector's calls.
//!
//! In order: `GOOGLE_OAUTH_ACCESS_TOKEN` (a ready token, as Terraform's Google provider takes
//! it), the file `GOOGLE_APPLICATION_CREDENTIALS` names, gcloud's
//! `application_default_credentials.json` (under `CLOUDSDK_CONFIG` or `~/.config/gcloud`),
//! and the metadata server of a Google Cloud VM or pod (`GCE_METADATA_HOST` to override).
//! A key file (`service_account`) signs a JWT assertion; a user file (`authorized_user`,
//! what `gcloud auth application-default login` writes) exchanges its refresh token. The
//! token never leaves memory.

use super::key;
use crate::collect::rest::transport::HttpTransport;
use crate::collect::rest::{Api, ApiError, escaped};
use serde_json::Value;
use std::path::PathBuf;

/// Read-write scope: IAM's read methods accept no narrower one. What the token may do is
/// bounded by the roles of the identity, which the README keeps to reviewer roles.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// Where the credentials come from, and what they hold.
pub enum Credentials {
    Token(String),
    ServiceAccount {
        key: key::ServiceAccountKey,
        token_uri: String,
    },
    User {
        client_id: String,
        client_secret: String,
        refresh_token: String,
    },
    Metadata { host: String },
}

/// The credentials found, the project they name (a key's `project_id`, a user file's
/// `quota_project_id`), and where they were found, for messages.
pub struct Found {
    pub credentials: Credentials,
    pub project: Option<String>,
    pub origin: String,
}

/// The first credentials of the chain.
pub fn discover() -> Result<Found, String> {
    let env = crate::collect::env_var;
    if let Some(token) = env("GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok(Found {
            credentials: Credentials::Token(token.trim().to_string()),
            project: None,
            origin: "GOOGLE_OAUTH_ACCESS_TOKEN".into(),
        });
    }
    if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
        // Named explicitly: a file that cannot be used is an error, not a fall-through.
        return from_file(&PathBuf::from(&path))
            .map_err(|e| format!("GOOGLE_APPLICATION_CREDENTIALS={path}: {e}"));
    }
    let gcloud = env("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config/gcloud")));
    if let Some(file) = gcloud.map(|d| d.join("application_default_credentials.json"))
        && file.exists()
    {
        return from_file(&file).map_err(|e| format!("{}: {e}", file.display()));
    }
    Ok(Found {
        credentials: Credentials::Metadata {
            host: env("GCE_METADATA_HOST").unwrap_or_else(|| "metadata.google.internal".into()),
        },
        project: None,
        origin: "the metadata server".into(),
    })
}

fn from_file(path: &std::path::Path) -> Result<Found, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it ({e})"))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("not a credentials JSON file ({e})"))?;
    let field = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_string);
    let origin = path.display().to_string();
    let credentials = match field("type").as_deref() {
        Some("service_account") => Credentials::ServiceAccount {
            key: key::key_of(&json)?,
            token_uri: field("token_uri").unwrap_or_else(|| TOKEN_URI.into()),
        },
        Some("authorized_user") => Credentials::User {
            client_id: field("client_id").ok_or("no client_id in it")?,
            client_secret: field("client_secret").ok_or("no client_secret in it")?,
            refresh_token: field("refresh_token").ok_or("no refresh_token in it")?,
        },
        Some(other) => {
            return Err(format!(
                "credentials of type `{other}` are not supported; use a service-account key, `gcloud auth application-default login`, or GOOGLE_OAUTH_ACCESS_TOKEN"
            ));
        }
        None => return Err("no `type` in it; is it a Google credentials file?".into()),
    };
    Ok(Found {
        credentials,
        project: field("project_id").or_else(|| field("quota_project_id")),
        origin,
    })
}

/// An access token for the collector's calls.
pub async fn access_token(
    credentials: &Credentials,
    budget: crate::collect::budget::Budget,
) -> Result<String, String> {
    type Request = (String, Vec<(&'static str, String)>, Option<Vec<u8>>);
    let (url, headers, body): Request = match credentials {
            Credentials::Token(token) => return Ok(token.clone()),
            Credentials::ServiceAccount { key, token_uri } => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let assertion = key::assertion(key, token_uri, SCOPE, now)?;
                (token_uri.clone(), Vec::new(), Some(key::token_request(&assertion)))
            }
            Credentials::User {
                client_id,
                client_secret,
                refresh_token,
            } => {
                let form = format!(
                    "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
                    escaped(client_id),
                    escaped(client_secret),
                    escaped(refresh_token)
                );
                (TOKEN_URI.to_string(), Vec::new(), Some(form.into_bytes()))
            }
            Credentials::Metadata { host } => (
                format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/token"),
                vec![("metadata-flavor", "Google".to_string())],
                None,
            ),
        };
    let api = Api::new(HttpTransport::new(&url, headers)?, budget)
        .with_style(crate::collect::rest::Paging::LinkHeader, "error_description");
    let answer = match &body {
        Some(form) => api.post(&url, ("application/x-www-form-urlencoded", form)).await,
        None => api.get(&url).await,
    };
    let answer = answer.map_err(|e| match (credentials, &e) {
        (Credentials::Metadata { .. }, ApiError::Other { .. }) => format!(
            "no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, there is no gcloud application_default_credentials.json, and the metadata server did not answer ({e}); run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS"
        ),
        _ => format!("the token request was refused: {e}"),
    })?;
    answer
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "the token endpoint answered without an access_token".into())
}
