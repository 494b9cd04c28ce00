#!/usr/bin/env python3
"""AWS collector benchmark: N users with two access keys each (or, with --stores N, N/2
Secrets Manager secrets and N/2 SecureString parameters), seeded into moto's server, then
one `nhiscan scan --aws --stats` timed.

Usage: python3 benches/aws_inventory.py [--users 1000] [--stores 5000]
Needs the moto virtualenv the tests install (target/test-deps/moto-<version>; run
`cargo test --test aws_moto` once) and a release build (`cargo build --release`).
Prints wall time, identities, API calls and calls per identity.
"""
import argparse, glob, json, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--stores", type=int, default=0,
                    help="seed this many stored secrets instead of users")
    args = ap.parse_args()
    venvs = sorted(glob.glob(os.path.join(ROOT, "target/test-deps/moto-*[0-9]")))
    if not venvs:
        sys.exit("no moto virtualenv; run `cargo test --test aws_moto` first")
    venv = venvs[-1]
    binary = os.path.join(ROOT, "target/release/nhiscan")
    if not os.path.exists(binary):
        sys.exit("no release build; run `cargo build --release` first")
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    server = subprocess.Popen([f"{venv}/bin/moto_server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close(); break
            except OSError:
                time.sleep(0.1)
        t = time.time()
        what = ["--bulk-stores", str(args.stores)] if args.stores else ["--bulk-users", str(args.users)]
        subprocess.run([f"{venv}/bin/python", os.path.join(ROOT, "tests/aws/seed.py"), endpoint,
                        *what], check=True, stdout=subprocess.DEVNULL)
        print(f"seeded {' '.join(what)} in {time.time() - t:.1f} s")
        with tempfile.TemporaryDirectory() as home:
            scan_env = dict(os.environ, HOME=home, AWS_ENDPOINT_URL=endpoint,
                            AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="x",
                            AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                            AWS_CONFIG_FILE=os.path.join(home, "c"),
                            AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "k"))
            out = os.path.join(home, "inv.json")
            t = time.time()
            p = subprocess.run([binary, "scan", "--aws", "--stats", "--format", "json", "-o", out],
                               env=scan_env, capture_output=True, text=True)
            wall = time.time() - t
            inv = json.load(open(out))
    finally:
        server.kill()
    src = inv["sources"][0]
    n = len(inv["identities"])
    print(f"nhiscan scan --aws: {wall:.2f} s wall, exit {p.returncode}, source {src['status']}")
    print(f"identities: {n}, API calls: {src['api_calls']}, calls per identity: {src['api_calls'] / n:.2f}")
    for e in src.get("errors", []):
        print("  source error:", e)

if __name__ == "__main__":
    main()
