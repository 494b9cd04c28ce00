//! `nhiscan evidence`: the pack for an audit period, and `evidence verify`.

use super::exit;
use crate::cli::{EvidenceAction, EvidenceArgs};
use anyhow::{Context, Result};
use nhiscan::evidence::period::{self, Period};
use nhiscan::model::Timestamp;
use std::path::Path;

pub fn run(args: EvidenceArgs) -> Result<u8> {
    if let Some(EvidenceAction::Verify { dir, history }) = args.action {
        return match (dir, history) {
            (_, Some(db)) => verify_history(&db),
            (Some(dir), None) => verify_pack(&dir),
            (None, None) => anyhow::bail!("give a pack DIR or --history DB"),
        };
    }
    let (Some(db), Some(from), Some(to), Some(out)) =
        (args.history, args.from, args.to, args.output)
    else {
        anyhow::bail!("give --history DB --from DATE --to DATE -o DIR");
    };
    let from = day(&from, "00:00:00").with_context(|| format!("--from {from}"))?;
    let to = day(&to, "23:59:59").with_context(|| format!("--to {to}"))?;
    if to < from {
        anyhow::bail!("--to is before --from; give the period's first day with --from");
    }
    let history = super::open_history(&db)?;
    let scans = history.stored_scans()?;
    let reviews = history.reviews()?;
    let first_seen = history.first_seen()?;
    let config = nhiscan::config::load(None, Path::new("."))?;
    let written = period::write_period(
        &out,
        &Period {
            from,
            to,
            scans: &scans,
            reviews: &reviews,
            first_seen: &first_seen,
            review_days: config.policy.thresholds.review_days,
        },
    )?;
    super::out::say!(
        "wrote {} evidence files for {} .. {} to {}; check them with `nhiscan evidence verify {}`",
        written.len(),
        &from.day(),
        &to.day(),
        out.display(),
        out.display()
    );
    Ok(exit::CLEAN)
}

/// `2026-01-01` at `time` UTC, or a full RFC 3339 time.
fn day(text: &str, time: &str) -> Result<Timestamp> {
    Timestamp::parse(text)
        .or_else(|_| Timestamp::parse(&format!("{text}T{time}Z")))
        .map_err(|_| anyhow::anyhow!("`{text}` is not a date like 2026-01-31"))
}

fn verify_pack(dir: &Path) -> Result<u8> {
    let problems = period::verify(dir)?;
    report(&problems, &format!("evidence pack {}", dir.display()))
}

fn verify_history(db: &Path) -> Result<u8> {
    let problems: Vec<String> = super::open_history(db)?
        .verify_chain()?
        .iter()
        .map(|p| format!("chain: {p}"))
        .collect();
    report(&problems, &format!("history database {}", db.display()))
}

fn report(problems: &[String], what: &str) -> Result<u8> {
    for p in problems {
        super::out::say!("{p}");
    }
    if problems.is_empty() {
        super::out::say!("{what}: every file matches its manifest and the hash chain is unbroken");
        Ok(exit::CLEAN)
    } else {
        super::out::say!(
            "{what}: {} problem(s); the first names the first broken link",
            problems.len()
        );
        Ok(exit::DENY)
    }
}
