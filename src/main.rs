//! `nhiscan` binary: parse flags, run one subcommand (`cmd/`), print errors once, set the
//! exit code.

mod cli;
mod cmd;

// gix decodes pack deltas with many short-lived buffers; glibc malloc spends a third of a
// history scan in allocation and consolidation, mimalloc a fraction of that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use cli::{Cli, Command};
use cmd::exit;
use std::process::ExitCode;

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
        Command::Scan(args) => cmd::scan::run(*args),
        Command::Detectors { action } => cmd::detectors::run(action),
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
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            cmd::out::say!("error: {err:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}
