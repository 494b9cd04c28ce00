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
    /// Packs that could not be opened: their blobs are read by id.
    pub(super) warnings: Vec<String>,
}

/// The warning for a pack read by id instead of in its own order.
fn read_by_id(index_path: &Path, e: &dyn std::fmt::Display) -> String {
    format!(
        "pack {}: {e}; its blobs were read one by one instead (slower, nothing skipped)",
        index_path.with_extension("pack").display()
    )
}

impl Packs {
    pub(super) fn open(repo: &gix::Repository) -> Packs {
        let mut packs = Packs {
            bundles: Vec::new(),
            warnings: Vec::new(),
        };
        for index_path in pack_indexes(repo) {
            match pack::Bundle::at(&index_path, repo.object_hash()) {
                Ok(bundle) => packs.bundles.push((index_path, bundle)),
                Err(e) => packs.warnings.push(read_by_id(&index_path, &e)),
            }
        }
        packs
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
        let interrupt = AtomicBool::new(false);
        for (index_path, bundle) in &self.bundles {
            let mut sink = sink.clone();
            let processor = move |kind: gix::object::Kind,
                                  data: &[u8],
                                  entry: &pack::index::Entry,
                                  _: &dyn gix::progress::Progress| {
                if kind == gix::object::Kind::Blob
                    && let Some(&blob) = wanted.get(&entry.oid)
                    // Two packs may hold the same blob: scanned once.
                    && !delivered[blob as usize].swap(true, Ordering::Relaxed)
                {
                    sink(blob, data);
                }
                Ok(())
            };
            // An error (a thin pack's missing base, a damaged entry) ends this pack's
            // traversal; what it did not deliver is read by id, where each failure is
            // reported.
            if let Err(e) = bundle.index.traverse_with_index(
                &bundle.pack,
                processor,
                &mut gix::progress::Discard,
                &interrupt,
                pack::index::traverse::with_index::Options {
                    thread_limit: Some(threads),
                    // Reading, not verifying: git itself trusts its packs when it reads them.
                    check:
                        pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                    alloc_limit_bytes: None,
                },
            ) {
                self.warnings.push(read_by_id(index_path, &e));
            }
        }
    }
}

/// The pack index files of the repository's own object directory.
fn pack_indexes(repo: &gix::Repository) -> Vec<PathBuf> {
    let dir = repo.objects.store_ref().path().join("pack");
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
        let mut packs = Packs::open(&repo);
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
        let indexes = pack_indexes(&repo);
        assert_eq!(indexes.len(), 1);
        indexes[0].display().to_string()
    }
}
