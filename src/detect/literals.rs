//! Every occurrence of every keyword in a buffer, ASCII case ignored, overlapping
//! occurrences included (what an Aho-Corasick automaton with standard, overlapping match
//! semantics reports, in a different order). The first stage starts on it, and the
//! contextual rows' provider names are one of their own.
//!
//! Why: it is what a scan starts on (see [`super::stages::FirstStage`]). An Aho-Corasick
//! NFA took 2.3 ms to build for the built-in keywords and searched real code at 11 ns a
//! byte on the CI machine; this builds in 0.1 ms and searches at 3.5 to 6 ns a byte. The
//! DFA, 8 ms to build, searches at 3.4 ns a byte on any text: one dependent table load
//! per byte. The filter below is as fast where keywords are rare, and slower where they
//! are dense (verifying), so the DFA takes over once a scan has read enough to pay for it.
//!
//! How: a bucketed shift-or filter over *super-characters*, pairs of adjacent bytes
//! hashed to 12 bits, in the manner of Hyperscan's FDR. Each keyword belongs to one of 8
//! buckets (a bit in each byte lane of a 64-bit state) and is described by its first `k`
//! super-characters (`k` is 1 to 4, from its length). After each byte the state says, per
//! bucket, whether the last `k` super-characters could be some keyword's first `k`; only
//! there is the buffer compared with the keywords whose first bytes match exactly. The
//! filter never misses a keyword, so the result is exact; on real code it stops about six
//! times per real match. (Measured with the built-in keywords on the precision
//! benchmark's 313 MB of real code.)

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// Super-characters are hashed to this many bits: the table (8 bytes a slot) stays in
/// the first-level cache.
const SLOT_BITS: u32 = 12;
const SLOTS: usize = 1 << SLOT_BITS;
/// Keywords of at least 5 bytes share the first 5 buckets; 4-, 3- and 2-byte keywords
/// have a bucket each, since a bucket is tested at one lane, its keywords' length.
const LONG_BUCKETS: u32 = 5;
/// Super-characters a keyword is filtered by: its first 5 bytes at most.
const MAX_STEPS: usize = 4;

/// A keyword shorter than two bytes: no pair of bytes describes it.
#[derive(Debug, thiserror::Error)]
#[error("keyword {0:?} is shorter than 2 bytes")]
pub(super) struct TooShort(pub String);

#[derive(Debug)]
pub(super) struct Literals {
    /// Per super-character, a 0 bit where some keyword of the bucket (bit within the lane)
    /// has that super-character at the step (lane).
    table: Box<[u64]>,
    /// The bits that report a candidate: each bucket's bit at its keywords' last step.
    accept: u64,
    /// The keywords, lowercased, by pattern index.
    patterns: Vec<Box<[u8]>>,
    /// Per number of steps (1 to 4): the lowercased first bytes (up to 4) of the keywords
    /// with that many steps -> those keywords.
    heads: [HashMap<u32, Box<[u32]>, MultiplyHash>; MAX_STEPS],
}

impl Literals {
    pub(super) fn new(patterns: &[impl AsRef<str>]) -> Result<Literals, TooShort> {
        let mut table = vec![u64::MAX; SLOTS].into_boxed_slice();
        let mut accept = 0u64;
        let mut heads: [HashMap<u32, Vec<u32>, MultiplyHash>; MAX_STEPS] = Default::default();
        let mut stored = Vec::with_capacity(patterns.len());
        let mut long = 0u32;
        for (index, pattern) in patterns.iter().enumerate() {
            let pattern = pattern.as_ref();
            let p = pattern.as_bytes().to_ascii_lowercase();
            if p.len() < 2 {
                return Err(TooShort(pattern.to_string()));
            }
            let steps = (p.len() - 1).min(MAX_STEPS);
            let bucket = match steps {
                MAX_STEPS => {
                    long += 1;
                    long % LONG_BUCKETS
                }
                // 4 bytes: bucket 5, 3 bytes: 6, 2 bytes: 7.
                short => 8 - short as u32,
            };
            for step in 0..steps {
                table[superchar(p[step], p[step + 1])] &= !(1 << (8 * step as u32 + bucket));
            }
            accept |= 1 << (8 * (steps as u32 - 1) + bucket);
            heads[steps - 1]
                .entry(head(&p))
                .or_default()
                .push(index as u32);
            stored.push(p.into_boxed_slice());
        }
        Ok(Literals {
            table,
            accept,
            patterns: stored,
            heads: heads.map(|m| m.into_iter().map(|(k, v)| (k, v.into())).collect()),
        })
    }

    /// The keywords, lowercased, by pattern index (what the DFA that takes over is built
    /// from: it ignores case too).
    pub(super) fn patterns(&self) -> &[Box<[u8]>] {
        &self.patterns
    }

    /// Call `found(pattern, start, end)` for every occurrence in `buf`, in order of the
    /// filter's position (by start within a few bytes, not strictly).
    pub(super) fn for_each(&self, buf: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        // Every step of a keyword is a pair of its bytes, so its last step starts at the
        // buffer's last byte but one at the latest: the pairs are all there is to test.
        let mut state = u64::MAX;
        for (at, pair) in buf.windows(2).enumerate() {
            state = (state << 8) | self.table[superchar(pair[0], pair[1])];
            if !state & self.accept != 0 {
                self.verify(buf, at, !state & self.accept, &mut found);
            }
        }
    }

    /// Compare the keywords the filter let through at `at` (the last super-character
    /// position), `hits` being the accepting bits that fired.
    #[cold]
    #[inline(never)]
    fn verify(
        &self,
        buf: &[u8],
        at: usize,
        hits: u64,
        found: &mut impl FnMut(usize, usize, usize),
    ) {
        for steps in (1..=MAX_STEPS).rev() {
            let lane = (hits >> (8 * (steps - 1))) & 0xff;
            let mine = if steps == MAX_STEPS {
                (1 << LONG_BUCKETS) - 1
            } else {
                1 << (8 - steps)
            };
            if lane & mine == 0 || at + 1 < steps {
                continue;
            }
            let start = at + 1 - steps;
            let Some(first) = buf.get(start..(start + steps + 1).min(start + 4)) else {
                continue;
            };
            let Some(candidates) = self.heads[steps - 1].get(&head(first)) else {
                continue;
            };
            for &index in candidates.iter() {
                let p = &self.patterns[index as usize];
                let end = start + p.len();
                if buf
                    .get(start..end)
                    .is_some_and(|t| t.eq_ignore_ascii_case(p))
                {
                    found(index as usize, start, end);
                }
            }
        }
    }
}

/// A pair of bytes, ASCII letters folded to one case (`| 0x20` also folds a few
/// punctuation pairs together: harmless, the filter only has to let every keyword pass),
/// hashed to [`SLOT_BITS`].
#[inline(always)]
fn superchar(a: u8, b: u8) -> usize {
    let pair = u32::from(u16::from_le_bytes([a, b]) | 0x2020);
    (pair.wrapping_mul(0x9E37_79B1) >> (32 - SLOT_BITS)) as usize
}

/// The first 4 bytes (fewer for a shorter keyword), lowercased, as a lookup key.
fn head(bytes: &[u8]) -> u32 {
    let mut key = [0u8; 4];
    for (k, b) in key.iter_mut().zip(bytes) {
        *k = b.to_ascii_lowercase();
    }
    u32::from_le_bytes(key)
}

/// The heads are already well-mixed 32-bit keys looked up on a hot path: one multiply
/// instead of SipHash.
#[derive(Debug, Default, Clone, Copy)]
struct MultiplyHash;

impl BuildHasher for MultiplyHash {
    type Hasher = MultiplyHasher;
    fn build_hasher(&self) -> MultiplyHasher {
        MultiplyHasher(0)
    }
}

struct MultiplyHasher(u64);

impl Hasher for MultiplyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, key: u32) {
        self.0 = u64::from(key)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(26);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::Literals;
    use aho_corasick::{AhoCorasick, MatchKind};

    /// Every (pattern, start, end) the reference automaton (the `aho-corasick` crate's,
    /// overlapping, ASCII case ignored) reports, sorted. The DFA's tests use it too.
    pub(in crate::detect) fn reference(
        patterns: &[impl AsRef<[u8]>],
        text: &[u8],
    ) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .unwrap();
        let mut all: Vec<_> = ac
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        all.sort_unstable();
        all
    }

    fn ours(patterns: &[String], text: &[u8]) -> Vec<(usize, usize, usize)> {
        let literals = Literals::new(patterns).unwrap();
        let mut all = Vec::new();
        literals.for_each(text, |p, s, e| all.push((p, s, e)));
        all.sort_unstable();
        all
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn finds_every_overlapping_occurrence_in_any_case_at_both_ends() {
        let patterns = strings(&[
            "q~",
            "\\/",
            "key",
            "pat",
            "auth",
            "token",
            "api_key",
            "apikey",
            "ghp_",
            "-----BEGIN",
            "kind: secret",
            "secret",
            "xoxb-",
        ]);
        let text = b"q~KEY apikey API_KEY Token=ghp_x\\/ -----begin KIND: Secret xoxb-1 patpat\nke";
        let found = ours(&patterns, text);
        assert_eq!(found, reference(&patterns, text));
        // Overlaps and both ends: `q~` at 0, `pat` twice back to back, `secret` inside
        // `kind: secret`, and nothing for the cut-off `ke` at the end.
        assert!(found.contains(&(0, 0, 2)));
        assert_eq!(found.iter().filter(|f| f.0 == 3).count(), 2);
        assert!(found.iter().any(|f| f.0 == 11) && found.iter().any(|f| f.0 == 10));
        assert!(found.iter().all(|f| f.2 <= text.len() - 3 || f.0 != 2));
    }

    #[test]
    fn a_keyword_shorter_than_two_bytes_is_refused() {
        assert!(Literals::new(&strings(&["ok", "k"])).is_err());
    }

    /// `patterns` over the detectors' own examples and negatives, and over pseudo-random
    /// text seeded with the patterns in mixed case: exactly the automaton's matches.
    fn matches_the_automaton(patterns: &[String], at_least: usize) {
        let set = crate::detect::DetectorSet::builtin().unwrap();
        let mut text = set.all_cases();
        let mut seed = 0x9e37_79b9_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        const NOISE: &[u8] = b"abcdefghijklmnopqrstuvwxyz_-.:=\"' \n/\\%0123456789ABCXYZ~$";
        for _ in 0..20_000 {
            if next(8) == 0 {
                let word: String = patterns[next(patterns.len())]
                    .chars()
                    .map(|c| {
                        if next(2) == 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect();
                text.push_str(&word);
            } else {
                text.push(NOISE[next(NOISE.len())] as char);
            }
        }
        let expected = reference(patterns, text.as_bytes());
        assert!(expected.len() > at_least, "only {} matches", expected.len());
        assert_eq!(ours(patterns, text.as_bytes()), expected);
    }

    fn as_strings(literals: &Literals) -> Vec<String> {
        (literals.patterns().iter())
            .map(|p| String::from_utf8(p.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn the_builtin_keywords_match_what_an_automaton_finds() {
        let set = crate::detect::DetectorSet::builtin().unwrap();
        let patterns = as_strings(&set.prefilter.first.literals);
        assert!(patterns.len() > 500, "{} keywords", patterns.len());
        matches_the_automaton(&patterns, 10_000);
    }

    /// The contextual rows' provider names are a differently shaped set (hundreds of
    /// mostly long names sharing the long buckets).
    #[test]
    fn the_builtin_provider_names_match_what_an_automaton_finds() {
        let set = crate::detect::DetectorSet::builtin().unwrap();
        let patterns = as_strings(&set.prefilter.names);
        assert!(patterns.len() > 300, "{} names", patterns.len());
        matches_the_automaton(&patterns, 2_000);
    }
}
