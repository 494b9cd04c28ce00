//! Reading most of a repository's blobs in pack order: each object of a pack decoded once.
//!
//! Reading a blob by its id decodes its whole delta chain, and one chain's bases are shared
//! by many blobs (every version of a file is a delta of another). A full-history scan read
//! blob by blob spent a third of its CPU time inflating the same bases again. gix's
//! delta-tree traversal walks each pack from its bases down to their deltas and hands every
//! object over exactly once, on its own threads. Commits, trees and tags are left out of the
//! tree ([`entry_kinds`]); every blob of the pack is decoded, wanted or not, so it pays only
//! when many blobs are wanted ([`Packs::worth_it`]: an eighth of the
//! packs' objects, counted over all packs together).
//!
//! Every entry the traversal decodes must match the CRC its pack index records ([`intact`]):
//! the traversal itself does not check that an entry's zlib stream ended where it should,
//! so damage could otherwise pass as a blob's content. A damaged entry ends that pack's
//! traversal.
//!
//! A blob no pack gives (a loose object, an alternate's, one of a pack gix cannot traverse
//! or a damaged one) is not lost: [`Packs::read`] marks the blobs it handed over, and the caller reads the rest
//! one by one, as before, where a missing or damaged object becomes an error.

use gix::ObjectId;
use gix::odb::pack;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The packs of the repository's own object directory, each opened once (index and
/// data mapped), with what could not be opened.
pub(super) struct Packs {
    pub(super) bundles: Vec<(PathBuf, pack::Bundle)>,
    /// Each bundle's delta tree (entries by index position), once [`Packs::index`] built it.
    trees: Vec<Option<Result<DeltaTree, String>>>,
    /// Packs that could not be opened: their blobs are read by id.
    pub(super) warnings: Vec<String>,
}

/// A pack's objects arranged bases-first.
type DeltaTree = pack::cache::delta::Tree<PackEntry>;

/// One entry of a pack, where it lies: an item of a [`DeltaTree`], and what
/// [`Packs::object_heads`] reads.
#[derive(Clone, Copy)]
pub(super) struct PackEntry {
    /// Position in the pack index.
    pub(super) position: u32,
    pub(super) offset: u64,
    /// Where the next entry begins, kept in a delta tree or not (gix's own idea of an
    /// item's end is the next item's start).
    pub(super) end: u64,
}

/// Every entry of a pack, in pack order.
pub(super) fn pack_order(bundle: &pack::Bundle) -> Vec<PackEntry> {
    let index = &bundle.index;
    let mut by_offset: Vec<(u64, u32)> = (0..index.num_objects())
        .map(|i| (index.pack_offset_at_index(i), i))
        .collect();
    by_offset.sort_unstable();
    let ends = by_offset
        .iter()
        .skip(1)
        .map(|&(offset, _)| offset)
        .chain([bundle.pack.pack_end() as u64]);
    by_offset
        .iter()
        .zip(ends)
        .map(|(&(offset, position), end)| PackEntry {
            position,
            offset,
            end,
        })
        .collect()
}

/// Whether the packed bytes of `entry` match the CRC its index records; `None` for a
/// version 1 index, which records none.
pub(super) fn crc_matches(bundle: &pack::Bundle, entry: &PackEntry) -> Option<bool> {
    let recorded = bundle.index.crc32_at_index(entry.position)?;
    let packed = bundle.pack.entry_slice(entry.offset..entry.end)?;
    Some(crc32fast::hash(packed) == recorded)
}

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
            // The damage found, for the warning (gix's error names only the inspector).
            let damaged = std::sync::OnceLock::new();
            let damaged_entry = &damaged;
            let inspect =
                move |entry: &mut PackEntry,
                      _: &dyn gix::progress::Progress,
                      object: pack::cache::delta::traverse::Context<'_>| {
                    if let Err(damage) = intact(bundle, entry) {
                        let _ = damaged_entry.set(damage);
                        return Err(gix::error::Exn::new(gix::error::corruption(
                            "a damaged pack entry",
                        ))
                        .into());
                    }
                    if object.entry.header.as_kind() == Some(gix::object::Kind::Blob)
                    && let Some(&blob) = wanted.get(&bundle.index.oid_at_index(entry.position).to_owned())
                    // Two packs may hold the same blob: scanned once.
                    && !delivered[blob as usize].swap(true, Ordering::Relaxed)
                    {
                        sink(blob, object.decompressed);
                    }
                    Ok(())
                };
            // An error (a thin pack's missing base, a damaged entry) ends this pack's
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
                let warning = match damaged.get() {
                    Some(damage) => read_by_id(index_path, damage),
                    None => read_by_id(index_path, &e),
                };
                self.warnings.push(warning);
            }
        }
    }
}

/// What is wrong with `entry`, unless its packed bytes match the CRC its index records
/// (a version 1 index records none). Inflating checks less than it seems: an entry whose damage
/// inflates to an object of the declared size, or an index offset pointing at another
/// entry, would hand over wrong content as if it were the blob.
fn intact(bundle: &pack::Bundle, entry: &PackEntry) -> Result<(), String> {
    if crc_matches(bundle, entry) == Some(false) {
        return Err(format!(
            "the entry of {} at offset {} does not match the CRC its index records",
            bundle.index.oid_at_index(entry.position),
            entry.offset
        ));
    }
    Ok(())
}

/// A pack's delta tree of the entries blobs are made of: in pack order, each delta under
/// its base.
fn delta_tree(bundle: &pack::Bundle) -> Result<DeltaTree, String> {
    let index = &bundle.index;
    let mut entries = pack_order(bundle);
    if let Some(kinds) = entry_kinds(bundle, &entries, 1 << 20) {
        // The first entry stays whatever its kind: gix reads the tree's first header right
        // after the pack's own header.
        let mut kept = kinds.iter().enumerate();
        entries.retain(|_| {
            kept.next()
                .is_some_and(|(i, &kind)| i == 0 || kind == gix::object::Kind::Blob)
        });
    }
    // gix takes an entry's bytes to end where the next entry kept begins: the zlib stream
    // at its start ends where it ends, whatever follows, and `intact` checks the entry's
    // own bytes.
    pack::cache::delta::Tree::from_offsets_in_pack(
        bundle.pack.path(),
        entries.into_iter(),
        &|entry| entry.offset,
        &|id| Ok(index.lookup(id).map(|i| index.pack_offset_at_index(i))),
        &mut gix::progress::Discard,
        &AtomicBool::new(false),
        index.object_hash(),
    )
    .map_err(|e| e.to_string())
}

/// The kind of every entry of `entries` (a pack's, in pack order): its own, or for
/// a delta its base's. git deltas an object only against one of its kind, so commits,
/// trees and tags sit in chains of their own, which the blob scan would decode for
/// nothing (in containerd's history, six objects in ten). `None` when some entry's kind
/// cannot be told from the entries before it (an unreadable header, a delta whose base
/// comes later): then the tree keeps every entry, as gix's own traversal does.
fn entry_kinds(
    bundle: &pack::Bundle,
    entries: &[PackEntry],
    buffer: usize,
) -> Option<Vec<gix::object::Kind>> {
    use pack::data::entry::Header;
    let mut headers = HeaderReader::open(bundle.pack.path(), buffer)?;
    let mut kinds: Vec<gix::object::Kind> = Vec::with_capacity(entries.len());
    for &PackEntry { offset, .. } in entries {
        let entry = headers.read(offset, bundle.index.object_hash())?;
        let base = match entry.header {
            Header::OfsDelta { base_distance } => {
                Header::verified_base_pack_offset(offset, base_distance)?
            }
            Header::RefDelta { base_id } => bundle
                .index
                .pack_offset_at_index(bundle.index.lookup(base_id)?),
            whole => {
                kinds.push(whole.as_kind()?);
                continue;
            }
        };
        let earlier = entries[..kinds.len()]
            .binary_search_by_key(&base, |e| e.offset)
            .ok()?;
        kinds.push(kinds[earlier]);
    }
    Some(kinds)
}

/// Pack entry headers read from the file through a buffer, not from the pack's mapping:
/// touching every entry there would make the whole pack resident in this process (160 MB
/// for containerd) while the history is still being diffed.
struct HeaderReader {
    file: std::fs::File,
    /// Pack offset of `buf[0]`.
    at: u64,
    buf: Vec<u8>,
    len: usize,
}

impl HeaderReader {
    /// Bytes an entry header takes at most: a type-and-size varint, then a base offset
    /// varint or a base object id.
    const LONGEST: usize = 64;

    /// The pack at `path`, read `buffer` bytes at a time (at least [`Self::LONGEST`]).
    fn open(path: &Path, buffer: usize) -> Option<HeaderReader> {
        Some(HeaderReader {
            file: std::fs::File::open(path).ok()?,
            at: 0,
            buf: vec![0; buffer.max(Self::LONGEST)],
            len: 0,
        })
    }

    fn read(&mut self, offset: u64, hash: gix::hash::Kind) -> Option<pack::data::Entry> {
        let buffered = self.at..self.at + self.len as u64;
        if !buffered.contains(&offset) || buffered.end - offset < Self::LONGEST as u64 {
            self.fill(offset)?;
        }
        let start = usize::try_from(offset - self.at).ok()?;
        pack::data::Entry::from_bytes(&self.buf[start..self.len], offset, hash).ok()
    }

    /// Read from `offset` until the buffer is full or the file ends.
    fn fill(&mut self, offset: u64) -> Option<()> {
        use std::io::{Read, Seek};
        (self.at, self.len) = (offset, 0);
        self.file.seek(std::io::SeekFrom::Start(offset)).ok()?;
        while self.len < self.buf.len() {
            match self.file.read(&mut self.buf[self.len..]) {
                Ok(0) => break,
                Ok(read) => self.len += read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Some(())
    }
}

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
mod tests;
