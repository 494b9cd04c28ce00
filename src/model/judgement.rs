//! The policy's vocabulary: how serious a finding is, how sure the detector was, where the
//! value lies, and the finding itself.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is, and so what it does to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        })
    }
}

/// How sure a detector is that the match is a live credential, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A value its vendor publishes as an example (`AKIAIOSFODNN7EXAMPLE`): never a leak.
    Example,
    /// A generic assignment (`password = "..."`) that passed the code and placeholder filters.
    Low,
    /// A provider's format without a checksum or a distinctive prefix.
    Medium,
    /// A checksum that matches, or a structure nothing else has (a distinctive prefix, a
    /// key block).
    High,
}

impl Confidence {
    pub const ALL: [Confidence; 4] = [
        Confidence::Example,
        Confidence::Low,
        Confidence::Medium,
        Confidence::High,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Example => "example",
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of place in a tree an exposure sits in: policy relaxes findings below high
/// confidence outside source code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Context {
    /// Code and configuration that run.
    Source,
    /// Tests, test data and fixtures.
    Test,
    /// Documentation and API specifications.
    Docs,
    /// Third-party code checked in (`vendor/`, `node_modules/`).
    Vendor,
    /// Examples, samples and templates (`.env.example`, `examples/`).
    Example,
}

impl Context {
    pub const ALL: [Context; 5] = [
        Context::Source,
        Context::Test,
        Context::Docs,
        Context::Vendor,
        Context::Example,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Context::Source => "source",
            Context::Test => "test",
            Context::Docs => "docs",
            Context::Vendor => "vendor",
            Context::Example => "example",
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy verdict about one identity (and, for leaks, one place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable policy code, e.g. `leaked-secret`.
    pub code: String,
    pub level: Level,
    pub identity: String,
    pub message: String,
    pub controls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// Commit of the place reported (history findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// Why that confidence (secret findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What kind of place the finding is in (secret findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}
