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

/// A value found by one detector.
pub struct Kept {
    pub detector: String,
    pub value: Vec<u8>,
}

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
    /// Hold `value` under its fingerprint (the first detector to find it wins).
    pub fn keep(&self, detector: &str, fingerprint: &str, value: &[u8]) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        if values.len() < MAX_KEPT && !values.contains_key(fingerprint) {
            values.insert(
                fingerprint.to_string(),
                Kept {
                    detector: detector.to_string(),
                    value: value.to_vec(),
                },
            );
        }
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
