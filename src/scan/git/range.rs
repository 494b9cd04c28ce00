//! `--rev-range A..B`: which commits of the loaded graph a range selects.

use super::graph;
use std::collections::HashSet;

/// The commits of a range, and why there are none when there are none.
pub(super) struct RangeCommits {
    pub(super) commits: HashSet<u32>,
    pub(super) empty_because: Option<String>,
}

pub(super) fn range_commits(
    repo: &gix::Repository,
    graph: &graph::CommitGraph,
    range: &str,
) -> Result<RangeCommits, String> {
    let (from, to) = range
        .split_once("..")
        .ok_or_else(|| "expected A..B".to_string())?;
    let resolve = |spec: &str| -> Result<u32, String> {
        let spec = if spec.is_empty() { "HEAD" } else { spec };
        let id = repo
            .rev_parse_single(spec)
            .map_err(|e| format!("cannot resolve `{spec}` in this repository: {e}"))?;
        let commit = id
            .object()
            .map_err(|e| e.to_string())?
            .peel_to_commit()
            .map_err(|e| format!("`{spec}` is not a commit: {e}"))?;
        graph
            .index_of(&commit.id)
            .ok_or_else(|| format!("`{spec}` is not reachable from any ref"))
    };
    let (from_commit, to_commit) = (resolve(from)?, resolve(to)?);
    let to_set = ancestors(graph, to_commit);
    let from_set = ancestors(graph, from_commit);
    let commits: HashSet<u32> = to_set.difference(&from_set).copied().collect();
    let empty_because = commits.is_empty().then(|| {
        let (from, to) = (
            if from.is_empty() { "HEAD" } else { from },
            if to.is_empty() { "HEAD" } else { to },
        );
        if from_commit == to_commit {
            format!("`{from}` and `{to}` are the same commit")
        } else {
            format!(
                "`{to}` is an ancestor of `{from}`, so the range is reversed; did you mean `{to}..{from}`?"
            )
        }
    });
    Ok(RangeCommits {
        commits,
        empty_because,
    })
}

fn ancestors(graph: &graph::CommitGraph, start: u32) -> HashSet<u32> {
    let mut seen = HashSet::new();
    let mut stack = vec![start];
    while let Some(c) = stack.pop() {
        if seen.insert(c) {
            stack.extend(graph.commits[c as usize].parents.iter().copied());
        }
    }
    seen
}
