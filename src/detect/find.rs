//! Finding candidates in one buffer: prefilter, then confirm near each keyword hit.
//!
//! The prefilter is a single Aho-Corasick pass over the buffer for every keyword of every
//! detector. Only the detectors whose keywords hit are confirmed, and only inside a window
//! around each hit, so the cost of 150+ regexes is paid where a credential can actually be.
//! All scratch space lives in [`Scratch`], owned by one worker thread and reused per file.

use super::validate::Verdict;
use super::{DEFAULT_LOOKBACK, DetectorSet, MAX_LINE, Span, filter};
use crate::model::Confidence;
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
}

/// Per-thread reusable state for [`DetectorSet::find`].
#[derive(Debug, Default)]
pub struct Scratch {
    /// Windows to confirm, per detector index; only `touched` entries are non-empty.
    windows: Vec<Vec<Range<usize>>>,
    touched: Vec<u32>,
    pub candidates: Vec<Candidate>,
}

impl DetectorSet {
    /// Find every candidate in `buf`; results are left in `scratch.candidates`, sorted by
    /// position, with generic matches that overlap a specific one removed.
    pub fn find(&self, buf: &[u8], scratch: &mut Scratch) {
        scratch.candidates.clear();
        if scratch.windows.len() != self.len() {
            scratch.windows = vec![Vec::new(); self.len()];
        }
        self.collect_windows(buf, scratch);
        for i in 0..scratch.touched.len() {
            let detector = scratch.touched[i];
            let windows = std::mem::take(&mut scratch.windows[detector as usize]);
            self.confirm(detector, buf, &windows, &mut scratch.candidates);
            // Give the allocation back for the next buffer.
            scratch.windows[detector as usize] = windows;
            scratch.windows[detector as usize].clear();
        }
        scratch.touched.clear();
        resolve_overlaps(self, &mut scratch.candidates);
    }

    /// One prefilter pass; each keyword hit adds a window to every detector that owns the
    /// keyword, merged with that detector's previous window when they touch.
    fn collect_windows(&self, buf: &[u8], scratch: &mut Scratch) {
        let mut line: Option<(usize, usize)> = None;
        for m in self.prefilter.find_overlapping_iter(buf) {
            let (hit_start, hit_end) = (m.start(), m.end());
            for &d in &self.keyword_owners[m.pattern().as_usize()] {
                let (start, end) = match self.get(d).span {
                    Span::Line => match line {
                        // Consecutive hits on one line share its bounds.
                        Some((s, e)) if s <= hit_start && hit_end <= e => (s, e),
                        _ => {
                            let bounds = line_window(buf, hit_start, hit_end);
                            line = Some(bounds);
                            bounds
                        }
                    },
                    Span::Bytes { lookback, window } => (
                        hit_start.saturating_sub(lookback),
                        extend_to_line_end(buf, hit_end.saturating_add(window)),
                    ),
                };
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
        }
    }

    /// Run one detector's regex inside its windows and keep what passes the filters.
    fn confirm(
        &self,
        detector: u32,
        buf: &[u8],
        windows: &[Range<usize>],
        out: &mut Vec<Candidate>,
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
                if let Some(confidence) = self.judge(detector, &buf[s..e], name) {
                    out.push(Candidate {
                        detector,
                        secret: s..e,
                        whole: m.start()..m.end(),
                        confidence,
                    });
                }
            }
        }
    }

    /// Apply filters and the validator; `None` drops the candidate.
    /// `name` is what the regex matched before the secret (an assignment's key, a URL's
    /// scheme and user); generic detectors use it to skip metadata like `next_token`.
    fn judge(&self, detector: u32, secret: &[u8], name: &[u8]) -> Option<Confidence> {
        let d = self.get(detector);
        if secret.is_empty() || filter::is_placeholder(secret) {
            return None;
        }
        if d.generic && filter::is_generic_non_secret(secret) {
            return None;
        }
        // Only `key = value` assignments have a meaningful name; a URI's user or a netrc host
        // may contain these words by accident.
        if d.generic && d.provider == "generic" && filter::is_non_secret_name(name) {
            return None;
        }
        if let Some(min) = d.entropy
            && filter::shannon_entropy(secret) < min
        {
            return None;
        }
        match d.validator.map(|v| v.check(secret)) {
            None => Some(d.confidence),
            Some(Verdict::Valid) => Some(Confidence::High),
            Some(Verdict::ChecksumMismatch) => Some(Confidence::Low),
            Some(Verdict::Reject) => None,
        }
    }
}

/// The line around a hit, bounded so a minified file's single line is not searched whole.
fn line_window(buf: &[u8], hit_start: usize, hit_end: usize) -> (usize, usize) {
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

/// Drop exact duplicates and generic matches that overlap a specific match; when two
/// detectors report the same secret span, the earlier-defined specific detector wins.
fn resolve_overlaps(set: &DetectorSet, candidates: &mut Vec<Candidate>) {
    if candidates.len() < 2 {
        return;
    }
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
    let mut kept: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for c in candidates.drain(..) {
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
    *candidates = kept;
}
