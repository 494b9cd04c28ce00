#!/usr/bin/env python3
"""Time `nhiscan scan --staged` as a pre-commit hook runs it: a repository of 2,000
committed files, 50 of them changed and staged (about 1.5 KB each), no secrets.

    cargo build --release && python3 benches/staged.py [--runs 30]

Prints the best and median wall time of `--staged` and, for comparison, of a scan of the
same 50 files given as paths (what the `nhiscan-files` hook runs). Start-up included.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "nhiscan")


def git(repo, *args):
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.test",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.test")
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env,
                   check=True, stdout=subprocess.DEVNULL)


def body(i, rev):
    lines = [f"// module {i} revision {rev}"]
    for j in range(40):
        lines.append(f"export const setting_{j} = compute({i}, {j}, 'value-{rev}-{j}');")
    return "\n".join(lines) + "\n"


def timed(cmd, cwd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append((time.perf_counter() - start) * 1000)
        if out.returncode != 0:
            raise SystemExit(f"{cmd} exited {out.returncode}: {out.stderr.decode()}")
    return min(times), statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        raise SystemExit("error: build nhiscan first (cargo build --release)")
    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "app")
        os.makedirs(os.path.join(repo, "src"))
        git(repo, "init", "-q", "-b", "main")
        for i in range(2000):
            with open(os.path.join(repo, "src", f"m{i}.ts"), "w") as f:
                f.write(body(i, 0))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        changed = [os.path.join("src", f"m{i}.ts") for i in range(0, 2000, 40)]
        for path in changed:
            with open(os.path.join(repo, path), "w") as f:
                f.write(body(int(path[5:-3]), 1))
        git(repo, "add", "-A")
        size = sum(os.path.getsize(os.path.join(repo, p)) for p in changed)
        print(f"{len(changed)} staged files, {size / 1024:.0f} KiB, in a repository of 2,000 files")
        for label, cmd in [
            ("scan --staged", [BIN, "scan", "--staged", "--no-progress"]),
            ("scan FILES (the 50 paths)", [BIN, "scan", "--no-progress", "--no-history", *changed]),
        ]:
            timed(cmd, repo, 3)  # warm-up
            best, median = timed(cmd, repo, args.runs)
            print(f"{label:28} best {best:6.1f} ms   median {median:6.1f} ms")


if __name__ == "__main__":
    main()
