//! The scan history database (`--history FILE`): every scan's inventory, and when each
//! identity was first and last seen, across runs.
//!
//! One SQLite file (rusqlite, bundled SQLite, so nothing to install): a `scans` table with
//! each judged inventory as JSON, and an `identities` table with `first_seen`/`last_seen`.
//! Recording a scan is one transaction, so an interrupted run never leaves half a scan;
//! `nhiscan diff --history FILE` reads the last two inventories back. A `reviews` table
//! holds the access-review decisions `nhiscan review import` recorded; a scan judged with
//! the database carries each identity's last decision ([`ScanHistory::review_states`]).
//!
//! Every recorded scan is also a link of a hash chain: the SHA-256 of its inventory as
//! stored, and a chain hash over the previous scan's chain hash, its id, its time and that
//! inventory hash ([`chain_hash`]). Editing, deleting or reordering a recorded scan breaks
//! the chain at that scan, which [`ScanHistory::verify_chain`] names.

mod chain;
mod revocations;
pub use revocations::RevocationRecord;

pub use chain::{ChainLink, ChainProblem, StoredScan, chain_hash, sha256_hex, verify_links};

use crate::model::{Decision, Inventory, ReviewRecord, ReviewState, Timestamp};
use rusqlite::{Connection, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Layout version stored in SQLite's `user_version`.
const LAYOUT_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS scans (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    generated_at  TEXT NOT NULL,
    tool_version  TEXT NOT NULL,
    identities    INTEGER NOT NULL,
    findings_deny INTEGER NOT NULL,
    findings_warn INTEGER NOT NULL,
    incomplete    INTEGER NOT NULL,
    inventory     TEXT NOT NULL,
    inventory_sha256 TEXT,
    prev_sha256      TEXT,
    chain_sha256     TEXT
);
CREATE TABLE IF NOT EXISTS identities (
    id         TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    first_scan INTEGER NOT NULL,
    last_scan  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    identity    TEXT NOT NULL,
    decision    TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    review_date TEXT NOT NULL,
    ticket      TEXT,
    notes       TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (identity, review_date, reviewer)
);
CREATE TABLE IF NOT EXISTS revocations (
    at          TEXT NOT NULL,
    identity    TEXT NOT NULL,
    fingerprint TEXT,
    provider    TEXT NOT NULL,
    host        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    operator    TEXT NOT NULL
);
";

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "cannot use history database {path}: {source}; pass a new file, or check the file is an nhiscan history database and is writable"
    )]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "history database {path} has layout {found}; this nhiscan writes layout {LAYOUT_VERSION}"
    )]
    Layout { path: PathBuf, found: i64 },
    #[error("history database {path} holds a scan that is not a valid inventory: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "history database {path} has {found} scan(s); `diff --history` needs two. Run `nhiscan scan --history {path}` again"
    )]
    TooFewScans { path: PathBuf, found: usize },
}

/// An open history database.
pub struct ScanHistory {
    path: PathBuf,
    conn: Connection,
}

/// Summary of one recorded scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedScan {
    pub id: i64,
    pub identities_new: usize,
}

impl ScanHistory {
    /// Open (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<ScanHistory, HistoryError> {
        let wrap = |source| HistoryError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(wrap)?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(wrap)?;
        if found != 0 && found != LAYOUT_VERSION {
            return Err(HistoryError::Layout {
                path: path.to_path_buf(),
                found,
            });
        }
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        // Databases from before the hash chain gain its columns; their old scans stay
        // unchained (and `verify_chain` says so).
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('scans')")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(wrap)?;
        for column in ["inventory_sha256", "prev_sha256", "chain_sha256"] {
            if !columns.iter().any(|c| c == column) {
                conn.execute_batch(&format!("ALTER TABLE scans ADD COLUMN {column} TEXT"))
                    .map_err(wrap)?;
            }
        }
        conn.pragma_update(None, "user_version", LAYOUT_VERSION)
            .map_err(wrap)?;
        Ok(ScanHistory {
            path: path.to_path_buf(),
            conn,
        })
    }

    fn wrap(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Record `inventory` as the newest scan and fill each identity's `first_seen` and
    /// `last_seen` from every scan recorded so far (this one included).
    pub fn record(&mut self, inventory: &mut Inventory) -> Result<RecordedScan, HistoryError> {
        let path = self.path.clone();
        let wrap = move |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(&wrap)?;
        let scan_id: i64 = tx
            .query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM scans", [], |r| {
                r.get(0)
            })
            .map_err(&wrap)?;
        let now = inventory.generated_at.to_string();
        let mut new = 0;
        {
            // One upsert per identity; RETURNING gives the kept first sighting and the
            // scan that made it, so a new identity is one whose first scan is this one.
            let mut upsert = tx
                .prepare(
                    "INSERT INTO identities (id, provider, kind, name, first_seen, last_seen, first_scan, last_scan)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6)
                     ON CONFLICT(id) DO UPDATE SET last_seen = ?5, last_scan = ?6, name = ?4
                     RETURNING first_seen, first_scan",
                )
                .map_err(&wrap)?;
            for identity in &mut inventory.identities {
                let (first, first_scan): (String, i64) = upsert
                    .query_row(
                        params![
                            identity.id,
                            identity.provider.to_string(),
                            identity.kind,
                            identity.name,
                            now,
                            scan_id
                        ],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(&wrap)?;
                new += usize::from(first_scan == scan_id);
                identity.first_seen = Timestamp::parse(&first).ok();
                identity.last_seen = Some(inventory.generated_at);
            }
        }
        let json = serde_json::to_string(inventory).expect("inventory serialises");
        let prev: String = tx
            .query_row(
                "SELECT COALESCE(chain_sha256, '') FROM scans ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(String::new()),
                e => Err(e),
            })
            .map_err(&wrap)?;
        let inventory_hash = sha256_hex(json.as_bytes());
        let chain = chain_hash(&prev, scan_id, &now, &inventory_hash);
        tx.execute(
            "INSERT INTO scans (id, generated_at, tool_version, identities, findings_deny, findings_warn, incomplete, inventory, inventory_sha256, prev_sha256, chain_sha256)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                scan_id,
                now,
                inventory.tool.version,
                inventory.identities.len() as i64,
                inventory.summary.findings_deny as i64,
                inventory.summary.findings_warn as i64,
                inventory.is_incomplete(),
                json,
                inventory_hash,
                prev,
                chain
            ],
        )
        .map_err(&wrap)?;
        tx.commit().map_err(&wrap)?;
        Ok(RecordedScan {
            id: scan_id,
            identities_new: new,
        })
    }

    /// The newest `n` inventories, oldest first.
    pub fn last_scans(&self, n: usize) -> Result<Vec<Inventory>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT inventory FROM scans ORDER BY id DESC LIMIT ?1")
            .map_err(|e| self.wrap(e))?;
        let rows: Vec<String> = stmt
            .query_map([n as i64], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.wrap(e))?;
        let mut out = rows
            .iter()
            .map(|json| {
                Inventory::from_json(json).map_err(|e| HistoryError::Corrupt {
                    path: self.path.clone(),
                    message: e.to_string(),
                })
            })
            .collect::<Result<Vec<Inventory>, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// Every recorded scan, oldest first, with its stored inventory text and chain hashes.
    pub fn stored_scans(&self) -> Result<Vec<StoredScan>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, generated_at, inventory, inventory_sha256, prev_sha256, chain_sha256
                 FROM scans ORDER BY id",
            )
            .map_err(|e| self.wrap(e))?;
        stmt.query_map([], |r| {
            Ok(StoredScan {
                id: r.get(0)?,
                generated_at: r.get(1)?,
                inventory: r.get(2)?,
                link: match (r.get(3)?, r.get(4)?, r.get(5)?) {
                    (Some(inventory_sha256), Some(prev_sha256), Some(chain_sha256)) => {
                        Some(ChainLink {
                            inventory_sha256,
                            prev_sha256,
                            chain_sha256,
                        })
                    }
                    _ => None,
                },
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.wrap(e))
    }

    /// Check the hash chain of every recorded scan (see the module docs).
    pub fn verify_chain(&self) -> Result<Vec<ChainProblem>, HistoryError> {
        Ok(verify_links(&self.stored_scans()?))
    }

    /// Every recorded review decision, oldest review first.
    pub fn reviews(&self) -> Result<Vec<ReviewRecord>, HistoryError> {
        let corrupt = |message: String| HistoryError::Corrupt {
            path: self.path.clone(),
            message,
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT identity, decision, reviewer, review_date, ticket, notes FROM reviews
                 ORDER BY review_date, recorded_at",
            )
            .map_err(|e| self.wrap(e))?;
        type Row = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.wrap(e))?;
        rows.into_iter()
            .map(|(identity, decision, reviewer, date, ticket, notes)| {
                Ok(ReviewRecord {
                    decision: Decision::parse(&decision).ok_or_else(|| {
                        corrupt(format!("review of {identity}: decision `{decision}`"))
                    })?,
                    date: Timestamp::parse(&date).map_err(|e| {
                        corrupt(format!("review of {identity}: date `{date}`: {e}"))
                    })?,
                    identity,
                    reviewer,
                    ticket,
                    notes,
                })
            })
            .collect()
    }

    /// Record review decisions. The same identity, day and reviewer again replaces the
    /// earlier row, so importing a corrected sheet twice records each decision once.
    pub fn record_reviews(
        &mut self,
        reviews: &[ReviewRecord],
        recorded_at: Timestamp,
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let wrap = move |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(&wrap)?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO reviews (identity, decision, reviewer, review_date, ticket, notes, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(&wrap)?;
            for r in reviews {
                insert
                    .execute(params![
                        r.identity,
                        r.decision.to_string(),
                        r.reviewer,
                        r.date.to_string(),
                        r.ticket,
                        r.notes,
                        recorded_at.to_string()
                    ])
                    .map_err(&wrap)?;
            }
        }
        tx.commit().map_err(&wrap)
    }

    /// Every identity the history knows, with its first sighting and newest review
    /// decision; identities not in the map are new to the history.
    pub fn review_states(&self) -> Result<HashMap<String, ReviewState>, HistoryError> {
        let mut out: HashMap<String, ReviewState> = self
            .first_seen()?
            .into_iter()
            .map(|(id, since)| {
                (
                    id,
                    ReviewState {
                        tracked_since: since,
                        last: None,
                    },
                )
            })
            .collect();
        // Oldest first, so the newest decision of each identity is the one kept.
        for review in self.reviews()? {
            if let Some(state) = out.get_mut(&review.identity) {
                state.last = Some(review);
            }
        }
        Ok(out)
    }

    /// When the history first saw each identity it knows.
    pub fn first_seen(&self) -> Result<HashMap<String, Timestamp>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, first_seen FROM identities")
            .map_err(|e| self.wrap(e))?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.wrap(e))?;
        rows.into_iter()
            .map(|(id, first)| match Timestamp::parse(&first) {
                Ok(since) => Ok((id, since)),
                Err(e) => Err(HistoryError::Corrupt {
                    path: self.path.clone(),
                    message: format!("identity {id}: first_seen `{first}`: {e}"),
                }),
            })
            .collect()
    }

    /// The last two scans, for `nhiscan diff --history`.
    pub fn last_two(&self) -> Result<(Inventory, Inventory), HistoryError> {
        let mut scans = self.last_scans(2)?;
        if scans.len() < 2 {
            return Err(HistoryError::TooFewScans {
                path: self.path.clone(),
                found: scans.len(),
            });
        }
        let new = scans.pop().expect("two scans");
        let old = scans.pop().expect("two scans");
        Ok((old, new))
    }
}
