//! `--all-objects`: the object database as a list, not only what the refs reach.
//!
//! A repository keeps objects no ref points to: commits of deleted branches and rewritten
//! history until `git gc` prunes them, pull-request heads a mirror fetched, a file staged
//! and never committed. Kingfisher scans them; so does nhiscan on request. Commits found
//! here join the history (their blobs get a commit, a path and an author like any other);
//! blobs no commit holds are scanned on their own.

use super::graph::CommitGraph;
use gix::ObjectId;
use gix::odb::store::iter::Ordering;
use std::collections::{HashMap, HashSet};

/// Every commit and blob in the object database (packs, loose objects, alternates).
#[derive(Debug, Default)]
pub(super) struct EveryObject {
    pub commits: Vec<ObjectId>,
    pub blobs: Vec<ObjectId>,
    /// Objects that could not be listed or read: not scanned.
    pub errors: Vec<String>,
}

pub(super) fn every_object(repo: &gix::Repository) -> EveryObject {
    let mut out = EveryObject::default();
    let iter = match repo.objects.iter() {
        // Pack order keeps the pack's own delta bases in cache while reading headers.
        Ok(iter) => iter.with_ordering(Ordering::PackAscendingOffsetThenLooseLexicographical),
        Err(e) => {
            out.errors
                .push(format!("cannot list the object database: {e}"));
            return out;
        }
    };
    let mut seen = HashSet::new();
    for id in iter {
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                out.errors.push(format!("object database: {e}"));
                continue;
            }
        };
        // A pack and a loose copy, or two packs, may hold the same object.
        if !seen.insert(id) {
            continue;
        }
        match repo.find_header(id) {
            Ok(header) => match header.kind() {
                gix::object::Kind::Commit => out.commits.push(id),
                gix::object::Kind::Blob => out.blobs.push(id),
                gix::object::Kind::Tree | gix::object::Kind::Tag => {}
            },
            Err(e) => out.errors.push(format!("object {id}: {e}")),
        }
    }
    out
}

/// How many commits of `graph` none of `tips` reaches.
pub(super) fn unreachable_commits(graph: &CommitGraph, tips: &[ObjectId]) -> usize {
    let index: HashMap<ObjectId, u32> = graph
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i as u32))
        .collect();
    let mut seen = vec![false; graph.commits.len()];
    let mut stack: Vec<u32> = tips.iter().filter_map(|t| index.get(t).copied()).collect();
    while let Some(c) = stack.pop() {
        if std::mem::replace(&mut seen[c as usize], true) {
            continue;
        }
        stack.extend(graph.commits[c as usize].parents.iter().copied());
    }
    seen.iter().filter(|&&s| !s).count()
}
