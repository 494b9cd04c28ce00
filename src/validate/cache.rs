//! Validation results by fingerprint (never the value), so a rerun within the TTL makes no
//! call for secrets already checked. A SQLite file: `--validate-cache FILE`, by default
//! `$XDG_CACHE_HOME/nhiscan/validations.sqlite` (or `~/.cache/...`). Only definite answers
//! (active, inactive) are kept; an error or unknown is asked again next time.

use crate::model::{LiveStatus, Timestamp, Validation};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("validation cache {path}: {message}")]
pub struct CacheError {
    path: String,
    message: String,
}

pub struct Cache {
    db: Connection,
    ttl_hours: i64,
}

/// Where the cache lives when `--validate-cache` is not given.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("nhiscan").join("validations.sqlite"))
}

impl Cache {
    pub fn open(path: &Path, ttl_hours: i64) -> Result<Cache, CacheError> {
        let fail = |message: String| CacheError {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let db = Connection::open(path).map_err(|e| fail(e.to_string()))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS validations (
                fingerprint TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                checked_at TEXT NOT NULL,
                validation TEXT NOT NULL,
                PRIMARY KEY (fingerprint, endpoint)
            )",
        )
        .map_err(|e| {
            fail(format!(
                "{e}; not a validation cache? remove it or pass another --validate-cache"
            ))
        })?;
        Ok(Cache { db, ttl_hours })
    }

    /// A result younger than the TTL, for this fingerprint at this endpoint.
    pub fn get(&self, fingerprint: &str, endpoint: &str, now: Timestamp) -> Option<Validation> {
        let text: String = self
            .db
            .query_row(
                "SELECT validation FROM validations WHERE fingerprint = ?1 AND endpoint = ?2",
                params![fingerprint, endpoint],
                |row| row.get(0),
            )
            .optional()
            .ok()??;
        let v: Validation = serde_json::from_str(&text).ok()?;
        let age_hours = (now.0 - v.checked_at.0).whole_hours();
        (age_hours >= 0 && age_hours < self.ttl_hours).then_some(Validation { cached: true, ..v })
    }

    /// Keep a definite result.
    pub fn put(&self, fingerprint: &str, endpoint: &str, v: &Validation) {
        if !matches!(v.status, LiveStatus::Active | LiveStatus::Inactive) {
            return;
        }
        let Ok(text) = serde_json::to_string(&Validation {
            cached: false,
            ..v.clone()
        }) else {
            return;
        };
        // A cache that cannot be written costs the next run calls, not this run's result.
        let _ = self.db.execute(
            "INSERT OR REPLACE INTO validations (fingerprint, endpoint, checked_at, validation)
             VALUES (?1, ?2, ?3, ?4)",
            params![fingerprint, endpoint, v.checked_at.to_string(), text],
        );
    }
}
