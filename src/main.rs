//! `nhiscan` binary: parse flags, run the library, print errors once, set the exit code.

mod cli;

// gix decodes pack deltas with many short-lived buffers; glibc malloc spends a third of a
// history scan in allocation and consolidation, mimalloc a fraction of that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, ColorChoice, Command, DetectorArgs, DetectorsAction, ListFormat, ScanArgs};
use nhiscan::app::{self, ScanRequest};
use nhiscan::baseline::Baseline;
use nhiscan::detect::{DetectorSet, DetectorSource, self_test};
use nhiscan::report;
use nhiscan::scan::git::HistoryOptions;
use nhiscan::scan::{Progress, WalkOptions, redact::Fingerprinter};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit codes a CI job can rely on.
mod exit {
    pub const CLEAN: u8 = 0;
    pub const DENY: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INCOMPLETE: u8 = 3;
}

fn main() -> ExitCode {
    // Both rustls crypto back-ends are linked (the AWS SDK brings aws-lc-rs, octocrab ring);
    // with two, rustls refuses to pick one, so the process chooses before any client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::CLEAN
            });
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Detectors { action } => detectors(action),
        Command::Diff {
            old,
            new,
            history,
            format,
        } => diff(old.as_deref(), new.as_deref(), history.as_deref(), format),
        Command::Init { dir, force } => init(&dir, force),
        Command::Report {
            inventory,
            format,
            output,
        } => report_saved(&inventory, format, output.as_deref()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn load_detectors(args: &DetectorArgs) -> Result<DetectorSet> {
    let mut sources = DetectorSource::embedded();
    if let Some(dir) = &args.dir {
        sources.extend(DetectorSource::from_dir(dir).with_context(|| {
            format!(
                "loading --detectors {}; pass a directory of *.toml detector files",
                dir.display()
            )
        })?);
    }
    let set =
        DetectorSet::compile(&sources).context("fix the detector definitions listed above")?;
    if args.dir.is_some() {
        let failures = self_test(&set);
        if !failures.is_empty() {
            let list: Vec<String> = failures.iter().map(|f| format!("  {f}")).collect();
            anyhow::bail!(
                "{} detector example(s) failed the self-test:\n{}\nfix the regex or the examples, then run `nhiscan detectors check`",
                failures.len(),
                list.join("\n")
            );
        }
    }
    Ok(set)
}

fn scan(args: ScanArgs) -> Result<u8> {
    let set = load_detectors(&args.detectors)?;
    let baseline = match &args.suppress.baseline {
        Some(path) => Some(Baseline::load(path)?),
        None => None,
    };
    let now = app::scan_time().map_err(anyhow::Error::msg)?;
    let collectors = collectors(&args);
    let paths = if args.paths.is_empty() && collectors.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = paths
        .first()
        .filter(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let config = nhiscan::config::load(args.config.as_deref(), &root)?;
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!("cannot scan {}: no such file or directory", p.display());
        }
    }
    let request = ScanRequest {
        set: &set,
        walk: WalkOptions {
            paths,
            no_ignore: args.walk.no_ignore,
            follow_links: args.walk.follow,
            max_file_size: args.walk.max_file_size,
            threads: args.walk.threads,
        },
        baseline: baseline.as_ref(),
        fingerprinter: Fingerprinter::from_env(),
        config,
        history: (!args.history.no_history).then(|| HistoryOptions {
            max_file_size: args.walk.max_file_size,
            threads: args.walk.threads,
            range: args.history.rev_range.clone().or_else(|| {
                args.history
                    .since_commit
                    .as_ref()
                    .map(|r| format!("{r}..HEAD"))
            }),
            cache: args.history.cache.clone(),
        }),
        now,
        collectors,
        collect: nhiscan::collect::RunOptions {
            timeout: std::time::Duration::from_secs(args.sources.source_timeout),
            ..Default::default()
        },
        scope: nhiscan::model::Scope {
            aws: aws_profiles(&args)
                .into_iter()
                .map(|p| p.unwrap_or_else(|| "default".into()))
                .collect(),
            github: github_orgs(&args),
            kubernetes: k8s_contexts(&args)
                .into_iter()
                .map(|c| c.unwrap_or_else(nhiscan::collect::kubernetes::current_context))
                .collect(),
            ..Default::default()
        },
    };
    let bar = ProgressBar::new(!args.output.no_progress && std::io::stderr().is_terminal());
    let mut result = app::run_scan(&request, &bar);
    bar.finish();
    if let Some(path) = &args.output.history {
        let recorded =
            nhiscan::scan_history::ScanHistory::open(path)?.record(&mut result.inventory)?;
        eprintln!(
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
        eprintln!("warning: skipped {e}");
    }
    for source in result.inventory.sources.iter().filter(|s| s.id != "files") {
        for w in &source.warnings {
            eprintln!("note: {}: {w}", source.id);
        }
        for e in &source.errors {
            eprintln!("warning: {}: {e}", source.id);
        }
    }
    if let Some(path) = &args.suppress.write_baseline {
        let file = Baseline::file_from_findings(&result.inventory.findings);
        Baseline::write(&file, path)?;
        eprintln!(
            "wrote baseline with {} entries to {}",
            file.entries.len(),
            path.display()
        );
    }
    if let Some(dir) = &args.output.evidence {
        let files = nhiscan::evidence::write_evidence(dir, &result.inventory, &set)?;
        eprintln!("wrote {} evidence files to {}", files.len(), dir.display());
    }
    write_report(&args, &set, &result.inventory)?;
    Ok(if result.inventory.has_deny() {
        exit::DENY
    } else if result.inventory.is_incomplete() {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    })
}

/// The API collectors the flags ask for; none without a source flag, so no API call.
fn collectors(args: &ScanArgs) -> Vec<std::sync::Arc<dyn nhiscan::collect::Collector>> {
    let mut out: Vec<std::sync::Arc<dyn nhiscan::collect::Collector>> = Vec::new();
    for profile in aws_profiles(args) {
        out.push(std::sync::Arc::new(
            nhiscan::collect::aws::AwsCollector::new(profile),
        ));
    }
    let orgs = github_orgs(args);
    if !orgs.is_empty() {
        use nhiscan::collect::github::clone::CloneDepth;
        let token = nhiscan::collect::github::token_from_env();
        let clone = args.sources.github_clone.map(|m| match m {
            cli::CloneMode::Full => CloneDepth::Full,
            cli::CloneMode::Shallow => CloneDepth::Shallow,
        });
        for org in orgs {
            out.push(std::sync::Arc::new(
                nhiscan::collect::github::GithubCollector::new(
                    org,
                    args.sources.github_url.trim_end_matches('/').to_string(),
                    token.clone(),
                )
                .with_clone(clone),
            ));
        }
    }
    for context in k8s_contexts(args) {
        out.push(std::sync::Arc::new(
            nhiscan::collect::kubernetes::KubernetesCollector::new(
                context,
                args.sources.namespace.clone(),
            ),
        ));
    }
    out
}

/// `--k8s` alone: the current context (`None`); `--k8s a,b`: those contexts.
fn k8s_contexts(args: &ScanArgs) -> Vec<Option<String>> {
    named_or_default(args.sources.k8s.as_deref())
}

fn github_orgs(args: &ScanArgs) -> Vec<String> {
    args.sources
        .github
        .iter()
        .flatten()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect()
}

/// `--aws` alone: the default chain (`None`); `--aws a,b`: those profiles.
fn aws_profiles(args: &ScanArgs) -> Vec<Option<String>> {
    named_or_default(args.sources.aws.as_deref())
}

/// A flag with an optional list: absent, no source; present and empty, the default one
/// (`None`); else one per name.
fn named_or_default(flag: Option<&[String]>) -> Vec<Option<String>> {
    match flag {
        None => Vec::new(),
        Some(list) => {
            let named: Vec<Option<String>> = list
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(|p| Some(p.to_string()))
                .collect();
            if named.is_empty() { vec![None] } else { named }
        }
    }
}

/// `--stats`: one line per source, then the file-scan counters.
fn print_stats(inventory: &nhiscan::model::Inventory) {
    for s in &inventory.sources {
        eprintln!(
            "stats: source {}: {:?}, {} items, {} API calls, {} ms",
            s.id, s.status, s.items, s.api_calls, s.elapsed_ms
        );
    }
    let sum = &inventory.summary;
    eprintln!(
        "stats: {} files, {} bytes, {} commits, {} blobs, {} identities, {} findings, {} ms",
        sum.files_scanned,
        sum.bytes_scanned,
        sum.commits_scanned,
        sum.blobs_scanned,
        inventory.identities.len(),
        inventory.findings.len(),
        sum.elapsed_ms
    );
}

fn write_report(
    args: &ScanArgs,
    set: &DetectorSet,
    inventory: &nhiscan::model::Inventory,
) -> Result<()> {
    let to_terminal = args.output.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.output.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = report::render(inventory, args.output.format, set, color);
    emit(&text, args.output.output.as_deref())
}

/// Write a rendered report to `-o FILE`, or to standard output.
fn emit(text: &str, output: Option<&std::path::Path>) -> Result<()> {
    match output {
        Some(path) => std::fs::write(path, text).with_context(|| {
            format!(
                "cannot write the report to {}; check the directory exists and is writable",
                path.display()
            )
        }),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                // A closed pipe (`nhiscan scan | head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write the report to standard output"),
            }
        }
    }
}

fn diff(
    old: Option<&std::path::Path>,
    new: Option<&std::path::Path>,
    history: Option<&std::path::Path>,
    format: ListFormat,
) -> Result<u8> {
    let (old_inv, new_inv) = match (old, new, history) {
        (_, _, Some(db)) => {
            if !db.is_file() {
                anyhow::bail!(
                    "no history database at {}; record scans first with `nhiscan scan --history {}`",
                    db.display(),
                    db.display()
                );
            }
            nhiscan::scan_history::ScanHistory::open(db)?.last_two()?
        }
        (Some(old), Some(new), None) => (
            nhiscan::drift::read_inventory(old)?,
            nhiscan::drift::read_inventory(new)?,
        ),
        _ => anyhow::bail!("give OLD and NEW inventories, or --history FILE"),
    };
    let drift = nhiscan::drift::diff(&old_inv, &new_inv);
    let text = match format {
        ListFormat::Table => nhiscan::drift::render_text(&drift),
        ListFormat::Json => {
            let mut t = serde_json::to_string_pretty(&drift).expect("drift serialises");
            t.push('\n');
            t
        }
    };
    print!("{text}");
    Ok(if drift.has_new_deny() {
        exit::DENY
    } else {
        exit::CLEAN
    })
}

fn init(dir: &std::path::Path, force: bool) -> Result<u8> {
    let path = dir.join(nhiscan::config::CONFIG_FILE);
    if path.exists() && !force {
        anyhow::bail!(
            "{} already exists; pass --force to replace it",
            path.display()
        );
    }
    std::fs::write(&path, nhiscan::config::DEFAULT_CONFIG)
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(exit::CLEAN)
}

fn report_saved(
    path: &std::path::Path,
    format: report::Format,
    output: Option<&std::path::Path>,
) -> Result<u8> {
    let inventory = nhiscan::drift::read_inventory(path)?;
    let set = DetectorSet::builtin().context("built-in detectors")?;
    emit(&report::render(&inventory, format, &set, false), output)?;
    Ok(exit::CLEAN)
}

fn detectors(action: DetectorsAction) -> Result<u8> {
    match action {
        DetectorsAction::List { format, detectors } => {
            let set = load_detectors(&detectors)?;
            let text = match format {
                ListFormat::Json => detector_list_json(&set),
                ListFormat::Table => detector_list_table(&set),
            };
            print!("{text}");
            Ok(exit::CLEAN)
        }
        DetectorsAction::Check { detectors } => {
            let set = load_detectors(&detectors)?;
            let broken = set.verify_regexes();
            if !broken.is_empty() {
                anyhow::bail!(nhiscan::detect::DetectorError::Invalid(broken));
            }
            let failures = self_test(&set);
            let examples: usize = set
                .detectors()
                .iter()
                .map(|d| d.syntax.examples.len() + d.syntax.negative_examples.len())
                .sum();
            for f in &failures {
                println!("FAIL {f}");
            }
            println!(
                "{} detectors, {} examples: {} passed, {} failed",
                set.len(),
                examples,
                examples - failures.len(),
                failures.len()
            );
            Ok(if failures.is_empty() {
                exit::CLEAN
            } else {
                exit::DENY
            })
        }
    }
}

fn detector_list_json(set: &DetectorSet) -> String {
    let list: Vec<serde_json::Value> = set
        .detectors()
        .iter()
        .map(|d| {
            serde_json::json!({
                "id": d.id, "name": d.name, "provider": d.provider, "kind": d.kind,
                "keywords": d.keywords, "regex": d.syntax.regex, "entropy": d.entropy,
                "validate": d.syntax.validate, "generic": d.generic, "level": d.level,
                "confidence": d.confidence, "reference": d.reference, "origin": d.origin,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&list).expect("list serialises");
    text.push('\n');
    text
}

fn detector_list_table(set: &DetectorSet) -> String {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["Id", "Name", "Provider", "Kind", "Keywords"]);
    for d in set.detectors() {
        table.add_row(vec![
            d.id.clone(),
            d.name.clone(),
            d.provider.clone(),
            d.kind.clone(),
            d.keywords.join(" "),
        ]);
    }
    format!("{table}\n{} detectors\n", set.len())
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
    fn file_done(&self, bytes: u64) {
        if let Some((bar, total)) = &self.0 {
            let sum = total.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed) + bytes;
            bar.inc(1);
            bar.set_message(indicatif::HumanBytes(sum).to_string());
        }
    }
}
