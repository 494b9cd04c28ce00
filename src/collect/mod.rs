//! Collectors: the sources that ask a cloud or platform API which machine identities exist.
//!
//! A [`Collector`] does all of its I/O inside [`Collector::collect`] and hands back a
//! [`Batch`] of identities; nothing downstream knows which collector produced a record
//! beyond its `provider`. The [`run`] function is the only place that schedules them: each
//! collector runs as its own task on a tokio runtime, at most `concurrency` at once, each
//! under its own deadline. A collector that fails, times out or panics becomes a `failed`
//! source, one whose calls partly failed a `partial` source; either way the other sources
//! still land in the inventory and the exit code says it is incomplete.

pub mod budget;
pub mod calls;
pub mod clone;
pub mod codeowners;
pub mod rest;
pub mod shard;
#[macro_use]
pub mod registry;

pub use registry::Source;

// Every API source: its module, and its flags struct. One line per source.
sources! {
    aws: AwsFlags,
    azure: AzureFlags,
    gcp: GcpFlags,
    github: GithubFlags,
    gitlab: GitlabFlags,
    kubernetes: KubernetesFlags,
    repos: ReposFlags,
}

use crate::model::{Identity, Provider, SourceState, SourceStatus, Timestamp};
use crate::scan::redact::Fingerprinter;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every collector may read while it runs.
#[derive(Debug, Clone)]
pub struct Context {
    /// The scan's notion of "now" (ages, "never used for N days").
    pub now: Timestamp,
    /// Fingerprints identifying values (an access key id) the same way the secret scanner
    /// does, so a key found in a file correlates with the key a collector saw.
    pub fingerprinter: Fingerprinter,
    /// API calls one collector may have in flight at once.
    pub calls_in_flight: usize,
    /// The collector's time: set by the runner when the collector starts, so its deadline
    /// is its own `--source-timeout` from then.
    pub budget: budget::Budget,
}

/// What one collector found.
#[derive(Debug, Default)]
pub struct Batch {
    pub identities: Vec<Identity>,
    /// Calls that failed without stopping the collector (AccessDenied on one API, a
    /// repository the token cannot read): each names what is missing. Any error makes the
    /// source `partial`.
    pub errors: Vec<String>,
    /// Things the user should know that do not make the inventory incomplete.
    pub warnings: Vec<String>,
    /// API calls made, for `--stats` and the source status.
    pub api_calls: u64,
    /// Repositories to clone and history-scan after the collectors finish
    /// (`--github-clone`), so slow clones never count against the source's deadline.
    pub repositories: Vec<RemoteRepository>,
    /// Values the secret scanner should read (a cluster Secret's data), so a cloud key
    /// stored there correlates with the identity another collector saw.
    pub documents: Vec<Document>,
}

/// A value to scan for secrets, held in memory only and never printed.
pub struct Document {
    /// Source that read it (`kubernetes:prod`): its id in the inventory.
    pub source: String,
    /// Provider of the identities found in it (the platform storing the value).
    pub provider: Provider,
    /// The object holding the value, as the provider names it (`payments/secrets/db`).
    pub object: String,
    /// The key inside the object (`DB_PASSWORD`).
    pub key: String,
    pub bytes: Vec<u8>,
    /// Labels of the object it came from, given to the secrets found in it for ownership.
    pub tags: std::collections::BTreeMap<String, String>,
}

impl Document {
    /// How exposures in it are named: `kubernetes:ctx/ns/secrets/name/key`.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.source, self.object, self.key)
    }
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the bytes: they are secret values.
        write!(f, "Document({}, {} bytes)", self.path(), self.bytes.len())
    }
}

/// A repository a source listed, for the history scanner: cloned ([`clone`]: bare, over
/// HTTPS with the source's token, or from a local path), scanned, and deleted by the scan,
/// one after another, so the secrets in it join the same inventory as the source's
/// identities. Every source that lists repositories (`--github-clone`, `--gitlab-clone`,
/// `--repos-file`) hands them back this way.
pub struct RemoteRepository {
    /// The collector's source id (`github:acme`): clone failures are its errors.
    pub source: String,
    /// How exposures in it are named: `org/repo`, so a path reads `org/repo:config/app.env`.
    pub label: String,
    /// An http(s) URL, or the path of a local repository when `local`.
    pub clone_url: String,
    /// A local repository (`--repos-file` lists paths): cloned from the path, without
    /// credentials.
    pub local: bool,
    pub depth: clone::CloneDepth,
    /// Sent as HTTP Basic `<username>:<token>`, never on a command line.
    pub token: String,
    /// The user name git sends with the token: `x-access-token` for GitHub, `oauth2` for
    /// GitLab (as each documents cloning with a token).
    pub username: &'static str,
    /// Who owns the repository, as the collector found it (custom property, CODEOWNERS,
    /// admin team): the owner of a secret found in it when no closer rule claims it.
    pub owner: Option<crate::model::Owner>,
}

impl RemoteRepository {
    /// What `--shard` hashes: the URL, or a local entry as the list wrote it, which is the
    /// same on every machine whatever directory the list is mounted in.
    pub fn shard_key(&self) -> &str {
        if self.local {
            &self.label
        } else {
            &self.clone_url
        }
    }
}

impl std::fmt::Debug for RemoteRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        write!(
            f,
            "RemoteRepository({} from {})",
            self.label, self.clone_url
        )
    }
}

/// Why a collector could not produce anything at all.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// No usable credentials or configuration for the source.
    #[error("{0}")]
    Setup(String),
    /// The provider refused or failed the calls every later call depends on.
    #[error("{0}")]
    Api(String),
}

/// A source of identities.
#[async_trait::async_trait]
pub trait Collector: Send + Sync {
    /// Source id as reported in the inventory: `aws:prod`, `github:acme`, ...
    fn id(&self) -> String;
    async fn collect(&self, cx: &Context) -> Result<Batch, CollectError>;
}

/// How the runner schedules collectors.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Collectors running at once.
    pub concurrency: usize,
    /// Deadline for one collector, from its start.
    pub timeout: Duration,
    /// Limit of one API call (a page, with its body) inside a collector.
    pub request_timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 4,
            timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// One collector's outcome: its status line and the identities it produced.
#[derive(Debug)]
pub struct Collected {
    pub status: SourceStatus,
    pub identities: Vec<Identity>,
    pub repositories: Vec<RemoteRepository>,
    pub documents: Vec<Document>,
}

/// Run every collector to completion, failure or timeout; results are in input order.
/// An environment variable as the credential chains read it: trimmed, and unset when
/// empty (an empty `GOOGLE_CLOUD_PROJECT=` does not hide the next fallback).
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub fn run(collectors: Vec<Arc<dyn Collector>>, cx: Context, opts: RunOptions) -> Vec<Collected> {
    if collectors.is_empty() {
        return Vec::new();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let message = format!("cannot start the async runtime for collectors: {e}");
            return collectors
                .iter()
                .map(|c| Collected::failed(c.id(), message.clone(), 0))
                .collect();
        }
    };
    runtime.block_on(run_all(collectors, Arc::new(cx), opts))
}

async fn run_all(
    collectors: Vec<Arc<dyn Collector>>,
    cx: Arc<Context>,
    opts: RunOptions,
) -> Vec<Collected> {
    let permits = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let tasks: Vec<_> = collectors
        .into_iter()
        .map(|collector| {
            let id = collector.id();
            let permits = Arc::clone(&permits);
            let cx = Arc::clone(&cx);
            let task = tokio::spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = permits.acquire_owned().await;
                let started = Instant::now();
                let cx = Context {
                    budget: budget::Budget::starting_now(opts.timeout, opts.request_timeout),
                    ..(*cx).clone()
                };
                // A collector stops at its budget's deadline and returns what it has; the
                // hard timeout only catches one that does not.
                let outcome = tokio::time::timeout(
                    opts.timeout + grace(opts.timeout),
                    collector.collect(&cx),
                )
                .await;
                (outcome, started.elapsed())
            });
            (id, task)
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for (id, task) in tasks {
        out.push(match task.await {
            Ok((Ok(Ok(batch)), elapsed)) => finished(id, batch, elapsed),
            Ok((Ok(Err(e)), elapsed)) => Collected::failed(id, e.to_string(), elapsed.as_millis() as u64),
            Ok((Err(_), elapsed)) => Collected::failed(
                id,
                format!(
                    "did not stop at its deadline (--source-timeout {}); nothing from this source is in the inventory. This is a bug in nhiscan, please report it; meanwhile raise --source-timeout or narrow the scope",
                    budget::seconds(opts.timeout)
                ),
                elapsed.as_millis() as u64,
            ),
            Err(join) => Collected::failed(
                id,
                format!("the collector crashed ({join}); this is a bug in nhiscan, please report it"),
                0,
            ),
        });
    }
    out
}

/// How long after its deadline a collector may take to hand back what it collected.
fn grace(timeout: Duration) -> Duration {
    (timeout / 10).clamp(Duration::from_millis(500), Duration::from_secs(10))
}

fn finished(id: String, batch: Batch, elapsed: Duration) -> Collected {
    let state = if batch.errors.is_empty() {
        SourceState::Ok
    } else {
        SourceState::Partial
    };
    Collected {
        status: SourceStatus {
            id,
            status: state,
            items: batch.identities.len() as u64,
            errors: batch.errors,
            warnings: batch.warnings,
            api_calls: batch.api_calls,
            elapsed_ms: elapsed.as_millis() as u64,
        },
        identities: batch.identities,
        repositories: batch.repositories,
        documents: batch.documents,
    }
}

impl Collected {
    /// A source that produced nothing, with the reason.
    pub fn failed(id: String, message: String, elapsed_ms: u64) -> Collected {
        Collected {
            status: SourceStatus {
                id,
                status: SourceState::Failed,
                items: 0,
                errors: vec![message],
                warnings: Vec::new(),
                api_calls: 0,
                elapsed_ms,
            },
            identities: Vec::new(),
            repositories: Vec::new(),
            documents: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Provider;
    use std::sync::atomic::{AtomicUsize, Ordering};

    type Outcome = fn() -> Result<Batch, CollectError>;

    /// A collector whose behaviour the test chooses; the runner is what is under test.
    struct Scripted {
        id: &'static str,
        delay: Duration,
        outcome: Outcome,
        running: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }

    #[async_trait::async_trait]
    impl Collector for Scripted {
        fn id(&self) -> String {
            self.id.to_string()
        }
        async fn collect(&self, _cx: &Context) -> Result<Batch, CollectError> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            (self.outcome)()
        }
    }

    fn one_identity() -> Result<Batch, CollectError> {
        Ok(Batch {
            identities: vec![Identity::new(
                "k1",
                Provider::named("aws"),
                "access-key",
                "k1",
                "x",
            )],
            api_calls: 3,
            ..Batch::default()
        })
    }

    fn partial() -> Result<Batch, CollectError> {
        Ok(Batch {
            errors: vec!["iam:ListRoles denied".into()],
            ..Batch::default()
        })
    }

    fn broken() -> Result<Batch, CollectError> {
        Err(CollectError::Setup("no credentials".into()))
    }

    fn crashes() -> Result<Batch, CollectError> {
        panic!("collector bug")
    }

    fn cx() -> Context {
        Context {
            now: Timestamp::now(),
            fingerprinter: Fingerprinter::default(),
            calls_in_flight: 8,
            budget: budget::Budget::default(),
        }
    }

    fn scripted(
        list: &[(&'static str, u64, Outcome)],
    ) -> (Vec<Arc<dyn Collector>>, Arc<AtomicUsize>) {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let collectors = list
            .iter()
            .map(|&(id, ms, outcome)| {
                Arc::new(Scripted {
                    id,
                    delay: Duration::from_millis(ms),
                    outcome,
                    running: Arc::clone(&running),
                    peak: Arc::clone(&peak),
                }) as Arc<dyn Collector>
            })
            .collect();
        (collectors, peak)
    }

    #[test]
    fn each_outcome_becomes_a_source_status_and_the_rest_still_lands() {
        let (collectors, _) = scripted(&[
            ("ok", 1, one_identity),
            ("partial", 1, partial),
            ("failed", 1, broken),
            ("slow", 5_000, one_identity),
            ("panics", 1, crashes),
        ]);
        let opts = RunOptions {
            concurrency: 8,
            timeout: Duration::from_millis(200),
            request_timeout: Duration::from_secs(30),
        };
        let out = run(collectors, cx(), opts);
        let states: Vec<(&str, SourceState)> = out
            .iter()
            .map(|c| (c.status.id.as_str(), c.status.status))
            .collect();
        assert_eq!(
            states,
            [
                ("ok", SourceState::Ok),
                ("partial", SourceState::Partial),
                ("failed", SourceState::Failed),
                ("slow", SourceState::Failed),
                ("panics", SourceState::Failed),
            ]
        );
        assert_eq!(out[0].identities.len(), 1);
        assert_eq!(out[0].status.api_calls, 3);
        assert_eq!(out[1].status.errors, ["iam:ListRoles denied"]);
        assert_eq!(out[2].status.errors, ["no credentials"]);
        assert!(
            out[3].status.errors[0]
                .contains("did not stop at its deadline (--source-timeout 200ms)")
        );
        assert!(out[4].status.errors[0].contains("bug in nhiscan"));
    }

    #[test]
    fn no_more_collectors_run_at_once_than_allowed() {
        let list: Vec<(&'static str, u64, Outcome)> = ["a", "b", "c", "d", "e", "f"]
            .into_iter()
            .map(|id| (id, 30, one_identity as Outcome))
            .collect();
        let (collectors, peak) = scripted(&list);
        let opts = RunOptions {
            concurrency: 2,
            timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        };
        let out = run(collectors, cx(), opts);
        assert_eq!(out.len(), 6);
        assert!(out.iter().all(|c| c.status.status == SourceState::Ok));
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn no_collectors_means_no_runtime_and_no_sources() {
        assert!(run(Vec::new(), cx(), RunOptions::default()).is_empty());
    }
}
