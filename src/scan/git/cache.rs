//! Opt-in incremental cache for history scans (`--cache FILE`).
//!
//! Blobs are immutable, so a blob's matches never change unless the detectors or the
//! fingerprint key do. The cache maps blob id to its (redacted) matches and is valid only
//! for the detector-set hash and fingerprint key it was written with; otherwise it is
//! ignored and rewritten. A repeated CI run therefore scans only blobs it has not seen.

use super::BlobMatch;
use crate::detect::{DetectorSet, Reason};
use crate::model::Confidence;
use crate::scan::SecretMatch;
use crate::scan::redact::Fingerprinter;
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const CACHE_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedMatch {
    pub detector: String,
    pub line: u64,
    pub column: u64,
    pub fingerprint: String,
    pub preview: String,
    pub confidence: Confidence,
    pub reason: Reason,
    #[serde(default)]
    pub in_comment: bool,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub layers: Vec<crate::model::Encoding>,
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
            reason: s.reason,
            in_comment: s.in_comment,
            reference: s.reference.clone(),
            layers: s.layers.clone(),
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
                reason: self.reason,
                in_comment: self.in_comment,
                reference: self.reference.clone(),
                layers: self.layers.clone(),
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

/// Why the cache could not be used; the scan goes on without it (a warning).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {}: cannot read ({source}); scanning without it", .path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cache {} is not a valid nhiscan cache ({source}); it will be rewritten", .path.display())]
    Parse {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error("cache {}: cannot write ({source}); the next run rescans everything", .path.display())]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl BlobCache {
    /// Load `path`; a missing file is an empty cache, a stale one an empty cache, an
    /// unreadable one an error the caller reports as a warning before scanning without it.
    pub fn load(
        path: &Path,
        set: &DetectorSet,
        fp: &Fingerprinter,
    ) -> Result<BlobCache, CacheError> {
        let mut cache = BlobCache::empty(set, fp);
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cache),
            Err(source) => {
                return Err(CacheError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let file: CacheFile = serde_json::from_str(&text).map_err(|source| CacheError::Parse {
            path: path.to_path_buf(),
            source,
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

    /// A cache with nothing in it yet, for this detector set and fingerprint key.
    pub fn empty(set: &DetectorSet, fp: &Fingerprinter) -> BlobCache {
        BlobCache {
            detectors: set.hash().to_string(),
            key_check: fp.fingerprint(b"nhiscan blob cache key check"),
            blobs: HashMap::new(),
        }
    }

    pub fn get(&self, oid: &ObjectId) -> Option<&Vec<CachedMatch>> {
        self.blobs.get(oid)
    }

    pub fn insert(&mut self, oid: ObjectId, hits: Vec<CachedMatch>) {
        self.blobs.insert(oid, hits);
    }

    pub fn save(&self, path: &Path) -> Result<(), CacheError> {
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
        let text = serde_json::to_string(&file).expect("cache serialises");
        std::fs::write(path, text).map_err(|source| CacheError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}
