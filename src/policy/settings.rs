//! The policy's own settings: thresholds the rules compare against, the level of each code,
//! and suppressions with a reason. `config` parses `[policy]` and `[[suppress]]` of
//! nhiscan.toml into these types; the policy never reads the file itself.

use super::{Rule, controls};
use crate::model::{Confidence, Context, Finding, Level, Timestamp};
use std::collections::BTreeMap;

pub const EXPIRING_SOON_DAYS: i64 = 30;
pub const STALE_DAYS: i64 = 90;
pub const ROTATION_DAYS: i64 = 90;
pub const NEVER_USED_DAYS: i64 = 30;
pub const REVIEW_DAYS: i64 = 90;
pub const REVOKE_DAYS: i64 = 14;

/// Privileges that make an identity `overprivileged` unless `[policy] broad_privileges`
/// says otherwise. Collectors summarise grants into these names.
pub const BROAD_PRIVILEGES: &[&str] = &[
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "*:*",
    "iam:*",
    "iam:PassRole",
    "cluster-admin",
    "k8s:*",
    "k8s:secrets:read",
    "k8s:impersonate",
    "k8s:escalate",
    "k8s:bind",
    "k8s:pods:create",
    "k8s:serviceaccounts/token:create",
    "github:admin",
    "github:admin:org",
    "github:admin:enterprise",
    "github:delete_repo",
    "gitlab:api",
    "gitlab:sudo",
    "gitlab:role:owner",
    "slack:admin",
    // Google Cloud: the basic roles, and the roles that mint or create credentials of
    // other service accounts (impersonation, new keys).
    "gcp:roles/owner",
    "gcp:roles/editor",
    "gcp:roles/iam.serviceAccountTokenCreator",
    "gcp:roles/iam.serviceAccountKeyAdmin",
    // Microsoft Graph application permissions that control the whole directory or grant
    // themselves more.
    "azure:graph:Directory.ReadWrite.All",
    "azure:graph:Application.ReadWrite.All",
    "azure:graph:AppRoleAssignment.ReadWrite.All",
    "azure:graph:RoleManagement.ReadWrite.Directory",
];

pub const SUPPRESSION_EXPIRED: Rule = Rule {
    code: "suppression-expired",
    description: "A suppression in nhiscan.toml is past its expiry date: the findings it covered are reported again until it is renewed (with a reason) or removed.",
    default_level: Level::Warn,
    controls: &["SOC2-CC6.1"],
};

/// The numbers and lists the rules compare against; `[policy]` in nhiscan.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    pub expiring_soon_days: i64,
    pub stale_days: i64,
    pub rotation_days: i64,
    pub never_used_days: i64,
    /// Longest time an identity may go without an access review.
    pub review_days: i64,
    /// Longest time a decided revocation may take before the identity should be gone.
    pub revoke_days: i64,
    pub broad_privileges: Vec<String>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            expiring_soon_days: EXPIRING_SOON_DAYS,
            stale_days: STALE_DAYS,
            rotation_days: ROTATION_DAYS,
            never_used_days: NEVER_USED_DAYS,
            review_days: REVIEW_DAYS,
            revoke_days: REVOKE_DAYS,
            broad_privileges: BROAD_PRIVILEGES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// One suppression rule: findings with `code` matching every given selector are not
/// reported, for `reason`, until `expires`.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub code: String,
    pub identity: Option<String>,
    pub fingerprint: Option<String>,
    pub path: Option<globset::GlobMatcher>,
    pub reason: String,
    pub expires: Option<Timestamp>,
    /// `file:line` of the rule, for the expired-suppression finding.
    pub origin: String,
}

impl Suppression {
    fn matches(&self, f: &Finding) -> bool {
        self.code == f.code
            && self.identity.as_ref().is_none_or(|i| *i == f.identity)
            && self
                .fingerprint
                .as_ref()
                .is_none_or(|fp| f.fingerprint.as_ref() == Some(fp))
            && self
                .path
                .as_ref()
                .is_none_or(|g| f.path.as_ref().is_some_and(|p| g.is_match(p)))
    }
}

/// How sure and where: the levels a found secret can reach. `[policy]` `min_confidence`,
/// `[policy.confidence]` and `[policy.context]` in nhiscan.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precision {
    /// Findings about values below this confidence are not reported (but counted).
    pub min_confidence: Confidence,
    /// The highest level a finding of each confidence reaches (`example` is `warn`).
    pub by_confidence: BTreeMap<Confidence, Level>,
    /// The highest level a finding below `context_below` reaches, by where it lies.
    pub by_context: BTreeMap<Context, Level>,
    /// From this confidence up a finding ignores its context: a live key in a test file
    /// is still a leak.
    pub context_below: Confidence,
}

impl Default for Precision {
    fn default() -> Self {
        Precision {
            min_confidence: Confidence::Example,
            by_confidence: Confidence::ALL
                .iter()
                .map(|&c| {
                    let level = if c == Confidence::Example {
                        Level::Warn
                    } else {
                        Level::Deny
                    };
                    (c, level)
                })
                .collect(),
            by_context: Context::ALL
                .iter()
                .map(|&c| {
                    let level = if c == Context::Source {
                        Level::Deny
                    } else {
                        Level::Warn
                    };
                    (c, level)
                })
                .collect(),
            context_below: Confidence::High,
        }
    }
}

impl Precision {
    /// The level of a finding about a value at `level` by its detector, found with
    /// `confidence` in `context`. A value a collector knows to be a live credential
    /// (`collected`) is judged by its detector alone.
    pub fn level(
        &self,
        level: Level,
        confidence: Confidence,
        context: Context,
        collected: bool,
    ) -> Level {
        if collected {
            return level;
        }
        let mut level = level.min(*self.by_confidence.get(&confidence).unwrap_or(&level));
        if confidence < self.context_below {
            level = level.min(*self.by_context.get(&context).unwrap_or(&level));
        }
        level
    }
}

/// Everything the policy is configured with.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub thresholds: Thresholds,
    /// Level of each code that differs from (or restates) its rule's default.
    pub levels: BTreeMap<String, Level>,
    pub suppressions: Vec<Suppression>,
    pub precision: Precision,
}

/// [`Settings`] applied to findings one at a time ([`Settings::admission`]), so a verdict
/// can be written as it is judged instead of held whole.
pub struct Admission<'s> {
    settings: &'s Settings,
    now: Timestamp,
    collected: &'s std::collections::HashSet<&'s str>,
    expired_rules: Vec<&'s Suppression>,
    /// Findings a `[[suppress]]` rule hid.
    pub suppressed: u64,
    /// Secret findings below `min_confidence`.
    pub below_min_confidence: u64,
}

impl Settings {
    /// Apply suppressions (an expired one is reported and no longer hides anything),
    /// per-code levels (`allow` removes the finding), then, for findings about a secret's
    /// value, the minimum confidence and the levels by confidence and context. `collected`
    /// are the ids of identities a provider reported: a value of one of them is a known
    /// live credential, judged by its detector alone.
    pub fn admission<'s>(
        &'s self,
        now: Timestamp,
        collected: &'s std::collections::HashSet<&'s str>,
    ) -> Admission<'s> {
        Admission {
            settings: self,
            now,
            collected,
            expired_rules: Vec::new(),
            suppressed: 0,
            below_min_confidence: 0,
        }
    }
}

impl Admission<'_> {
    /// The finding as configured, or `None` when the settings do not report it.
    pub fn admit(&mut self, mut f: Finding) -> Option<Finding> {
        let settings = self.settings;
        if let Some(confidence) = f.confidence
            && confidence < settings.precision.min_confidence
        {
            self.below_min_confidence += 1;
            return None;
        }
        match settings.suppressions.iter().find(|s| s.matches(&f)) {
            Some(s) if s.expires.is_some_and(|e| e < self.now) => {
                // Expired: the finding is reported again, and the rule once.
                let seen = self.expired_rules.iter().any(|r| r.origin == s.origin);
                self.expired_rules.extend((!seen).then_some(s));
            }
            Some(_) => {
                self.suppressed += 1;
                return None;
            }
            None => {}
        }
        if let Some(&level) = settings.levels.get(&f.code) {
            f.level = level;
        }
        if let (Some(confidence), Some(context)) = (f.confidence, f.context) {
            let known_live = self.collected.contains(f.identity.as_str());
            f.level = settings
                .precision
                .level(f.level, confidence, context, known_live);
        }
        (f.level != Level::Allow).then_some(f)
    }

    /// The `suppression-expired` findings, once every finding was admitted.
    pub fn expired(&mut self) -> Vec<Finding> {
        let level = self
            .settings
            .levels
            .get(SUPPRESSION_EXPIRED.code)
            .copied()
            .unwrap_or(SUPPRESSION_EXPIRED.default_level);
        let rules = std::mem::take(&mut self.expired_rules);
        if level == Level::Allow {
            return Vec::new();
        }
        rules.into_iter().map(|s| expired(s, level)).collect()
    }
}

fn expired(s: &Suppression, level: Level) -> Finding {
    Finding {
        code: SUPPRESSION_EXPIRED.code.into(),
        level,
        identity: s.identity.clone().unwrap_or_default(),
        message: format!(
            "suppression of {} at {} expired on {} (reason was: {}); its findings are reported again",
            s.code,
            s.origin,
            s.expires.map(|e| e.to_string()).unwrap_or_default(),
            s.reason
        ),
        controls: controls(&SUPPRESSION_EXPIRED),
        path: Some(s.origin.clone()),
        line: None,
        column: None,
        commit: None,
        detector: None,
        kind: None,
        preview: None,
        fingerprint: s.fingerprint.clone(),
        confidence: None,
        reason: None,
        context: None,
    }
}
