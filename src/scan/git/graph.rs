//! The commit graph of a repository: every commit reachable from any ref, ordered so that
//! parents come before children (oldest author date first among independent commits).
//!
//! Attribution depends on this order: walking commits parents-first and recording the
//! first commit in which each blob appears gives every blob the commit that introduced it.

use gix::ObjectId;
use gix::prelude::FindExt;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// What the history scanner needs to know about one commit.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub tree: ObjectId,
    /// Indices into [`CommitGraph::commits`]; parents missing from the repository (shallow
    /// clones) are left out.
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
    /// Some parent commit is absent (a shallow clone): history is truncated.
    pub truncated: bool,
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

/// Load every commit reachable from `tips` and order them parents-first.
pub fn load(repo: &gix::Repository, tips: &[ObjectId]) -> Result<CommitGraph, GraphError> {
    let mut index: HashMap<ObjectId, u32> = HashMap::new();
    let mut raw: Vec<(CommitInfo, Vec<ObjectId>)> = Vec::new();
    let mut stack: Vec<ObjectId> = tips.to_vec();
    let mut buf = Vec::new();
    let mut truncated = false;
    while let Some(id) = stack.pop() {
        if index.contains_key(&id) {
            continue;
        }
        let data = match repo.objects.find(&id, &mut buf) {
            Ok(d) => d,
            Err(_) if !tips.contains(&id) => {
                // A parent we do not have: the boundary of a shallow clone.
                truncated = true;
                continue;
            }
            Err(e) => {
                return Err(GraphError::Commit {
                    id,
                    message: e.to_string(),
                });
            }
        };
        let commit = gix::objs::CommitRef::from_bytes(data.data, id.kind()).map_err(|e| {
            GraphError::Malformed {
                id,
                message: e.to_string(),
            }
        })?;
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
        stack.extend(parents.iter().copied());
        raw.push((info, parents));
    }
    for (info, parents) in &mut raw {
        for p in parents.iter() {
            match index.get(p) {
                Some(&i) => info.parents.push(i),
                None => truncated = true,
            }
        }
    }
    let order = parents_first(&raw);
    let mut remap = vec![0u32; raw.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old as usize] = new as u32;
    }
    let mut slots: Vec<Option<CommitInfo>> = raw.into_iter().map(|(c, _)| Some(c)).collect();
    let commits = order
        .iter()
        .map(|&old| {
            let mut c = slots[old as usize].take().expect("each commit placed once");
            for p in &mut c.parents {
                *p = remap[*p as usize];
            }
            c
        })
        .collect();
    Ok(CommitGraph { commits, truncated })
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
