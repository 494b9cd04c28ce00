//! Every occurrence of every keyword, ASCII case ignored, overlapping occurrences included:
//! an Aho-Corasick DFA that walks four parts of the buffer at once.
//!
//! Why: the first stage reads every byte of every input, and a DFA reads one byte with one
//! table load that depends on the previous one. On a full-history scan (1.5 GB of blobs)
//! the `aho-corasick` crate's DFA ran at 3.4 ns a byte, a load's latency, not its
//! throughput: 43% of the CPU time. Four independent walks over four parts of the buffer
//! keep four loads in flight, so the same table is read at several times the rate. The
//! matches are those of that crate's overlapping search, in the same order, by their ends
//! (tests compare both): the first stage's callers rely on that order.
//!
//! How: a trie of the lowercased keywords with failure links, compiled into a full
//! transition table over byte classes (the bytes keywords use, both cases of a letter in
//! one class; every other byte in class 0). State ids are premultiplied by the table's
//! stride (the number of classes), and the states where some keyword ends are numbered
//! last, so "did a keyword end here" is one comparison. Part `k` of the buffer starts
//! `longest keyword - 1` bytes early from the start state, so a keyword across a part
//! boundary is found by exactly the part it ends in. Each part keeps its finds until the
//! walk together ends, then reports them in part order.

use std::collections::VecDeque;

/// Independent walks interleaved in the search loop.
const LANES: usize = 4;
/// Below this many bytes a buffer is walked in one part: the parts' warm-up (the longest
/// keyword, again) would be a visible share of the work.
const INTERLEAVE_FROM: usize = 4096;
/// Finds a part keeps before the walk together ends, at most: a buffer denser than this
/// with keywords (crafted, not code) is walked again in one part, reporting as it goes,
/// so the memory held stays small (16 bytes a find).
const PENDING_AT_MOST: usize = 1 << 16;
/// Table entries at most (4 bytes each): a detector set large enough to need more keeps
/// the literal filter.
const TABLE_AT_MOST: usize = 64 << 20;

/// A keyword ending in a state: (pattern index, length).
type Ending = (u32, u32);

#[derive(Debug)]
pub(super) struct KeywordDfa {
    /// Byte -> class.
    classes: [u8; 256],
    /// Premultiplied state id + class -> premultiplied state id.
    table: Box<[u32]>,
    /// Entries per state: the number of classes.
    stride: u32,
    /// Premultiplied id of the first state where a keyword ends.
    first_match: u32,
    /// Per match state (id - first match state): the keywords ending there, with lengths.
    outputs: Box<[Box<[Ending]>]>,
    longest: usize,
}

impl KeywordDfa {
    /// The DFA of `patterns` (lowercased keywords, none empty), or `None` when its table
    /// would pass [`TABLE_AT_MOST`] entries.
    pub(super) fn new(patterns: &[impl AsRef<[u8]>]) -> Option<KeywordDfa> {
        let mut classes = [0u8; 256];
        let mut used = 1u8;
        for p in patterns {
            for &b in p.as_ref() {
                let b = b.to_ascii_lowercase();
                if classes[b as usize] == 0 {
                    classes[b as usize] = used;
                    classes[b.to_ascii_uppercase() as usize] = used;
                    used += 1;
                }
            }
        }
        let stride = used as usize;
        // The trie: per state, its children by class (0 = none; the root is state 0 and
        // never a child) and the keywords ending there.
        let mut children: Vec<u32> = vec![0; stride];
        let mut ends: Vec<Vec<Ending>> = vec![Vec::new()];
        let mut longest = 0;
        for (index, p) in patterns.iter().enumerate() {
            let p = p.as_ref();
            longest = longest.max(p.len());
            let mut state = 0usize;
            for &b in p {
                let slot = state * stride + classes[b as usize] as usize;
                if children[slot] == 0 {
                    children[slot] = ends.len() as u32;
                    children.extend(std::iter::repeat_n(0, stride));
                    ends.push(Vec::new());
                }
                state = children[slot] as usize;
            }
            ends[state].push((index as u32, p.len() as u32));
        }
        let states = ends.len();
        if states * stride > TABLE_AT_MOST {
            return None;
        }
        // Breadth first: a state's failure state is shallower, so its transitions and
        // outputs are complete when the state is reached.
        let mut delta = vec![0u32; states * stride];
        let mut fail = vec![0u32; states];
        let mut queue = VecDeque::new();
        for class in 0..stride {
            let child = children[class];
            delta[class] = child;
            if child != 0 {
                queue.push_back(child);
            }
        }
        while let Some(state) = queue.pop_front() {
            let s = state as usize;
            let f = fail[s] as usize;
            let inherited = std::mem::take(&mut ends[f]);
            ends[s].extend_from_slice(&inherited);
            ends[f] = inherited;
            for class in 0..stride {
                let child = children[s * stride + class];
                if child == 0 {
                    delta[s * stride + class] = delta[f * stride + class];
                } else {
                    delta[s * stride + class] = child;
                    fail[child as usize] = delta[f * stride + class];
                    queue.push_back(child);
                }
            }
        }
        // Renumber: states without outputs first (the root stays 0), match states last.
        let mut order: Vec<u32> = (0..states as u32)
            .filter(|&s| ends[s as usize].is_empty())
            .collect();
        let first_match = order.len() as u32;
        order.extend((0..states as u32).filter(|&s| !ends[s as usize].is_empty()));
        let mut new_id = vec![0u32; states];
        for (new, &old) in order.iter().enumerate() {
            new_id[old as usize] = new as u32;
        }
        let mut table = vec![0u32; states * stride];
        for (new, &old) in order.iter().enumerate() {
            for class in 0..stride {
                let target = new_id[delta[old as usize * stride + class] as usize];
                table[new * stride + class] = target * stride as u32;
            }
        }
        let outputs = order[first_match as usize..]
            .iter()
            .map(|&old| std::mem::take(&mut ends[old as usize]).into_boxed_slice())
            .collect();
        Some(KeywordDfa {
            classes,
            table: table.into_boxed_slice(),
            stride: stride as u32,
            first_match: first_match * stride as u32,
            outputs,
            longest,
        })
    }

    /// Call `found(pattern, start, end)` for every keyword occurrence in `buf`, in the
    /// order of their ends (as the `aho-corasick` crate reports them).
    pub(super) fn for_each(&self, buf: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        if buf.len() < INTERLEAVE_FROM {
            self.walk_from(buf, 0, 0, 0, buf.len(), &mut found);
            return;
        }
        let part = buf.len() / LANES;
        let warm_up = self.longest.saturating_sub(1);
        // Lane k owns the keywords ending in [owned[k], owned[k + 1]) and starts early.
        let owned: [usize; LANES + 1] = std::array::from_fn(|k| part * k);
        let starts: [usize; LANES] = std::array::from_fn(|k| owned[k].saturating_sub(warm_up));
        let ends: [usize; LANES] = std::array::from_fn(|k| {
            if k + 1 == LANES {
                buf.len()
            } else {
                owned[k + 1]
            }
        });
        // Every lane walks the shortest lane's length together, keeping what it finds
        // (callers expect keywords in the order of their ends); then, lane by lane, its
        // finds are reported and it walks the rest of its part alone.
        let together = (0..LANES).map(|k| ends[k] - starts[k]).min().unwrap_or(0);
        let mut pending: [Vec<(u32, usize)>; LANES] = Default::default();
        let (table, classes, first_match) = (&self.table[..], &self.classes, self.first_match);
        let step = |state: u32, byte: u8| table[state as usize + classes[byte as usize] as usize];
        let [p0, p1, p2, p3] = starts.map(|s| &buf[s..s + together]);
        let (mut s0, mut s1, mut s2, mut s3) = (0u32, 0u32, 0u32, 0u32);
        for (i, (((&b0, &b1), &b2), &b3)) in p0.iter().zip(p1).zip(p2).zip(p3).enumerate() {
            s0 = step(s0, b0);
            s1 = step(s1, b1);
            s2 = step(s2, b2);
            s3 = step(s3, b3);
            if (s0 >= first_match) | (s1 >= first_match) | (s2 >= first_match) | (s3 >= first_match)
            {
                for (lane, state) in [s0, s1, s2, s3].into_iter().enumerate() {
                    if state >= first_match {
                        pending[lane].push((state, starts[lane] + i));
                    }
                }
                if pending.iter().any(|p| p.len() > PENDING_AT_MOST) {
                    self.walk_from(buf, 0, 0, 0, buf.len(), &mut found);
                    return;
                }
            }
        }
        let state = [s0, s1, s2, s3];
        for lane in 0..LANES {
            // A part's warm-up belongs to the part before.
            for &(state, at) in pending[lane].iter().filter(|(_, at)| *at >= owned[lane]) {
                self.report(state, at, &mut found);
            }
            let from = starts[lane] + together;
            self.walk_from(buf, state[lane], from, owned[lane], ends[lane], &mut found);
        }
    }

    /// Walk `buf[from..end]` from `state`, reporting keywords ending at or after
    /// `owned_from`.
    fn walk_from(
        &self,
        buf: &[u8],
        mut state: u32,
        from: usize,
        owned_from: usize,
        end: usize,
        found: &mut impl FnMut(usize, usize, usize),
    ) {
        for (i, &byte) in buf[from..end].iter().enumerate() {
            state = self.table[state as usize + self.classes[byte as usize] as usize];
            if state >= self.first_match && from + i >= owned_from {
                self.report(state, from + i, found);
            }
        }
    }

    /// The keywords ending at byte `at` in match state `state`.
    #[cold]
    #[inline(never)]
    fn report(&self, state: u32, at: usize, found: &mut impl FnMut(usize, usize, usize)) {
        let index = ((state - self.first_match) / self.stride) as usize;
        for &(pattern, len) in self.outputs[index].iter() {
            found(pattern as usize, at + 1 - len as usize, at + 1);
        }
    }

    /// Bytes of the transition table (tests print it).
    #[cfg(test)]
    pub(super) fn table_bytes(&self) -> usize {
        self.table.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::literals::tests::reference;

    fn ours(patterns: &[&str], text: &[u8]) -> Vec<(usize, usize, usize)> {
        let lowered: Vec<Vec<u8>> = patterns
            .iter()
            .map(|p| p.as_bytes().to_ascii_lowercase())
            .collect();
        let dfa = KeywordDfa::new(&lowered).expect("a small table");
        let mut all = Vec::new();
        dfa.for_each(text, |p, s, e| all.push((p, s, e)));
        // The first stage's callers rely on this order (a trigger word's line is searched
        // once; a window merges with the one before).
        assert!(
            all.windows(2).all(|w| w[0].2 <= w[1].2),
            "keywords reported out of the order of their ends"
        );
        all.sort_unstable();
        all
    }

    #[test]
    fn finds_nested_and_overlapping_keywords_in_any_case() {
        let patterns = ["he", "she", "his", "hers", "_KEY", "api_key", "ssh-rsa"];
        let text = b"USHERS said ApI_kEy=1 and ssh-RSA AAAA; hishe";
        let found = ours(&patterns, text);
        assert_eq!(found, reference(&patterns, text));
        assert!(found.contains(&(5, 12, 19)), "{found:?}");
        assert!(found.contains(&(4, 15, 19)), "{found:?}");
    }

    #[test]
    fn a_keyword_across_a_part_boundary_is_found_once() {
        let patterns = ["password", "word", "secret_access_key"];
        // Long enough to be walked in four parts; keywords placed at and around each
        // part's first byte, and at the very ends.
        let mut text = vec![b'.'; 4 * 4096 + 3];
        let part = text.len() / LANES;
        for k in 0..=LANES {
            for shift in [0usize, 1, 3, 7, 8, 9, 17] {
                let at = (part * k).saturating_sub(shift);
                let keyword: &[u8] = if shift % 2 == 0 {
                    b"PassWord"
                } else {
                    b"secret_access_key"
                };
                if at + keyword.len() <= text.len() {
                    text[at..at + keyword.len()].copy_from_slice(keyword);
                }
            }
        }
        let end = text.len() - 4;
        text[end..].copy_from_slice(b"word");
        text[..4].copy_from_slice(b"word");
        assert_eq!(ours(&patterns, &text), reference(&patterns, &text));
    }

    #[test]
    fn matches_the_reference_on_pseudo_random_text_of_every_length() {
        let patterns = [
            "ab", "abc", "bca", "cab", "a_b", "token", "oken", "tok", "b-c", "zz", "abcabc",
        ];
        let alphabet = b"abcABC_-tokenTOKENz \n\x00\xff";
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in [0usize, 1, 2, 5, 100, 4095, 4096, 4097, 5000, 9001] {
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(
                ours(&patterns, &text),
                reference(&patterns, &text),
                "length {len}"
            );
        }
    }

    #[test]
    fn matches_the_reference_with_the_built_in_keywords_on_every_detector_example() {
        let set = crate::detect::DetectorSet::compile(&crate::detect::DetectorSource::embedded())
            .expect("built-in detectors");
        let keywords = set.prefilter.first.literals.patterns();
        let patterns: Vec<&str> = keywords
            .iter()
            .map(|k| std::str::from_utf8(k).expect("keywords are text"))
            .collect();
        // Every example of every detector, in upper and lower case: dense with keywords,
        // and long enough to be walked in four parts.
        let text = set.all_cases();
        let text = format!("{text}\n{}", text.to_ascii_uppercase());
        let started = std::time::Instant::now();
        let dfa = KeywordDfa::new(keywords).expect("a small table");
        eprintln!(
            "{} keywords: {} bytes of table, built in {:?}",
            keywords.len(),
            dfa.table_bytes(),
            started.elapsed()
        );
        let mut found = Vec::new();
        dfa.for_each(text.as_bytes(), |p, s, e| found.push((p, s, e)));
        assert!(found.windows(2).all(|w| w[0].2 <= w[1].2));
        found.sort_unstable();
        assert!(found.len() > 3000, "only {} keywords found", found.len());
        assert_eq!(found, reference(&patterns, text.as_bytes()));
    }

    #[test]
    fn a_keyword_longer_than_a_part_is_found_wherever_it_ends() {
        let long = "k".repeat(1500) + "ey";
        let patterns = [long.as_str(), "key"];
        // 4,100 bytes: four parts of 1,025, each shorter than the keyword.
        let mut text = vec![b'.'; 4100];
        for at in [100usize, 2500] {
            text[at..at + long.len()].copy_from_slice(long.to_ascii_uppercase().as_bytes());
        }
        let found = ours(&patterns, &text);
        assert_eq!(found, reference(&patterns, &text));
        assert_eq!(found.iter().filter(|(p, _, _)| *p == 0).count(), 2);
    }

    #[test]
    fn a_buffer_dense_with_keywords_is_walked_again_in_one_part_with_every_find() {
        // 400,000 finds of `ab`: each part holds more than it may keep.
        let patterns = ["ab", "ba"];
        let text = b"ab".repeat(200_000);
        let found = ours(&patterns, &text);
        assert_eq!(found.len(), 200_000 + 199_999);
        assert_eq!(found, reference(&patterns, &text));
    }
}
