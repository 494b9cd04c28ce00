//! `--shard INDEX/COUNT`: which repositories one run of a sharded scan owns.
//!
//! A repository belongs to shard `hash(normalised URL, or a local entry as the list writes
//! it) mod COUNT`: stable across runs, machines and list orders, so N runs with INDEX 0..N (a Kubernetes Indexed Job's
//! `JOB_COMPLETION_INDEX`, a CI matrix) scan every repository exactly once. The normal form
//! ignores what does not change the repository: scheme and host case, credentials, a
//! trailing `/` or `.git`.

/// One shard of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `INDEX/COUNT`, INDEX from 0: a usage error (exit 2) otherwise.
pub fn parse(text: &str) -> Result<Shard, String> {
    let (index, count) = text
        .split_once('/')
        .ok_or("expected INDEX/COUNT, e.g. 0/8 (INDEX from 0, as JOB_COMPLETION_INDEX)")?;
    let number = |s: &str, what: &str| {
        s.trim().parse::<u32>().map_err(|_| {
            format!("{what} `{s}` is not a whole number; expected INDEX/COUNT, e.g. 0/8")
        })
    };
    let (index, count) = (number(index, "INDEX")?, number(count, "COUNT")?);
    if count == 0 {
        return Err("COUNT must be at least 1".into());
    }
    if index >= count {
        return Err(format!(
            "INDEX {index} is not below COUNT {count}; shards are numbered 0 to {}",
            count - 1
        ));
    }
    Ok(Shard { index, count })
}

/// The form a repository is hashed by.
pub fn normalised(url_or_path: &str) -> String {
    let text = url_or_path.trim().trim_end_matches('/');
    let text = text
        .strip_suffix(".git")
        .unwrap_or(text)
        .trim_end_matches('/');
    match text.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = host.rsplit('@').next().unwrap_or(host);
            format!(
                "{}://{}/{path}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase()
            )
        }
        None => text.to_string(),
    }
}

impl Shard {
    /// Whether this shard scans the repository.
    pub fn owns(&self, url_or_path: &str) -> bool {
        let hash = blake3::hash(normalised(url_or_path).as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        u64::from_le_bytes(first) % u64::from(self.count) == u64::from(self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_repository_lands_in_exactly_one_shard_for_every_count() {
        let repos: Vec<String> = (0..500)
            .map(|n| format!("https://github.com/acme/repo-{n}.git"))
            .collect();
        for count in 1..=8 {
            for repo in &repos {
                let owners = (0..count)
                    .filter(|&index| Shard { index, count }.owns(repo))
                    .count();
                assert_eq!(owners, 1, "{repo} with {count} shards");
            }
            // No shard is starved: each gets a fair part of 500.
            for index in 0..count {
                let n = repos
                    .iter()
                    .filter(|r| Shard { index, count }.owns(r))
                    .count();
                assert!(
                    n > 500 / count as usize / 2,
                    "shard {index}/{count} has {n}"
                );
            }
        }
    }

    #[test]
    fn spellings_of_one_repository_share_a_shard() {
        assert_eq!(
            normalised("HTTPS://token@GitHub.com/acme/api.git/"),
            "https://github.com/acme/api"
        );
        assert_eq!(normalised("/srv/repos/api/"), "/srv/repos/api");
        assert_eq!(parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        assert!(parse("8/8").unwrap_err().contains("not below COUNT 8"));
        assert!(parse("1/0").is_err() && parse("x/2").is_err() && parse("3").is_err());
    }
}
