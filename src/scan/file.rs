//! Scanning one file: read in bounded chunks, sniff binary, find, locate, redact.
//!
//! Files are read into a per-thread buffer of at most [`CHUNK`] bytes; a larger file is
//! scanned chunk by chunk with an [`OVERLAP`] so a secret crossing a chunk boundary is seen
//! whole, and each match is owned by exactly one chunk. Memory per worker is therefore
//! bounded whatever the file size.

use super::cert::{self, CertificateInfo};
use super::redact::{self, Fingerprinter};
use super::utf16;
use crate::detect::validate::{Validator, Verdict};
use crate::detect::{Candidate, DetectorSet, Reason, Rejections, Scratch};
use crate::model::{Confidence, Encoding};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Largest slice of a file searched at once.
pub const CHUNK: usize = 8 * 1024 * 1024;
/// Bytes after a chunk's owned region that it may still read, so a match starting just
/// before the boundary is seen whole; longer than any detector window.
pub const OVERLAP: usize = 64 * 1024;
/// Bytes before a chunk's owned region kept as context, so a match is never cut at its start.
const CONTEXT: usize = 4096;
/// A NUL byte in this many leading bytes marks a file as binary (as git and ripgrep do).
const BINARY_SNIFF: usize = 8 * 1024;
/// Secrets reported from one file (or blob, or stream) at most; a file with more is a dump
/// or a word list, and the rest are counted in [`FileFindings::capped`] instead of held.
pub const MAX_SECRETS_PER_FILE: usize = 1000;
/// Marker that suppresses every match on its line.
pub const INLINE_ALLOW: &[u8] = b"nhiscan:allow";

/// A secret found in a file, already redacted.
#[derive(Debug, Clone)]
pub struct SecretMatch {
    pub detector: u32,
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub fingerprint: String,
    pub preview: String,
    pub confidence: Confidence,
    /// Why that confidence (checksum, provider format, generic assignment, example).
    pub reason: Reason,
    /// A generic match on a comment line: documentation rather than configuration.
    pub in_comment: bool,
    /// For a reference to a secret store: the secret's name there (not a value).
    pub reference: Option<String>,
    /// Decoding layers the value was found under (`base64`), outermost first.
    pub layers: Vec<Encoding>,
    /// Facts the format gives away (AWS account id, JWT claims); never the value.
    pub facts: Vec<crate::detect::decode::Fact>,
}

/// A certificate found in a file.
#[derive(Debug, Clone)]
pub struct CertificateMatch {
    pub detector: u32,
    pub path: String,
    pub line: u64,
    pub info: CertificateInfo,
}

/// What scanning one file produced, appended to the worker's output.
#[derive(Debug, Default)]
pub struct FileFindings {
    pub secrets: Vec<SecretMatch>,
    pub certificates: Vec<CertificateMatch>,
    pub suppressed_inline: u64,
    /// Candidates the detectors rejected, by reason.
    pub rejected: Rejections,
    /// Files with more than [`MAX_SECRETS_PER_FILE`] secrets: (path, secrets not reported).
    pub capped: Vec<(String, u64)>,
}

pub enum FileOutcome {
    Scanned {
        bytes: u64,
    },
    /// The input held more than the limit: its first `bytes` were scanned.
    Truncated {
        bytes: u64,
    },
    Binary,
}

/// Reusable per-thread state.
pub struct FileScanner<'a> {
    pub set: &'a DetectorSet,
    pub fingerprinter: &'a Fingerprinter,
    pub scratch: Scratch,
    pub buf: Vec<u8>,
    /// Secrets reported from the current file, and those over the cap.
    reported: std::cell::Cell<usize>,
    over_cap: std::cell::Cell<u64>,
}

impl<'a> FileScanner<'a> {
    pub fn new(set: &'a DetectorSet, fingerprinter: &'a Fingerprinter) -> Self {
        FileScanner {
            set,
            fingerprinter,
            scratch: Scratch::default(),
            buf: Vec::new(),
            reported: std::cell::Cell::new(0),
            over_cap: std::cell::Cell::new(0),
        }
    }

    /// Scan at most `limit` bytes of the file at `path` (a file that grows while it is read,
    /// or a stream, stops there and is [`FileOutcome::Truncated`]).
    pub fn scan_path(
        &mut self,
        path: &Path,
        display: &str,
        limit: u64,
        out: &mut FileFindings,
    ) -> io::Result<FileOutcome> {
        let mut file = File::open(path)?;
        let outcome = self.scan_reader((&mut file).take(limit), display, out)?;
        match outcome {
            FileOutcome::Scanned { bytes } if bytes == limit && has_more(&mut file)? => {
                Ok(FileOutcome::Truncated { bytes })
            }
            other => Ok(other),
        }
    }

    /// Scan everything `reader` yields; `display` is the path shown in findings.
    pub fn scan_reader<R: Read>(
        &mut self,
        reader: R,
        display: &str,
        out: &mut FileFindings,
    ) -> io::Result<FileOutcome> {
        self.one_input(display, out, |scanner, out| {
            scanner.scan_chunks(reader, display, out)
        })
    }

    /// Scan bytes already in memory (a git blob, standard input): in place when they fit
    /// one chunk, which is what a blob almost always does, instead of copied into the
    /// scanner's buffer as [`FileScanner::scan_reader`] would.
    pub fn scan_bytes(
        &mut self,
        data: &[u8],
        display: &str,
        out: &mut FileFindings,
    ) -> io::Result<FileOutcome> {
        // An input of exactly one chunk is streamed too: the reader learns its end only
        // from a second, empty read, so it is scanned as two chunks there.
        if data.len() >= CHUNK || utf16::detect(data).is_some() {
            return self.scan_reader(data, display, out);
        }
        self.one_input(display, out, |scanner, out| {
            if is_binary(data) {
                scanner.sniff_binary(data, display, out);
                return Ok(FileOutcome::Binary);
            }
            let location = ChunkLocation {
                display,
                lines_before: 0,
                owned: 0..data.len(),
                layer: None,
            };
            scanner.scan_chunk(data, &location, out);
            Ok(FileOutcome::Scanned {
                bytes: data.len() as u64,
            })
        })
    }

    /// One input's scan, with the per-input counters reset first and the values it found
    /// over the per-file cap recorded after.
    fn one_input(
        &mut self,
        display: &str,
        out: &mut FileFindings,
        scan: impl FnOnce(&mut Self, &mut FileFindings) -> io::Result<FileOutcome>,
    ) -> io::Result<FileOutcome> {
        self.reported.set(0);
        self.over_cap.set(0);
        let outcome = scan(self, out);
        if self.over_cap.get() > 0 {
            out.capped.push((display.to_string(), self.over_cap.get()));
        }
        outcome
    }

    fn scan_chunks<R: Read>(
        &mut self,
        mut reader: R,
        display: &str,
        out: &mut FileFindings,
    ) -> io::Result<FileOutcome> {
        let mut total: u64 = 0;
        let mut first = true;
        let mut lines_before: u64 = 0; // newlines before buf[0]
        let mut owned_start = 0usize; // earlier bytes in buf belong to the previous chunk
        self.buf.clear();
        loop {
            let before = self.buf.len();
            let eof = fill(&mut reader, &mut self.buf, CHUNK)?;
            total += (self.buf.len() - before) as u64;
            if first && let Some(order) = utf16::detect(&self.buf) {
                return self.scan_utf16(reader, order, total, display, out);
            }
            if first && is_binary(&self.buf) {
                self.sniff_binary(&self.buf, display, out);
                return Ok(FileOutcome::Binary);
            }
            first = false;
            let owned_end = if eof {
                self.buf.len()
            } else {
                self.buf.len() - OVERLAP
            };
            let location = ChunkLocation {
                display,
                lines_before,
                owned: owned_start..owned_end,
                layer: None,
            };
            let buf = std::mem::take(&mut self.buf);
            self.scan_chunk(&buf, &location, out);
            self.buf = buf;
            if eof {
                return Ok(FileOutcome::Scanned { bytes: total });
            }
            // Keep some bytes before the next owned region as context for look-behind.
            let drop = owned_end - CONTEXT.min(owned_end);
            lines_before += memchr::memchr_iter(b'\n', &self.buf[..drop]).count() as u64;
            self.buf.drain(..drop);
            owned_start = owned_end - drop;
        }
    }

    /// A UTF-16 text: the rest of it read (the caller bounds the reader), transcoded to
    /// UTF-8 and scanned as one buffer, every match marked as found under `utf-16`.
    fn scan_utf16<R: Read>(
        &mut self,
        mut reader: R,
        order: utf16::ByteOrder,
        read_so_far: u64,
        display: &str,
        out: &mut FileFindings,
    ) -> io::Result<FileOutcome> {
        // Rare enough that the raw bytes need no buffer kept across files.
        let mut raw = std::mem::take(&mut self.buf);
        let total = read_so_far + reader.read_to_end(&mut raw)? as u64;
        utf16::transcode(&raw, order, &mut self.buf);
        let location = ChunkLocation {
            display,
            lines_before: 0,
            owned: 0..self.buf.len(),
            layer: Some(Encoding::Utf16),
        };
        let buf = std::mem::take(&mut self.buf);
        self.scan_chunk(&buf, &location, out);
        self.buf = buf;
        self.buf.clear();
        Ok(FileOutcome::Scanned { bytes: total })
    }

    /// Scan `buf` (the scanner's own buffer, or bytes already in memory).
    fn scan_chunk(&mut self, buf: &[u8], at: &ChunkLocation<'_>, out: &mut FileFindings) {
        self.set.find(buf, &mut self.scratch);
        out.rejected.merge(&self.scratch.rejected);
        self.scratch.rejected = Rejections::default();
        let mut counter = LineCounter::new(at.lines_before);
        let candidates = std::mem::take(&mut self.scratch.candidates);
        for c in &candidates {
            self.record(buf, c, at, &mut counter, out);
        }
        self.scratch.candidates = candidates;
        // Values under a decoding layer are reported at the encoded run, in order.
        let mut decoded = std::mem::take(&mut self.scratch.decoded_candidates);
        decoded.sort_by_key(|c| c.layer.as_ref().map_or(0, |l| l.outer.start));
        for c in &decoded {
            self.record(buf, c, at, &mut counter, out);
        }
        self.scratch.decoded_candidates = decoded;
    }

    /// A binary file is not searched, but a keystore is recognised by its first bytes and
    /// reported for the whole file (line 0), fingerprinted by its content.
    fn sniff_binary(&self, buf: &[u8], display: &str, out: &mut FileFindings) {
        let Some(detector) = self.set.sniff(buf) else {
            return;
        };
        let d = self.set.get(detector);
        let (confidence, reason) = match d.validator.map(|v| v.check(buf)) {
            None | Some(Verdict::Unknown) => (d.confidence, Reason::Format),
            Some(Verdict::Valid) => (d.confidence, Reason::Structure),
            Some(Verdict::Malformed) => (crate::model::Confidence::Low, Reason::Malformed),
            // A truststore: certificates only, nothing secret.
            Some(_) => {
                out.rejected.add(crate::detect::Rejection::Structure);
                return;
            }
        };
        out.secrets.push(SecretMatch {
            detector,
            path: display.to_string(),
            line: 0,
            column: 0,
            fingerprint: self.fingerprinter.fingerprint(buf),
            preview: "(binary)".to_string(),
            confidence,
            reason,
            in_comment: false,
            reference: None,
            layers: Vec::new(),
            facts: Vec::new(),
        });
    }

    /// Turn one candidate into a redacted match (or a certificate) at its line.
    fn record(
        &self,
        buf: &[u8],
        c: &Candidate,
        at: &ChunkLocation<'_>,
        counter: &mut LineCounter,
        out: &mut FileFindings,
    ) {
        // Where the value sits in the file: the match, or the encoded run it was inside.
        let (place, bytes, mut layers): (usize, &[u8], Vec<Encoding>) = match &c.layer {
            Some(l) => (
                l.outer.start,
                self.scratch.decoded[l.buffer].as_slice(),
                vec![l.encoding],
            ),
            None => (c.secret.start, buf, Vec::new()),
        };
        if let Some(outer) = at.layer {
            layers.insert(0, outer);
        }
        if !at.owned.contains(&place) {
            return;
        }
        let (line, line_start) = counter.line_of(buf, place);
        if line_has_allow(buf, line_start) {
            out.suppressed_inline += 1;
            return;
        }
        let d = self.set.get(c.detector);
        if d.validator == Some(Validator::X509) {
            if let Some(info) = cert::parse_pem_block(&bytes[c.whole.clone()]) {
                out.certificates.push(CertificateMatch {
                    detector: c.detector,
                    path: at.display.to_string(),
                    line,
                    info,
                });
            }
            return;
        }
        if self.reported.get() >= MAX_SECRETS_PER_FILE {
            self.over_cap.set(self.over_cap.get() + 1);
            return;
        }
        self.reported.set(self.reported.get() + 1);
        let secret = &bytes[c.secret.clone()];
        let canonical = d.canonical(secret);
        let fingerprint = self.fingerprinter.fingerprint(&canonical);
        if self.set.keeps_values(d) {
            self.fingerprinter
                .keep(&d.id, &fingerprint, &canonical, at.display, line);
            if self
                .set
                .live_check(d)
                .is_some_and(|c| c.scheme.needs_document())
            {
                self.fingerprinter.keep_document(&fingerprint, bytes);
            }
        }
        out.secrets.push(SecretMatch {
            detector: c.detector,
            path: at.display.to_string(),
            line,
            column: char_column(&buf[line_start..place]),
            fingerprint,
            preview: redact::preview(&canonical),
            confidence: c.confidence,
            reason: c.reason,
            in_comment: c.in_comment,
            reference: d
                .is_reference()
                .then(|| String::from_utf8_lossy(secret).into_owned()),
            layers,
            facts: self.facts(d, secret, &canonical),
        });
    }
}

impl FileScanner<'_> {
    /// The value's facts, and the keyed hashes that link a value to what a provider lists
    /// of it: a GitHub token's last eight characters (a SAML-authorised credential), an
    /// Entra client secret's first three (its `hint`).
    fn facts(
        &self,
        d: &crate::detect::Detector,
        secret: &[u8],
        canonical: &[u8],
    ) -> Vec<crate::detect::decode::Fact> {
        let mut facts = self.safe_facts(&d.id, secret);
        if d.provider == "github" && d.kind != "client-secret" && canonical.len() > 16 {
            let last8 = &canonical[canonical.len() - 8..];
            facts.push((
                crate::model::attr::TOKEN_LAST_EIGHT.to_string(),
                self.fingerprinter.fingerprint(last8),
            ));
        }
        // An Entra client secret: Graph lists its credentials with the first three
        // characters as `hint`.
        if d.provider == "azure" && d.kind == "client-secret" && canonical.len() > 16 {
            facts.push((
                crate::model::attr::AZURE_SECRET_HINT.to_string(),
                self.fingerprinter.fingerprint(&canonical[..3]),
            ));
        }
        facts
    }

    /// The facts a value's format gives away, each withheld when it holds a secret itself
    /// (a JWT whose `sub` claim carries an API key).
    fn safe_facts(&self, detector_id: &str, secret: &[u8]) -> Vec<crate::detect::decode::Fact> {
        let mut facts = crate::detect::decode::facts(detector_id, secret);
        for (_, value) in &mut facts {
            if let Some(inner) = self.set.secret_in(value.as_bytes()) {
                *value = format!("(withheld: holds a {} value)", self.set.get(inner).name);
            }
        }
        facts
    }
}

struct ChunkLocation<'a> {
    display: &'a str,
    lines_before: u64,
    /// Candidates whose secret starts in this range belong to this chunk.
    owned: std::ops::Range<usize>,
    /// The layer the whole buffer was decoded from (a UTF-16 file), if any.
    layer: Option<Encoding>,
}

/// True when `reader` has at least one more byte.
fn has_more<R: Read>(reader: &mut R) -> io::Result<bool> {
    let mut byte = [0u8; 1];
    loop {
        match reader.read(&mut byte) {
            Ok(n) => return Ok(n > 0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Read until `buf` holds `cap` bytes or the reader is exhausted; true at end of input.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, cap: usize) -> io::Result<bool> {
    let want = cap - buf.len();
    let got = reader.take(want as u64).read_to_end(buf)?;
    Ok(got < want)
}

/// A NUL byte in the first [`BINARY_SNIFF`] bytes: binary, as git and ripgrep decide.
pub fn is_binary(buf: &[u8]) -> bool {
    memchr::memchr(0, &buf[..buf.len().min(BINARY_SNIFF)]).is_some()
}

/// 1-based column in characters (UTF-8 continuation bytes do not count).
fn char_column(prefix: &[u8]) -> u64 {
    prefix.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64 + 1
}

fn line_has_allow(buf: &[u8], line_start: usize) -> bool {
    let end = memchr::memchr(b'\n', &buf[line_start..]).map_or(buf.len(), |i| line_start + i);
    memchr::memmem::find(&buf[line_start..end], INLINE_ALLOW).is_some()
}

/// Line numbers for increasing offsets, counting each byte once.
struct LineCounter {
    pos: usize,
    line: u64,
    line_start: usize,
}

impl LineCounter {
    fn new(lines_before: u64) -> Self {
        LineCounter {
            pos: 0,
            line: lines_before + 1,
            line_start: 0,
        }
    }

    /// 1-based line of `offset` and the offset where that line starts.
    fn line_of(&mut self, buf: &[u8], offset: usize) -> (u64, usize) {
        if offset < self.pos {
            // Candidates are sorted by start, but be correct if they are not.
            let line_start = memchr::memrchr(b'\n', &buf[..offset]).map_or(0, |i| i + 1);
            let line = memchr::memchr_iter(b'\n', &buf[..offset]).count() as u64
                + (self.line - memchr::memchr_iter(b'\n', &buf[..self.pos]).count() as u64);
            return (line, line_start);
        }
        for i in memchr::memchr_iter(b'\n', &buf[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + i + 1;
        }
        self.pos = offset;
        (self.line, self.line_start)
    }
}

#[cfg(test)]
mod tests;
