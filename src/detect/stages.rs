//! The prefilter's first stage, and when its automaton is built. Building it is a large
//! part of a small scan's start-up (a pre-commit hook, a 50-file tree, a scan of standard
//! input), so it is built no earlier than its searches pay for it.
//!
//! The second stage, the contextual rows' provider names searched on the lines a trigger
//! word selected, is a [`Literals`] filter of its own (built in 0.1 ms; an automaton took
//! 2.5 ms, a core's worth of a 50-file scan's time on a 2-core machine).

use super::dfa::KeywordDfa;
use super::literals::{Literals, TooShort};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The first stage: every keyword. The Aho-Corasick DFA ([`KeywordDfa`]) searches fastest
/// on real code but takes milliseconds to build (the `aho-corasick` crate's took 8 ms),
/// which a pre-commit hook or a 50-file tree never earns back; so a scan starts on
/// [`Literals`] (0.1 ms to build; it searched at 0.6 to 1 times that crate's DFA's speed,
/// slower where keywords are dense, and twice an NFA's) and the scanner thread
/// that takes the input past [`FirstStage::DFA_AFTER`] bytes builds the DFA, which every
/// search uses from then on.
/// Both report the same overlapping matches.
#[derive(Debug)]
pub(super) struct FirstStage {
    pub(super) literals: Literals,
    pub(super) dfa: OnceLock<KeywordDfa>,
    searched: AtomicU64,
    building: AtomicBool,
}

impl FirstStage {
    /// Input searched before the DFA pays for itself.
    pub(super) const DFA_AFTER: u64 = 4 << 20;

    pub(super) fn new(patterns: &[impl AsRef<str>]) -> Result<FirstStage, TooShort> {
        Ok(FirstStage {
            literals: Literals::new(patterns)?,
            dfa: OnceLock::new(),
            searched: AtomicU64::new(0),
            building: AtomicBool::new(false),
        })
    }

    /// Call `found(pattern, start, end)` for every keyword occurrence in `buf`.
    pub(super) fn for_each(&self, buf: &[u8], found: impl FnMut(usize, usize, usize)) {
        match self.dfa_for(buf.len()) {
            Some(dfa) => dfa.for_each(buf, found),
            None => self.literals.for_each(buf, found),
        }
    }

    /// The DFA, once the input searched so far (`len` more bytes now) has earned it.
    pub(super) fn dfa_for(&self, len: usize) -> Option<&KeywordDfa> {
        if let Some(dfa) = self.dfa.get() {
            return Some(dfa);
        }
        let searched = self.searched.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        if searched >= Self::DFA_AFTER && !self.building.swap(true, Ordering::Relaxed) {
            // Too large a table (a huge custom detector set): the literal search stays.
            if let Some(dfa) = KeywordDfa::new(self.literals.patterns()) {
                return Some(self.dfa.get_or_init(|| dfa));
            }
        }
        None
    }
}
