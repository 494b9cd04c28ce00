//! Reading most of a repository's blobs in pack order: each object of a pack decoded once.
//!
//! Reading a blob by its id decodes its whole delta chain, and one chain's bases are shared
//! by many blobs (every version of a file is a delta of another). A full-history scan read
//! blob by blob spent a third of its CPU time inflating the same bases again. gix's
//! delta-tree traversal walks each pack from its bases down to their deltas and hands every
//! object over exactly once, on its own threads. It decodes every object of the pack, wanted
//! or not, so it pays only when many blobs are wanted ([`Packs::worth_it`]: an eighth of the
//! packs' objects, counted over all packs together).
//!
//! A blob no pack gives (a loose object, an alternate's, one of a pack gix cannot traverse)
//! is not lost: [`Packs::read`] marks the blobs it handed over, and the caller reads the rest
//! one by one, as before, where a missing or damaged object becomes an error.

use gix::ObjectId;
use gix::odb::pack;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The packs of the repository's own object directory, each opened once (index and
/// data mapped), with what could not be opened.
pub(super) struct Packs {
    bundles: Vec<(PathBuf, pack::Bundle)>,
    /// Each bundle's delta tree (entries by index position), once [`Packs::index`] built it.
    trees: Vec<Option<Result<DeltaTree, String>>>,
    /// Packs that could not be opened: their blobs are read by id.
    pub(super) warnings: Vec<String>,
}

/// A pack's objects arranged bases-first, each item its position in the pack index.
type DeltaTree = pack::cache::delta::Tree<u32>;

/// The warning for a pack read by id instead of in its own order.
fn read_by_id(index_path: &Path, e: &dyn std::fmt::Display) -> String {
    format!(
        "pack {}: {e}; its blobs were read one by one instead (slower, nothing skipped)",
        index_path.with_extension("pack").display()
    )
}

impl Packs {
    pub(super) fn of(repo: &gix::Repository) -> Packs {
        let hash = repo.object_hash();
        let mut packs = Packs {
            bundles: Vec::new(),
            trees: Vec::new(),
            warnings: Vec::new(),
        };
        for index_path in pack_indexes(repo.objects.store_ref().path()) {
            match pack::Bundle::at(&index_path, hash) {
                Ok(bundle) => {
                    packs.bundles.push((index_path, bundle));
                    packs.trees.push(None);
                }
                Err(e) => packs.warnings.push(read_by_id(&index_path, &e)),
            }
        }
        packs
    }

    /// Build each pack's delta tree, the one-core part of reading in pack order (a fifth
    /// of a second for a pack of 225,000 objects), so it can be done ahead of [`Packs::read`].
    pub(super) fn index(&mut self) {
        for ((_, bundle), tree) in self.bundles.iter().zip(&mut self.trees) {
            if tree.is_none() {
                *tree = Some(delta_tree(bundle));
            }
        }
    }

    /// True when decoding every object of the packs costs less than decoding `wanted`
    /// blobs one by one: a blob's chain averages several entries, so from one wanted
    /// object in eight the traversal wins (a narrow range or a warm cache stays by id).
    pub(super) fn worth_it(&self, wanted: usize) -> bool {
        let objects: u64 = self
            .bundles
            .iter()
            .map(|(_, b)| u64::from(b.index.num_objects()))
            .sum();
        objects > 0 && wanted as u64 * 8 >= objects
    }

    /// Hand each blob of `wanted` (id to blob number) found in the packs to
    /// `sink(blob, data)`, once, on `threads` threads (each with its own clone of `sink`),
    /// and set `delivered[blob]`. A pack that cannot be traversed to its end is added to
    /// the warnings: what it did not deliver stays for the caller to read by id.
    pub(super) fn read<S>(
        &mut self,
        wanted: &HashMap<ObjectId, u32>,
        delivered: &[AtomicBool],
        threads: usize,
        sink: S,
    ) where
        S: FnMut(u32, &[u8]) + Send + Clone,
    {
        self.index();
        let interrupt = AtomicBool::new(false);
        for ((index_path, bundle), tree) in self.bundles.iter().zip(&mut self.trees) {
            let tree = match tree.take() {
                Some(Ok(tree)) => tree,
                Some(Err(e)) => {
                    self.warnings.push(read_by_id(index_path, &e));
                    continue;
                }
                None => continue,
            };
            let mut sink = sink.clone();
            let inspect =
                move |position: &mut u32,
                      _: &dyn gix::progress::Progress,
                      object: pack::cache::delta::traverse::Context<'_>| {
                    if object.entry.header.as_kind() == Some(gix::object::Kind::Blob)
                    && let Some(&blob) = wanted.get(&bundle.index.oid_at_index(*position).to_owned())
                    // Two packs may hold the same blob: scanned once.
                    && !delivered[blob as usize].swap(true, Ordering::Relaxed)
                    {
                        sink(blob, object.decompressed);
                    }
                    Ok(())
                };
            // Reading, not verifying: git itself trusts its packs when it reads them. An
            // error (a thin pack's missing base, a damaged entry) ends this pack's
            // traversal; what it did not deliver is read by id, where each failure is
            // reported.
            let traversed = tree.traverse(
                |range, pack: &pack::data::File| pack.entry_slice(range),
                &bundle.pack,
                bundle.pack.pack_end() as u64,
                inspect,
                pack::cache::delta::traverse::Options {
                    object_progress: Box::new(gix::progress::Discard),
                    size_progress: &mut gix::progress::Discard,
                    thread_limit: Some(threads),
                    should_interrupt: &interrupt,
                    object_hash: bundle.index.object_hash(),
                    alloc_limit_bytes: None,
                },
            );
            if let Err(e) = traversed {
                self.warnings.push(read_by_id(index_path, &e));
            }
        }
    }
}

/// A pack's delta tree: its entries in pack order, each delta under its base.
fn delta_tree(bundle: &pack::Bundle) -> Result<DeltaTree, String> {
    let index = &bundle.index;
    let mut by_offset: Vec<(u64, u32)> = (0..index.num_objects())
        .map(|i| (index.pack_offset_at_index(i), i))
        .collect();
    by_offset.sort_unstable();
    pack::cache::delta::Tree::from_offsets_in_pack(
        bundle.pack.path(),
        by_offset.iter().map(|&(_, position)| position),
        &|&position| index.pack_offset_at_index(position),
        &|id| Ok(index.lookup(id).map(|i| index.pack_offset_at_index(i))),
        &mut gix::progress::Discard,
        &AtomicBool::new(false),
        index.object_hash(),
    )
    .map_err(|e| e.to_string())
}

impl Packs {
    /// The first `head` bytes (or all, if shorter) of every object of `kind` the packs
    /// store whole (not as a delta), inflated on `threads` threads and turned into a `T` by
    /// `decode` (`None` drops it). Each entry's packed bytes must match the CRC its index
    /// records, so a head is only taken from an entry intact to its end. Nothing is
    /// reported: what this leaves out (deltas, damaged entries, a version 1 index without
    /// CRCs, loose objects) the caller reads whole by id, where damage is an error.
    pub(super) fn object_heads<T, D>(
        &self,
        kind: gix::object::Kind,
        threads: usize,
        head: usize,
        decode: D,
    ) -> Vec<(ObjectId, T)>
    where
        T: Send,
        D: Fn(ObjectId, &[u8]) -> Option<T> + Sync,
    {
        let threads = threads.max(1) as u32;
        let decode = &decode;
        let offsets: Vec<Vec<u64>> = self
            .bundles
            .iter()
            .map(|(_, b)| sorted_offsets(b))
            .collect();
        let offsets = &offsets;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    scope.spawn(move || {
                        let mut inflate = gix::zlib::Inflate::default();
                        let mut data = vec![0; head];
                        let mut out = Vec::new();
                        for ((_, bundle), offsets) in self.bundles.iter().zip(offsets) {
                            // Blocks of the index dealt round the threads: even work,
                            // and each thread reads the index in runs.
                            let objects = bundle.index.num_objects();
                            let blocks = objects.div_ceil(HEAD_BLOCK);
                            for block in (thread..blocks).step_by(threads as usize) {
                                let first = block * HEAD_BLOCK;
                                for i in first..(first + HEAD_BLOCK).min(objects) {
                                    let read = EntryHead {
                                        bundle,
                                        offsets,
                                        kind,
                                    };
                                    let Some(len) = read.inflate(i, &mut inflate, &mut data) else {
                                        continue;
                                    };
                                    let id = bundle.index.oid_at_index(i).to_owned();
                                    if let Some(value) = decode(id, &data[..len]) {
                                        out.push((id, value));
                                    }
                                }
                            }
                        }
                        out
                    })
                })
                .collect();
            // A thread that stopped gave nothing: its objects are read by id.
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }
}

/// A pack's entry offsets in pack order: an entry ends where the next begins.
fn sorted_offsets(bundle: &pack::Bundle) -> Vec<u64> {
    let index = &bundle.index;
    let mut offsets: Vec<u64> = (0..index.num_objects())
        .map(|i| index.pack_offset_at_index(i))
        .collect();
    offsets.sort_unstable();
    offsets
}

/// Reading the head of one pack entry of `kind` for [`Packs::object_heads`].
struct EntryHead<'a> {
    bundle: &'a pack::Bundle,
    offsets: &'a [u64],
    kind: gix::object::Kind,
}

impl EntryHead<'_> {
    /// Inflate the head of the entry at index position `i` into `data`; its length, or
    /// `None` if the entry is of another kind, a delta, or not intact.
    fn inflate(&self, i: u32, inflate: &mut gix::zlib::Inflate, data: &mut [u8]) -> Option<usize> {
        let (index, pack) = (&self.bundle.index, &self.bundle.pack);
        let offset = index.pack_offset_at_index(i);
        let entry = pack.entry(offset).ok()?;
        if entry.header.as_kind() != Some(self.kind) {
            return None;
        }
        // Inflating only a head checks no zlib checksum: the index's CRC of the packed
        // bytes stands for the whole entry.
        let next = self.offsets.partition_point(|&o| o <= offset);
        let end = self
            .offsets
            .get(next)
            .copied()
            .unwrap_or(pack.pack_end() as u64);
        if index.crc32_at_index(i)? != crc32fast::hash(pack.entry_slice(offset..end)?) {
            return None;
        }
        let len = data
            .len()
            .min(usize::try_from(entry.decompressed_size).ok()?);
        let input = pack.entry_slice(entry.data_offset..end)?;
        // Inflating stops when the head is full: the rest of the object costs nothing.
        inflate.reset();
        match inflate.prefix(input, &mut data[..len]) {
            Ok((_, _, written)) if written == len => Some(len),
            _ => None,
        }
    }
}

/// Index entries per block in [`Packs::object_heads`].
const HEAD_BLOCK: u32 = 4096;

/// The pack index files of the object directory `objects`.
fn pack_indexes(objects: &Path) -> Vec<PathBuf> {
    let dir = objects.join("pack");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut indexes: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    indexes.sort();
    indexes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::sync::Mutex;

    fn git(dir: &std::path::Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(dir)
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.test")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.test")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Twelve versions of one file (each a delta of another once repacked) and a file
    /// that stays loose, committed after the repack.
    fn repository(dir: &std::path::Path) {
        git(dir, &["init", "-q", "-b", "main"]);
        let mut text: String = (0..200)
            .map(|i| format!("line {i} of the config\n"))
            .collect();
        for version in 0..12 {
            text.push_str(&format!("setting_{version} = {version}\n"));
            std::fs::write(dir.join("config.txt"), &text).unwrap();
            git(dir, &["add", "-A"]);
            git(dir, &["commit", "-q", "-m", &format!("v{version}")]);
        }
        git(dir, &["repack", "-adfq", "--depth=50", "--window=50"]);
        std::fs::write(dir.join("loose.txt"), "written after the repack\n").unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "loose"]);
    }

    #[test]
    fn every_packed_blob_is_handed_over_once_with_its_content_and_loose_ones_are_left() {
        let tmp = tempfile::tempdir().unwrap();
        repository(tmp.path());
        let blobs: Vec<ObjectId> = git(tmp.path(), &["rev-list", "--objects", "--all"])
            .lines()
            .filter_map(|l| l.split(' ').next())
            .filter(|id| git(tmp.path(), &["cat-file", "-t", id]).trim() == "blob")
            .map(|id| ObjectId::from_hex(id.as_bytes()).unwrap())
            .collect();
        assert_eq!(blobs.len(), 13, "twelve versions and the loose file");
        let listing = git(
            tmp.path(),
            &["verify-pack", "-v", &pack_indexes_of(tmp.path())],
        );
        assert!(
            listing.contains("chain length = "),
            "the versions must be stored as deltas: {listing}"
        );
        let wanted: HashMap<ObjectId, u32> = blobs
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        let repo = gix::open(tmp.path()).unwrap();
        let mut packs = Packs::of(&repo);
        assert!(packs.worth_it(wanted.len()));
        assert!(!packs.worth_it(1), "one blob of a pack is read by id");
        let delivered: Vec<AtomicBool> = blobs.iter().map(|_| AtomicBool::new(false)).collect();
        let seen = Mutex::new(Vec::new());
        packs.read(&wanted, &delivered, 2, |blob, data: &[u8]| {
            seen.lock().unwrap().push((blob, data.to_vec()));
        });
        assert!(packs.warnings.is_empty(), "{:?}", packs.warnings);
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        let loose = blobs
            .iter()
            .position(|id| {
                git(tmp.path(), &["cat-file", "-p", &id.to_string()]).starts_with("written")
            })
            .unwrap() as u32;
        let expected: Vec<u32> = (0..13).filter(|&b| b != loose).collect();
        assert_eq!(seen.iter().map(|(b, _)| *b).collect::<Vec<_>>(), expected);
        for (blob, data) in &seen {
            let id = blobs[*blob as usize].to_string();
            assert_eq!(
                data,
                git(tmp.path(), &["cat-file", "-p", &id]).as_bytes(),
                "blob {id}"
            );
        }
        let marked: Vec<u32> = (0..13)
            .filter(|&b| delivered[b as usize].load(Ordering::Relaxed))
            .collect();
        assert_eq!(marked, expected, "the loose blob is left to be read by id");
    }

    fn pack_indexes_of(dir: &std::path::Path) -> String {
        let repo = gix::open(dir).unwrap();
        let indexes = pack_indexes(repo.objects.store_ref().path());
        assert_eq!(indexes.len(), 1);
        indexes[0].display().to_string()
    }
}
