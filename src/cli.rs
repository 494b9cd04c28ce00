//! The command line: clap derive types only. Behaviour lives in `cmd/` and the library;
//! each API source brings its own flags ([`SourceFlags`]).

use clap::{Args, Parser, Subcommand, ValueEnum};
use nhiscan::collect::SourceFlags;
use nhiscan::report::Format;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "nhiscan",
    version,
    about = "Inventory of non-human identities: secrets, keys, tokens and certificates",
    after_help = "Exit codes: 0 no deny-level finding, 1 deny-level findings, 2 usage/config/input error, 3 inventory incomplete (a path or source could not be scanned)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files for secrets and certificates and print the inventory
    Scan(Box<ScanArgs>),
    /// Compare two inventories: identities added, removed, changed; exit 1 on new deny findings
    Diff {
        /// The earlier inventory (`nhiscan scan --format json`)
        #[arg(required_unless_present = "history")]
        old: Option<PathBuf>,
        /// The later inventory
        #[arg(required_unless_present = "history")]
        new: Option<PathBuf>,
        /// Compare the last two scans recorded in this history database instead
        /// (`nhiscan scan --history FILE`)
        #[arg(long, value_name = "FILE", conflicts_with_all = ["old", "new"])]
        history: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Ask the providers of a saved inventory's found secrets whether they are live (like
    /// `scan --validate`, reading the values again from the files and commits it names),
    /// and write the inventory with its findings judged again
    Validate(ValidateCommandArgs),
    /// Revoke found secrets through their provider's self-revocation API (GitHub's
    /// credential revocation, Slack auth.revoke, GitLab self-revoke), after confirmation;
    /// each attempt is recorded in the history database
    Revoke(RevokeArgs),
    /// One inventory from the partial ones of a sharded scan (`scan --shard I/N`):
    /// identities united by id and fingerprint, findings judged again over the whole
    Merge(MergeArgs),
    /// Re-render a saved inventory (`nhiscan scan --format json`) in another format
    Report {
        inventory: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write a commented default nhiscan.toml into DIR (default: the current directory)
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing nhiscan.toml
        #[arg(long)]
        force: bool,
    },
    /// Evidence for an audit period from the history database, or `verify` a pack
    Evidence(EvidenceArgs),
    /// Access reviews: export a sheet for reviewers, import their decisions
    Review {
        #[command(subcommand)]
        action: ReviewAction,
    },
    /// Show or self-test the detectors
    Detectors {
        #[command(subcommand)]
        action: DetectorsAction,
    },
    /// Print a shell completion script (e.g. `nhiscan completions bash > /etc/bash_completion.d/nhiscan`)
    Completions { shell: clap_complete::Shell },
    /// Print the manual page in roff (e.g. `nhiscan man > nhiscan.1 && man ./nhiscan.1`)
    Man,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    pub action: Option<EvidenceAction>,
    /// The history database the scans were recorded in (`nhiscan scan --history DB`)
    #[arg(long, value_name = "DB", required = true)]
    pub history: Option<PathBuf>,
    /// First day of the period (2026-01-01, or an RFC 3339 time)
    #[arg(long, value_name = "DATE", required = true)]
    pub from: Option<String>,
    /// Last day of the period, included
    #[arg(long, value_name = "DATE", required = true)]
    pub to: Option<String>,
    /// Directory to write the pack into (created if missing)
    #[arg(short = 'o', long = "output", value_name = "DIR", required = true)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceAction {
    /// Check a pack (its MANIFEST.sha256 and the hash chain of its scans), or with
    /// --history the chain of a whole history database; names the first broken link
    Verify {
        /// The pack's directory
        #[arg(required_unless_present = "history", conflicts_with = "history")]
        dir: Option<PathBuf>,
        #[arg(long, value_name = "DB")]
        history: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReviewAction {
    /// Write the review sheet (CSV): one row per identity with its owner, backup owner,
    /// privileges, dates and open findings, and empty decision (keep / modify / revoke),
    /// reviewer, review_date, ticket and notes columns
    Export {
        /// A saved inventory (`nhiscan scan --format json`)
        #[arg(required_unless_present = "history", conflicts_with = "history")]
        inventory: Option<PathBuf>,
        /// The newest scan recorded in this history database instead
        #[arg(long, value_name = "DB")]
        history: Option<PathBuf>,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check a completed sheet (every problem reported with its line) and record its
    /// decisions in the history database; exit 1 when rows were rejected
    Import {
        /// The completed review sheet
        sheet: PathBuf,
        /// The history database the sheet was exported from (`--history` of `nhiscan scan`)
        #[arg(long, value_name = "DB")]
        history: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory, unless only API
    /// sources such as --aws are requested); `-` alone reads standard input
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub sources: SourceFlags,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub walk: WalkArgs,

    #[command(flatten)]
    pub detectors: DetectorArgs,

    #[command(flatten)]
    pub suppress: SuppressArgs,

    #[command(flatten)]
    pub history: HistoryArgs,

    #[command(flatten)]
    pub validate: ValidateArgs,

    /// Policy file (default: nhiscan.toml at the root of the first PATH, if present)
    #[arg(long, value_name = "FILE", help_heading = "Policy")]
    pub config: Option<PathBuf>,

    /// Report found secrets only from this confidence up: example, low, medium or high
    /// (default: `[policy] min_confidence`, else example). Those below are counted
    #[arg(long, value_name = "LEVEL", help_heading = "Policy", value_parser = parse_confidence)]
    pub min_confidence: Option<nhiscan::model::Confidence>,
}

/// `A..B`, `A..` (to HEAD) or `..B` (from the root): a range with two dots, as
/// `git log A..B` takes it. Checked when the command line is read, so a typo is a usage
/// error (exit 2) and not a history source that failed.
fn rev_range(text: &str) -> Result<String, String> {
    let Some((from, to)) = text.split_once("..") else {
        return Err(
            "expected A..B (two dots, as in `git log A..B`), e.g. origin/main..HEAD".into(),
        );
    };
    if to.starts_with('.') {
        return Err(
            "three dots (A...B, the symmetric difference) are not supported; use A..B".into(),
        );
    }
    if from.is_empty() && to.is_empty() {
        return Err("both ends are empty; give at least one revision, e.g. origin/main..".into());
    }
    if from.chars().chain(to.chars()).any(char::is_whitespace) {
        return Err("a revision cannot contain whitespace".into());
    }
    Ok(text.to_string())
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Git history")]
pub struct HistoryArgs {
    /// Do not scan git history (by default, every PATH that is a repository root, bare or
    /// not, has the history of all its refs scanned)
    #[arg(long, conflicts_with_all = ["rev_range", "since_commit"])]
    pub no_history: bool,

    /// Scan only blobs introduced by commits in A..B (e.g. what a CI push added)
    #[arg(long, value_name = "A..B", conflicts_with = "since_commit", value_parser = rev_range)]
    pub rev_range: Option<String>,

    /// Scan only blobs introduced after REV (same as --rev-range REV..HEAD)
    #[arg(long, value_name = "REV")]
    pub since_commit: Option<String>,

    /// Reuse and update a cache of scanned blobs, so repeated runs scan only new blobs
    #[arg(long, value_name = "FILE")]
    pub cache: Option<std::path::PathBuf>,

    /// Scan every object in the repository's object database, also what no ref reaches:
    /// commits of deleted branches and rewritten history (until `git gc` prunes them),
    /// fetched pull-request heads, and blobs no commit holds (staged and never committed),
    /// which are reported as `blob:<id>`
    #[arg(long, conflicts_with_all = ["no_history", "rev_range", "since_commit"])]
    pub all_objects: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Validation")]
pub struct ValidateArgs {
    /// Ask each found secret's provider, once, at its documented identity endpoint, whether
    /// it is live and whom it acts as (off by default: this sends found secrets to their
    /// providers). `nhiscan detectors list` shows which detectors can be validated;
    /// NHISCAN_VALIDATE_ENDPOINTS=provider=URL,... redirects a provider (tests, proxies)
    #[arg(long)]
    pub validate: bool,

    #[command(flatten)]
    pub cache: ValidationCacheArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Validation")]
pub struct ValidationCacheArgs {
    /// Cache of validation results by fingerprint (default
    /// $XDG_CACHE_HOME/nhiscan/validations.sqlite); a rerun within --validate-ttl asks no
    /// provider again about the same secret
    #[arg(long, value_name = "FILE")]
    pub validate_cache: Option<PathBuf>,

    /// Use no validation cache: ask about every secret
    #[arg(long, conflicts_with = "validate_cache")]
    pub no_validate_cache: bool,

    /// How long a cached result stands, in hours
    #[arg(long, value_name = "HOURS", default_value_t = 24, value_parser = clap::value_parser!(i64).range(1..))]
    pub validate_ttl: i64,
}

/// `nhiscan revoke INVENTORY.json`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// A saved inventory (`nhiscan scan --format json`); values are read again from the
    /// files and commits it names
    pub inventory: PathBuf,

    /// The identity to revoke (its `id`, e.g. secret:3f2a...); repeat for several
    #[arg(
        long = "identity",
        value_name = "ID",
        required_unless_present = "all_live"
    )]
    pub identities: Vec<String>,

    /// Every identity whose secret validation found live (`scan --validate`)
    #[arg(long)]
    pub all_live: bool,

    /// Do not ask for confirmation (required when standard input is not a terminal)
    #[arg(long)]
    pub yes: bool,

    /// Record each attempt in this scan-history database (as evidence)
    #[arg(long, value_name = "DB")]
    pub history: Option<PathBuf>,

    /// Give up on one provider call after this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,

    #[command(flatten)]
    pub detectors: DetectorArgs,
}

/// `nhiscan merge A.json B.json ...`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The partial inventories (`nhiscan scan --format json`) of a sharded scan
    #[arg(required = true, num_args = 1..)]
    pub inventories: Vec<PathBuf>,

    /// Output format of the merged inventory
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Write it to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Policy file the findings are judged with (default: nhiscan.toml of the current
    /// directory, else the built-in defaults)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Record the merged inventory as one scan in this history database (as `scan
    /// --history` does), for drift and the audit period's evidence pack
    #[arg(long, value_name = "DB")]
    pub history: Option<PathBuf>,
}

/// `nhiscan validate INVENTORY.json`.
#[derive(Debug, Args)]
pub struct ValidateCommandArgs {
    /// A saved inventory (`nhiscan scan --format json`); its values are read again from
    /// the files and commits it names, relative to the directory the scan ran in
    pub inventory: PathBuf,

    /// Output format of the validated inventory
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Write it to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Policy file for the findings judged again (default: nhiscan.toml where the scan ran)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Give up on one provider call after this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,

    #[command(flatten)]
    pub cache: ValidationCacheArgs,

    #[command(flatten)]
    pub detectors: DetectorArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the report to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// When to colour the table (`always` also when NO_COLOR is set)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Show every column of the table at full length, even on a narrower terminal (by
    /// default a table on a terminal fits its width; a file or pipe always gets all of it)
    #[arg(long)]
    pub wide: bool,

    /// Never show a progress bar (it is shown only when stderr is a terminal)
    #[arg(long)]
    pub no_progress: bool,

    /// Also write auditor evidence into DIR: inventory.json, inventory.csv, report.html and
    /// MANIFEST.sha256 (check with `sha256sum -c MANIFEST.sha256`)
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,

    /// Record this scan in the SQLite scan-history database FILE (created if missing), so
    /// every identity carries first_seen/last_seen across runs; compare the last two
    /// recorded scans with `nhiscan diff --history FILE`
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,

    /// Print per-source statistics (items, API calls, time) to stderr
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "What to scan")]
pub struct WalkArgs {
    /// Scan what `git commit` would commit: the index's blobs that differ from HEAD,
    /// reported by their path in the repository (no working-tree walk, no history). For
    /// pre-commit hooks
    #[arg(long, conflicts_with = "paths")]
    pub staged: bool,

    /// The path standard input is reported as with `nhiscan scan -` (default `<stdin>`),
    /// so path-based owners and rules apply to it
    #[arg(long, value_name = "PATH")]
    pub stdin_name: Option<String>,

    /// Also scan files excluded by .gitignore, .ignore and global git excludes
    /// (.nhiscanignore still applies)
    #[arg(long)]
    pub no_ignore: bool,

    /// Follow symbolic links (loops are reported and skipped)
    #[arg(long)]
    pub follow: bool,

    /// Skip files larger than this (bytes; K, M, G suffixes allowed)
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Worker threads (0: one per CPU)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Detectors")]
pub struct DetectorArgs {
    /// Also load the detector file PATH, or every *.toml detector file in the directory
    /// PATH (checked like the built-in ones)
    #[arg(long = "detectors", value_name = "PATH")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Suppression")]
pub struct SuppressArgs {
    /// Do not report findings listed in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write every current leaked-secret finding to FILE as a baseline
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DetectorsAction {
    /// List every detector
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        detectors: DetectorArgs,
    },
    /// Self-test: every example must match, no negative example may, ids must be unique
    Check {
        #[command(flatten)]
        detectors: DetectorArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_confidence(text: &str) -> Result<nhiscan::model::Confidence, String> {
    nhiscan::config::parse_confidence(text)
        .ok_or_else(|| format!("`{text}` is not a confidence; use example, low, medium or high"))
}

/// `50M`, `512K`, `1G` or a plain byte count.
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, mult) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1024),
        Some((i, 'M' | 'm')) => (&t[..i], 1024 * 1024),
        Some((i, 'G' | 'g')) => (&t[..i], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{text}` is not a size; use bytes or a K/M/G suffix, e.g. 50M"))
}
