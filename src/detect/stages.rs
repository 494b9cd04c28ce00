//! The prefilter's two stages, and when each is built. Building them is most of a small
//! scan's start-up (a pre-commit hook, a 50-file tree, a scan of standard input), so each
//! is built no earlier and no bigger than its first search needs.

use super::literals::{Literals, TooShort};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The first stage: every keyword. An Aho-Corasick DFA searches fastest on real code but
/// takes 8 ms to build, which a pre-commit hook or a 50-file tree never earns back; so a
/// scan starts on [`Literals`] (0.1 ms to build; it searches at 0.6 to 1 times the DFA's
/// speed, slower where keywords are dense, and twice an NFA's) and the scanner thread
/// that takes the input past [`FirstStage::DFA_AFTER`] bytes builds the DFA, which every
/// search uses from then on.
/// Both report the same overlapping matches.
#[derive(Debug)]
pub(super) struct FirstStage {
    pub(super) literals: Literals,
    pub(super) dfa: OnceLock<AhoCorasick>,
    searched: AtomicU64,
    building: AtomicBool,
}

impl FirstStage {
    /// Input searched before the DFA pays for itself.
    pub(super) const DFA_AFTER: u64 = 4 << 20;

    pub(super) fn new(patterns: &[String]) -> Result<FirstStage, TooShort> {
        Ok(FirstStage {
            literals: Literals::new(patterns)?,
            dfa: OnceLock::new(),
            searched: AtomicU64::new(0),
            building: AtomicBool::new(false),
        })
    }

    /// Call `found(pattern, start, end)` for every keyword occurrence in `buf`.
    pub(super) fn for_each(&self, buf: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        match self.dfa_for(buf.len()) {
            Some(dfa) => {
                for m in dfa.find_overlapping_iter(buf) {
                    found(m.pattern().as_usize(), m.start(), m.end());
                }
            }
            None => self.literals.for_each(buf, found),
        }
    }

    /// The DFA, once the input searched so far (`len` more bytes now) has earned it.
    pub(super) fn dfa_for(&self, len: usize) -> Option<&AhoCorasick> {
        if let Some(dfa) = self.dfa.get() {
            return Some(dfa);
        }
        let searched = self.searched.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        if searched >= Self::DFA_AFTER && !self.building.swap(true, Ordering::Relaxed) {
            // It can only fail for its size; then the literal search simply stays.
            if let Ok(dfa) = builder()
                .kind(Some(AhoCorasickKind::DFA))
                .build(self.literals.patterns())
            {
                return Some(self.dfa.get_or_init(|| dfa));
            }
        }
        None
    }
}

/// Every automaton: keywords in any case, every overlapping match reported.
fn builder() -> AhoCorasickBuilder {
    let mut b = AhoCorasick::builder();
    b.ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard);
    b
}

/// The provider names of the contextual rows: searched only on lines holding a trigger
/// word, so a scan can start before it exists. The built-in set's automaton is built on a
/// thread of its own while the set is assembled and the walk starts; the first search that
/// needs it before it is done waits for it (or builds it, if that thread has not begun).
/// It is a contiguous NFA: built in a fraction of a DFA's time, and it only reads the lines
/// a trigger selected.
#[derive(Debug)]
pub(super) struct NameStage {
    shared: Arc<NameBuild>,
}

#[derive(Debug)]
struct NameBuild {
    patterns: Vec<String>,
    /// `None` if the patterns cannot be built.
    built: OnceLock<Option<AhoCorasick>>,
}

impl NameStage {
    /// Built now, so a build error (user detector files) is reported with the set's
    /// other problems.
    pub(super) fn now(patterns: Vec<String>) -> Result<NameStage, aho_corasick::BuildError> {
        let automaton = Self::build(&patterns)?;
        let built = OnceLock::new();
        let _ = built.set(Some(automaton));
        Ok(NameStage {
            shared: Arc::new(NameBuild { patterns, built }),
        })
    }

    /// Built on a background thread. Only for patterns already known to build (the
    /// embedded set, which `tests` build with [`NameStage::now`]).
    pub(super) fn in_background(patterns: Vec<String>) -> NameStage {
        let shared = Arc::new(NameBuild {
            patterns,
            built: OnceLock::new(),
        });
        let for_thread = Arc::clone(&shared);
        // If no thread can be started, the first search builds it.
        let _ = std::thread::Builder::new()
            .name("nhiscan-names".into())
            .spawn(move || {
                let _ = for_thread.get();
            });
        NameStage { shared }
    }

    /// The automaton; `None` only if the patterns cannot be built, which
    /// [`NameStage::now`] reports before any scan.
    pub(super) fn automaton(&self) -> Option<&AhoCorasick> {
        self.shared.get()
    }

    fn build(patterns: &[String]) -> Result<AhoCorasick, aho_corasick::BuildError> {
        builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(patterns)
    }
}

impl NameBuild {
    /// Built by the first caller; `OnceLock` makes any other wait for that build.
    fn get(&self) -> Option<&AhoCorasick> {
        self.built
            .get_or_init(|| NameStage::build(&self.patterns).ok())
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::NameStage;
    use crate::detect::DetectorSet;

    /// The built-in names are built in the background on the promise that they build:
    /// this is the check behind that promise, and the background build finds them.
    #[test]
    fn builtin_names_build_and_the_background_build_finds_them() {
        let set = DetectorSet::builtin().unwrap();
        let names = &set.prefilter.names;
        let patterns = names.shared.patterns.clone();
        assert!(patterns.len() > 300, "{} names", patterns.len());
        assert!(NameStage::now(patterns.clone()).is_ok());
        let automaton = names.automaton().expect("background build");
        for p in &patterns {
            let line = format!("{}_API_KEY = value", p.to_uppercase());
            assert!(automaton.find(&line).is_some(), "{p}");
        }
    }
}
