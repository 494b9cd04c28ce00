//! `nhiscan` binary: parse flags, run one subcommand (`cmd/`), print errors once, set the
//! exit code.

mod cli;
mod cmd;

// gix decodes pack deltas with many short-lived buffers; glibc malloc spends a third of a
// history scan in allocation and consolidation, mimalloc a fraction of that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command};
use cmd::exit;
use std::process::ExitCode;

/// Transparent huge pages off for this process and every program it runs (git, gh, az: the
/// setting survives fork and exec). Each first touch of an allocator region would zero a
/// whole 2 MiB page: a fifth of a small scan's time went to the kernel clearing pages, and
/// a tree scan peaked at 173 MiB resident against 115 MiB without them, at the same speed
/// (history: the same time, 10% less memory). Best effort: a kernel that refuses (before
/// 3.15) leaves the scan as it was.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: no pointer is passed; the kernel reads each argument as an unsigned long,
    // and arguments 3 to 5 must be zero.
    unsafe {
        let (on, zero): (libc::c_ulong, libc::c_ulong) = (1, 0);
        libc::prctl(libc::PR_SET_THP_DISABLE, on, zero, zero, zero);
    }
}

/// mimalloc's `mi_option_destroy_on_exit` (index 22 of `mi_option_e` in the vendored
/// `mimalloc.h`). At 2 or more its exit handler returns at once (`_mi_auto_process_done`
/// in `init.c`) instead of collecting every heap: about a hundred `madvise` calls that
/// hand back memory the kernel is about to reclaim anyway, 3 ms of CPU and 0.7 ms of a
/// 50-file scan's 20. `tests/scan_cli.rs` checks the handler no longer runs. Index and
/// value are those of libmimalloc-sys 0.1.49 (mimalloc 3.3.2, pinned by Cargo.lock): check
/// both when it is updated. `MIMALLOC_SHOW_STATS` no longer prints at exit.
fn skip_allocator_cleanup_at_exit() {
    use std::ffi::{c_int, c_long};
    const DESTROY_ON_EXIT: c_int = 22;
    unsafe extern "C" {
        fn mi_option_set(option: c_int, value: c_long);
    }
    // SAFETY: a documented mimalloc entry point (linked by `mimalloc`), called before any
    // other thread exists, with an option index and a plain value.
    unsafe { mi_option_set(DESTROY_ON_EXIT, 2) };
}

fn main() -> ExitCode {
    no_huge_pages();
    skip_allocator_cleanup_at_exit();
    // Both rustls crypto back-ends are linked (the AWS SDK brings aws-lc-rs, octocrab ring);
    // with two, rustls refuses to pick one, so the process chooses before any client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // `--version` names the commit built and the detector set, so a report can be traced
    // to the exact rules that made it.
    let version: &'static str = Box::leak(cmd::version().into_boxed_str());
    let parsed = Cli::command()
        .version(version)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
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
        Command::Scan(args) => cmd::scan::run(*args),
        Command::Detectors { action } => cmd::detectors::run(action),
        Command::Review { action } => cmd::review::run(action),
        Command::Evidence(args) => cmd::evidence::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Revoke(args) => cmd::revoke::run(args),
        Command::Diff {
            old,
            new,
            history,
            format,
        } => cmd::diff::run(old.as_deref(), new.as_deref(), history.as_deref(), format),
        Command::Init { dir, force } => cmd::init::run(&dir, force),
        Command::Report {
            inventory,
            format,
            output,
        } => cmd::report::run(&inventory, format, output.as_deref()),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "nhiscan",
                &mut std::io::stdout(),
            );
            Ok(exit::CLEAN)
        }
        Command::Man => clap_mangen::Man::new(Cli::command().version(version))
            .render(&mut std::io::stdout())
            .map(|()| exit::CLEAN)
            .map_err(|e| anyhow::anyhow!("cannot write the manual page: {e}")),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            cmd::out::say!("error: {err:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}
