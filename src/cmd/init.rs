//! `nhiscan init`: write a commented default nhiscan.toml.

use super::exit;
use anyhow::{Context, Result};
use std::path::Path;

pub fn run(dir: &Path, force: bool) -> Result<u8> {
    let path = dir.join(nhiscan::config::CONFIG_FILE);
    if path.exists() && !force {
        anyhow::bail!(
            "{} already exists; pass --force to replace it",
            path.display()
        );
    }
    std::fs::write(&path, nhiscan::config::DEFAULT_CONFIG)
        .with_context(|| format!("cannot write {}", path.display()))?;
    super::out::say!("wrote {}", path.display());
    Ok(exit::CLEAN)
}
