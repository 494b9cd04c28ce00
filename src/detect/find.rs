//! Finding candidates in one buffer: prefilter, then confirm near each keyword hit (what is
//! found under a decoding layer is searched by [`super::rescan`]).
//!
//! The prefilter is a single Aho-Corasick pass over the buffer for every keyword of every
//! detector. Only the detectors whose keywords hit are confirmed, and only inside a window
//! around each hit, so the cost of 150+ regexes is paid where a credential can actually be.
//! All scratch space lives in [`Scratch`], owned by one worker thread and reused per file.

use super::validate::{Validator, Verdict};
use super::verdict::{Reason, Rejection, Rejections, confidence_of};
use super::{DEFAULT_LOOKBACK, DetectorSet, MAX_LINE, Span, Tier, escapes, filter};
use crate::model::{Confidence, Encoding};
use std::ops::Range;

/// One confirmed match, as byte offsets into the buffer that was searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub detector: u32,
    /// The `secret` group.
    pub secret: Range<usize>,
    /// The whole regex match (the PEM block for certificates).
    pub whole: Range<usize>,
    pub confidence: Confidence,
    pub reason: Reason,
    /// A generic match on a comment line: documentation, not configuration. (Only for
    /// generic matches: `//registry...` in `.npmrc` is no comment, and which marker
    /// starts a comment depends on the language.)
    pub in_comment: bool,
    /// Found under a decoding layer: `secret` and `whole` are offsets into
    /// `Scratch::decoded[layer.buffer]`, and `layer.outer` is the encoded run in the buffer.
    pub layer: Option<Layer>,
}

/// Where a decoded candidate came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub buffer: usize,
    /// The encoded run (base64), or the escaped value itself, in the searched buffer.
    pub outer: Range<usize>,
    pub encoding: Encoding,
}

/// Per-thread reusable state for [`DetectorSet::find`].
#[derive(Debug, Default)]
pub struct Scratch {
    /// Windows to confirm, per detector index; only `touched` entries are non-empty.
    pub(super) windows: Vec<Vec<Range<usize>>>,
    pub(super) touched: Vec<u32>,
    pub candidates: Vec<Candidate>,
    /// Candidates rejected since the scratch was made, by reason.
    pub rejected: Rejections,
    /// Base64 runs holding an encoded PEM header, decoded; candidates found inside them.
    pub decoded: Vec<Vec<u8>>,
    pub decoded_candidates: Vec<Candidate>,
    /// Offsets of encoded-PEM marker hits in the current buffer.
    pub(super) encoded_hits: Vec<usize>,
    /// Offsets of escape marker hits in the current buffer, with their escaping.
    pub(super) escaped_hits: Vec<(usize, Encoding)>,
    pub(super) unescape_map: Vec<usize>,
    /// The buffer says `kind: Secret`: its `data:` values are decoded under their keys.
    pub(super) secret_manifest: bool,
}

impl DetectorSet {
    /// Find every candidate in `buf`; results are left in `scratch.candidates`, sorted by
    /// position, with generic matches that overlap a specific one removed.
    pub fn find(&self, buf: &[u8], scratch: &mut Scratch) {
        scratch.decoded_candidates.clear();
        scratch.decoded.clear();
        self.find_plain(buf, scratch);
        if !scratch.escaped_hits.is_empty() {
            self.find_escaped(buf, scratch);
        }
        if !scratch.encoded_hits.is_empty() {
            self.find_encoded(buf, scratch);
        }
        if std::mem::take(&mut scratch.secret_manifest) {
            self.find_in_secret_manifest(buf, scratch);
        }
    }

    /// The first detector that finds a credential in `text` (a reference to a secret store
    /// does not count): for values copied out of a finding, such as a JWT's claims, which
    /// must not carry a secret into the report.
    pub fn secret_in(&self, text: &[u8]) -> Option<u32> {
        let mut scratch = Scratch::default();
        self.find(text, &mut scratch);
        scratch
            .candidates
            .iter()
            .chain(&scratch.decoded_candidates)
            .find(|c| !self.get(c.detector).is_reference())
            .map(|c| c.detector)
    }

    /// Candidates in `buf` itself, without decoding anything.
    pub(super) fn find_plain(&self, buf: &[u8], scratch: &mut Scratch) {
        scratch.candidates.clear();
        scratch.encoded_hits.clear();
        if scratch.windows.len() != self.len() {
            scratch.windows = vec![Vec::new(); self.len()];
        }
        self.collect_windows(buf, scratch);
        for i in 0..scratch.touched.len() {
            let detector = scratch.touched[i];
            let windows = std::mem::take(&mut scratch.windows[detector as usize]);
            self.confirm(
                detector,
                buf,
                &windows,
                &mut scratch.candidates,
                &mut scratch.rejected,
            );
            // Give the allocation back for the next buffer.
            scratch.windows[detector as usize] = windows;
            scratch.windows[detector as usize].clear();
        }
        scratch.touched.clear();
        resolve_overlaps(self, &mut scratch.candidates);
    }

    /// One prefilter pass; each keyword hit adds a window to every detector that owns the
    /// keyword, merged with that detector's previous window when they touch. A contextual
    /// trigger's line is searched once for provider names, each adding its rows' windows.
    fn collect_windows(&self, buf: &[u8], scratch: &mut Scratch) {
        let p = &self.prefilter;
        let mut line: Option<(usize, usize)> = None;
        // End of the last line searched for provider names.
        let mut names_searched_to = 0;
        p.first.for_each(buf, |pattern, hit_start, hit_end| {
            if p.base64_markers.contains(&pattern) {
                scratch.encoded_hits.push(hit_start);
                return;
            }
            if p.secret_manifest_markers.contains(&pattern) {
                scratch.secret_manifest = true;
                return;
            }
            if p.escape_markers.contains(&pattern) {
                let encoding = escapes::MARKERS[pattern - p.escape_markers.start].1;
                scratch.escaped_hits.push((hit_start, encoding));
                return;
            }
            let mut line_of_hit = || match line {
                // Consecutive hits on one line share its bounds.
                Some((s, e)) if s <= hit_start && hit_end <= e => (s, e),
                _ => {
                    let bounds = line_window(buf, hit_start, hit_end);
                    line = Some(bounds);
                    bounds
                }
            };
            if p.triggers.contains(&pattern) {
                if hit_start < names_searched_to {
                    return;
                }
                let (start, end) = line_of_hit();
                names_searched_to = end;
                p.names.for_each(&buf[start..end], |name, _, _| {
                    for &d in &p.name_owners[name] {
                        add_window(scratch, d, start, end);
                    }
                });
                return;
            }
            for &d in &p.owners[pattern] {
                let (start, end) = match self.get(d).span {
                    Span::Line => line_of_hit(),
                    Span::Bytes { lookback, window } => (
                        hit_start.saturating_sub(lookback),
                        extend_to_line_end(buf, hit_end.saturating_add(window)),
                    ),
                };
                add_window(scratch, d, start, end);
            }
        });
    }

    /// Run one detector's regex inside its windows and keep what passes the filters.
    fn confirm(
        &self,
        detector: u32,
        buf: &[u8],
        windows: &[Range<usize>],
        out: &mut Vec<Candidate>,
        rejected: &mut Rejections,
    ) {
        let d = self.get(detector);
        let regex = d.regex();
        let secret_group = d.secret_group();
        let mut locs = regex.capture_locations();
        for window in windows {
            // The haystack ends at the window but starts at the buffer start, so `\b` and
            // other look-around at the window start see the real preceding byte.
            let hay = &buf[..window.end];
            let mut at = window.start;
            while at < window.end {
                let Some(m) = regex.captures_read_at(&mut locs, hay, at) else {
                    break;
                };
                at = if m.end() > m.start() {
                    m.end()
                } else {
                    m.end() + 1
                };
                let Some((s, e)) = locs.get(secret_group) else {
                    continue;
                };
                let name = &buf[m.start()..s.max(m.start())];
                match self.judge(detector, buf, s..e, name) {
                    Ok((confidence, reason)) => out.push(Candidate {
                        detector,
                        secret: s..e,
                        whole: m.start()..m.end(),
                        confidence,
                        reason,
                        in_comment: d.generic && on_comment_line(buf, m.start()),
                        layer: None,
                    }),
                    Err(why) => rejected.add(why),
                }
            }
        }
    }

    /// Apply filters and the validator: the confidence and its reason, or why the
    /// candidate is no credential. `name` is what the regex matched before the secret (an
    /// assignment's key, a URL's scheme and user); generic detectors use it to skip
    /// metadata like `next_token`.
    fn judge(
        &self,
        detector: u32,
        buf: &[u8],
        span: Range<usize>,
        name: &[u8],
    ) -> Result<(Confidence, Reason), Rejection> {
        let d = self.get(detector);
        let secret = &buf[span.clone()];
        if secret.is_empty() {
            return Err(Rejection::Placeholder);
        }
        if d.is_reference() {
            return Ok((d.confidence, Reason::Reference));
        }
        // Published examples first: `AKIAIOSFODNN7EXAMPLE` is reported as an example,
        // not rejected as a placeholder.
        if let Some(i) = self.known_example(d, secret) {
            return Ok((Confidence::Example, Reason::KnownExample(i)));
        }
        if let Some(why) = filter::reject_any(secret) {
            return Err(why);
        }
        if !d.generic && inside_longer_run(buf, &span) {
            return Err(Rejection::Encoded);
        }
        if d.generic
            && let Some(why) = filter::reject_generic(secret)
        {
            return Err(why);
        }
        // A provider's name next to a value of its shape: the name must not say the value
        // is metadata (`SCRAPERAPI_ACCOUNT_ID`), and the value must not be made of words.
        if d.contextual.is_some() {
            if let Some(why) = filter::reject_contextual(secret) {
                return Err(why);
            }
            if filter::is_non_secret_name(name) {
                return Err(Rejection::Metadata);
            }
        }
        // Only `key = value` assignments have a meaningful name; a URI's user or a netrc host
        // may contain these words by accident.
        if d.generic && d.provider == "generic" && filter::is_non_secret_name(name) {
            return Err(Rejection::Metadata);
        }
        // `Confirm\ password=...`: a Java properties key with escaped spaces names a label
        // of translated text, not a setting.
        if d.generic && is_properties_label(buf, span.start) {
            return Err(Rejection::Metadata);
        }
        let entropy = filter::shannon_entropy(secret);
        if let Some(min) = d.entropy
            && entropy < min
        {
            return Err(Rejection::LowEntropy);
        }
        let reason = match d.validator.map(|v| (v, v.check(secret))) {
            None if d.generic => Reason::Generic {
                entropy_tenths: (entropy * 10.0).round() as u16,
            },
            None if d.contextual.is_some() => Reason::Context,
            None => Reason::Format,
            Some((Validator::Base62Crc32, Verdict::Valid)) => Reason::Checksum,
            Some((_, Verdict::Valid)) => Reason::Structure,
            Some((_, Verdict::ChecksumMismatch)) => Reason::ChecksumMismatch,
            Some((_, Verdict::Reject)) => return Err(Rejection::Structure),
            Some((_, Verdict::MadeUp)) => return Err(Rejection::WeakWord),
            Some((_, Verdict::Malformed)) => Reason::Malformed,
            Some((_, Verdict::Unknown)) => Reason::Format,
        };
        Ok((confidence_of(reason, d.confidence), reason))
    }
}

/// Add `start..end` to detector `d`'s windows, merged with its previous one when they touch
/// (hits arrive roughly in buffer order: by end from the DFA, within a few bytes of their
/// start from the literal filter; a window that arrives out of order overlaps the last
/// one, or at worst is searched on its own: nothing is missed or found twice).
fn add_window(scratch: &mut Scratch, d: u32, start: usize, end: usize) {
    let windows = &mut scratch.windows[d as usize];
    match windows.last_mut() {
        Some(last) if start <= last.end && last.start <= end => {
            last.start = last.start.min(start);
            last.end = last.end.max(end);
        }
        Some(_) => windows.push(start..end),
        None => {
            scratch.touched.push(d);
            windows.push(start..end);
        }
    }
}

/// A match whose value touches letters or digits on both sides is a piece of a longer run
/// (an image or certificate in base64, a hash), not a token of its own.
fn inside_longer_run(buf: &[u8], span: &Range<usize>) -> bool {
    let before = span.start.checked_sub(1).map(|i| buf[i]);
    let after = buf.get(span.end).copied();
    matches!((before, after), (Some(b), Some(a)) if b.is_ascii_alphanumeric() && a.is_ascii_alphanumeric())
}

/// True when the key before `at` on its line holds an escaped space (`a\ b=`).
fn is_properties_label(buf: &[u8], at: usize) -> bool {
    let start = memchr::memrchr(b'\n', &buf[..at]).map_or(0, |i| i + 1);
    let key_end = memchr::memchr(b'=', &buf[start..at]).map_or(at, |i| start + i);
    memchr::memmem::find(&buf[start..key_end], b"\\ ").is_some()
}

/// True when the line holding `at` starts (after indentation) with a comment marker.
fn on_comment_line(buf: &[u8], at: usize) -> bool {
    let start = memchr::memrchr(b'\n', &buf[..at]).map_or(0, |i| i + 1);
    let line = &buf[start..at];
    let text = match line.iter().position(|b| !b.is_ascii_whitespace()) {
        Some(i) => &line[i..],
        None => return false,
    };
    // `#define`, `#include`: C preprocessor lines are code, not comments.
    let preprocessor = [&b"#define"[..], b"#include", b"#if", b"#undef", b"#pragma"]
        .iter()
        .any(|p| text.starts_with(p));
    !preprocessor
        && [
            &b"#"[..],
            b"//",
            b"/*",
            b"* ",
            b"<!--",
            b"-- ",
            b";",
            b"rem ",
        ]
        .iter()
        .any(|m| text.starts_with(m))
}

/// The line around a hit, bounded so a minified file's single line is not searched whole.
pub(super) fn line_window(buf: &[u8], hit_start: usize, hit_end: usize) -> (usize, usize) {
    let floor = hit_start.saturating_sub(DEFAULT_LOOKBACK);
    let start = memchr::memrchr(b'\n', &buf[floor..hit_start]).map_or(floor, |i| floor + i + 1);
    let ceiling = hit_end.saturating_add(MAX_LINE).min(buf.len());
    let end = memchr::memchr(b'\n', &buf[hit_end..ceiling]).map_or(ceiling, |i| hit_end + i);
    (start, end)
}

fn extend_to_line_end(buf: &[u8], pos: usize) -> usize {
    if pos >= buf.len() {
        return buf.len();
    }
    let limit = (pos + MAX_LINE).min(buf.len());
    memchr::memchr(b'\n', &buf[pos..limit]).map_or(limit, |i| pos + i)
}

/// Drop exact duplicates and matches that overlap a match of a stronger tier (a generic
/// assignment loses to a provider's name and shape, which loses to a provider's format);
/// when two detectors report the same secret span, the stronger, then earlier-defined one
/// wins. One sort and a sweep per tier: a buffer dense with matches stays O(n log n).
fn resolve_overlaps(set: &DetectorSet, candidates: &mut Vec<Candidate>) {
    if candidates.len() < 2 {
        return;
    }
    let tier = |c: &Candidate| set.get(c.detector).tier();
    candidates.sort_by_key(|c| (c.secret.start, c.secret.end, tier(c), c.detector));
    // Spans of the stronger tiers in start order, with the furthest end among each prefix:
    // a span [s, e) overlaps one iff some start < e has its end > s.
    let stronger = |than: Tier| {
        let mut starts: Vec<usize> = Vec::new();
        let mut furthest_end: Vec<usize> = Vec::new();
        for c in candidates.iter().filter(|c| tier(c) < than) {
            starts.push(c.secret.start);
            let end = furthest_end.last().copied().unwrap_or(0).max(c.secret.end);
            furthest_end.push(end);
        }
        (starts, furthest_end)
    };
    let than_contextual = stronger(Tier::Contextual);
    let than_generic = stronger(Tier::Generic);
    let overlaps = |(starts, furthest_end): &(Vec<usize>, Vec<usize>), span: &Range<usize>| {
        let before_end = starts.partition_point(|&s| s < span.end);
        before_end > 0 && furthest_end[before_end - 1] > span.start
    };
    let mut kept: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for c in candidates.drain(..) {
        if kept.last().is_some_and(|k| k.secret == c.secret) {
            continue;
        }
        let beaten = match tier(&c) {
            Tier::Format => false,
            Tier::Contextual => overlaps(&than_contextual, &c.secret),
            Tier::Generic => overlaps(&than_generic, &c.secret),
        };
        if !beaten {
            kept.push(c);
        }
    }
    *candidates = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSource;
    use crate::detect::stages::FirstStage;

    /// The pairwise rule the sweep must give the same answer as.
    fn resolve_pairwise(set: &DetectorSet, mut candidates: Vec<Candidate>) -> Vec<Range<usize>> {
        candidates.sort_by_key(|c| {
            (
                c.secret.start,
                c.secret.end,
                set.get(c.detector).generic,
                c.detector,
            )
        });
        let specific: Vec<Range<usize>> = candidates
            .iter()
            .filter(|c| !set.get(c.detector).generic)
            .map(|c| c.secret.clone())
            .collect();
        let mut kept: Vec<Candidate> = Vec::new();
        for c in candidates {
            if kept.last().is_some_and(|k| k.secret == c.secret) {
                continue;
            }
            let generic = set.get(c.detector).generic;
            if generic
                && specific
                    .iter()
                    .any(|r| r.start < c.secret.end && c.secret.start < r.end)
            {
                continue;
            }
            kept.push(c);
        }
        kept.into_iter().map(|c| c.secret).collect()
    }

    #[test]
    fn overlap_resolution_by_sweep_matches_the_pairwise_rule() {
        let set = DetectorSet::compile(&DetectorSource::embedded()).unwrap();
        let generic = (0..set.len() as u32).find(|&i| set.get(i).generic).unwrap();
        let specific = (0..set.len() as u32)
            .find(|&i| !set.get(i).generic)
            .unwrap();
        // A deterministic pseudo-random mix of overlapping spans of both kinds.
        let mut seed = 0x2545_f491_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        for _ in 0..200 {
            let count = 1 + next(60);
            let candidates: Vec<Candidate> = (0..count)
                .map(|_| {
                    let start = next(300);
                    let end = start + 1 + next(40);
                    Candidate {
                        detector: if next(2) == 0 { generic } else { specific },
                        secret: start..end,
                        whole: start..end,
                        confidence: Confidence::Low,
                        reason: Reason::Format,
                        in_comment: false,
                        layer: None,
                    }
                })
                .collect();
            let expected = resolve_pairwise(&set, candidates.clone());
            let mut swept = candidates;
            resolve_overlaps(&set, &mut swept);
            let got: Vec<Range<usize>> = swept.into_iter().map(|c| c.secret).collect();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn the_first_stage_finds_the_same_before_and_after_its_dfa_is_built() {
        let set = DetectorSet::compile(&DetectorSource::embedded()).unwrap();
        let text = set.all_cases();
        assert!(
            (text.len() as u64) < FirstStage::DFA_AFTER,
            "the literal search must run first"
        );
        let found = |set: &DetectorSet| {
            let mut scratch = Scratch::default();
            set.find(text.as_bytes(), &mut scratch);
            let mut all: Vec<(u32, Range<usize>)> = scratch
                .candidates
                .iter()
                .chain(&scratch.decoded_candidates)
                .map(|c| (c.detector, c.secret.clone()))
                .collect();
            all.sort_by_key(|(d, r)| (r.start, r.end, *d));
            all
        };
        let on_literals = found(&set);
        assert!(set.prefilter.first.dfa.get().is_none());
        set.prefilter.first.dfa_for(FirstStage::DFA_AFTER as usize);
        assert!(
            set.prefilter.first.dfa.get().is_some(),
            "the DFA was not built"
        );
        let on_dfa = found(&set);
        assert!(
            on_literals.len() > 3000,
            "only {} candidates",
            on_literals.len()
        );
        assert_eq!(on_literals, on_dfa);
    }
}
