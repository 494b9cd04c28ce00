//! Rules about access reviews (`review-overdue`, `revocation-pending`): whether a person
//! decided recently that an identity's access is still needed, and whether a decision to
//! revoke it was carried out. They apply only to identities judged with a scan-history
//! database (which carries their [`ReviewState`](crate::model::ReviewState)): a one-off
//! scan expects no review.

use super::{Context, Rule, about, days_phrase};
use crate::model::{Decision, Finding, Identity};

pub const REVIEW_OVERDUE: Rule = Rule {
    code: "review-overdue",
    description: "No access review recorded for an identity within [policy] review_days (90 by default): nobody has confirmed that its access is still needed. Export a review sheet with `nhiscan review export` and import the decisions with `nhiscan review import`.",
    default_level: crate::model::Level::Warn,
    controls: &["SOC2-CC6.2", "SOC2-CC6.3", "ISO27001-A.5.18", "OWASP-NHI1"],
};

pub const REVOCATION_PENDING: Rule = Rule {
    code: "revocation-pending",
    description: "An access review decided to revoke an identity more than [policy] revoke_days (14 by default) ago, and it is still there.",
    default_level: crate::model::Level::Deny,
    controls: &["SOC2-CC6.2", "SOC2-CC6.3", "ISO27001-A.5.18", "OWASP-NHI1"],
};

pub(super) fn review(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    let state = identity.review.as_ref()?;
    let limits = cx.thresholds;
    match &state.last {
        Some(last) if last.decision == Decision::Revoke => {
            let waited = last.date.days_until(&cx.now);
            (waited > limits.revoke_days).then(|| {
                let msg = format!(
                    "{} was decided for revocation by {} {} ({}{}) and is still present, past the {} days [policy] revoke_days allows",
                    identity.name,
                    last.reviewer,
                    days_phrase(waited),
                    &last.date.day(),
                    last.ticket
                        .as_deref()
                        .map(|t| format!(", ticket {t}"))
                        .unwrap_or_default(),
                    limits.revoke_days
                );
                about(&REVOCATION_PENDING, identity, msg)
            })
        }
        Some(last) => {
            let since = last.date.days_until(&cx.now);
            (since > limits.review_days).then(|| {
                let msg = format!(
                    "{} was last reviewed {} ({} by {}), more than {} days ago",
                    identity.name,
                    days_phrase(since),
                    &last.date.day(),
                    last.reviewer,
                    limits.review_days
                );
                about(&REVIEW_OVERDUE, identity, msg)
            })
        }
        None => {
            let known = state.tracked_since.days_until(&cx.now);
            (known > limits.review_days).then(|| {
                let msg = format!(
                    "{} has never been reviewed, and the scan history has known it for {known} days ({} allowed by [policy] review_days)",
                    identity.name, limits.review_days
                );
                about(&REVIEW_OVERDUE, identity, msg)
            })
        }
    }
}
