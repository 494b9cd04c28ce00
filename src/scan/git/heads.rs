//! Reading the head of every object of one kind the packs store whole, on several
//! threads, ahead of the one-core walk that needs them (the commit graph takes tree,
//! parents and author from the first 512 bytes of each commit).
//!
//! Why a head: most of a commit of a project on GitHub is its signature, which nothing
//! here reads. Why trusted: only an entry whose packed bytes match the CRC its index
//! records is read this way, since inflating a head checks no zlib checksum; everything
//! else is left to the caller's whole read by id, where damage is an error.

use super::packs::{PackEntry, Packs, crc_matches, pack_order};
use gix::ObjectId;
use gix::odb::pack;

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
        let threads = threads.max(1);
        let decode = &decode;
        let in_order: Vec<Vec<PackEntry>> =
            self.bundles.iter().map(|(_, b)| pack_order(b)).collect();
        let in_order = &in_order;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    scope.spawn(move || {
                        let mut inflate = gix::zlib::Inflate::default();
                        let mut data = vec![0; head];
                        let mut out = Vec::new();
                        for ((_, bundle), entries) in self.bundles.iter().zip(in_order) {
                            // Blocks of the pack dealt round the threads: even work, and
                            // each thread reads the pack in runs.
                            let read = EntryHead { bundle, kind };
                            for block in entries.chunks(HEAD_BLOCK).skip(thread).step_by(threads) {
                                for entry in block {
                                    let Some(len) = read.inflate(entry, &mut inflate, &mut data)
                                    else {
                                        continue;
                                    };
                                    let id = bundle.index.oid_at_index(entry.position).to_owned();
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

/// Reading the head of one pack entry of `kind` for [`Packs::object_heads`].
struct EntryHead<'a> {
    bundle: &'a pack::Bundle,
    kind: gix::object::Kind,
}

impl EntryHead<'_> {
    /// Inflate the head of `at` into `data`; its length, or `None` if the entry is of
    /// another kind, a delta, or not known to be intact.
    fn inflate(
        &self,
        at: &PackEntry,
        inflate: &mut gix::zlib::Inflate,
        data: &mut [u8],
    ) -> Option<usize> {
        let pack = &self.bundle.pack;
        let entry = pack.entry(at.offset).ok()?;
        if entry.header.as_kind() != Some(self.kind) {
            return None;
        }
        // Inflating only a head checks no zlib checksum: the index's CRC of the packed
        // bytes stands for the whole entry.
        if crc_matches(self.bundle, at) != Some(true) {
            return None;
        }
        let len = data
            .len()
            .min(usize::try_from(entry.decompressed_size).ok()?);
        let input = pack.entry_slice(entry.data_offset..at.end)?;
        // Inflating stops when the head is full: the rest of the object costs nothing.
        inflate.reset();
        match inflate.prefix(input, &mut data[..len]) {
            Ok((_, _, written)) if written == len => Some(len),
            _ => None,
        }
    }
}

/// Index entries per block in [`Packs::object_heads`].
const HEAD_BLOCK: usize = 4096;
