//! The policy rules themselves: stable codes, descriptions, default levels and the controls
//! each finding evidences. CI configurations, suppressions and auditors refer to the codes,
//! so a code never changes meaning; a new check gets a new code.
//!
//! Control references: OWASP Non-Human Identities Top 10 (2025) NHI1-NHI10, SOC 2 Trust
//! Services Criteria CC6.1-CC6.3, NIST CSF 2.0 PR.AA.

use crate::model::Level;

/// A policy rule's fixed description.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub code: &'static str,
    pub description: &'static str,
    pub default_level: Level,
    pub controls: &'static [&'static str],
}

pub const LEAKED_SECRET: Rule = Rule {
    code: "leaked-secret",
    description: "A credential's secret value is present in a scanned file; anyone who can read the file can use it.",
    default_level: Level::Deny,
    controls: &["OWASP-NHI2", "SOC2-CC6.1", "NIST-PR.AA-01"],
};

pub const SECRET_IN_HISTORY: Rule = Rule {
    code: "secret-in-history",
    description: "A secret was removed from the current tree but is still in git history: every clone still has it. Rotate it; rewriting history does not reach existing clones.",
    default_level: Level::Deny,
    controls: &["OWASP-NHI2", "SOC2-CC6.1", "NIST-PR.AA-01"],
};

pub const SECRET_REUSED: Rule = Rule {
    code: "secret-reused",
    description: "The same secret value appears in more than one file; one credential serves several places and cannot be rotated or revoked independently.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI9", "SOC2-CC6.1"],
};

pub const EXPIRED: Rule = Rule {
    code: "expired",
    description: "A certificate or credential is past its expiry date.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.2"],
};

pub const EXPIRING_SOON: Rule = Rule {
    code: "expiring-soon",
    description: "A certificate or credential expires within [policy] expiring_soon_days (30 by default).",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.2"],
};

pub const UNOWNED: Rule = Rule {
    code: "unowned",
    description: "No owner could be determined (no [[owners]] rule, tag or label, CODEOWNERS entry or commit author): nobody will rotate or revoke it.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2"],
};

pub const STALE: Rule = Rule {
    code: "stale",
    description: "Not used for longer than [policy] stale_days (90 by default): likely orphaned; disable it, then delete it.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2", "NIST-PR.AA-05"],
};

pub const NEVER_USED: Rule = Rule {
    code: "never-used",
    description: "Created more than [policy] never_used_days (30 by default) ago and never used: access nobody needs.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2", "NIST-PR.AA-05"],
};

pub const ROTATION_OVERDUE: Rule = Rule {
    code: "rotation-overdue",
    description: "A credential older than [policy] rotation_days (90 by default) since it was created or last rotated.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.1"],
};

pub const LONG_LIVED: Rule = Rule {
    code: "long-lived",
    description: "An active credential with no expiry: it stays valid until someone revokes it. Prefer short-lived credentials (roles, OIDC federation, bound tokens).",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.1"],
};

pub const OVERPRIVILEGED: Rule = Rule {
    code: "overprivileged",
    description: "Holds a privilege listed in [policy] broad_privileges (administrator, wildcard actions, IAM or RBAC escalation, reading every secret).",
    default_level: Level::Warn,
    controls: &["OWASP-NHI5", "SOC2-CC6.3", "NIST-PR.AA-05"],
};

pub const THIRD_PARTY_ACCESS: Rule = Rule {
    code: "third-party-access",
    description: "A party outside the account or organisation (another AWS account, a federated identity provider, a GitHub App) can act as this identity.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI3", "SOC2-CC6.1", "SOC2-CC6.3"],
};

pub const HUMAN_USE: Rule = Rule {
    code: "human-use",
    description: "A programmatic identity that can also sign in interactively (a console password): people are using a machine identity, or it is a person's account used by machines.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI10", "SOC2-CC6.1"],
};

pub const INSECURE_OIDC_TRUST: Rule = Rule {
    code: "insecure-oidc-trust",
    description: "A role trusts an OIDC provider (GitHub Actions, EKS, ...) without a condition on the token's `sub`: any repository or workload of that provider can assume it. Pin `<provider>:sub`.",
    default_level: Level::Deny,
    controls: &["OWASP-NHI6", "SOC2-CC6.1", "NIST-PR.AA-05"],
};

pub const MULTIPLE_ACTIVE_KEYS: Rule = Rule {
    code: "multiple-active-keys",
    description: "A user has two active access keys: rotation never finished, or one identity serves two consumers.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "OWASP-NHI9", "SOC2-CC6.1"],
};

pub const DEFAULT_ACCOUNT_BOUND: Rule = Rule {
    code: "default-service-account-bound",
    description: "A namespace's `default` ServiceAccount has RBAC bindings: every pod in the namespace that names no account runs with them. Bind a dedicated ServiceAccount instead.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI5", "SOC2-CC6.3", "NIST-PR.AA-05"],
};

pub const UNUSED_ACCOUNT: Rule = Rule {
    code: "unused-service-account",
    description: "A ServiceAccount holds RBAC grants but no pod runs as it: access nobody runs with, or used from outside the cluster by a token. Remove the bindings or the account.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2", "NIST-PR.AA-05"],
};

pub const SUPPRESSION_EXPIRED: Rule = Rule {
    code: "suppression-expired",
    description: "A suppression in nhiscan.toml is past its expiry date: the findings it covered are reported again until it is renewed (with a reason) or removed.",
    default_level: Level::Warn,
    controls: &["SOC2-CC6.1"],
};

/// Every rule, for documentation, configuration checks and SARIF rule metadata.
pub const RULES: &[Rule] = &[
    LEAKED_SECRET,
    SECRET_IN_HISTORY,
    SECRET_REUSED,
    UNOWNED,
    STALE,
    NEVER_USED,
    ROTATION_OVERDUE,
    LONG_LIVED,
    EXPIRED,
    EXPIRING_SOON,
    OVERPRIVILEGED,
    THIRD_PARTY_ACCESS,
    HUMAN_USE,
    INSECURE_OIDC_TRUST,
    MULTIPLE_ACTIVE_KEYS,
    DEFAULT_ACCOUNT_BOUND,
    UNUSED_ACCOUNT,
    SUPPRESSION_EXPIRED,
];

pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}
