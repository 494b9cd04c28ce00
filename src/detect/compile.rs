//! Detector files as written -> the compiled [`DetectorSet`]: every definition validated
//! (every problem reported at once, with its file and id), known examples indexed, one
//! keyword prefilter built over all detectors.

use super::literals::Literals;
use super::magic::Magic;
use super::stages::FirstStage;
use super::syntax::{
    DetectorFile, DetectorSyntax, KnownExampleSyntax, LiveCheckSyntax, RevokeSyntax,
};
use super::validate::Validator;
use super::{
    ContextualRow, DEFAULT_LOOKBACK, DEFAULT_WINDOW, Detector, DetectorError, DetectorProblem,
    DetectorSet, DetectorSource, GENERIC_DEFAULT_ENTROPY, KINDS, KnownExample, LazyRegex,
    Prefilter, Span, contextual, escapes, layers, manifest,
};
use crate::model::{Confidence, Level};
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

impl DetectorSet {
    /// Parse, validate and compile `sources`, reporting every problem found.
    ///
    /// Start-up is most of a small scan's time, so the files are parsed and compiled on
    /// several threads (each file on its own, largest first) and merged in their given
    /// order, so ids, problems and examples come out as if read one after another.
    pub fn compile(sources: &[DetectorSource]) -> Result<DetectorSet, DetectorError> {
        let mut problems = Vec::new();
        let mut known = KnownExamples::default();
        let mut revocations = Vec::new();
        let mut live_checks = Vec::new();
        let mut revoke_calls = Vec::new();
        let (compiled_detectors, rest): (Vec<_>, Vec<_>) = compile_sources(sources)
            .into_iter()
            .map(|c| (c.detectors, c.rest))
            .unzip();
        // The keyword prefilter is built from the compiled detectors on a second thread
        // while this one checks ids and examples: built after them, it was a millisecond
        // of a 50-file scan's start-up with one core idle. If anything is refused, the set
        // is not built and the prefilter is dropped; if nothing is, the detectors keep
        // exactly this order, so its detector indices hold. A second definition of an id
        // (source and position) is left out, so the checks below see the first.
        let mut duplicates = Vec::new();
        let prefilter = std::thread::scope(|scope| {
            let prefilter = scope.spawn(|| {
                let detectors: Vec<&Detector> = compiled_detectors
                    .iter()
                    .flatten()
                    .filter_map(|d| d.as_ref().ok())
                    .collect();
                build_prefilter(&detectors)
            });
            let mut seen: HashMap<&str, &str> = HashMap::new();
            let files = sources.iter().zip(rest).zip(&compiled_detectors);
            for (source_index, ((source, compiled), detectors)) in files.enumerate() {
                problems.extend(compiled.problems);
                live_checks.extend(
                    compiled
                        .live_checks
                        .into_iter()
                        .map(|c| (source.origin.clone(), c)),
                );
                revoke_calls.extend(
                    compiled
                        .revoke_calls
                        .into_iter()
                        .map(|c| (source.origin.clone(), c)),
                );
                revocations.extend(
                    compiled
                        .revocations
                        .into_iter()
                        .map(|r| (source.origin.clone(), r)),
                );
                for e in compiled.known_examples {
                    problems.extend(known.admit(&source.origin, e));
                }
                for (detector_index, compiled) in detectors.iter().enumerate() {
                    let id = match compiled {
                        Ok(d) => d.id.as_str(),
                        Err((id, _)) => id.as_str(),
                    };
                    match seen.entry(id) {
                        // The first definition stays the one named, however many follow.
                        Entry::Occupied(first) => {
                            problems.push(DetectorProblem {
                                origin: source.origin.clone(),
                                detector: Some(id.to_string()),
                                message: format!("duplicate id (first defined in {})", first.get()),
                            });
                            duplicates.push((source_index, detector_index));
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(&source.origin);
                            if let Err((_, refused)) = compiled {
                                problems.extend(refused.iter().cloned());
                            }
                        }
                    }
                }
            }
            prefilter
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
        // Only now are the detectors moved, once each, into a vector of their final size.
        let mut detectors = Vec::with_capacity(compiled_detectors.iter().map(Vec::len).sum());
        for (source_index, compiled) in compiled_detectors.into_iter().enumerate() {
            for (detector_index, compiled) in compiled.into_iter().enumerate() {
                if let Ok(d) = compiled
                    && !duplicates.contains(&(source_index, detector_index))
                {
                    detectors.push(d);
                }
            }
        }
        super::revoke::attach(revocations, &mut detectors, &mut problems);
        use super::live::{Table, attach};
        let live_checks = attach(Table::Validate, live_checks, &mut detectors, &mut problems);
        let revoke_calls = attach(
            Table::RevokeApi,
            revoke_calls,
            &mut detectors,
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(DetectorError::Invalid(problems));
        }
        // The prefilter indexed every compiled detector, duplicates included; its indices
        // match `detectors` only because a duplicate is a problem, refused above.
        debug_assert!(duplicates.is_empty());
        let hash = DetectorSource::hash_of(sources);
        let prefilter = prefilter?;
        Ok(DetectorSet {
            detectors,
            known: known.values,
            known_accounts: known.accounts,
            examples: known.examples,
            prefilter,
            hash,
            live_checks,
            revoke_calls,
            by_id: Default::default(),
        })
    }
}

/// The known examples of every file, indexed by value and by AWS account as they are
/// admitted, each pointing at its vendor and source in `examples`.
#[derive(Default)]
struct KnownExamples {
    values: HashMap<Box<[u8]>, u32>,
    accounts: HashMap<String, u32>,
    examples: Vec<KnownExample>,
}

impl KnownExamples {
    /// Index one `[[known_example]]` of the file at `origin`, or say why it is refused.
    fn admit(&mut self, origin: &str, e: KnownExampleSyntax) -> Option<DetectorProblem> {
        let problem = match (&e.value, &e.aws_account) {
            (Some(_), Some(_)) | (None, None) => {
                Some("known_example needs exactly one of value and aws_account")
            }
            (Some(v), None) if v.len() < 8 => {
                Some("known_example value shorter than 8 bytes would match common words")
            }
            (Some(v), None) if self.values.contains_key(v.as_bytes()) => {
                Some("known_example listed twice")
            }
            (None, Some(a)) if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) => {
                Some("known_example aws_account must be a 12-digit account id")
            }
            _ if e.source.trim().is_empty() || e.vendor.trim().is_empty() => {
                Some("known_example needs the vendor and the source publishing it")
            }
            _ => None,
        };
        if let Some(message) = problem {
            return Some(DetectorProblem {
                origin: origin.to_string(),
                detector: None,
                message: format!("{message} (source {})", e.source),
            });
        }
        let index = self.examples.len() as u32;
        match (e.value, e.aws_account) {
            (Some(v), _) => self.values.insert(v.into_bytes().into(), index),
            (_, Some(a)) => self.accounts.insert(a, index),
            _ => None,
        };
        self.examples.push(KnownExample {
            vendor: e.vendor,
            source: e.source,
            origin: origin.to_string(),
        });
        None
    }
}

/// One detector file, parsed and compiled on its own: each definition compiled or refused
/// under its id, and the rest of the file.
#[derive(Default)]
struct CompiledSource {
    #[allow(clippy::type_complexity)]
    detectors: Vec<Result<Detector, (String, Vec<DetectorProblem>)>>,
    rest: SourceRest,
}

/// A file's problems, its known examples (checked against the others' by the caller) and
/// its tables of revocation pages and live checks.
#[derive(Default)]
struct SourceRest {
    problems: Vec<DetectorProblem>,
    known_examples: Vec<KnownExampleSyntax>,
    revocations: Vec<RevokeSyntax>,
    live_checks: Vec<LiveCheckSyntax>,
    revoke_calls: Vec<LiveCheckSyntax>,
}

/// Each source compiled, in the order given, on up to four threads.
fn compile_sources(sources: &[DetectorSource]) -> Vec<CompiledSource> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(sources.len());
    if threads <= 1 {
        return sources.iter().map(compile_source).collect();
    }
    // Largest files first, taken by whichever thread is free, so one long file does not
    // finish alone at the end.
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sources[i].text.len()));
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, CompiledSource)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = order.get(n) else { break };
                        mine.push((i, compile_source(&sources[i])));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, c)| c).collect()
}

fn compile_source(source: &DetectorSource) -> CompiledSource {
    let mut out = CompiledSource::default();
    // Every syntax and type problem of the file, each with its line; the checks below
    // still run on the rest of it.
    let parsed = source
        .json
        .and_then(|json| serde_json::from_str::<DetectorFile>(json).ok());
    let (file, found) = match parsed {
        Some(file) => (Some(file), Vec::new()),
        None => crate::model::toml_recover::deserialize_all::<DetectorFile>(&source.text),
    };
    out.rest
        .problems
        .extend(found.iter().map(|p| DetectorProblem {
            origin: source.origin.clone(),
            detector: None,
            message: p.at(&source.text),
        }));
    let Some(file) = file else { return out };
    out.rest.known_examples = file.known_examples;
    out.rest.revocations = file.revoke;
    out.rest.live_checks = file.validate;
    out.rest.revoke_calls = file.revoke_api;
    // Contextual rows become detectors like the written ones; a row's own problems
    // (names, shape) are reported under its id.
    let mut rows: Vec<(DetectorSyntax, Option<ContextualRow>)> =
        file.detectors.into_iter().map(|s| (s, None)).collect();
    for row in file.contextual {
        match contextual::to_detector(&row) {
            Ok((syntax, shape)) => rows.push((syntax, Some(ContextualRow { syntax: row, shape }))),
            Err(found) => {
                out.rest
                    .problems
                    .extend(found.into_iter().map(|message| DetectorProblem {
                        origin: source.origin.clone(),
                        detector: Some(row.id.clone()),
                        message,
                    }))
            }
        }
    }
    out.detectors.reserve_exact(rows.len());
    for (syntax, row) in rows {
        let id = syntax.id.clone();
        out.detectors
            .push(compile_one(syntax, &source.origin, source.embedded, row).map_err(|p| (id, p)));
    }
    out
}

/// Lowercased keywords -> the detectors that listed them, in first-seen order (each
/// detector's own keywords in sorted order). Keywords already in lowercase, nearly all of
/// them, are borrowed: this table was half of the prefilter's build.
fn keyword_table<'d>(
    detectors: impl Iterator<Item = (usize, &'d Detector)>,
) -> (Vec<Cow<'d, str>>, Vec<Vec<u32>>) {
    let mut index: HashMap<Cow<'d, str>, usize> = HashMap::new();
    let mut patterns: Vec<Cow<'d, str>> = Vec::new();
    let mut owners: Vec<Vec<u32>> = Vec::new();
    let mut unique: Vec<Cow<'d, str>> = Vec::new();
    for (i, d) in detectors {
        unique.clear();
        unique.extend(d.keywords.iter().map(|k| {
            if k.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(k.to_ascii_lowercase())
            } else {
                Cow::Borrowed(k.as_str())
            }
        }));
        unique.sort_unstable();
        unique.dedup();
        for kw in unique.drain(..) {
            let slot = match index.get(&kw) {
                Some(&slot) => slot,
                None => {
                    index.insert(kw.clone(), patterns.len());
                    patterns.push(kw);
                    owners.push(Vec::new());
                    patterns.len() - 1
                }
            };
            owners[slot].push(i as u32);
        }
    }
    (patterns, owners)
}

/// The first stage holds the format and generic detectors' keywords, the base64 markers and
/// the contextual triggers; the provider names of contextual rows go to a second filter
/// searched only on lines holding a trigger. Keeping hundreds of names out of the first
/// stage's DFA keeps its build (most of start-up) and its size (the scan's hot loop) as
/// they were before the long tail.
fn build_prefilter(detectors: &[&Detector]) -> Result<Prefilter, DetectorError> {
    let (mut patterns, mut owners) = keyword_table(
        detectors
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, d)| d.contextual.is_none()),
    );
    let markers_start = patterns.len();
    for m in layers::base64_markers() {
        patterns.push(Cow::Owned(m));
        owners.push(Vec::new());
    }
    let escapes_start = patterns.len();
    for (m, _) in escapes::MARKERS {
        patterns.push(Cow::Borrowed(*m));
        owners.push(Vec::new());
    }
    let secret_manifest_markers = patterns.len();
    for m in manifest::MARKERS {
        patterns.push(Cow::Borrowed(m));
        owners.push(Vec::new());
    }
    let triggers_start = patterns.len();
    for t in contextual::TRIGGERS {
        patterns.push(Cow::Borrowed(*t));
        owners.push(Vec::new());
    }
    let triggers_end = patterns.len();
    let (names, name_owners) = keyword_table(
        detectors
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, d)| d.contextual.is_some()),
    );
    let prefilter_error = |e: super::literals::TooShort| DetectorError::Prefilter(e.to_string());
    let names = Literals::new(&names).map_err(prefilter_error)?;
    let first = FirstStage::new(&patterns).map_err(prefilter_error)?;
    Ok(Prefilter {
        first,
        owners,
        base64_markers: markers_start..escapes_start,
        escape_markers: escapes_start..secret_manifest_markers,
        secret_manifest_markers: secret_manifest_markers..triggers_start,
        triggers: triggers_start..triggers_end,
        names,
        name_owners,
    })
}

fn compile_one(
    s: DetectorSyntax,
    origin: &str,
    embedded: bool,
    row: Option<ContextualRow>,
) -> Result<Detector, Vec<DetectorProblem>> {
    let mut problems = Vec::new();
    let mut problem = |message: String| {
        problems.push(DetectorProblem {
            origin: origin.to_string(),
            detector: Some(s.id.clone()),
            message,
        })
    };
    if !valid_id(&s.id) {
        problem("id must be `<provider>.<name>` in lowercase letters, digits and `-`".into());
    }
    if !KINDS.contains(&s.kind.as_str()) {
        problem(format!(
            "unknown kind `{}`; expected one of {}",
            s.kind,
            KINDS.join(", ")
        ));
    }
    let binary = !s.magic.is_empty();
    let mut magic = Vec::new();
    for m in &s.magic {
        match Magic::parse(m) {
            Ok(parsed) => magic.push(parsed),
            Err(message) => problem(message),
        }
    }
    if binary {
        if !s.keywords.is_empty() || !s.regex.is_empty() {
            problem("a binary (magic) detector has no keywords and no regex".into());
        }
        let not_hex = s
            .examples
            .iter()
            .chain(&s.negative_examples)
            .any(|e| super::magic::hex_bytes(e).is_none());
        if not_hex {
            problem("a binary (magic) detector's examples are hex bytes".into());
        }
    } else if s.keywords.is_empty() || s.keywords.iter().any(|k| k.len() < 2) {
        problem("needs at least one keyword, each at least 2 bytes long".into());
    }
    // A contextual row's cases are generated from its shape.
    if row.is_none() && (s.examples.is_empty() || s.negative_examples.is_empty()) {
        problem("needs at least one example and one negative_example".into());
    }
    if s.kind == "reference" && s.generic {
        problem("a reference detector names a store; it cannot be generic".into());
    }
    let validator = match s.validate.as_deref() {
        None => None,
        Some(name) => match Validator::from_name(name) {
            Some(v) => Some(v),
            None => {
                problem(format!(
                    "unknown validator `{name}`; expected one of {}",
                    Validator::NAMES.join(", ")
                ));
                None
            }
        },
    };
    let compiled = OnceLock::new();
    if binary {
        // No regex: the file's first bytes decide.
    } else if embedded {
        if !s.regex.contains("(?P<secret>") {
            problem("regex has no named group `secret`".into());
        }
    } else {
        match LazyRegex::build(&s.regex) {
            Ok(built) => {
                let _ = compiled.set(built);
            }
            Err(message) => problem(message),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let entropy = s.entropy.or(if s.generic || row.is_some() {
        Some(GENERIC_DEFAULT_ENTROPY)
    } else {
        None
    });
    let default_confidence = if s.generic {
        Confidence::Low
    } else {
        Confidence::Medium
    };
    let span = match (s.window, s.lookback) {
        (None, None) => Span::Line,
        (window, lookback) => Span::Bytes {
            lookback: lookback.unwrap_or(DEFAULT_LOOKBACK),
            window: window.unwrap_or(DEFAULT_WINDOW),
        },
    };
    // Moved, not copied: a thousand detectors' strings were a tenth of start-up.
    Ok(Detector {
        id: s.id,
        name: s.name,
        provider: s.provider,
        kind: s.kind,
        keywords: s.keywords,
        confirm: LazyRegex {
            pattern: s.regex,
            compiled,
        },
        entropy,
        validator,
        validate: s.validate,
        generic: s.generic,
        confidence: s.confidence.unwrap_or(default_confidence),
        level: s.level.unwrap_or(Level::Deny),
        span,
        reference: s.reference,
        origin: origin.to_string(),
        magic,
        examples: s.examples,
        negative_examples: s.negative_examples,
        contextual: row.map(Box::new),
        revoke: None,
        live: None,
        partner_of: None,
        revoke_api: None,
    })
}

fn valid_id(id: &str) -> bool {
    let mut parts = id.splitn(2, '.');
    let ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    matches!((parts.next(), parts.next()), (Some(a), Some(b)) if ok(a) && ok(b))
}
