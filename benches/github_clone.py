#!/usr/bin/env python3
"""`--github-clone` throughput: an organisation's repositories cloned and history-scanned.

    python3 benches/github_clone.py                       # 4 repositories x 20,000 commits
    python3 benches/github_clone.py --repos 8 --commits 5000

Builds the repositories with benches/history.py's generator (source-like files, a planted
secret every 5,000 commits, removed later), then serves, on 127.0.0.1 only, a minimal
GitHub REST API (the organisation, its repository list with clone URLs, empty lists for
every other endpoint) and the repositories over git's smart HTTP protocol through
`git http-backend`. In the same run it times:
  - `nhiscan scan --github bench-org --github-clone`: the API inventory, then
    every repository cloned (3 at a time) and history-scanned as it arrives;
  - baseline: `git clone --bare` of every repository, one after another, from the same
    server, then `nhiscan scan` of each local clone (what a user would script by hand).

Needs a release build (`cargo build --release`). Repositories are cached under ./bench-data/.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NHISCAN = os.path.join(ROOT, 'target', 'release', 'nhiscan')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from history import build  # noqa: E402

TOKEN = 'bench-token'
ORG = 'bench-org'


def handler(git_root, repos, port):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *args):
            pass

        def reply(self, code, body, headers=()):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            if not any(k.lower() == 'content-type' for k, _ in headers):
                self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
                out = b''
                while True:
                    n = int(self.rfile.readline().strip(), 16)
                    chunk = self.rfile.read(n + 2)[:n]
                    if n == 0:
                        return out
                    out += chunk
            return self.rfile.read(int(self.headers.get('Content-Length', 0)))

        def git(self):
            path, _, query = self.path[len('/git'):].partition('?')
            env = dict(os.environ, GIT_PROJECT_ROOT=git_root, GIT_HTTP_EXPORT_ALL='1',
                       PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
                       CONTENT_TYPE=self.headers.get('Content-Type', ''),
                       HTTP_CONTENT_ENCODING=self.headers.get('Content-Encoding', ''),
                       GIT_PROTOCOL=self.headers.get('Git-Protocol', ''), REMOTE_ADDR='127.0.0.1')
            data = self.body() if self.command == 'POST' else b''
            env['CONTENT_LENGTH'] = str(len(data))
            out = subprocess.run(['git', 'http-backend'], input=data, env=env,
                                 capture_output=True).stdout
            head, _, rest = out.partition(b'\r\n\r\n')
            status, headers = 200, []
            for line in head.decode().split('\r\n'):
                k, _, v = line.partition(':')
                if k.lower() == 'status':
                    status = int(v.split()[0])
                elif k:
                    headers.append((k, v.strip()))
            self.reply(status, rest, headers)

        def do_POST(self):
            self.git()

        def do_GET(self):
            if self.path.startswith('/git/'):
                return self.git()
            if self.headers.get('Authorization') not in (f'Bearer {TOKEN}', f'token {TOKEN}'):
                return self.reply(401, {'message': 'Bad credentials'})
            path = self.path.split('?')[0]
            if path == f'/orgs/{ORG}':
                return self.reply(200, {'login': ORG, 'id': 1})
            if path == f'/orgs/{ORG}/repos':
                return self.reply(200, [{
                    'id': n, 'name': name, 'full_name': f'{ORG}/{name}',
                    'clone_url': f'http://127.0.0.1:{port}/git/{name}.git'}
                    for n, name in enumerate(repos)])
            if path.endswith('/secrets'):
                return self.reply(200, {'total_count': 0, 'secrets': []})
            if path.endswith('/environments'):
                return self.reply(200, {'total_count': 0, 'environments': []})
            if path.endswith('/installations'):
                return self.reply(200, {'total_count': 0, 'installations': []})
            if '/contents/' in path or path.endswith('/customization/sub') \
                    or path.endswith('/credential-authorizations'):
                return self.reply(404, {'message': 'Not Found'})
            return self.reply(200, [])
    return Handler


def du_mib(path):
    total = 0
    for d, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total / 2**20


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repos', type=int, default=4)
    ap.add_argument('--commits', type=int, default=20_000)
    ap.add_argument('--files', type=int, default=2000)
    ap.add_argument('--dir', default=os.path.join(ROOT, 'bench-data'))
    args = ap.parse_args()
    if not os.path.exists(NHISCAN):
        sys.exit('build first: cargo build --release')
    git_root = os.path.join(args.dir, f'github-{args.repos}x{args.commits}')
    names = [f'service-{n}' for n in range(args.repos)]
    for n, name in enumerate(names):
        repo = os.path.join(git_root, f'{name}.git')
        if not os.path.exists(repo):
            print(f'building {repo} ({args.commits} commits)...', flush=True)
            build(repo, args.commits + n, args.files)
    size = du_mib(git_root)

    server = ThreadingHTTPServer(('127.0.0.1', 0), None)
    port = server.server_address[1]
    server.RequestHandlerClass = handler(git_root, names, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{port}'
    env = dict(os.environ, GITHUB_TOKEN=TOKEN, NO_COLOR='1')

    with tempfile.TemporaryDirectory() as tmp:
        t = time.monotonic()
        out = subprocess.run([NHISCAN, 'scan', '--github', ORG, '--github-url', url, '--github-clone',
                              '--no-progress', '--stats', '--format', 'json'],
                             env=dict(env, TMPDIR=tmp), capture_output=True, cwd=tmp)
        nhiscan_s = time.monotonic() - t
        inv = json.loads(out.stdout)
        bad = [s for s in inv['sources'] if s['status'] != 'ok']
        if bad:
            sys.exit(f'sources not ok: {bad}')
        leaks = sum(1 for f in inv['findings'] if f['code'] in ('leaked-secret', 'secret-in-history'))

    with tempfile.TemporaryDirectory() as tmp:
        t = time.monotonic()
        header = 'Authorization: Basic ' + __import__('base64').b64encode(f'x-access-token:{TOKEN}'.encode()).decode()
        for name in names:
            dest = os.path.join(tmp, f'{name}.git')
            subprocess.run(['git', '-c', f'http.extraHeader={header}', 'clone', '-q', '--bare',
                            f'{url}/git/{name}.git', dest], check=True)
        clone_s = time.monotonic() - t
        t = time.monotonic()
        for name in names:
            subprocess.run([NHISCAN, 'scan', os.path.join(tmp, f'{name}.git'), '--no-progress',
                            '--format', 'json', '-o', os.devnull], env=env)
        scan_s = time.monotonic() - t
    server.shutdown()

    print(f'{args.repos} repositories x ~{args.commits} commits, {size:.0f} MiB of packs; '
          f'{leaks} history findings')
    print(f'nhiscan --github-clone (API + clone + history scan): {nhiscan_s:.2f} s '
          f'({size / nhiscan_s:.0f} MiB/s of repository)')
    print(f'baseline: git clone --bare one by one {clone_s:.2f} s + nhiscan scan of each clone '
          f'{scan_s:.2f} s = {clone_s + scan_s:.2f} s')


if __name__ == '__main__':
    main()
