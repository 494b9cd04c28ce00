//! `[[revoke]]` tables: how the owner of a leaked credential revokes it, per provider, from
//! the provider's own documentation. Each applies to every detector of its provider, so a
//! finding can say what to do next; a table for a provider no detector names, a URL that
//! is not https, an instruction that is empty or longer than one line, or a provider
//! listed twice is a problem of the detector set.

use super::syntax::RevokeSyntax;
use super::{Detector, DetectorProblem};
use crate::model::Revocation;
use std::collections::HashMap;

/// Longest instruction: one line of a table or an annotation.
const MAX_HOW: usize = 160;

/// Check `revocations` (each with the file it came from) and give each detector its
/// provider's.
pub(super) fn attach(
    revocations: Vec<(String, RevokeSyntax)>,
    detectors: &mut [Detector],
    problems: &mut Vec<DetectorProblem>,
) {
    let mut by_provider: HashMap<String, Revocation> = HashMap::new();
    for (origin, r) in revocations {
        let problem = if !r.url.starts_with("https://") {
            Some(format!("url `{}` must be the provider's https page", r.url))
        } else if r.how.trim().is_empty() || r.how.contains('\n') || r.how.len() > MAX_HOW {
            Some(format!(
                "how must be one line of at most {MAX_HOW} characters"
            ))
        } else if !detectors.iter().any(|d| d.provider == r.provider) {
            Some("no detector has this provider".to_string())
        } else if by_provider.contains_key(&r.provider) {
            Some("listed twice".to_string())
        } else {
            None
        };
        if let Some(message) = problem {
            problems.push(DetectorProblem {
                origin,
                detector: None,
                message: format!("[[revoke]] for provider `{}`: {message}", r.provider),
            });
            continue;
        }
        by_provider.insert(
            r.provider,
            Revocation {
                url: r.url,
                how: r.how.trim().to_string(),
            },
        );
    }
    for d in detectors.iter_mut() {
        d.revoke = by_provider.get(&d.provider).cloned();
    }
}
