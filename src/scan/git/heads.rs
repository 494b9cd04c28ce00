//! Reading the head of every object of one kind the packs store whole, on several
//! threads, ahead of the one-core walk that needs them (the commit graph takes tree,
//! parents and author from the first 512 bytes of each commit).
//!
//! Why a head: most of a commit of a project on GitHub is its signature, which nothing
//! here reads. Why trusted: only an entry whose packed bytes match the CRC its index
//! records is read this way, since inflating a head checks no zlib checksum; everything
//! else is left to the caller's whole read by id, where damage is an error.

use super::packs::Packs;
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
