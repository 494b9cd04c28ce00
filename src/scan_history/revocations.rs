//! What `nhiscan revoke` did, recorded as evidence: when, which identity (by id and
//! fingerprint, never the value), at which provider host, the outcome and who ran it.

use super::{HistoryError, ScanHistory};
use crate::model::Timestamp;
use rusqlite::params;

/// One revocation attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRecord {
    pub at: Timestamp,
    pub identity: String,
    pub fingerprint: Option<String>,
    pub provider: String,
    pub host: String,
    /// `revoked`, `refused` (the provider said no) or `failed` (no answer).
    pub outcome: String,
    pub reason: String,
    /// Who ran it (`$USER`), as the audit trail names a person.
    pub operator: String,
}

impl ScanHistory {
    pub fn record_revocation(&self, r: &RevocationRecord) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "INSERT INTO revocations (at, identity, fingerprint, provider, host, outcome, reason, operator)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    r.at.to_string(),
                    r.identity,
                    r.fingerprint,
                    r.provider,
                    r.host,
                    r.outcome,
                    r.reason,
                    r.operator
                ],
            )
            .map(|_| ())
            .map_err(|e| self.wrap(e))
    }

    /// Every recorded revocation, oldest first.
    pub fn revocations(&self) -> Result<Vec<RevocationRecord>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT at, identity, fingerprint, provider, host, outcome, reason, operator
                 FROM revocations ORDER BY at, rowid",
            )
            .map_err(|e| self.wrap(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    RevocationRecord {
                        at: Timestamp::now(),
                        identity: r.get(1)?,
                        fingerprint: r.get(2)?,
                        provider: r.get(3)?,
                        host: r.get(4)?,
                        outcome: r.get(5)?,
                        reason: r.get(6)?,
                        operator: r.get(7)?,
                    },
                ))
            })
            .map_err(|e| self.wrap(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (at, mut record) = row.map_err(|e| self.wrap(e))?;
            record.at = Timestamp::parse(&at).map_err(|e| HistoryError::Corrupt {
                path: self.path.clone(),
                message: format!("revocation time `{at}`: {e}"),
            })?;
            out.push(record);
        }
        Ok(out)
    }
}
