#!/usr/bin/env python3
"""History-scan throughput: nhiscan over a large generated history vs `git log -p | rg`.

    python3 benches/history.py                    # 100,000 commits (bare repo, fast-import)
    python3 benches/history.py --commits 20000    # quicker

Builds a bare repository with `git fast-import`: each commit edits 1-3 of ~3000 source-like
files (every edit is a new blob); every 5,000th commit adds a synthetic secret that a later
commit removes. Then, in the same run:
  - `nhiscan scan REPO --format json`: every ref, every blob once; reports commits, blobs,
    blobs/s, MB of history per second and peak RSS;
  - baseline: `git log -p --all | rg --count -f PATTERNS` with the same single-line detector
    regexes as benches/compare.py (ripgrep reads each diff, which repeats unchanged context).

Needs a release build and rg. The repository is cached under ./bench-data/.
"""
import argparse, json, os, random, resource, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NHISCAN = os.path.join(ROOT, 'target', 'release', 'nhiscan')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import LINES, patterns_file  # noqa: E402

B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

def build(repo, commits, files):
    r = random.Random(11)
    exts = list(LINES)
    bodies = {}
    def body(i):
        if i not in bodies:
            gens = LINES[exts[i % len(exts)]]
            bodies[i] = [r.choice(gens)(r) for _ in range(r.randint(20, 60))]
        return bodies[i]
    subprocess.run(['git', 'init', '-q', '--bare', repo], check=True)
    p = subprocess.Popen(['git', 'fast-import', '--quiet'], cwd=repo, stdin=subprocess.PIPE)
    out = p.stdin
    t0 = 1_600_000_000
    planted = {}
    for c in range(1, commits + 1):
        ts = t0 + c * 60
        msg = f'change {c}\n'.encode()
        out.write(f'commit refs/heads/main\nauthor Dev {c % 17} <dev{c % 17}@example.test> {ts} +0000\n'
                  f'committer CI <ci@example.test> {ts} +0000\ndata {len(msg)}\n'.encode() + msg)
        for _ in range(r.randint(1, 3)):
            i = r.randrange(files)
            lines = body(i)
            lines[r.randrange(len(lines))] = r.choice(LINES[exts[i % len(exts)]])(r)
            data = ('\n'.join(lines) + f'\n// rev {c}\n').encode()
            out.write(f'M 100644 inline svc{i % 40}/{i}.{exts[i % len(exts)]}\ndata {len(data)}\n'.encode() + data + b'\n')
        if c % 5000 == 0:
            secret = 'GITHUB_TOKEN=ghp_' + ''.join(r.choice(B62) for _ in range(36)) + '\n'
            path = f'deploy/leak{c}.env'
            out.write(f'M 100644 inline {path}\ndata {len(secret)}\n'.encode() + secret.encode() + b'\n')
            planted[c + 1000] = path
        if c in planted:
            out.write(f'D {planted[c]}\n'.encode())
    out.close()
    if p.wait() != 0:
        sys.exit('git fast-import failed')
    subprocess.run(['git', 'symbolic-ref', 'HEAD', 'refs/heads/main'], cwd=repo, check=True)

def run_measured(cmd, shell=False):
    start = time.perf_counter()
    proc = subprocess.run(cmd, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - start, proc

def peak_rss_mib(cmd):
    probe = [sys.executable, '-c', 'import resource,subprocess,sys;'
             'subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);'
             'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)'] + cmd
    return int(subprocess.run(probe, capture_output=True, text=True).stdout.strip()) / 1024

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--commits', type=int, default=100_000)
    ap.add_argument('--files', type=int, default=3000)
    ap.add_argument('--dir', default=os.path.join(ROOT, 'bench-data'))
    args = ap.parse_args()
    if not os.path.exists(NHISCAN):
        sys.exit('build first: cargo build --release')
    repo = os.path.join(args.dir, f'history-{args.commits}.git')
    if not os.path.exists(os.path.join(repo, 'objects')):
        shutil.rmtree(repo, ignore_errors=True)
        os.makedirs(args.dir, exist_ok=True)
        print(f'building {args.commits} commits with git fast-import under {repo} ...', flush=True)
        start = time.perf_counter()
        build(repo, args.commits, args.files)
        print(f'  built in {time.perf_counter() - start:.1f} s', flush=True)
    pats = os.path.join(args.dir, 'patterns.txt')
    patterns_file(pats)

    cmd = [NHISCAN, 'scan', repo, '--format', 'json', '--no-progress']
    wall, proc = run_measured(cmd)
    inv = json.loads(proc.stdout)
    s = inv['summary']
    mb = s['history_bytes_scanned'] / 1e6
    kinds = {}
    for f in inv['findings']:
        kinds[f['code']] = kinds.get(f['code'], 0) + 1
    print(f'nhiscan: {s["commits_scanned"]} commits, {s["blobs_scanned"]} blobs ({mb:.1f} MB) in {wall:.2f} s: '
          f'{s["blobs_scanned"] / wall:,.0f} blobs/s, {mb / wall:.1f} MB/s; findings {kinds}')
    print(f'nhiscan peak RSS: {peak_rss_mib(cmd):.1f} MiB')

    pipeline = f'git -C {repo} log -p --all | rg --count --no-messages -f {pats}'
    wall_rg, proc = run_measured(pipeline, shell=True)
    log_bytes = int(subprocess.run(f'git -C {repo} log -p --all | wc -c', shell=True, capture_output=True, text=True).stdout)
    print(f'git log -p --all | rg -f: {wall_rg:.2f} s over {log_bytes / 1e6:.1f} MB of patches '
          f'(matching lines: {proc.stdout.decode().strip() or 0})')
    print(f'ratio: nhiscan is {wall_rg / wall:.1f}x faster')

if __name__ == '__main__':
    main()
