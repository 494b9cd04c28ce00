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
use std::ops::Range;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    pub index: gix::hashtable::HashMap<ObjectId, u32>,
    /// Per blob: every (commit, path) where it was added or changed to.
    pub introduced: Vec<Vec<Event>>,
    /// Per blob: every (commit, path) where it was removed or replaced.
    pub departed: Vec<Vec<Event>>,
    /// Paths, numbered in commit order: [`Event::path`] indexes them.
    pub paths: PathNames,
    /// Submodule paths seen anywhere in history (reported, not followed).
    pub submodules: HashSet<String>,
    /// Trees or commits that could not be read.
    pub errors: Vec<String>,
}

/// Paths numbered in the order they are first given: the history's paths, and each diff
/// thread's own (an event carries four bytes instead of an owned string).
#[derive(Debug, Default)]
pub struct PathNames {
    index: HashMap<String, u32, foldhash::fast::RandomState>,
    names: Vec<String>,
}

impl PathNames {
    fn id(&mut self, path: &str) -> u32 {
        if let Some(&i) = self.index.get(path) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(path.to_string());
        self.index.insert(path.to_string(), i);
        i
    }

    /// Every path, by number.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}

impl std::ops::Index<u32> for PathNames {
    type Output = str;

    fn index(&self, path: u32) -> &str {
        &self.names[path as usize]
    }
}

impl BlobHistory {
    fn introduce(&mut self, blob: ObjectId, commit: u32, path: u32) {
        let i = *self.index.entry(blob).or_insert_with(|| {
            self.blobs.push(blob);
            self.introduced.push(Vec::new());
            self.departed.push(Vec::new());
            (self.blobs.len() - 1) as u32
        });
        self.introduced[i as usize].push(Event { commit, path });
    }

    /// The blobs of `all` that no commit introduced, added without events at the end; their
    /// indices.
    pub fn add_orphans(&mut self, all: impl IntoIterator<Item = ObjectId>) -> Range<u32> {
        let first = self.blobs.len() as u32;
        for blob in all {
            if self.index.contains_key(&blob) {
                continue;
            }
            self.index.insert(blob, self.blobs.len() as u32);
            self.blobs.push(blob);
            self.introduced.push(Vec::new());
            self.departed.push(Vec::new());
        }
        first..self.blobs.len() as u32
    }

    fn depart(&mut self, blob: ObjectId, commit: u32, path: u32) {
        if let Some(&i) = self.index.get(&blob) {
            self.departed[i as usize].push(Event { commit, path });
        }
    }
}

/// One change seen while diffing a commit; paths are numbers of the diffing thread's
/// [`PathNames`], made global when the events are replayed.
enum RawEvent {
    Introduce(ObjectId, u32, u32),
    Depart(ObjectId, u32, u32),
    Submodule(u32),
    Error(String),
}

/// Diff every commit of `graph` against its first parent. Commits are split into runs of
/// contiguous commits that the threads take in turn (each diff is independent); the events are then
/// replayed in commit order, so first introductions stay first.
pub fn collect(
    sync: &gix::ThreadSafeRepository,
    graph: &CommitGraph,
    threads: usize,
    progress: &dyn crate::scan::Progress,
) -> BlobHistory {
    let n = graph.commits.len();
    let threads = threads.clamp(1, n.max(1));
    // Runs of consecutive commits share most trees (the decoded-tree cache), but equal
    // halves finish far apart (old commits are small, recent ones touch more): each
    // thread takes the next of several runs per thread until none is left.
    let chunk = n.div_ceil(threads * RUNS_PER_THREAD).max(1);
    let runs = n.div_ceil(chunk);
    let next = AtomicUsize::new(0);
    type Done = (Vec<(usize, Vec<RawEvent>)>, Vec<String>);
    let per_thread: Vec<Done> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut repo = sync.to_thread_local();
                    // Trees of consecutive commits share most objects (the decoded
                    // trees keep most of them) and delta bases.
                    repo.object_cache_size(Some(40 * 1024 * 1024));
                    repo.objects.ignore_replacements = true;
                    let mut differ = TreeDiff {
                        repo: &repo,
                        buf: Vec::new(),
                        decoded: HashMap::new(),
                        paths: PathNames::default(),
                        scratch: String::new(),
                    };
                    let mut done = Vec::new();
                    loop {
                        let run = next.fetch_add(1, Ordering::Relaxed);
                        if run >= runs {
                            break;
                        }
                        let commits = (run * chunk)..((run + 1) * chunk).min(n);
                        done.push((run, differ.diff_commits(graph, commits, progress)));
                    }
                    (done, differ.paths.names)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    let stopped = RawEvent::Error(
                        "a history diff worker stopped unexpectedly; some commits were not examined".into(),
                    );
                    (vec![(0, vec![stopped])], Vec::new())
                })
            })
            .collect()
    });
    // Replayed in commit order, so first introductions stay first; a thread's path gets its
    // global number at its first event, so paths are numbered in commit order as well.
    let mut names: Vec<Vec<String>> = Vec::new();
    let mut parts: Vec<(usize, usize, Vec<RawEvent>)> = Vec::new();
    for (runs, thread_names) in per_thread {
        let thread = names.len();
        names.push(thread_names);
        parts.extend(runs.into_iter().map(|(run, events)| (run, thread, events)));
    }
    parts.sort_by_key(|(run, _, _)| *run);
    let mut global: Vec<Vec<u32>> = names.iter().map(|n| vec![u32::MAX; n.len()]).collect();
    let mut history = BlobHistory::default();
    for (_, thread, events) in parts {
        let (names, global) = (&names[thread], &mut global[thread]);
        let mut path = |history: &mut BlobHistory, local: u32| {
            let slot = &mut global[local as usize];
            if *slot == u32::MAX {
                *slot = history.paths.id(&names[local as usize]);
            }
            *slot
        };
        for event in events {
            match event {
                RawEvent::Introduce(oid, commit, local) => {
                    let path = path(&mut history, local);
                    history.introduce(oid, commit, path);
                }
                RawEvent::Depart(oid, commit, local) => {
                    let path = path(&mut history, local);
                    history.depart(oid, commit, path);
                }
                RawEvent::Submodule(local) => {
                    history.submodules.insert(names[local as usize].clone());
                }
                RawEvent::Error(e) => history.errors.push(e),
            }
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
    buf: Vec<u8>,
    /// Recently decoded trees: a commit's old trees are mostly its parent's new trees,
    /// decoded one commit earlier, so most reads hit.
    decoded: HashMap<ObjectId, Rc<[Entry]>>,
    paths: PathNames,
    /// A path being built, to look it up without allocating.
    scratch: String,
}

/// Runs of commits per diff thread: enough to even out the threads' finish, few enough
/// that each run's cold start (its first trees decoded afresh) stays small.
const RUNS_PER_THREAD: usize = 16;

/// Decoded trees kept at most; the map is simply emptied when full (cheap, and the
/// working set of consecutive commits is refilled at once).
const DECODED_TREES: usize = 16 * 1024;

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
        .map(|e| {
            let name = String::from_utf8_lossy(e.filename).into_owned();
            (name, e.mode, e.oid.to_owned())
        })
        .collect())
}

/// Git's tree entry order: byte-wise by name, a tree's name compared as if it ended in `/`.
fn git_order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    let (an, bn) = (a.0.as_bytes(), b.0.as_bytes());
    let common = an.len().min(bn.len());
    an[..common].cmp(&bn[..common]).then_with(|| {
        let end = |name: &[u8], e: &Entry| {
            name.get(common)
                .copied()
                .unwrap_or(if e.1.is_tree() { b'/' } else { 0 })
        };
        end(an, a).cmp(&end(bn, b))
    })
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

impl TreeDiff<'_> {
    /// The thread's number of `prefix/name`, built in scratch space: most paths were seen
    /// before.
    fn path_id(&mut self, prefix: &str, name: &str) -> u32 {
        self.scratch.clear();
        if !prefix.is_empty() {
            self.scratch.push_str(prefix);
            self.scratch.push('/');
        }
        self.scratch.push_str(name);
        self.paths.id(&self.scratch)
    }

    /// The events of `commits` (indices into `graph`), each diffed against its first
    /// parent; a commit that cannot be diffed is an error event, and the run goes on.
    fn diff_commits(
        &mut self,
        graph: &CommitGraph,
        commits: Range<usize>,
        progress: &dyn crate::scan::Progress,
    ) -> Vec<RawEvent> {
        let mut events = Vec::new();
        for i in commits {
            let commit = &graph.commits[i];
            let parent_tree = commit
                .parents
                .first()
                .map(|&p| graph.commits[p as usize].tree);
            if let Err(e) = self.diff(parent_tree, Some(commit.tree), "", i as u32, &mut events) {
                events.push(RawEvent::Error(format!(
                    "commit {}: {e}",
                    commit.id.to_hex()
                )));
            }
            progress.history_step();
        }
        events
    }

    fn entries(&mut self, id: Option<ObjectId>) -> Result<Rc<[Entry]>, String> {
        let Some(id) = id else {
            return Ok(Rc::from(Vec::new()));
        };
        if let Some(e) = self.decoded.get(&id) {
            return Ok(e.clone());
        }
        let entries: Rc<[Entry]> = Rc::from(read_tree(self.repo, id, &mut self.buf)?);
        if self.decoded.len() >= DECODED_TREES {
            self.decoded.clear();
        }
        self.decoded.insert(id, entries.clone());
        Ok(entries)
    }

    fn diff(
        &mut self,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        prefix: &str,
        commit: u32,
        out: &mut Vec<RawEvent>,
    ) -> Result<(), String> {
        if old == new {
            return Ok(());
        }
        let old_entries = self.entries(old)?;
        let new_entries = self.entries(new)?;
        // Both lists are in git's tree order: a merge-join finds changes without hashing.
        let (mut i, mut j) = (0, 0);
        while i < old_entries.len() || j < new_entries.len() {
            let order = match (old_entries.get(i), new_entries.get(j)) {
                (Some(o), Some(n)) => git_order(o, n),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Less => {
                    self.removed(&old_entries[i], prefix, commit, out)?;
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    self.added(&new_entries[j], prefix, commit, out)?;
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    let (o, n) = (&old_entries[i], &new_entries[j]);
                    if o.2 != n.2 || o.1 != n.1 {
                        if o.1.is_tree() && n.1.is_tree() {
                            self.diff(Some(o.2), Some(n.2), &join(prefix, &n.0), commit, out)?;
                        } else {
                            self.removed(o, prefix, commit, out)?;
                            self.added(n, prefix, commit, out)?;
                        }
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        Ok(())
    }

    fn added(
        &mut self,
        e: &Entry,
        prefix: &str,
        commit: u32,
        out: &mut Vec<RawEvent>,
    ) -> Result<(), String> {
        if e.1.is_tree() {
            self.diff(None, Some(e.2), &join(prefix, &e.0), commit, out)
        } else {
            if e.1.is_blob() {
                let path = self.path_id(prefix, &e.0);
                out.push(RawEvent::Introduce(e.2, commit, path));
            } else if e.1.is_commit() {
                let path = self.path_id(prefix, &e.0);
                out.push(RawEvent::Submodule(path));
            }
            Ok(())
        }
    }

    fn removed(
        &mut self,
        e: &Entry,
        prefix: &str,
        commit: u32,
        out: &mut Vec<RawEvent>,
    ) -> Result<(), String> {
        if e.1.is_tree() {
            self.diff(Some(e.2), None, &join(prefix, &e.0), commit, out)
        } else {
            if e.1.is_blob() {
                let path = self.path_id(prefix, &e.0);
                out.push(RawEvent::Depart(e.2, commit, path));
            }
            Ok(())
        }
    }
}
