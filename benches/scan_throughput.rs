//! Criterion benchmarks of the secret-scanning engine.
//!
//! - `find/*`: the detector set (prefilter + confirmation) over an in-memory buffer of
//!   source-like text, with and without planted secrets: pure engine throughput.
//! - `file/*`: the same through `FileScanner` (chunking, line numbers, redaction).
//! - `compile`: building the full detector set, which every run pays at start-up.
//!
//! Run with `cargo bench --bench scan_throughput`. For whole-tree throughput against
//! ripgrep, see `benches/compare.py`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nhiscan::detect::{DetectorSet, Scratch};
use nhiscan::scan::FileFindings;
use nhiscan::scan::file::FileScanner;
use nhiscan::scan::redact::Fingerprinter;
use std::hint::black_box;

const SOURCE_LINES: &[&str] = &[
    "import os, sys, json",
    "def handle_request(request, context):",
    "    user = request.headers.get('X-User-Id')",
    "    if not user: raise PermissionError('missing user')",
    "    token_type = context.settings.get('token_type', 'bearer')",
    "    return json.dumps({'status': 'ok', 'items': items, 'next': cursor})",
    "const express = require('express'); const app = express();",
    "app.get('/api/v1/orders/:id', async (req, res) => { res.json(await db.find(req.params.id)); });",
    "func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {",
    "\tlog.Printf(\"request %s %s took %v\", r.Method, r.URL.Path, time.Since(start))",
    "  replicas: 3",
    "  image: registry.internal.test/billing/api:1.42.0",
    "      password: ${DB_PASSWORD}",
    "| Name | Description | Default |",
    "The access key is read from the environment; see the configuration guide for details.",
    "    \"dependencies\": {\"react\": \"^18.2.0\", \"typescript\": \"^5.4.0\"},",
    "resource \"aws_s3_bucket\" \"logs\" { bucket = \"acme-logs-prod\" }",
    "SELECT id, name, created_at FROM accounts WHERE owner_id = $1 ORDER BY created_at DESC;",
];

const PLANTED: &[&str] = &[
    "GITHUB_TOKEN=ghp_Zq8mN3vR7tL2wX9kP4sJ6hF1dG5bC0aE2r4T",
    "aws_access_key_id = AKIAZ3MPLQ7RT2XWK5JD",
    "STRIPE_SECRET_KEY=sk_live_9Tq2Wm7Rk4Xz8Lp3Vn6Bc1Hd5Qm8Zr8vLw3Xk9Tn2",
    "DATABASE_URL=postgresql://app:Zr8vLw3Xk9Tn2Bq7@db.internal.test:5432/orders",
];

fn corpus(bytes: usize, with_secrets: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 256);
    let mut i = 0usize;
    while out.len() < bytes {
        let line = if with_secrets && i.is_multiple_of(997) {
            PLANTED[(i / 997) % PLANTED.len()]
        } else {
            SOURCE_LINES[(i * 7 + i / 3) % SOURCE_LINES.len()]
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        i += 1;
    }
    out
}

fn bench_find(c: &mut Criterion) {
    let set = DetectorSet::builtin().unwrap();
    let mut group = c.benchmark_group("find");
    for (name, secrets) in [("source-16MiB", false), ("source-with-secrets-16MiB", true)] {
        let data = corpus(16 << 20, secrets);
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.sample_size(10);
        group.bench_function(name, |b| {
            let mut scratch = Scratch::default();
            b.iter(|| {
                set.find(black_box(&data), &mut scratch);
                black_box(scratch.candidates.len())
            })
        });
    }
    group.finish();
}

fn bench_file(c: &mut Criterion) {
    let set = DetectorSet::builtin().unwrap();
    let fp = Fingerprinter::default();
    let data = corpus(16 << 20, true);
    let mut group = c.benchmark_group("file");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.bench_function("scan_reader-16MiB", |b| {
        let mut scanner = FileScanner::new(&set, &fp);
        b.iter(|| {
            let mut out = FileFindings::default();
            scanner.scan_reader(&data[..], "bench", &mut out).unwrap();
            black_box(out.secrets.len())
        })
    });
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    c.bench_function("compile-builtin-detectors", |b| {
        b.iter(|| black_box(DetectorSet::builtin().unwrap().len()))
    });
}

criterion_group!(benches, bench_find, bench_file, bench_compile);
criterion_main!(benches);
