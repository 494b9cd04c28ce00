#!/usr/bin/env python3
"""`nhiscan merge` benchmark: N shard inventories of M identities each, merged at once.

The shards are written from a real inventory (one `nhiscan scan` of a file holding a
synthetic GitLab token, in the JSON contract the scanner writes): each identity is that
found secret with its id, fingerprint and place varied, one in ten shared with the next
shard (the same secret in two repositories, so merge unites exposures and judges
`secret-reused`). Then one `nhiscan merge` of all of them is timed.

Usage: python3 benches/merge.py [--shards 100] [--identities 5000] [--history] [--keep DIR]
Needs a release build (`cargo build --release`). Prints wall time, peak RSS, identities in
and out. `--history` also records the merge in a scan-history database, the path that holds
every finding in memory (the history stores the whole inventory).
"""
import argparse, copy, json, os, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", type=int, default=100)
    ap.add_argument("--identities", type=int, default=5000)
    ap.add_argument("--history", action="store_true", help="merge with --history DB")
    ap.add_argument("--keep", metavar="DIR", help="write the shards to DIR and keep them (for profiling)")
    args = ap.parse_args()
    binary = os.path.join(ROOT, "target/release/nhiscan")
    if not os.path.exists(binary):
        sys.exit("no release build; run `cargo build --release` first")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        os.makedirs(tmp, exist_ok=True)
        with open(os.path.join(tmp, "app.env"), "w") as f:
            f.write("GITLAB_TOKEN=glpat-qNq_3QDEdOy8Du2QCMRS\n")
        env = dict(os.environ, NHISCAN_NOW="2026-11-22T12:00:00Z")
        out = subprocess.run([binary, "scan", "app.env", "--format", "json", "--no-history"],
                             cwd=tmp, env=env, capture_output=True, text=True)
        base = json.loads(out.stdout)
        template = base["identities"][0]
        paths = []
        t = time.time()
        for s in range(args.shards):
            inv = copy.deepcopy(base)
            inv["scope"]["shard"] = [f"{s}/{args.shards}"]
            inv["sources"] = [{"id": f"git:acme/repo-{s}", "status": "ok", "items": args.identities, "errors": []}]
            identities = []
            for n in range(args.identities):
                # One in ten is the next shard's secret too.
                key = (s + 1) * args.identities + n + 1 if n % 10 == 0 else s * args.identities + n
                fp = f"{key:032x}"
                i = copy.deepcopy(template)
                i["id"], i["fingerprint"] = f"secret:{fp}", fp
                e = i["exposures"][0]
                e["path"] = f"acme/repo-{s}:config/app-{n}.env"
                e["origin"] = {"kind": "clone", "source": "repos:list", "repository": f"acme/repo-{s}",
                               "path": f"config/app-{n}.env", "commit": f"{s:040x}", "in_head": True}
                identities.append(i)
            inv["identities"] = identities
            inv["findings"] = []
            path = os.path.join(tmp, f"shard-{s:03d}.json")
            with open(path, "w") as f:
                json.dump(inv, f)
            paths.append(path)
        size = sum(os.path.getsize(p) for p in paths) / 2**20
        print(f"wrote {args.shards} shards x {args.identities} identities ({size:.0f} MiB) in {time.time() - t:.1f} s")
        merged = os.path.join(tmp, "merged.json")
        t = time.time()
        extra = ["--history", os.path.join(tmp, "history.db")] if args.history else []
        p = subprocess.run([binary, "merge", *paths, "-o", merged, *extra], env=env,
                           capture_output=True, text=True)
        wall = time.time() - t
        # Peak of the children: the merge (the one small scan above is far below it).
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result = json.load(open(merged))
    what = "nhiscan merge --history" if args.history else "nhiscan merge"
    print(f"{what}: {wall:.2f} s wall, peak RSS {rss:.0f} MiB, exit {p.returncode}")
    print(f"identities in: {args.shards * args.identities}, out: {len(result['identities'])}, "
          f"findings: {len(result['findings'])}")
    if p.returncode not in (0, 1):
        print(p.stderr[-2000:])


if __name__ == "__main__":
    main()
