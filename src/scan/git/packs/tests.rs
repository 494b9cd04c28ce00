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
        .position(|id| git(tmp.path(), &["cat-file", "-p", &id.to_string()]).starts_with("written"))
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

/// Forty files beside the versions of `config.txt` (trees large enough to be stored as
/// deltas too), repacked with deltas naming their base by offset or, with `by_id`, by id.
fn repository_with_tree_deltas(dir: &std::path::Path, by_id: bool) {
    for file in 0..40 {
        std::fs::write(dir.join(format!("file_{file}.txt")), format!("{file}\n")).unwrap();
    }
    repository(dir);
    if by_id {
        git(
            dir,
            &[
                "-c",
                "repack.useDeltaBaseOffset=false",
                "repack",
                "-adfq",
                "--depth=50",
                "--window=50",
            ],
        );
    }
}

#[test]
fn every_entry_is_given_the_kind_git_gives_it_and_only_blob_chains_are_traversed() {
    use pack::data::entry::Header;
    for by_id in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        repository_with_tree_deltas(tmp.path(), by_id);
        let index_path = pack_indexes_of(tmp.path());
        // `verify-pack -v`: id, kind (a delta's is its base's), size, packed size, offset,
        // then depth and base for a delta.
        let listing = git(tmp.path(), &["verify-pack", "-v", &index_path]);
        let mut by_git: Vec<(u64, String)> = Vec::new();
        let mut deltas = std::collections::BTreeSet::new();
        for line in listing.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields
                .first()
                .is_some_and(|f| ObjectId::from_hex(f.as_bytes()).is_ok())
            {
                by_git.push((fields[4].parse().unwrap(), fields[1].to_string()));
                if fields.len() > 5 {
                    deltas.insert(fields[1].to_string());
                }
            }
        }
        by_git.sort();
        assert!(
            deltas.contains("tree") && deltas.contains("blob"),
            "trees and blobs must both be stored as deltas: {listing}"
        );
        let repo = gix::open(tmp.path()).unwrap();
        let packs = Packs::of(&repo);
        let bundle = &packs.bundles[0].1;
        let entries = pack_order(bundle);
        assert_eq!(entries.len(), by_git.len(), "{listing}");
        let by_id_deltas = entries
            .iter()
            .filter(|e| {
                matches!(
                    bundle.pack.entry(e.offset).unwrap().header,
                    Header::RefDelta { .. }
                )
            })
            .count();
        assert_eq!(
            by_id_deltas > 0,
            by_id,
            "{by_id_deltas} deltas naming their base by id"
        );
        // A buffer hardly longer than a header: refilled for nearly every entry.
        for buffer in [1 << 20, 70, 100] {
            let kinds = entry_kinds(bundle, &entries, buffer).expect("every kind told");
            let ours: Vec<(u64, String)> = entries
                .iter()
                .zip(&kinds)
                .map(|(entry, kind)| (entry.offset, kind.to_string()))
                .collect();
            assert_eq!(ours, by_git, "buffer of {buffer} bytes, by id: {by_id}");
        }
        // The traversal decodes the first entry and the blobs' chains, nothing else.
        let tree = delta_tree(bundle).unwrap();
        let blobs = by_git.iter().filter(|(_, kind)| kind == "blob").count();
        assert_eq!(
            count_items(tree, bundle),
            blobs + usize::from(by_git[0].1 != "blob"),
            "by id: {by_id}"
        );
    }
}

/// Adler-32 of `data`, the checksum that ends a zlib stream.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[test]
fn a_blob_whose_packed_bytes_no_longer_match_the_index_is_left_to_be_read_by_id() {
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    // Bytes that do not compress, so zlib stores them as they are, around a marker.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % 255) as u8 + 1
            })
            .collect()
    };
    let marker = b"\nMARKER_token_value_that_stays_as_written\n";
    let content = [noise(3000), marker.to_vec(), noise(3000)].concat();
    std::fs::write(tmp.path().join("stored.bin"), &content).unwrap();
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-q", "-m", "one blob"]);
    git(tmp.path(), &["repack", "-adq"]);
    let index_path = pack_indexes_of(tmp.path());
    let pack_path = std::path::Path::new(&index_path).with_extension("pack");
    let mut packed = std::fs::read(&pack_path).unwrap();
    let at = packed
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("the marker stored verbatim in the pack");
    // Change the marker and write the checksum of the changed content: a zlib stream as
    // valid as before, inflating to other content of the same size. Only the index's CRC
    // of the entry tells.
    packed[at + 1..at + 7].copy_from_slice(b"ALTERD");
    let mut changed = content.clone();
    let in_content = 3000;
    changed[in_content + 1..in_content + 7].copy_from_slice(b"ALTERD");
    let checksum_at = at + marker.len() + 3000;
    assert_eq!(
        packed[checksum_at..checksum_at + 4],
        adler32(&content).to_be_bytes(),
        "the stream's checksum right after the stored bytes"
    );
    packed[checksum_at..checksum_at + 4].copy_from_slice(&adler32(&changed).to_be_bytes());
    std::fs::write(&pack_path, &packed).unwrap();

    let id = ObjectId::from_hex(
        git(tmp.path(), &["rev-parse", "HEAD:stored.bin"])
            .trim()
            .as_bytes(),
    )
    .unwrap();
    let wanted: HashMap<ObjectId, u32> = [(id, 0)].into();
    let delivered = [AtomicBool::new(false)];
    let repo = gix::open(tmp.path()).unwrap();
    let mut packs = Packs::of(&repo);
    let seen = Mutex::new(Vec::new());
    packs.read(&wanted, &delivered, 1, |_, data: &[u8]| {
        seen.lock().unwrap().push(data.to_vec());
    });
    assert!(
        seen.into_inner().unwrap().is_empty(),
        "the altered blob was handed over"
    );
    assert!(!delivered[0].load(Ordering::Relaxed));
    assert!(
        packs
            .warnings
            .iter()
            .any(|w| w.contains(&id.to_string()) && w.contains("CRC")),
        "{:?}",
        packs.warnings
    );
}

/// The number of objects a traversal of `tree` hands over.
fn count_items(tree: DeltaTree, bundle: &pack::Bundle) -> usize {
    let count = std::sync::atomic::AtomicUsize::new(0);
    tree.traverse(
        |range, pack: &pack::data::File| pack.entry_slice(range),
        &bundle.pack,
        bundle.pack.pack_end() as u64,
        |_: &mut PackEntry,
         _: &dyn gix::progress::Progress,
         _: pack::cache::delta::traverse::Context<'_>| {
            count.fetch_add(1, Ordering::Relaxed);
            Ok(())
        },
        pack::cache::delta::traverse::Options {
            object_progress: Box::new(gix::progress::Discard),
            size_progress: &mut gix::progress::Discard,
            thread_limit: Some(1),
            should_interrupt: &AtomicBool::new(false),
            object_hash: bundle.index.object_hash(),
            alloc_limit_bytes: None,
        },
    )
    .unwrap();
    count.into_inner()
}

fn pack_indexes_of(dir: &std::path::Path) -> String {
    let repo = gix::open(dir).unwrap();
    let indexes = pack_indexes(repo.objects.store_ref().path());
    assert_eq!(indexes.len(), 1);
    indexes[0].display().to_string()
}
