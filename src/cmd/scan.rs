//! `nhiscan scan`: turn the flags into a scan request, run the pipeline, then print what
//! the user must know (skipped paths, source errors), record history, write the baseline,
//! evidence and report, and map the verdict to the exit code.

use super::{emit, exit, load_detectors};
use crate::cli::{ColorChoice, ScanArgs};
use anyhow::{Context, Result};
use nhiscan::pipeline::{self, ScanRequest};
use nhiscan::policy::Baseline;
use nhiscan::report;
use nhiscan::scan::git::HistoryOptions;
use nhiscan::scan::{Progress, WalkOptions, redact::Fingerprinter};
use std::io::IsTerminal;

pub fn run(args: ScanArgs) -> Result<u8> {
    // Lives until the process exits: freeing thousands of compiled detectors one by one
    // would only add to a short scan's time.
    let set = load_detectors(&args.detectors)?;
    let set: &'static _ = Box::leak(Box::new(set));
    let baseline = match &args.suppress.baseline {
        Some(path) => Some(Baseline::load(path)?),
        None => None,
    };
    let now = pipeline::scan_time()?;
    let collectors = args.sources.collectors();
    let from_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if from_stdin && args.paths.len() > 1 {
        anyhow::bail!(
            "`-` reads standard input and cannot be combined with other PATHS; scan them in a second run"
        );
    }
    let inputs = if args.walk.staged {
        let dir = std::env::current_dir()?;
        nhiscan::scan::inputs::staged(&dir, args.walk.max_file_size)?
    } else if from_stdin {
        let name = args.walk.stdin_name.as_deref().unwrap_or("<stdin>");
        nhiscan::scan::inputs::stdin(name, args.walk.max_file_size)?
    } else {
        nhiscan::scan::inputs::Inputs::default()
    };
    // Staged blobs and standard input are the whole request: no walk, no history.
    let single_input = args.walk.staged || from_stdin;
    let paths = if single_input {
        Vec::new()
    } else if args.paths.is_empty() && collectors.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = match &inputs.root {
        Some(root) => root.clone(),
        None => paths
            .first()
            .filter(|p| p.is_dir())
            .cloned()
            .unwrap_or_else(|| std::path::PathBuf::from(".")),
    };
    let mut config = nhiscan::config::load(args.config.as_deref(), &root)?;
    if let Some(min) = args.min_confidence {
        config.policy.precision.min_confidence = min;
    }
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!(
                "cannot scan {}: no such file or directory; check the path",
                p.display()
            );
        }
    }
    // Staged paths are relative to the repository's top level; standard input is no file.
    let cwd = std::env::current_dir().ok();
    let (source_root, working_directory) = match (&inputs.root, &cwd) {
        (Some(top), _) => (Some(top.clone()), Some(top.clone())),
        (None, Some(cwd)) if !from_stdin => (
            Some(nhiscan::scan::source_root(
                paths.first().map(|p| p.as_path()),
                cwd,
            )),
            Some(cwd.clone()),
        ),
        _ => (None, None),
    };
    // Opened before the scan (a database that cannot be used fails before the work) and
    // kept for recording it; its reviews make review rules apply to this scan.
    let mut history = match &args.output.history {
        Some(path) => Some(nhiscan::scan_history::ScanHistory::open(path)?),
        None => None,
    };
    let reviews = match (&history, &args.output.history) {
        (Some(h), Some(path)) => Some(
            h.review_states()
                .with_context(|| format!("reading access reviews from {}", path.display()))?,
        ),
        _ => None,
    };
    let threads = thread_count(args.walk.threads);
    let validate = if args.validate.validate {
        Some(super::validate::options(
            &args.validate.cache,
            args.sources.request_timeout,
            set,
        )?)
    } else {
        None
    };
    let mut fingerprinter = Fingerprinter::from_env();
    if let Some((_, keeper)) = &validate {
        fingerprinter = fingerprinter.keeping(std::sync::Arc::clone(keeper));
    }
    let request = ScanRequest {
        set,
        walk: WalkOptions {
            paths,
            no_ignore: args.walk.no_ignore,
            follow_links: args.walk.follow,
            max_file_size: args.walk.max_file_size,
            threads,
        },
        inputs,
        baseline: baseline.as_ref(),
        fingerprinter,
        config,
        history: (!args.history.no_history && !single_input).then(|| HistoryOptions {
            max_file_size: args.walk.max_file_size,
            threads,
            range: args.history.rev_range.clone().or_else(|| {
                args.history
                    .since_commit
                    .as_ref()
                    .map(|r| format!("{r}..HEAD"))
            }),
            cache: args.history.cache.clone(),
            all_objects: args.history.all_objects,
        }),
        now,
        collectors,
        collect: nhiscan::collect::RunOptions {
            timeout: std::time::Duration::from_secs(args.sources.source_timeout),
            request_timeout: std::time::Duration::from_secs(args.sources.request_timeout),
            ..Default::default()
        },
        scope: nhiscan::model::Scope {
            sources: args.sources.scope(),
            source_root: source_root.map(|r| r.display().to_string()),
            working_directory: working_directory.map(|d| d.display().to_string()),
            ..Default::default()
        },
        reviews,
        validate,
        shard: args.sources.shard,
    };
    let bar = ProgressBar::new(!args.output.no_progress && std::io::stderr().is_terminal());
    let mut result = pipeline::run_scan(&request, &bar);
    result.inventory.tool.detector_set = Some(set.hash().to_string());
    bar.finish();
    if let (Some(history), Some(path)) = (&mut history, &args.output.history) {
        let recorded = history.record(&mut result.inventory)?;
        super::out::say!(
            "recorded scan {} in {} ({} identities seen for the first time)",
            recorded.id,
            path.display(),
            recorded.identities_new
        );
    }
    if args.output.stats {
        print_stats(&result.inventory);
    }

    for e in &result.errors {
        super::out::say!("warning: skipped {e}");
    }
    if let Some(v) = &result.inventory.summary.validation {
        super::validate::say_summary(v);
    }
    let stale = &result.inventory.summary.baseline_stale;
    if !stale.is_empty() {
        super::out::say!(
            "note: {} baseline entr{} no longer found (the secret was removed); write the baseline again to drop {}: {}",
            stale.len(),
            if stale.len() == 1 { "y is" } else { "ies are" },
            if stale.len() == 1 { "it" } else { "them" },
            stale.join("; ")
        );
    }
    for source in &result.inventory.sources {
        for w in &source.warnings {
            super::out::say!("note: {}: {w}", source.id);
        }
        // The file scan's errors were listed above, path by path.
        if source.id != "files" {
            for e in &source.errors {
                super::out::say!("warning: {}: {e}", source.id);
            }
        }
    }
    // Every output is attempted: a baseline or evidence directory that cannot be written
    // does not cost the report, and each failure is said.
    let mut unwritten = 0;
    if let Some(path) = &args.suppress.write_baseline {
        let file = Baseline::file_from_findings(
            &result.inventory.findings,
            result.inventory.generated_at,
            &result.baseline_matched,
        );
        match Baseline::write(&file, path) {
            Ok(()) => super::out::say!(
                "wrote baseline with {} entries to {}",
                file.entries.len(),
                path.display()
            ),
            Err(e) => {
                super::out::say!("error: {e:#}");
                unwritten += 1;
            }
        }
    }
    if let Some(dir) = &args.output.evidence {
        match nhiscan::evidence::write_evidence(dir, &result.inventory) {
            Ok(files) => {
                super::out::say!("wrote {} evidence files to {}", files.len(), dir.display())
            }
            Err(e) => {
                super::out::say!("error: {e}");
                unwritten += 1;
            }
        }
    }
    if let Err(e) = write_report(&args, &result.inventory) {
        super::out::say!("error: {e:#}");
        unwritten += 1;
    }
    if unwritten > 0 {
        return Ok(exit::USAGE);
    }
    Ok(exit::of(&result.inventory))
}

/// More threads than this many per CPU only add contention (and `--threads 100000` would
/// spawn them all).
const THREADS_PER_CPU: usize = 4;

/// `--threads`, capped at [`THREADS_PER_CPU`] per CPU with a note; 0 stays "one per CPU".
fn thread_count(requested: usize) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cpus * THREADS_PER_CPU;
    if requested > cap {
        super::out::say!(
            "note: --threads {requested} is more than {THREADS_PER_CPU} per CPU ({cpus} CPUs); using {cap}"
        );
        cap
    } else {
        requested
    }
}

/// `--stats`: one line per source, then the file-scan counters.
fn print_stats(inventory: &nhiscan::model::Inventory) {
    for s in &inventory.sources {
        super::out::say!(
            "stats: source {}: {:?}, {} items, {} API calls, {} ms",
            s.id,
            s.status,
            s.items,
            s.api_calls,
            s.elapsed_ms
        );
    }
    let sum = &inventory.summary;
    super::out::say!(
        "stats: {} files, {} bytes, {} commits, {} blobs, {} identities, {} findings, {} ms",
        sum.files_scanned,
        sum.bytes_scanned,
        sum.commits_scanned,
        sum.blobs_scanned,
        inventory.identities.len(),
        inventory.findings.len(),
        sum.elapsed_ms
    );
    for (reason, n) in &sum.rejected {
        super::out::say!("stats: {n} candidates rejected as {reason}");
    }
    if sum.below_min_confidence > 0 {
        super::out::say!(
            "stats: {} findings below min_confidence",
            sum.below_min_confidence
        );
    }
}

fn write_report(args: &ScanArgs, inventory: &nhiscan::model::Inventory) -> Result<()> {
    let to_terminal = args.output.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.output.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let options = report::Options {
        color,
        width: (to_terminal && !args.output.wide)
            .then(super::out::terminal_width)
            .flatten(),
    };
    let text = report::render_with(inventory, args.output.format, &options);
    emit(&text, args.output.output.as_deref())
}

/// Progress on stderr, only when it is a terminal.
struct ProgressBar(Option<(indicatif::ProgressBar, std::sync::atomic::AtomicU64)>);

impl ProgressBar {
    fn new(enabled: bool) -> Self {
        if !enabled {
            return ProgressBar(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} files, {msg} scanned")
                .expect("valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        ProgressBar(Some((bar, std::sync::atomic::AtomicU64::new(0))))
    }

    fn finish(&self) {
        if let Some((bar, _)) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Progress for ProgressBar {
    fn history_phase(&self, repository: &str, phase: nhiscan::scan::HistoryPhase, total: u64) {
        let Some((bar, _)) = &self.0 else { return };
        let what = match phase {
            nhiscan::scan::HistoryPhase::Diffing => "commits diffed",
            nhiscan::scan::HistoryPhase::Scanning => "blobs scanned",
        };
        let template =
            format!("{{spinner}} history of {{prefix}}: {{pos}}/{{len}} {what}, {{eta}} left");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.set_prefix(nhiscan::model::text::printable(repository).into_owned());
        bar.set_length(total);
        bar.set_position(0);
    }

    fn history_step(&self) {
        if let Some((bar, _)) = &self.0 {
            bar.inc(1);
        }
    }

    fn file_done(&self, bytes: u64) {
        if let Some((bar, total)) = &self.0 {
            let sum = total.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed) + bytes;
            bar.inc(1);
            bar.set_message(indicatif::HumanBytes(sum).to_string());
        }
    }
}
