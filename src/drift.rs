//! Drift between two inventories: identities added, removed and changed, and findings that
//! are new. A pure function over two [`Inventory`] values, so CI can compare today's scan
//! with yesterday's and fail only on what got worse.

use crate::model::{Finding, Identity, Inventory, Level, SCHEMA_VERSION};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One identity in a drift report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRef {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub location: String,
}

impl From<&Identity> for IdentityRef {
    fn from(i: &Identity) -> Self {
        IdentityRef {
            id: i.id.clone(),
            kind: i.kind.clone(),
            name: i.name.clone(),
            location: i.location.clone(),
        }
    }
}

/// One field of an identity that differs between the two inventories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    pub identity: IdentityRef,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub old_generated_at: String,
    pub new_generated_at: String,
    pub added: Vec<IdentityRef>,
    pub removed: Vec<IdentityRef>,
    pub changed: Vec<Changed>,
    /// Findings in the new inventory that the old one did not have.
    pub new_findings: Vec<Finding>,
    /// Findings of the old inventory that are gone.
    pub resolved_findings: Vec<Finding>,
}

impl Drift {
    pub fn has_new_deny(&self) -> bool {
        self.new_findings.iter().any(|f| f.level == Level::Deny)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryReadError {
    #[error("cannot read inventory {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is not an nhiscan inventory (line {line}, column {column}): {message}; pass a file written by `nhiscan scan --format json`"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path} has schema_version {found}; this nhiscan reads version {SCHEMA_VERSION}")]
    Version { path: PathBuf, found: u32 },
}

/// Read an inventory written by `nhiscan scan --format json`.
pub fn read_inventory(path: &Path) -> Result<Inventory, InventoryReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| InventoryReadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_inventory(&text, path)
}

/// An inventory from its JSON text; `path` names it in errors.
pub fn parse_inventory(text: &str, path: &Path) -> Result<Inventory, InventoryReadError> {
    let inv = Inventory::from_json(text).map_err(|e| InventoryReadError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if inv.schema_version != SCHEMA_VERSION {
        return Err(InventoryReadError::Version {
            path: path.to_path_buf(),
            found: inv.schema_version,
        });
    }
    Ok(inv)
}

/// Compare `old` with `new`.
pub fn diff(old: &Inventory, new: &Inventory) -> Drift {
    let old_ids: BTreeMap<&str, &Identity> =
        old.identities.iter().map(|i| (i.id.as_str(), i)).collect();
    let new_ids: BTreeMap<&str, &Identity> =
        new.identities.iter().map(|i| (i.id.as_str(), i)).collect();
    let added = new_ids
        .iter()
        .filter(|(id, _)| !old_ids.contains_key(*id))
        .map(|(_, i)| IdentityRef::from(*i))
        .collect();
    let removed = old_ids
        .iter()
        .filter(|(id, _)| !new_ids.contains_key(*id))
        .map(|(_, i)| IdentityRef::from(*i))
        .collect();
    let changed = new_ids
        .iter()
        .filter_map(|(id, n)| {
            let o = old_ids.get(id)?;
            let changes = field_changes(o, n);
            (!changes.is_empty()).then(|| Changed {
                identity: IdentityRef::from(*n),
                changes,
            })
        })
        .collect();
    let old_keys: BTreeSet<String> = old.findings.iter().map(finding_key).collect();
    let new_keys: BTreeSet<String> = new.findings.iter().map(finding_key).collect();
    Drift {
        old_generated_at: old.generated_at.to_string(),
        new_generated_at: new.generated_at.to_string(),
        added,
        removed,
        changed,
        new_findings: new
            .findings
            .iter()
            .filter(|f| !old_keys.contains(&finding_key(f)))
            .cloned()
            .collect(),
        resolved_findings: old
            .findings
            .iter()
            .filter(|f| !new_keys.contains(&finding_key(f)))
            .cloned()
            .collect(),
    }
}

/// A finding is "the same" across scans when its code, identity and place match; the line
/// is left out so that code moving above a known leak does not make it new.
fn finding_key(f: &Finding) -> String {
    format!(
        "{}|{}|{}|{}",
        f.code,
        f.identity,
        f.path.as_deref().unwrap_or(""),
        f.commit.as_deref().unwrap_or("")
    )
}

fn field_changes(old: &Identity, new: &Identity) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut check = |field: &str, o: String, n: String| {
        if o != n {
            out.push(FieldChange {
                field: field.into(),
                old: o,
                new: n,
            });
        }
    };
    let owner = |i: &Identity| i.owner.as_ref().map(|o| o.team.clone()).unwrap_or_default();
    let ts = |t: Option<crate::model::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    check("owner", owner(old), owner(new));
    check(
        "status",
        format!("{:?}", old.status).to_lowercase(),
        format!("{:?}", new.status).to_lowercase(),
    );
    check(
        "privileges",
        old.privileges.join(", "),
        new.privileges.join(", "),
    );
    check(
        "third_parties",
        old.third_parties.join(", "),
        new.third_parties.join(", "),
    );
    check("rotated_at", ts(old.rotated_at), ts(new.rotated_at));
    check("expires_at", ts(old.expires_at), ts(new.expires_at));
    check("last_used_at", ts(old.last_used_at), ts(new.last_used_at));
    let places = |i: &Identity| -> BTreeSet<String> {
        i.exposures
            .iter()
            .map(|e| match &e.commit {
                Some(c) => format!("{}@{}", e.path, &c[..c.len().min(12)]),
                None => e.path.clone(),
            })
            .collect()
    };
    let (op, np) = (places(old), places(new));
    let new_places: Vec<&String> = np.difference(&op).collect();
    if !new_places.is_empty() {
        out.push(FieldChange {
            field: "new exposures".into(),
            old: String::new(),
            new: new_places
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    out
}

/// Human-readable drift report.
pub fn render_text(d: &Drift) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "drift from {} to {}",
        d.old_generated_at, d.new_generated_at
    );
    let _ = writeln!(out, "\nadded ({}):", d.added.len());
    for i in &d.added {
        let _ = writeln!(
            out,
            "  + {} {} ({}) at {}",
            i.kind, i.name, i.id, i.location
        );
    }
    let _ = writeln!(out, "\nremoved ({}):", d.removed.len());
    for i in &d.removed {
        let _ = writeln!(
            out,
            "  - {} {} ({}) at {}",
            i.kind, i.name, i.id, i.location
        );
    }
    let _ = writeln!(out, "\nchanged ({}):", d.changed.len());
    for c in &d.changed {
        let _ = writeln!(
            out,
            "  ~ {} {} ({})",
            c.identity.kind, c.identity.name, c.identity.id
        );
        for f in &c.changes {
            let _ = writeln!(out, "      {}: {:?} -> {:?}", f.field, f.old, f.new);
        }
    }
    let _ = writeln!(out, "\nnew findings ({}):", d.new_findings.len());
    for f in &d.new_findings {
        let _ = writeln!(out, "  {} {}: {}", f.level, f.code, f.message);
    }
    let _ = writeln!(out, "\nresolved findings ({}):", d.resolved_findings.len());
    for f in &d.resolved_findings {
        let _ = writeln!(out, "  {} {}: {}", f.level, f.code, f.message);
    }
    out
}
