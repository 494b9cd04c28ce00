#!/usr/bin/env python3
"""Recall and near-miss false positives per provider family, nhiscan beside its peers.

    cargo build --release && python3 benches/breadth.py [--no-peers]

Every example and negative example of every detector (as written, plus the cases a
contextual row generates from its names and shape; `nhiscan detectors list --format json`
gives both) is written as a file of its own, inside a few lines of ordinary configuration,
under target/breadth/tree/. nhiscan, Kingfisher and Betterleaks scan that tree in the same
run; a positive counts as found when the tool reports anything on its file, a negative as a
false positive when it does. Rows are the detector families (the detector file, so the
long-tail table shows per category).

These are our own examples, written from each provider's documentation: a floor for our
recall (a detector that misses its own examples is broken) and a fair cross-check of the
peers, whose rules were written independently. Our held-out set is what measures us.
"""
import argparse, collections, json, os, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.path.join(ROOT, "target")
NHISCAN = os.path.join(TARGET, "release", "nhiscan")
TREE = os.path.join(TARGET, "breadth", "tree")
sys.path.insert(0, os.path.join(HERE, "precision"))

FRAME_BEFORE = "# service configuration\nREGION=eu-west-1\nLOG_LEVEL=info\n"
FRAME_AFTER = "\nRETRY_LIMIT=5\n# end\n"


def family(d):
    origin = d["origin"].split(":", 1)[-1]
    name = os.path.basename(origin).removesuffix(".toml")
    return name


def write_tree(detectors):
    shutil.rmtree(TREE, ignore_errors=True)
    cases = []  # (path, family, positive)
    for d in detectors:
        if d.get("keywords") == [] and not d.get("regex"):
            continue  # binary (magic) detectors: examples are file headers
        fam = family(d)
        for positive, key in ((True, "examples"), (False, "negative_examples")):
            for n, text in enumerate(d[key]):
                rel = os.path.join(fam, f"{d['id']}.{'pos' if positive else 'neg'}{n}.conf")
                path = os.path.join(TREE, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(FRAME_BEFORE + text + FRAME_AFTER)
                cases.append((rel, fam, positive))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    listed = subprocess.run([NHISCAN, "detectors", "list", "--format", "json"],
                            capture_output=True, text=True, check=True)
    detectors = json.loads(listed.stdout)
    cases = write_tree(detectors)
    import run as precision  # the precision benchmark's runners, the same flags
    os.makedirs(precision.OUT, exist_ok=True)
    tools = {"nhiscan": lambda: levels_of(precision.run_nhiscan(NHISCAN, "breadth", TREE, []))}
    if not args.no_peers:
        kf, bl = precision.ensure_peers()
        tools["kingfisher"] = lambda: files_of(precision.run_kingfisher(kf, "breadth", TREE))
        tools["betterleaks"] = lambda: files_of(precision.run_betterleaks(bl, "breadth", TREE))
    results = {}
    for name, fn in tools.items():
        t = time.time()
        results[name] = fn()
        print(f"{name}: {time.time() - t:.1f} s", file=sys.stderr)
        if name == "nhiscan":
            # What a CI gate sees: the findings that fail the build (deny), and those of
            # them at medium confidence or above (the `--min-confidence medium` view).
            all_findings = results[name]
            results["nhiscan deny"] = {p for p, (level, _) in all_findings.items() if "deny" in level}
            results["nhiscan deny medium+"] = {
                p for p, (level, conf) in all_findings.items()
                if "deny" in level and conf & {"medium", "high"}}
            results[name] = set(all_findings)
    rows = collections.defaultdict(lambda: collections.Counter())
    for rel, fam, positive in cases:
        for name, hit in results.items():
            found = rel in hit
            key = ("tp" if found else "fn") if positive else ("fp" if found else "tn")
            rows[fam][(name, key)] += 1
            rows["ALL"][(name, key)] += 1
    names = list(results)
    head = "| family | positives | negatives | " + " | ".join(
        f"{n} recall | {n} FP" for n in names) + " |"
    print(head)
    print("|" + "---|" * (3 + 2 * len(names)))
    for fam in sorted(rows, key=lambda f: (f == "ALL", f)):
        c = rows[fam]
        pos = c[(names[0], "tp")] + c[(names[0], "fn")]
        neg = c[(names[0], "fp")] + c[(names[0], "tn")]
        cells = []
        for n in names:
            cells.append(f"{c[(n, 'tp')] / pos:.2f}" if pos else "-")
            cells.append(f"{c[(n, 'fp')] / neg:.2f}" if neg else "-")
        print(f"| {fam} | {pos} | {neg} | " + " | ".join(cells) + " |")


def levels_of(run):
    """Like files_of, with the levels and confidences reported in each file."""
    out = collections.defaultdict(lambda: (set(), set()))
    for f in run[0]:
        if f.confidence != "example":
            out[os.path.normpath(f.path)][0].add(f.level)
            out[os.path.normpath(f.path)][1].add(f.confidence)
    return dict(out)


def files_of(run):
    """Files a tool reports a credential in (a vendor's published example is none)."""
    return {os.path.normpath(f.path) for f in run[0] if f.confidence != "example"}


if __name__ == "__main__":
    main()
