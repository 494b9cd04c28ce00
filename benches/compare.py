#!/usr/bin/env python3
"""Throughput of `nhiscan scan` against ripgrep on the same generated tree, in the same run.

    python3 benches/compare.py                 # ~500 MB tree, 3 timed runs each
    python3 benches/compare.py --size-mb 1024  # 1 GB, also reports peak RSS
    python3 benches/compare.py --files 50      # small-tree latency (start-up included)
    python3 benches/compare.py --tree target/precision/repos   # a real directory instead
    python3 benches/compare.py --rg-batch 50   # rg in batches of 50 patterns (see RgBatches)

With the long-tail detectors the set is ~500 regexes; ripgrep 13 aborts compiling them as
one alternation (a 5 GB allocation), so `--rg-batch` is needed for the full set.

The tree is source-like text (Python, JS, Go, YAML, JSON, Terraform, Markdown, .env) with a
planted synthetic secret every ~200 files. ripgrep runs the regexes of every nhiscan
detector as one alternation (`rg -f`), counting matches in every file: the same bytes read,
the same patterns, no prefilter tricks of ours. Multi-line detectors (PEM blocks) are run
line-by-line by rg, which favours rg slightly.

Needs: a release build (`cargo build --release`) and `rg` (apt-get install ripgrep).
The tree is cached under ./bench-data/ (git-ignored) and reused when the size matches.
"""
import argparse, json, os, random, resource, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NHISCAN = os.path.join(ROOT, 'target', 'release', 'nhiscan')

WORDS = ('account order invoice payment customer request response handler service client server config '
         'value result error status user session cache queue worker job task event stream buffer index '
         'record table column schema migration deploy release build test metric trace span log level '
         'retry timeout limit page cursor offset region bucket object prefix version feature flag').split()

def ident(r):
    return '_'.join(r.choice(WORDS) for _ in range(r.randint(1, 3)))

def camel(r):
    return ''.join(w.capitalize() for w in ident(r).split('_'))

LINES = {
    'py': [lambda r: f'def {ident(r)}({ident(r)}, {ident(r)}=None):',
           lambda r: f'    {ident(r)} = self.{ident(r)}.get("{ident(r)}", {r.randint(0, 999)})',
           lambda r: f'    if not {ident(r)}: raise ValueError("missing {ident(r)}")',
           lambda r: f'    return {{"status": "ok", "{ident(r)}": {ident(r)}}}',
           lambda r: f'import {ident(r)}', lambda r: f'# {" ".join(r.choice(WORDS) for _ in range(8))}'],
    'js': [lambda r: f'const {camel(r)} = require("./{ident(r)}");',
           lambda r: f'export async function {camel(r)}(req, res) {{ const {{ {ident(r)} }} = req.body;',
           lambda r: f'  await db.{camel(r)}.findMany({{ where: {{ {ident(r)}: req.params.id }} }});',
           lambda r: f'  res.status({r.choice([200, 201, 400, 404])}).json({{ {ident(r)} }});',
           lambda r: f'// {" ".join(r.choice(WORDS) for _ in range(9))}'],
    'go': [lambda r: f'func (s *{camel(r)}) {camel(r)}(ctx context.Context, {ident(r)} string) error {{',
           lambda r: f'\tif err := s.{camel(r)}(ctx); err != nil {{ return fmt.Errorf("{ident(r)}: %w", err) }}',
           lambda r: f'\tlog.Printf("{ident(r)} %s took %v", {ident(r)}, time.Since(start))'],
    'yaml': [lambda r: f'{ident(r)}:', lambda r: f'  {ident(r)}: {r.randint(1, 9999)}',
             lambda r: f'  image: registry.internal.test/{ident(r)}:{r.randint(1, 9)}.{r.randint(0, 40)}.0',
             lambda r: f'  {ident(r)}: ${{{ident(r).upper()}}}'],
    'json': [lambda r: f'  "{camel(r)}": "{ident(r)}",', lambda r: f'  "{ident(r)}": {r.randint(0, 99999)},',
             lambda r: f'  "{ident(r)}": {{"enabled": {r.choice(["true", "false"])}}},'],
    'tf': [lambda r: f'resource "aws_{ident(r)}" "{ident(r)}" {{', lambda r: f'  {ident(r)} = var.{ident(r)}',
           lambda r: f'  tags = {{ Team = "{r.choice(WORDS)}" }}', lambda r: '}'],
    'md': [lambda r: ' '.join(r.choice(WORDS) for _ in range(14)) + '.', lambda r: f'## {camel(r)}',
           lambda r: f'Set `{ident(r).upper()}` to configure the {ident(r)}; see the token and password guide.'],
}
B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
SECRETS = [
    lambda r: 'GITHUB_TOKEN=ghp_' + ''.join(r.choice(B62) for _ in range(36)),
    lambda r: 'aws_access_key_id = AKIA' + ''.join(r.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16)),
    lambda r: 'STRIPE_KEY=sk_live_' + ''.join(r.choice(B62) for _ in range(40)),
    lambda r: 'DATABASE_URL=postgresql://app:Zr8' + ''.join(r.choice(B62) for _ in range(14)) + '@db.internal.test/app',
    lambda r: 'SLACK=xoxb-' + ''.join(r.choice('0123456789') for _ in range(12)) + '-' + ''.join(r.choice('0123456789') for _ in range(13)) + '-' + ''.join(r.choice(B62) for _ in range(24)),
]

def generate(dest, size_mb, files):
    r = random.Random(7)
    os.makedirs(dest, exist_ok=True)
    target = size_mb * 1024 * 1024
    per_file = max(1024, target // files)
    written = 0
    planted = 0
    exts = list(LINES)
    for i in range(files):
        ext = exts[i % len(exts)]
        d = os.path.join(dest, f'svc{i % 50:02d}', ext)
        os.makedirs(d, exist_ok=True)
        lines, n = [], 0
        gens = LINES[ext]
        while n < per_file:
            line = r.choice(gens)(r)
            lines.append(line)
            n += len(line) + 1
        if i % 200 == 0:
            lines.insert(r.randint(0, len(lines)), r.choice(SECRETS)(r))
            planted += 1
        text = '\n'.join(lines) + '\n'
        with open(os.path.join(d, f'{ident(r)}_{i}.{ext}'), 'w') as f:
            f.write(text)
        written += len(text)
    with open(os.path.join(dest, '.meta'), 'w') as f:
        json.dump({'size_mb': size_mb, 'files': files, 'bytes': written, 'planted': planted}, f)
    return written, planted

# A contextual row's regex is one template: boundary, `(?i:<names>)`, the name's tail,
# separator, then the value's shape. Rows sharing a shape are written for rg as one regex
# with their names in one alternation: the same language, without hundreds of near-copies
# (rg was OOM-killed compiling the 814 patterns as written).
CONTEXTUAL_HEAD = '(?i:(?m:^)|[^a-z0-9])(?i:'
CONTEXTUAL_TAIL = ')[a-zA-Z0-9_.\\- ]{0,24}?'

def contextual_patterns(rows):
    by_shape = {}
    for d in rows:
        regex = d['regex']
        if not regex.startswith(CONTEXTUAL_HEAD) or CONTEXTUAL_TAIL not in regex:
            sys.exit(f'contextual detector {d["id"]} does not follow the template: {regex}')
        names, rest = regex[len(CONTEXTUAL_HEAD):].split(CONTEXTUAL_TAIL, 1)
        by_shape.setdefault(rest, []).append(names)
    return [CONTEXTUAL_HEAD + '|'.join(names) + CONTEXTUAL_TAIL + rest for rest, names in sorted(by_shape.items())]

def patterns_file(path):
    out = subprocess.run([NHISCAN, 'detectors', 'list', '--format', 'json'], check=True, capture_output=True)
    skipped = 0
    listed = json.loads(out.stdout)
    rows = [d for d in listed if d.get('form') == 'contextual']
    merged = contextual_patterns(rows)
    with open(path, 'w') as f:
        for regex in merged:
            f.write('(?-u:' + regex.replace('(?P<secret>', '(') + ')\n')
        for d in listed:
            if d.get('form') == 'contextual':
                continue
            if not d['regex']:
                # Binary formats (keystores) are recognised by magic bytes, not a regex; an
                # empty pattern would match every line and make rg's work trivial.
                continue
            if '\\n' in d['regex'] or '\\r' in d['regex']:
                # Multi-line formats (PEM blocks, kubeconfig) need `rg -U`, which would make
                # the whole run multi-line and much slower; leaving them out favours rg.
                skipped += 1
                continue
            # rg joins the patterns into one alternation: group names must go, and each
            # pattern keeps nhiscan's ASCII-only semantics.
            f.write('(?-u:' + d['regex'].replace('(?P<secret>', '(') + ')\n')
    return skipped, len(rows), len(merged)

def timed(cmd):
    """Wall time and peak RSS (KiB) of one child process."""
    if isinstance(cmd, RgBatches):
        return cmd.run(), None
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f'{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode()[:500]}')
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, rss if rss > before else None

class RgBatches:
    """ripgrep over the pattern set in batches, for sets too big for one alternation
    (ripgrep 13 aborts allocating gigabytes on nhiscan's ~500 patterns). Each batch is one
    rg run over the whole tree; the time reported is the sum of the batches minus all but
    one walk of the tree (the `floor`: rg with one literal that never matches), so rg pays
    for reading the tree once, as nhiscan does."""

    def __init__(self, pats, tree, size):
        self.tree = tree
        lines = open(pats).read().splitlines()
        self.files = []
        for i in range(0, len(lines), size):
            path = f'{pats}.batch{i // size:03d}'
            with open(path, 'w') as f:
                f.write('\n'.join(lines[i:i + size]) + '\n')
            self.files.append(path)
        self.floor_cmd = ['rg', '--hidden', '--count', '--no-messages', '-F', 'zq9xnever-matchesq9xz', tree]

    def run(self):
        floor, _ = timed(self.floor_cmd)
        total = sum(timed(['rg', '--hidden', '--count', '--no-messages', '-f', f, self.tree])[0] for f in self.files)
        return total - floor * (len(self.files) - 1)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--size-mb', type=int, default=500)
    ap.add_argument('--files', type=int, default=0, help='number of files (default: size-mb * 10)')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--dir', default=os.path.join(ROOT, 'bench-data'))
    ap.add_argument('--rg-batch', type=int, default=0, help='give rg the patterns in batches of this many (see RgBatches)')
    ap.add_argument('--tree', help='scan this existing directory (real code) instead of a generated tree')
    args = ap.parse_args()
    files = args.files or args.size_mb * 10
    if not os.path.exists(NHISCAN):
        sys.exit('build first: cargo build --release')
    if not shutil.which('rg'):
        sys.exit('ripgrep not found: apt-get install ripgrep')
    os.makedirs(args.dir, exist_ok=True)
    if args.tree:
        tree = os.path.abspath(args.tree)
        # Bytes and files of what both tools read: rg lists the same files nhiscan walks
        # (hidden files in, .gitignore honoured).
        listed = subprocess.run(['rg', '--hidden', '--files', '--null', tree], capture_output=True).stdout.split(b'\0')
        listed = [p for p in listed if p]
        info = {'files': len(listed), 'bytes': sum(os.path.getsize(p) for p in listed), 'planted': 'unknown'}
    else:
        tree = os.path.join(args.dir, f'tree-{args.size_mb}mb-{files}f')
        meta = os.path.join(tree, '.meta')
        if not os.path.exists(meta):
            shutil.rmtree(tree, ignore_errors=True)
            print(f'generating {args.size_mb} MB in {files} files under {tree} ...', flush=True)
            generate(tree, args.size_mb, files)
        info = json.load(open(meta))
    mb = info['bytes'] / 1e6
    pats = os.path.join(args.dir, 'patterns.txt')
    skipped, n_rows, n_merged = patterns_file(pats)
    n_pats = sum(1 for _ in open(pats))
    kws = os.path.join(args.dir, 'keywords.txt')
    out = subprocess.run([NHISCAN, 'detectors', 'list', '--format', 'json'], check=True, capture_output=True)
    with open(kws, 'w') as f:
        f.write('\n'.join(sorted({k for d in json.loads(out.stdout) for k in d['keywords']})) + '\n')
    nh = [NHISCAN, 'scan', tree, '--no-history', '--format', 'json', '-o', os.devnull, '--no-progress']
    rg = ['rg', '--hidden', '--count', '--no-messages', '-f', pats, tree]
    if args.rg_batch:
        rg = RgBatches(pats, tree, args.rg_batch)
    # Not a fair equivalent (no confirmation at all), but a floor: the time ripgrep needs
    # just to find every keyword nhiscan's prefilter looks for.
    rg_kw = ['rg', '--hidden', '--count', '--no-messages', '-i', '-F', '-f', kws, tree]
    print(f'tree: {info["files"]} files, {mb:.1f} MB, {info["planted"]} planted secrets; rg runs {n_pats} patterns ({skipped} multi-line ones left out; the {n_rows} contextual rows as {n_merged} regexes, one per value shape); '
          f'{os.cpu_count()} CPUs; {subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0]}')
    timed(nh); timed(rg_kw)  # warm the page cache
    results = {}
    for name, cmd in (('nhiscan', nh), ('ripgrep', rg), ('rg-keywords-only', rg_kw)):
        walls = []
        for _ in range(args.runs):
            wall, _ = timed(cmd)
            walls.append(wall)
        best = min(walls)
        results[name] = best
        print(f'{name:16s} best {best * 1000:8.1f} ms  median {sorted(walls)[len(walls) // 2] * 1000:8.1f} ms  {mb / best:8.1f} MB/s')
    # Peak RSS from a separate child so the measurement is nhiscan's alone.
    rss = subprocess.run([sys.executable, '-c', 'import resource,subprocess,sys;'
                          'subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);'
                          'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)'] + nh,
                         capture_output=True, text=True).stdout.strip()
    print(f'nhiscan peak RSS: {int(rss) / 1024:.1f} MiB')
    print(f'ratio nhiscan/ripgrep throughput: {results["ripgrep"] / results["nhiscan"]:.2f}x '
          f'(vs rg finding the keywords only: {results["rg-keywords-only"] / results["nhiscan"]:.2f}x)')

if __name__ == '__main__':
    main()
