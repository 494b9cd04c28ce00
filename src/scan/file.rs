//! Scanning one file: read in bounded chunks, sniff binary, find, locate, redact.
//!
//! Files are read into a per-thread buffer of at most [`CHUNK`] bytes; a larger file is
//! scanned chunk by chunk with an [`OVERLAP`] so a secret crossing a chunk boundary is seen
//! whole, and each match is owned by exactly one chunk. Memory per worker is therefore
//! bounded whatever the file size.

use super::cert::{self, CertificateInfo};
use super::redact::{self, Fingerprinter};
use crate::detect::validate::Validator;
use crate::detect::{DetectorSet, Scratch};
use crate::model::Confidence;
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
}

pub enum FileOutcome {
    Scanned { bytes: u64 },
    Binary,
}

/// Reusable per-thread state.
pub struct FileScanner<'a> {
    pub set: &'a DetectorSet,
    pub fingerprinter: &'a Fingerprinter,
    pub scratch: Scratch,
    pub buf: Vec<u8>,
}

impl<'a> FileScanner<'a> {
    pub fn new(set: &'a DetectorSet, fingerprinter: &'a Fingerprinter) -> Self {
        FileScanner {
            set,
            fingerprinter,
            scratch: Scratch::default(),
            buf: Vec::new(),
        }
    }

    pub fn scan_path(
        &mut self,
        path: &Path,
        display: &str,
        out: &mut FileFindings,
    ) -> io::Result<FileOutcome> {
        let file = File::open(path)?;
        self.scan_reader(file, display, out)
    }

    /// Scan everything `reader` yields; `display` is the path shown in findings.
    pub fn scan_reader<R: Read>(
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
            if first && is_binary(&self.buf) {
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
            };
            self.scan_chunk(&location, out);
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

    fn scan_chunk(&mut self, at: &ChunkLocation<'_>, out: &mut FileFindings) {
        self.set.find(&self.buf, &mut self.scratch);
        let mut counter = LineCounter::new(at.lines_before);
        for c in &self.scratch.candidates {
            if !at.owned.contains(&c.secret.start) {
                continue;
            }
            let (line, line_start) = counter.line_of(&self.buf, c.secret.start);
            if line_has_allow(&self.buf, line_start) {
                out.suppressed_inline += 1;
                continue;
            }
            let d = self.set.get(c.detector);
            if d.validator == Some(Validator::X509) {
                if let Some(info) = cert::parse_pem_block(&self.buf[c.whole.clone()]) {
                    out.certificates.push(CertificateMatch {
                        detector: c.detector,
                        path: at.display.to_string(),
                        line,
                        info,
                    });
                }
                continue;
            }
            let secret = &self.buf[c.secret.clone()];
            out.secrets.push(SecretMatch {
                detector: c.detector,
                path: at.display.to_string(),
                line,
                column: char_column(&self.buf[line_start..c.secret.start]),
                fingerprint: self.fingerprinter.fingerprint(secret),
                preview: redact::preview(secret),
                confidence: c.confidence,
                facts: crate::detect::decode::facts(&d.id, secret),
            });
        }
    }
}

struct ChunkLocation<'a> {
    display: &'a str,
    lines_before: u64,
    /// Candidates whose secret starts in this range belong to this chunk.
    owned: std::ops::Range<usize>,
}

/// Read until `buf` holds `cap` bytes or the reader is exhausted; true at end of input.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, cap: usize) -> io::Result<bool> {
    let want = cap - buf.len();
    let got = reader.take(want as u64).read_to_end(buf)?;
    Ok(got < want)
}

fn is_binary(buf: &[u8]) -> bool {
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
