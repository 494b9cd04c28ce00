//! The commit graph of a repository: every commit reachable from any ref, ordered so that
//! parents come before children (oldest author date first among independent commits).
//!
//! Attribution depends on this order: walking commits parents-first and recording the
//! first commit in which each blob appears gives every blob the commit that introduced it.
//!
//! A parent that cannot be read is only a shallow boundary when git says so (the commit is
//! listed in `.git/shallow`); any other missing or unreadable commit is a [`GraphProblem`]
//! naming the object, because history behind it went unscanned. Replace refs are not
//! applied (the scanner opens the object database with replacements off, as
//! `GIT_NO_REPLACE_OBJECTS` does), so the graph is the one the objects record and a
//! `git replace --graft` can neither hide a commit nor make a cycle.

use gix::ObjectId;
use gix::prelude::Find;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// What the history scanner needs to know about one commit.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub tree: ObjectId,
    /// Indices into [`CommitGraph::commits`]; parents missing from the repository (shallow
    /// boundaries, or missing objects reported in [`CommitGraph::problems`]) are left out.
    pub parents: Vec<u32>,
    pub author_name: String,
    pub author_email: String,
    /// Seconds since the Unix epoch.
    pub author_time: i64,
}

#[derive(Debug, Default)]
pub struct CommitGraph {
    /// Parents before children.
    pub commits: Vec<CommitInfo>,
    /// A commit listed in the shallow file has parents the clone does not have: history is
    /// truncated by design.
    pub truncated: bool,
    /// Commits that should be there and could not be read: the history behind them was
    /// not scanned.
    pub problems: Vec<GraphProblem>,
}

/// A commit the graph needed and could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphProblem {
    #[error(
        "commit {id} ({needed_by}) is missing from the object database; history behind it was not scanned. Run `git fsck` and restore the object (e.g. `git fetch` from a complete clone)"
    )]
    Missing { id: ObjectId, needed_by: String },
    #[error(
        "commit {id} ({needed_by}) cannot be read: {message}; history behind it was not scanned. Run `git fsck` to find the damaged pack or object"
    )]
    Unreadable {
        id: ObjectId,
        needed_by: String,
        message: String,
    },
    #[error(
        "{count} commits form a cycle and cannot be ordered (first: {first}); they were not scanned"
    )]
    Cycle { count: usize, first: ObjectId },
}

impl CommitGraph {
    pub fn index_of(&self, id: &ObjectId) -> Option<u32> {
        self.commits
            .iter()
            .position(|c| &c.id == id)
            .map(|i| i as u32)
    }
}

/// Why the commit graph could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("cannot read refs: {0}")]
    Refs(String),
    #[error("cannot read commit {id}: {message}")]
    Commit { id: ObjectId, message: String },
    #[error("commit {id} is malformed: {message}")]
    Malformed { id: ObjectId, message: String },
}

/// Commit ids every ref points at (branches, tags, remotes, HEAD), peeled to commits.
pub fn ref_tips(repo: &gix::Repository) -> Result<(Vec<ObjectId>, Vec<String>), GraphError> {
    let mut tips = Vec::new();
    let mut skipped = Vec::new();
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    let platform = repo
        .references()
        .map_err(|e| GraphError::Refs(e.to_string()))?;
    let all = platform
        .all()
        .map_err(|e| GraphError::Refs(e.to_string()))?;
    for reference in all {
        let mut reference = match reference {
            Ok(r) => r,
            Err(e) => {
                skipped.push(format!("unreadable ref: {e}"));
                continue;
            }
        };
        let name = reference.name().as_bstr().to_string();
        match reference.peel_to_commit() {
            Ok(commit) => tips.push(commit.id),
            // Tags of trees or blobs are legal but carry no history.
            Err(e) => skipped.push(format!("{name}: {e}")),
        }
    }
    tips.sort();
    tips.dedup();
    Ok((tips, skipped))
}

/// Why a commit is loaded, for messages and for how hard a bad one fails.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// A ref points at it: if it is not a commit, the repository is not what it claims.
    Ref,
    /// Listed in the object database (`--all-objects`), no ref known to reach it.
    Listed,
    Parent(ObjectId),
}

/// Load every commit reachable from `tips` and from `listed` (commits of the object
/// database no ref may reach: a bad one is a problem, not a failure), and order them
/// parents-first. `shallow` is the shallow file's list: only their parents may be absent
/// without a problem.
pub fn load(
    repo: &gix::Repository,
    tips: &[ObjectId],
    listed: &[ObjectId],
    shallow: &HashSet<ObjectId>,
) -> Result<CommitGraph, GraphError> {
    let mut index: HashMap<ObjectId, u32> = HashMap::new();
    let mut raw: Vec<(CommitInfo, Vec<ObjectId>)> = Vec::new();
    // Each commit to read, with who needs it; popped last-first, so refs go first.
    let mut stack: Vec<(ObjectId, Need)> = listed.iter().map(|&c| (c, Need::Listed)).collect();
    stack.extend(tips.iter().map(|&t| (t, Need::Ref)));
    let mut buf = Vec::new();
    let mut graph = CommitGraph::default();
    let mut failed: HashSet<ObjectId> = HashSet::new();
    while let Some((id, need)) = stack.pop() {
        if index.contains_key(&id) || failed.contains(&id) {
            continue;
        }
        let child = match need {
            Need::Parent(c) => Some(c),
            Need::Ref | Need::Listed => None,
        };
        let needed_by = match need {
            Need::Parent(c) => format!("parent of {c}"),
            Need::Ref => "a ref points at it".to_string(),
            Need::Listed => "in the object database, --all-objects".to_string(),
        };
        let found = repo.objects.try_find(&id, &mut buf);
        let data = match found {
            Ok(Some(d)) => d,
            Ok(None) if child.is_some_and(|c| shallow.contains(&c)) => {
                // The boundary of a shallow clone, as the shallow file records it.
                graph.truncated = true;
                continue;
            }
            Ok(None) => {
                failed.insert(id);
                graph.problems.push(GraphProblem::Missing { id, needed_by });
                continue;
            }
            Err(e) => {
                failed.insert(id);
                graph.problems.push(GraphProblem::Unreadable {
                    id,
                    needed_by,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let commit = match gix::objs::CommitRef::from_bytes(data.data, id.kind()) {
            Ok(c) => c,
            Err(e) if need == Need::Ref => {
                return Err(GraphError::Malformed {
                    id,
                    message: e.to_string(),
                });
            }
            Err(e) => {
                failed.insert(id);
                graph.problems.push(GraphProblem::Unreadable {
                    id,
                    needed_by,
                    message: format!("not a valid commit ({e})"),
                });
                continue;
            }
        };
        let author = commit.author().ok();
        let parents: Vec<ObjectId> = commit.parents().collect();
        let info = CommitInfo {
            id,
            tree: commit.tree(),
            parents: Vec::new(),
            author_name: author.map(|a| a.name.to_string()).unwrap_or_default(),
            author_email: author.map(|a| a.email.to_string()).unwrap_or_default(),
            author_time: author.map(|a| a.seconds()).unwrap_or_default(),
        };
        index.insert(id, raw.len() as u32);
        stack.extend(parents.iter().map(|&p| (p, Need::Parent(id))));
        raw.push((info, parents));
    }
    for (info, parents) in &mut raw {
        for p in parents.iter() {
            if let Some(&i) = index.get(p) {
                info.parents.push(i);
            }
        }
    }
    let order = parents_first(&raw);
    if order.len() < raw.len() {
        // Impossible in a content-addressed graph without replacements; said, never silent.
        let placed: HashSet<u32> = order.iter().copied().collect();
        let first = (0..raw.len() as u32)
            .find(|i| !placed.contains(i))
            .map(|i| raw[i as usize].0.id)
            .unwrap_or_else(|| ObjectId::null(gix::hash::Kind::Sha1));
        graph.problems.push(GraphProblem::Cycle {
            count: raw.len() - order.len(),
            first,
        });
    }
    let mut remap = vec![u32::MAX; raw.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old as usize] = new as u32;
    }
    let mut slots: Vec<Option<CommitInfo>> = raw.into_iter().map(|(c, _)| Some(c)).collect();
    graph.commits = order
        .iter()
        .filter_map(|&old| {
            let mut c = slots[old as usize].take()?;
            c.parents.retain(|p| remap[*p as usize] != u32::MAX);
            for p in &mut c.parents {
                *p = remap[*p as usize];
            }
            Some(c)
        })
        .collect();
    Ok(graph)
}

/// The shallow boundary: commits whose parents a shallow clone leaves out.
pub fn shallow_commits(repo: &gix::Repository) -> Result<HashSet<ObjectId>, GraphError> {
    match repo.shallow_commits() {
        Ok(Some(list)) => Ok(list.iter().copied().collect()),
        Ok(None) => Ok(HashSet::new()),
        Err(e) => Err(GraphError::Refs(format!(
            "cannot read the shallow file: {e}"
        ))),
    }
}

/// Kahn's algorithm; among commits whose parents are all placed, the oldest author date
/// (then the id) goes first, so the order is deterministic.
fn parents_first(raw: &[(CommitInfo, Vec<ObjectId>)]) -> Vec<u32> {
    let n = raw.len();
    let mut pending = vec![0usize; n];
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, (info, _)) in raw.iter().enumerate() {
        pending[i] = info.parents.len();
        for &p in &info.parents {
            children[p as usize].push(i as u32);
        }
    }
    let mut ready: BinaryHeap<Reverse<(i64, ObjectId, u32)>> = raw
        .iter()
        .enumerate()
        .filter(|(i, _)| pending[*i] == 0)
        .map(|(i, (c, _))| Reverse((c.author_time, c.id, i as u32)))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((_, _, i))) = ready.pop() {
        order.push(i);
        for &child in &children[i as usize] {
            pending[child as usize] -= 1;
            if pending[child as usize] == 0 {
                let c = &raw[child as usize].0;
                ready.push(Reverse((c.author_time, c.id, child)));
            }
        }
    }
    order
}
