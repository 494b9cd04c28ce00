//! Raw values kept for `--validate`, and only then.
//!
//! Everywhere else the raw value never leaves the worker that found it (see [`super::redact`]).
//! Asking a provider whether a credential is live needs the value itself, once, so a scan
//! with `--validate` gives its [`super::redact::Fingerprinter`] a [`Keeper`]: the workers
//! hand it the values of detectors that have a live check, keyed by fingerprint, and the
//! validation stage takes them out by the fingerprint an identity carries. The values stay
//! in this process's memory: they are never written, logged or formatted (`Debug` shows
//! only how many are held).

use std::collections::HashMap;
use std::sync::Mutex;

/// Values held at most: a scan with more validatable secrets than this validates the
/// first ones and reports the rest as not checked.
pub const MAX_KEPT: usize = 10_000;

/// Places remembered per value: enough to pair a secret with its key id in the same file.
const MAX_PLACES: usize = 16;

/// A value found by one detector, and where (path, line).
pub struct Kept {
    pub detector: String,
    pub value: Vec<u8>,
    pub places: Vec<(String, u64)>,
    /// The document the value was found in, for checks that need it (a GCP key's JSON).
    pub document: Option<Vec<u8>>,
}

/// A document larger than this is not kept (a service-account key file is ~2.3 KiB).
pub const MAX_DOCUMENT: usize = 64 * 1024;

/// Values by fingerprint, from every worker.
#[derive(Default)]
pub struct Keeper {
    values: Mutex<HashMap<String, Kept>>,
}

impl std::fmt::Debug for Keeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keeper {{ {} values: <hidden> }}", self.len())
    }
}

impl Keeper {
    /// Hold `value` under its fingerprint (the first detector to find it wins), and the
    /// place it was seen.
    pub fn keep(&self, detector: &str, fingerprint: &str, value: &[u8], path: &str, line: u64) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kept) = values.get_mut(fingerprint) {
            if kept.places.len() < MAX_PLACES {
                kept.places.push((path.to_string(), line));
            }
            return;
        }
        if values.len() < MAX_KEPT {
            values.insert(
                fingerprint.to_string(),
                Kept {
                    detector: detector.to_string(),
                    value: value.to_vec(),
                    places: vec![(path.to_string(), line)],
                    document: None,
                },
            );
        }
    }

    /// Keep the document a value was found in (only the first one, bounded).
    pub fn keep_document(&self, fingerprint: &str, document: &[u8]) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kept) = values.get_mut(fingerprint)
            && kept.document.is_none()
            && document.len() <= MAX_DOCUMENT
        {
            kept.document = Some(document.to_vec());
        }
    }

    /// The value of `detector` seen nearest to `path:line`, at most `within` lines away
    /// (the access key id beside a secret key).
    pub fn near(&self, detector: &str, path: &str, line: u64, within: u64) -> Option<Vec<u8>> {
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        values
            .values()
            .filter(|k| k.detector == detector)
            .flat_map(|k| {
                k.places
                    .iter()
                    .filter(|(p, _)| p == path)
                    .map(move |(_, l)| (l.abs_diff(line), k))
            })
            .filter(|(distance, _)| *distance <= within)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, k)| k.value.clone())
    }

    /// Take the value held under `fingerprint`.
    pub fn take(&self, fingerprint: &str) -> Option<Kept> {
        self.values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.values.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
