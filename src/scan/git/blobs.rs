//! Which blobs history holds, where, and since and until when.
//!
//! Each commit's tree is compared with its first parent's tree; identical subtrees are
//! skipped by id, so the work is proportional to what changed, not to the size of the tree
//! times the number of commits. Every blob that appears at a path is an *introduction*
//! (commit, path); every blob that disappears from a path is a *departure*. Since commits
//! are visited parents-first, the first introduction of a blob is the commit that brought
//! it into the repository.

use super::graph::CommitGraph;
use gix::ObjectId;
use gix::prelude::FindExt;
use std::collections::{HashMap, HashSet};

/// One (commit, path) event for a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub commit: u32,
    pub path: u32,
}

#[derive(Debug, Default)]
pub struct BlobHistory {
    /// Distinct blobs in order of first appearance.
    pub blobs: Vec<ObjectId>,
    pub index: HashMap<ObjectId, u32>,
    /// Per blob: every (commit, path) where it was added or changed to.
    pub introduced: Vec<Vec<Event>>,
    /// Per blob: every (commit, path) where it was removed or replaced.
    pub departed: Vec<Vec<Event>>,
    /// Interned paths.
    pub paths: Vec<String>,
    path_index: HashMap<String, u32>,
    /// Submodule paths seen anywhere in history (reported, not followed).
    pub submodules: HashSet<String>,
    /// Trees or commits that could not be read.
    pub errors: Vec<String>,
}

impl BlobHistory {
    fn path_id(&mut self, path: &str) -> u32 {
        if let Some(&i) = self.path_index.get(path) {
            return i;
        }
        self.paths.push(path.to_string());
        self.path_index
            .insert(path.to_string(), (self.paths.len() - 1) as u32);
        (self.paths.len() - 1) as u32
    }

    fn introduce(&mut self, blob: ObjectId, commit: u32, path: &str) {
        let path = self.path_id(path);
        let i = *self.index.entry(blob).or_insert_with(|| {
            self.blobs.push(blob);
            self.introduced.push(Vec::new());
            self.departed.push(Vec::new());
            (self.blobs.len() - 1) as u32
        });
        self.introduced[i as usize].push(Event { commit, path });
    }

    fn depart(&mut self, blob: ObjectId, commit: u32, path: &str) {
        let path = self.path_id(path);
        if let Some(&i) = self.index.get(&blob) {
            self.departed[i as usize].push(Event { commit, path });
        }
    }
}

/// Walk every commit of `graph` (restricted to `only` when given) and collect blob events.
pub fn collect(repo: &gix::Repository, graph: &CommitGraph) -> BlobHistory {
    let mut history = BlobHistory::default();
    let mut differ = TreeDiff {
        repo,
        buf_old: Vec::new(),
        buf_new: Vec::new(),
    };
    for (i, commit) in graph.commits.iter().enumerate() {
        let parent_tree = commit
            .parents
            .first()
            .map(|&p| graph.commits[p as usize].tree);
        if let Err(e) = differ.diff(parent_tree, Some(commit.tree), "", i as u32, &mut history) {
            history
                .errors
                .push(format!("commit {}: {e}", commit.id.to_hex()));
        }
    }
    history
}

/// Every (path, blob) in a tree, for the HEAD snapshot.
pub fn snapshot(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Result<HashSet<(String, ObjectId)>, String> {
    let mut out = HashSet::new();
    let mut stack = vec![(tree, String::new())];
    let mut buf = Vec::new();
    while let Some((id, prefix)) = stack.pop() {
        for (name, mode, oid) in read_tree(repo, id, &mut buf)? {
            let path = join(&prefix, &name);
            if mode.is_tree() {
                stack.push((oid, path));
            } else if mode.is_blob() {
                out.insert((path, oid));
            }
        }
    }
    Ok(out)
}

struct TreeDiff<'r> {
    repo: &'r gix::Repository,
    buf_old: Vec<u8>,
    buf_new: Vec<u8>,
}

type Entry = (String, gix::objs::tree::EntryMode, ObjectId);

fn read_tree(
    repo: &gix::Repository,
    id: ObjectId,
    buf: &mut Vec<u8>,
) -> Result<Vec<Entry>, String> {
    let tree = repo
        .objects
        .find_tree(&id, buf)
        .map_err(|e| format!("cannot read tree {id}: {e}"))?;
    Ok(tree
        .entries
        .iter()
        .map(|e| (e.filename.to_string(), e.mode, e.oid.to_owned()))
        .collect())
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

impl TreeDiff<'_> {
    fn diff(
        &mut self,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        prefix: &str,
        commit: u32,
        out: &mut BlobHistory,
    ) -> Result<(), String> {
        if old == new {
            return Ok(());
        }
        let old_entries = match old {
            Some(id) => read_tree(self.repo, id, &mut self.buf_old)?,
            None => Vec::new(),
        };
        let new_entries = match new {
            Some(id) => read_tree(self.repo, id, &mut self.buf_new)?,
            None => Vec::new(),
        };
        let old_by_name: HashMap<&str, &Entry> =
            old_entries.iter().map(|e| (e.0.as_str(), e)).collect();
        let new_names: HashSet<&str> = new_entries.iter().map(|e| e.0.as_str()).collect();
        for (name, mode, oid) in &new_entries {
            let path = join(prefix, name);
            let before = old_by_name.get(name.as_str()).copied();
            if before.is_some_and(|b| b.2 == *oid && b.1 == *mode) {
                continue;
            }
            let old_tree = before.filter(|b| b.1.is_tree()).map(|b| b.2);
            if let Some(b) = before.filter(|b| b.1.is_blob()) {
                out.depart(b.2, commit, &path);
            }
            if mode.is_tree() {
                self.diff(old_tree, Some(*oid), &path, commit, out)?;
            } else {
                if old_tree.is_some() {
                    self.diff(old_tree, None, &path, commit, out)?;
                }
                if mode.is_blob() {
                    out.introduce(*oid, commit, &path);
                } else if mode.is_commit() {
                    out.submodules.insert(path);
                }
            }
        }
        for (name, mode, oid) in &old_entries {
            if new_names.contains(name.as_str()) {
                continue;
            }
            let path = join(prefix, name);
            if mode.is_tree() {
                self.diff(Some(*oid), None, &path, commit, out)?;
            } else if mode.is_blob() {
                out.depart(*oid, commit, &path);
            }
        }
        Ok(())
    }
}
