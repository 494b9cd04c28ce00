//! Opt-in incremental cache for history scans (`--cache FILE`).
//!
//! Blobs are immutable, so a blob's matches never change unless the detectors or the
//! fingerprint key do. The cache maps blob id to its (redacted) matches and is valid only
//! for the detector-set hash and fingerprint key it was written with; otherwise it is
//! ignored and rewritten. A repeated CI run therefore scans only blobs it has not seen.

use super::BlobMatch;
use crate::detect::DetectorSet;
use crate::model::Confidence;
use crate::scan::SecretMatch;
use crate::scan::redact::Fingerprinter;
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const CACHE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedMatch {
    pub detector: String,
    pub line: u64,
    pub column: u64,
    pub fingerprint: String,
    pub preview: String,
    pub confidence: Confidence,
    #[serde(default)]
    pub facts: Vec<(String, String)>,
    #[serde(skip)]
    detector_index: u32,
}

impl CachedMatch {
    pub fn from_match(set: &DetectorSet, m: &BlobMatch) -> Self {
        let s = &m.secret;
        CachedMatch {
            detector: set.get(s.detector).id.clone(),
            line: s.line,
            column: s.column,
            fingerprint: s.fingerprint.clone(),
            preview: s.preview.clone(),
            confidence: s.confidence,
            facts: s.facts.clone(),
            detector_index: s.detector,
        }
    }

    pub fn to_match(&self, blob: u32) -> BlobMatch {
        BlobMatch {
            blob,
            secret: SecretMatch {
                detector: self.detector_index,
                path: String::new(),
                line: self.line,
                column: self.column,
                fingerprint: self.fingerprint.clone(),
                preview: self.preview.clone(),
                confidence: self.confidence,
                facts: self.facts.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    nhiscan_blob_cache: u32,
    detectors: String,
    key_check: String,
    blobs: BTreeMap<String, Vec<CachedMatch>>,
}

#[derive(Debug)]
pub struct BlobCache {
    detectors: String,
    key_check: String,
    blobs: HashMap<ObjectId, Vec<CachedMatch>>,
}

impl BlobCache {
    /// Load `path`; a missing file is an empty cache, a stale or unreadable one is an empty
    /// cache plus a warning (returned as `Err` text alongside, the scan goes on).
    pub fn load(path: &Path, set: &DetectorSet, fp: &Fingerprinter) -> Result<BlobCache, String> {
        let mut cache = BlobCache {
            detectors: set.hash().to_string(),
            key_check: fp.fingerprint(b"nhiscan blob cache key check"),
            blobs: HashMap::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cache),
            Err(e) => {
                return Err(format!(
                    "cache {}: cannot read ({e}); scanning without it",
                    path.display()
                ));
            }
        };
        let file: CacheFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "cache {} is not a valid nhiscan cache ({e}); it will be rewritten",
                path.display()
            )
        })?;
        if file.nhiscan_blob_cache != CACHE_VERSION
            || file.detectors != cache.detectors
            || file.key_check != cache.key_check
        {
            // Detectors or fingerprint key changed: every blob must be rescanned.
            return Ok(cache);
        }
        let ids: HashMap<&str, u32> = set
            .detectors()
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i as u32))
            .collect();
        for (hex, mut hits) in file.blobs {
            let Ok(oid) = ObjectId::from_hex(hex.as_bytes()) else {
                continue;
            };
            if hits.iter().all(|h| ids.contains_key(h.detector.as_str())) {
                for h in &mut hits {
                    h.detector_index = ids[h.detector.as_str()];
                }
                cache.blobs.insert(oid, hits);
            }
        }
        Ok(cache)
    }

    pub fn get(&self, oid: &ObjectId) -> Option<&Vec<CachedMatch>> {
        self.blobs.get(oid)
    }

    pub fn insert(&mut self, oid: ObjectId, hits: Vec<CachedMatch>) {
        self.blobs.insert(oid, hits);
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let file = CacheFile {
            nhiscan_blob_cache: CACHE_VERSION,
            detectors: self.detectors.clone(),
            key_check: self.key_check.clone(),
            blobs: self
                .blobs
                .iter()
                .map(|(k, v)| (k.to_hex().to_string(), v.clone()))
                .collect(),
        };
        let text = serde_json::to_string(&file).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| {
            format!(
                "cache {}: cannot write ({e}); the next run rescans everything",
                path.display()
            )
        })
    }
}
