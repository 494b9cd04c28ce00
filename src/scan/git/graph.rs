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
use std::collections::{BinaryHeap, HashSet};

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
    /// The commits the refs resolve to (tags peeled), sorted.
    pub tips: Vec<ObjectId>,
    /// Refs that lead to a tree or blob, not a commit (legal, and no history): said, in
    /// ref-name order.
    pub skipped_refs: Vec<String>,
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
        "tag {id} (ref {name} points at it) cannot be read: {message}; history behind it was not scanned. Run `git fsck` to find the damaged object"
    )]
    UnreadableTag {
        id: ObjectId,
        name: String,
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

/// An object a ref points at, not yet peeled: [`load`] reads it anyway, so a tag is followed
/// and a tree or blob set aside there, not by reading every ref's object twice.
#[derive(Debug, Clone)]
pub struct RefTip {
    pub id: ObjectId,
    pub name: String,
}

/// Every ref's object (branches, tags, remotes, HEAD), with the refs that could not be read.
pub fn ref_tips(repo: &gix::Repository) -> Result<(Vec<RefTip>, Vec<String>), GraphError> {
    let mut tips = Vec::new();
    let mut skipped = Vec::new();
    if let Ok(head) = repo.head_id() {
        tips.push(RefTip {
            id: head.detach(),
            name: "HEAD".into(),
        });
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
        // Peeling reads each ref's object: a mirror's thousands of pull-request refs took
        // a tenth of a second that way. A direct ref is kept as it is.
        let id = match reference.target().try_id() {
            Some(id) => id.to_owned(),
            None => match reference.peel_to_id() {
                Ok(id) => id.detach(),
                Err(e) => {
                    skipped.push(format!("{name}: {e}"));
                    continue;
                }
            },
        };
        tips.push(RefTip { id, name });
    }
    tips.sort_by(|a, b| (a.id, &a.name).cmp(&(b.id, &b.name)));
    tips.dedup_by_key(|t| t.id);
    Ok((tips, skipped))
}

/// Why a commit is loaded, for messages and for how hard a bad one fails.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// The ref `tips[i]` leads to it: if it is not a commit or tag, the ref carries no
    /// history; if it claims to be a commit and is not, the repository is broken.
    Ref(u32),
    /// Listed in the object database (`--all-objects`), no ref known to reach it.
    Listed,
    Parent(ObjectId),
}

/// A commit as the graph keeps it, with its parents' ids before they are numbered.
pub type Parsed = (CommitInfo, Vec<ObjectId>);

fn parse_commit(id: ObjectId, data: &[u8]) -> Result<Parsed, String> {
    let commit = gix::objs::CommitRef::from_bytes(data, id.kind()).map_err(|e| e.to_string())?;
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
    Ok((info, parents))
}

/// Commits decoded ahead of the walk, by id.
pub type Decoded = gix::hashtable::HashMap<ObjectId, Parsed>;

/// The commits the packs store whole, decoded on `threads` threads: inflating and parsing
/// each commit was most of a one-core walk. Only the head of each is inflated (tree,
/// parents, author), from entries whose packed bytes match their index CRC; a commit whose
/// lines up to `committer ` do not fit in [`COMMIT_HEAD`] bytes or do not parse, or whose
/// entry is damaged anywhere, is left for the walk, which reads it whole and reports it.
pub(super) fn decode_commits(packs: &super::packs::Packs, threads: usize) -> Decoded {
    packs
        .object_heads(
            gix::object::Kind::Commit,
            threads,
            COMMIT_HEAD,
            parse_commit_head,
        )
        .into_iter()
        .collect()
}

/// Bytes of a commit read ahead: a tree, a few parents and the author line fit.
const COMMIT_HEAD: usize = 512;

/// The tree, parents and author of a commit from the start of its text; `None` unless the
/// author line is whole (the committer line follows it) and these lines parse as a whole
/// read parses them. What follows (committer, extra headers, message) is not looked at,
/// as git itself reads only these to walk history.
fn parse_commit_head(id: ObjectId, head: &[u8]) -> Option<Parsed> {
    let mut lines = head.split(|&b| b == b'\n');
    let tree = ObjectId::from_hex(lines.next()?.strip_prefix(b"tree ")?).ok()?;
    let mut parents = Vec::new();
    let mut line = lines.next()?;
    while let Some(parent) = line.strip_prefix(b"parent ") {
        let parent = ObjectId::from_hex(parent).ok()?;
        if parent.kind() != id.kind() {
            return None;
        }
        parents.push(parent);
        line = lines.next()?;
    }
    let mut author = line.strip_prefix(b"author ")?;
    if !lines.next()?.starts_with(b"committer ") {
        return None;
    }
    let signature = gix::actor::SignatureRef::from_bytes_consuming(&mut author).ok()?;
    if !author.is_empty() || tree.kind() != id.kind() {
        return None;
    }
    let signature = signature.trim();
    let info = CommitInfo {
        id,
        tree,
        parents: Vec::new(),
        author_name: signature.name.to_string(),
        author_email: signature.email.to_string(),
        author_time: signature.seconds(),
    };
    Some((info, parents))
}

/// Load every commit reachable from `tips` and from `listed` (commits of the object
/// database no ref may reach: a bad one is a problem, not a failure), and order them
/// parents-first. `shallow` is the shallow file's list: only their parents may be absent
/// without a problem. Commits in `decoded` are taken from there; the rest are read.
pub fn load(
    repo: &gix::Repository,
    tips: &[RefTip],
    listed: &[ObjectId],
    shallow: &HashSet<ObjectId>,
    mut decoded: Decoded,
) -> Result<CommitGraph, GraphError> {
    let mut index: gix::hashtable::HashMap<ObjectId, u32> = Default::default();
    let mut raw: Vec<Parsed> = Vec::new();
    // Each object to read, with who needs it; popped last-first, so refs go first.
    let mut stack: Vec<(ObjectId, Need)> = listed.iter().map(|&c| (c, Need::Listed)).collect();
    stack.extend((0..tips.len() as u32).map(|t| (tips[t as usize].id, Need::Ref(t))));
    let mut buf = Vec::new();
    let mut graph = CommitGraph::default();
    let mut failed: gix::hashtable::HashSet<ObjectId> = Default::default();
    while let Some((id, need)) = stack.pop() {
        if index.contains_key(&id) {
            if matches!(need, Need::Ref(_)) {
                graph.tips.push(id);
            }
            continue;
        }
        if failed.contains(&id) {
            continue;
        }
        let parsed = match decoded.remove(&id) {
            Some(parsed) => parsed,
            None => match read(repo, id, need, tips, shallow, &mut buf) {
                Read::Commit(parsed) => parsed,
                Read::Tag(target) => {
                    stack.push((target, need));
                    continue;
                }
                Read::Skip(why) => {
                    graph.skipped_refs.push(why);
                    continue;
                }
                Read::Boundary => {
                    graph.truncated = true;
                    continue;
                }
                Read::Problem(problem) => {
                    failed.insert(id);
                    graph.problems.push(problem);
                    continue;
                }
                Read::Fatal(e) => return Err(e),
            },
        };
        if matches!(need, Need::Ref(_)) {
            graph.tips.push(id);
        }
        index.insert(id, raw.len() as u32);
        stack.extend(parsed.1.iter().map(|&p| (p, Need::Parent(id))));
        raw.push(parsed);
    }
    graph.tips.sort();
    graph.tips.dedup();
    graph.skipped_refs.sort();
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

/// What reading one object for the walk gave.
enum Read {
    Commit(Parsed),
    /// A ref's annotated tag: follow its target for the same ref.
    Tag(ObjectId),
    /// A ref that leads to no history, with what to say about it.
    Skip(String),
    /// A parent a shallow clone leaves out, as the shallow file records it.
    Boundary,
    Problem(GraphProblem),
    Fatal(GraphError),
}

fn read(
    repo: &gix::Repository,
    id: ObjectId,
    need: Need,
    tips: &[RefTip],
    shallow: &HashSet<ObjectId>,
    buf: &mut Vec<u8>,
) -> Read {
    let needed_by = || match need {
        Need::Parent(c) => format!("parent of {c}"),
        Need::Ref(t) => format!("ref {} points at it", tips[t as usize].name),
        Need::Listed => "in the object database, --all-objects".to_string(),
    };
    let data = match repo.objects.try_find(&id, buf) {
        Ok(Some(d)) => d,
        Ok(None) => {
            return match need {
                Need::Parent(child) if shallow.contains(&child) => Read::Boundary,
                _ => Read::Problem(GraphProblem::Missing {
                    id,
                    needed_by: needed_by(),
                }),
            };
        }
        Err(e) => {
            return Read::Problem(GraphProblem::Unreadable {
                id,
                needed_by: needed_by(),
                message: e.to_string(),
            });
        }
    };
    if let Need::Ref(t) = need {
        let name = &tips[t as usize].name;
        match data.kind {
            gix::object::Kind::Commit => {}
            gix::object::Kind::Tag => {
                // Only the target is needed: git follows a tag it can find the object
                // line of, whatever the rest says.
                return match gix::objs::TagRefIter::from_bytes(data.data, id.kind()).target_id() {
                    Ok(target) => Read::Tag(target),
                    Err(e) => Read::Problem(GraphProblem::UnreadableTag {
                        id,
                        name: name.clone(),
                        message: e.to_string(),
                    }),
                };
            }
            // Tags of trees or blobs are legal but carry no history.
            kind => {
                return Read::Skip(format!(
                    "{name}: points at a {kind}, not a commit; it carries no history"
                ));
            }
        }
    }
    // The same lines as a commit decoded ahead, so whether a commit is packed whole, as a
    // delta or loose never changes what is accepted; the whole parse only says what is wrong.
    if let Some(parsed) = parse_commit_head(id, data.data) {
        return Read::Commit(parsed);
    }
    match parse_commit(id, data.data) {
        Ok(parsed) => Read::Commit(parsed),
        Err(message) if matches!(need, Need::Ref(_)) => {
            Read::Fatal(GraphError::Malformed { id, message })
        }
        Err(e) => Read::Problem(GraphProblem::Unreadable {
            id,
            needed_by: needed_by(),
            message: format!("not a valid commit ({e})"),
        }),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    const PARENT: &str = "8d6c1f0e0b7c0d2a9b3e6f1a2c4d5e6f708192a3";

    fn id() -> ObjectId {
        ObjectId::from_hex(b"1f2e3d4c5b6a79881726354453627180a9b8c7d6").unwrap()
    }

    fn commit(parents: usize, author: &str, rest: &str) -> Vec<u8> {
        let mut text = format!("tree {TREE}\n");
        for _ in 0..parents {
            text.push_str(&format!("parent {PARENT}\n"));
        }
        text.push_str(&format!(
            "author {author}\ncommitter Build Bot <bot@example.test> 1700000100 +0000\n{rest}"
        ));
        text.into_bytes()
    }

    fn long_signature() -> String {
        let armour: String = (0..40).map(|i| format!(" {i:064x}\n")).collect();
        format!(
            "gpgsig -----BEGIN PGP SIGNATURE-----\n{armour} -----END PGP SIGNATURE-----\n\nlong\n"
        )
    }

    fn same(a: &Parsed, b: &Parsed) -> bool {
        let (a, b) = ((&a.0, &a.1), (&b.0, &b.1));
        (
            a.0.tree,
            &a.0.author_name,
            &a.0.author_email,
            a.0.author_time,
            a.1,
        ) == (
            b.0.tree,
            &b.0.author_name,
            &b.0.author_email,
            b.0.author_time,
            b.1,
        )
    }

    #[test]
    fn the_head_of_a_commit_gives_what_reading_it_whole_gives() {
        let signed = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n wsBcBAABCAAQBQJ\n -----END PGP SIGNATURE-----\n\nMerge pull request\n";
        let cases = [
            commit(
                0,
                "Alice Admin <alice@example.test> 1700000000 +0200",
                "\nfirst\n",
            ),
            commit(
                1,
                "Zoë Ops <zoe@example.test> 1700000000 -0530",
                "encoding ISO-8859-1\n\nmsg\n",
            ),
            commit(2, "Frank Ops <frank@example.test> 1600000000 +0000", signed),
            commit(
                1,
                "  Spaced Name   <spaced@example.test> 1500000000 +0000",
                "\nx\n",
            ),
            // Longer than the head read ahead: the head ends inside the signature.
            commit(
                2,
                "Frank Ops <frank@example.test> 1600000000 +0000",
                &long_signature(),
            ),
        ];
        assert!(cases.last().unwrap().len() > 2 * COMMIT_HEAD);
        for text in &cases {
            let whole = parse_commit(id(), text).expect("a valid commit");
            for head_len in [COMMIT_HEAD, text.len()] {
                let head = &text[..head_len.min(text.len())];
                let ahead = parse_commit_head(id(), head)
                    .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(text)));
                assert!(same(&ahead, &whole), "{}", String::from_utf8_lossy(text));
            }
        }
    }

    #[test]
    fn a_head_that_ends_inside_the_author_or_parents_is_left_for_the_walk() {
        let text = commit(
            3,
            "Alice Admin <alice@example.test> 1700000000 +0200",
            "\nm\n",
        );
        let committer = text.windows(10).position(|w| w == b"committer ").unwrap();
        // Every cut before the committer line begins: the author line (or a parent) is
        // not known whole, so nothing is guessed.
        for cut in 0..committer + 10 {
            assert!(
                parse_commit_head(id(), &text[..cut]).is_none(),
                "cut at {cut}: {}",
                String::from_utf8_lossy(&text[..cut])
            );
        }
        assert!(parse_commit_head(id(), &text[..committer + 10]).is_some());
        let sha256_parent = format!(
            "tree {TREE}\nparent {}\nauthor A <a@example.test> 1 +0000\ncommitter A <a@example.test> 1 +0000\n\nm\n",
            "ab".repeat(32)
        );
        assert!(
            parse_commit_head(id(), sha256_parent.as_bytes()).is_none(),
            "a SHA-256 parent in a SHA-1 commit is refused, as a whole read refuses it"
        );
        let bad_time = commit(0, "Alice Admin <alice@example.test> soon +0200", "\nm\n");
        assert_eq!(
            parse_commit_head(id(), &bad_time).is_some(),
            parse_commit(id(), &bad_time).is_ok(),
            "a signature a whole read refuses is not taken ahead either"
        );
    }
}
