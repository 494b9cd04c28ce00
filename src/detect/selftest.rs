//! The detector self-test: every example must be found, no negative example may be.
//!
//! Examples run through the same path as a real scan (prefilter, windowed regex, filters,
//! validator), so a keyword missing from an example, or a filter that eats a real token,
//! fails here rather than silently in the field. `nhiscan detectors check` and `cargo test`
//! both call this.

use super::{DetectorSet, Scratch};

/// One example that did not behave as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfTestFailure {
    pub detector: String,
    pub origin: String,
    pub example: String,
    pub expected_match: bool,
}

impl std::fmt::Display for SelfTestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.expected_match {
            "example is not detected"
        } else {
            "negative example is detected"
        };
        write!(
            f,
            "{}: detector `{}`: {what}: {:?}",
            self.origin,
            self.detector,
            truncate(&self.example, 80)
        )
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(max).collect::<String>())
    }
}

/// Check every detector's examples; an empty result means all passed.
pub fn self_test(set: &DetectorSet) -> Vec<SelfTestFailure> {
    let mut scratch = Scratch::default();
    let mut failures = Vec::new();
    for (index, d) in set.detectors().iter().enumerate() {
        let (examples, negatives) = d.cases();
        let cases = examples
            .iter()
            .map(|e| (e, true))
            .chain(negatives.iter().map(|e| (e, false)));
        for (example, expected_match) in cases {
            if !d.magic.is_empty() {
                // Binary formats: the example is the file's first bytes, in hex.
                let bytes = super::magic::hex_bytes(example).unwrap_or_default();
                if (set.sniff(&bytes) == Some(index as u32)) != expected_match {
                    failures.push(SelfTestFailure {
                        detector: d.id.clone(),
                        origin: d.origin.clone(),
                        example: example.clone(),
                        expected_match,
                    });
                }
                continue;
            }
            set.find(example.as_bytes(), &mut scratch);
            // A vendor's published example is reported as an example, not as a credential:
            // for a negative example it counts as not detected. A value found under a
            // decoding layer (a percent-escaped signature in a URL) counts as found.
            let found = scratch
                .candidates
                .iter()
                .chain(&scratch.decoded_candidates)
                .any(|c| {
                    c.detector as usize == index && c.confidence > crate::model::Confidence::Example
                });
            if found != expected_match {
                failures.push(SelfTestFailure {
                    detector: d.id.clone(),
                    origin: d.origin.clone(),
                    example: example.clone(),
                    expected_match,
                });
            }
        }
    }
    failures
}
