//! Searching again under a decoding layer: base64 runs that hold a token prefix or a PEM
//! header, lines holding JSON/YAML or percent escapes, and the `data:` values of a
//! Kubernetes Secret manifest. Each decodes (one layer deep), runs the plain search of
//! [`super::find`] on the decoded bytes, and records where the decoded bytes sit in the
//! buffer, so a value is reported at its place on disk and fingerprinted as decoded.

use super::find::{Candidate, Layer, Scratch, line_window};
use super::{DetectorSet, escapes, layers, manifest};
use crate::model::Encoding;
use std::ops::Range;

impl DetectorSet {
    /// Look inside every base64 run that holds an encoded PEM header (one layer deep).
    pub(super) fn find_encoded(&self, buf: &[u8], scratch: &mut Scratch) {
        let hits = std::mem::take(&mut scratch.encoded_hits);
        let outer = std::mem::take(&mut scratch.candidates);
        let mut last_run_end = 0;
        for hit in hits {
            if hit < last_run_end {
                continue; // the same run, already decoded
            }
            let run = layers::run_around(buf, hit);
            last_run_end = run.end;
            // A detector of the encoded form already reports this run (a kubeconfig's
            // `client-key-data`): the key is that finding, not a second one.
            let covered = outer.iter().any(|c| {
                !self.get(c.detector).generic
                    && c.secret.start <= run.start
                    && run.end <= c.secret.end
            });
            if covered {
                continue;
            }
            let mut decoded = Vec::new();
            layers::decode(&buf[run.clone()], &mut decoded);
            self.find_plain(&decoded, scratch);
            scratch.encoded_hits.clear();
            scratch.escaped_hits.clear();
            let buffer = scratch.decoded.len();
            for mut c in scratch.candidates.drain(..) {
                c.layer = Some(Layer {
                    buffer,
                    outer: run.clone(),
                    encoding: Encoding::Base64,
                });
                scratch.decoded_candidates.push(c);
            }
            scratch.decoded.push(decoded);
        }
        scratch.candidates = outer;
    }

    /// Search every line holding an escape marker once more, unescaped (one layer deep).
    /// A value whose bytes on disk held an escape is kept under its layer and replaces
    /// whatever the plain search made of the same bytes; one without any escape was already
    /// found in plain.
    pub(super) fn find_escaped(&self, buf: &[u8], scratch: &mut Scratch) {
        let hits = std::mem::take(&mut scratch.escaped_hits);
        let encoded_hits = std::mem::take(&mut scratch.encoded_hits);
        let mut outer = std::mem::take(&mut scratch.candidates);
        let mut map = std::mem::take(&mut scratch.unescape_map);
        let mut found: Vec<Candidate> = Vec::new();
        let mut searched: Option<(usize, Encoding)> = None;
        for (hit, encoding) in hits {
            if searched.is_some_and(|(end, e)| hit < end && e == encoding) {
                continue; // this line was already unescaped this way
            }
            let (start, end) = line_window(buf, hit, hit + 1);
            searched = Some((end, encoding));
            let mut unescaped = Vec::new();
            escapes::unescape(encoding, &buf[start..end], &mut unescaped, &mut map);
            self.find_plain(&unescaped, scratch);
            scratch.encoded_hits.clear();
            scratch.escaped_hits.clear();
            let buffer = scratch.decoded.len();
            let before = found.len();
            for mut c in scratch.candidates.drain(..) {
                let on_disk = start + map[c.secret.start]..start + map[c.secret.end];
                if on_disk.len() == c.secret.len() {
                    continue;
                }
                c.layer = Some(Layer {
                    buffer,
                    outer: on_disk,
                    encoding,
                });
                found.push(c);
            }
            if found.len() > before {
                scratch.decoded.push(unescaped);
            }
        }
        outer.retain(|c| {
            !found.iter().any(|f| {
                f.layer
                    .as_ref()
                    .is_some_and(|l| l.outer.start < c.secret.end && c.secret.start < l.outer.end)
            })
        });
        scratch.candidates = outer;
        scratch.decoded_candidates.extend(found);
        scratch.encoded_hits = encoded_hits;
        scratch.unescape_map = map;
    }

    /// Decode each `data:` value of a Kubernetes Secret manifest and search it under its
    /// key (see [`manifest`]). A value decoded to text is judged by what it decodes to: a
    /// generic match on its encoded spelling is dropped, a format match on it (a detector
    /// of the encoded form) stays, and a value the token markers already decoded is not
    /// decoded twice.
    pub(super) fn find_in_secret_manifest(&self, buf: &[u8], scratch: &mut Scratch) {
        let mut outer = std::mem::take(&mut scratch.candidates);
        let mut decoded = Vec::new();
        for entry in manifest::data_entries(buf) {
            let overlaps =
                |r: &Range<usize>| r.start < entry.value.end && entry.value.start < r.end;
            let done = scratch
                .decoded_candidates
                .iter()
                .any(|c| c.layer.as_ref().is_some_and(|l| overlaps(&l.outer)));
            if done {
                continue;
            }
            layers::decode(&buf[entry.value.clone()], &mut decoded);
            let Some(text) = manifest::searchable(buf, &entry, &decoded) else {
                continue;
            };
            outer.retain(|c| !(self.get(c.detector).generic && overlaps(&c.secret)));
            self.find_plain(&text, scratch);
            scratch.encoded_hits.clear();
            scratch.escaped_hits.clear();
            scratch.secret_manifest = false;
            if scratch.candidates.is_empty() {
                continue;
            }
            let buffer = scratch.decoded.len();
            for mut c in scratch.candidates.drain(..) {
                c.layer = Some(Layer {
                    buffer,
                    outer: entry.value.clone(),
                    encoding: Encoding::Base64,
                });
                scratch.decoded_candidates.push(c);
            }
            scratch.decoded.push(text);
        }
        scratch.candidates = outer;
    }
}
