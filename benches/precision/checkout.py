#!/usr/bin/env python3
"""Materialise the pinned repositories of the precision benchmark as plain trees.

Each repository of repos.tsv is written to DEST/<name> at its pinned commit, from a git
directory: a mirror brought by the search tool's fetch (`--mirrors`, default
/work/.mirror/<owner>+<name>/repo), or a clone made here with network access
(`--clone`). Snapshots lack blobs of 4 MiB and more, so a blob the object store does not
have is skipped and listed (the benchmark reports how many), instead of failing the tree.
Nothing of these repositories is committed.

Usage: python3 benches/precision/checkout.py [--dest target/precision/repos] [--mirrors DIR | --clone]
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def pinned():
    with open(os.path.join(HERE, "repos.tsv")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, slug, commit, language = line.split("\t")[:4]
            yield name, slug, commit, language


def git_dir_for(slug, mirrors, clone_root):
    if mirrors:
        path = os.path.join(mirrors, slug.replace("/", "+"), "repo")
        if os.path.isdir(path):
            return path
    if clone_root:
        path = os.path.join(clone_root, slug.replace("/", "+") + ".git")
        if not os.path.isdir(path):
            subprocess.run(["git", "clone", "--bare", "--filter=blob:limit=4m",
                            f"https://github.com/{slug}", path], check=True)
        return path
    return None


def materialise(git_dir, commit, dest):
    """Write every blob of `commit` under `dest`; returns (files, bytes, missing paths)."""
    tree = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", "--full-tree", commit],
                          check=True, capture_output=True).stdout
    entries = []
    for record in tree.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, oid = meta.split(b" ")
        if kind != b"blob" or mode == b"120000":
            continue  # submodules and symlinks are not files to scan
        entries.append((oid.decode(), path.decode("utf-8", "surrogateescape")))
    batch = subprocess.Popen(["git", "--git-dir", git_dir, "cat-file", "--batch"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    files = size = 0
    missing = []
    for oid, path in entries:
        batch.stdin.write(oid.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            missing.append(path)
            continue
        length = int(header[2])
        data = batch.stdout.read(length)
        batch.stdout.read(1)
        out = os.path.join(dest, path)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(data)
        files += 1
        size += length
    batch.stdin.close()
    batch.wait()
    return files, size, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", default=os.path.join(HERE, "..", "..", "target", "precision", "repos"))
    ap.add_argument("--mirrors", default="/work/.mirror")
    ap.add_argument("--clone", metavar="DIR", help="clone missing repositories into DIR (needs network)")
    args = ap.parse_args()
    dest_root = os.path.abspath(args.dest)
    os.makedirs(dest_root, exist_ok=True)
    failed = 0
    for name, slug, commit, _ in pinned():
        dest = os.path.join(dest_root, name)
        marker = os.path.join(dest_root, f".{name}.{commit}")
        if os.path.exists(marker):
            continue
        git_dir = git_dir_for(slug, args.mirrors, args.clone)
        if git_dir is None:
            print(f"error: no git directory for {slug}; fetch it or pass --clone DIR", file=sys.stderr)
            failed += 1
            continue
        if os.path.isdir(dest):
            subprocess.run(["rm", "-rf", dest], check=True)
        files, size, missing = materialise(git_dir, commit, dest)
        with open(marker, "w") as f:
            f.write("\n".join(missing))
        print(f"{name}: {files} files, {size / 1e6:.1f} MB at {commit[:12]}; {len(missing)} blobs absent from the snapshot")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
