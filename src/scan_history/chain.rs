//! The hash chain over recorded scans: what a link holds, how it is computed, and how a
//! run of scans is checked (in the database, or in an evidence pack's copy).

/// One recorded scan as stored.
#[derive(Debug, Clone)]
pub struct StoredScan {
    pub id: i64,
    pub generated_at: String,
    /// The inventory JSON exactly as recorded.
    pub inventory: String,
    /// `None` for a scan recorded before the hash chain.
    pub link: Option<ChainLink>,
}

/// A scan's place in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainLink {
    pub inventory_sha256: String,
    pub prev_sha256: String,
    pub chain_sha256: String,
}

/// A broken or missing link, naming the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainProblem {
    pub scan: i64,
    pub generated_at: String,
    pub message: String,
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "scan {} ({}): {}",
            self.scan, self.generated_at, self.message
        )
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The chain hash of scan `id`: over the previous scan's chain hash (empty for the first),
/// the scan's id and time, and its inventory's SHA-256.
pub fn chain_hash(prev: &str, id: i64, generated_at: &str, inventory_sha256: &str) -> String {
    sha256_hex(
        format!("nhiscan-chain-v1\n{prev}\n{id}\n{generated_at}\n{inventory_sha256}").as_bytes(),
    )
}

/// Every problem of a run of scans, in order: an inventory that no longer hashes to its
/// recorded hash (edited), a link that does not follow the scan before it (a scan deleted,
/// inserted or reordered), a chain hash that does not match its own fields, and scans
/// recorded without a link. The first problem is the first broken link.
pub fn verify_links(scans: &[StoredScan]) -> Vec<ChainProblem> {
    let mut problems = Vec::new();
    let mut prev: Option<String> = None;
    for scan in scans {
        let problem = |message: String| ChainProblem {
            scan: scan.id,
            generated_at: scan.generated_at.clone(),
            message,
        };
        let Some(link) = &scan.link else {
            problems.push(problem(
                "recorded without a hash (before nhiscan kept a hash chain): not covered".into(),
            ));
            prev = None;
            continue;
        };
        if sha256_hex(scan.inventory.as_bytes()) != link.inventory_sha256 {
            problems.push(problem(
                "its inventory does not match the SHA-256 recorded with it: the inventory was edited after it was recorded".into(),
            ));
        }
        if let Some(expected) = &prev
            && *expected != link.prev_sha256
        {
            problems.push(problem(
                "it does not follow the scan before it in the chain: a scan was deleted, inserted or reordered".into(),
            ));
        }
        if chain_hash(
            &link.prev_sha256,
            scan.id,
            &scan.generated_at,
            &link.inventory_sha256,
        ) != link.chain_sha256
        {
            problems.push(problem(
                "its chain hash does not match its id, time and hashes: the record was edited"
                    .into(),
            ));
        }
        prev = Some(link.chain_sha256.clone());
    }
    problems
}
