//! Where a value was seen, and how the record of an identity came to exist.
//!
//! Provenance used to live in strings: `org/repo:path` for a cloned repository, a
//! `kubernetes:<ctx>/<ns>/secrets/...` path for a cluster Secret, a `secret:` id prefix for a
//! found secret. Every stage that needed to know "was this in a file, a commit, a clone or
//! a collector's object?" had to parse those strings again. Here that knowledge is typed:
//! an [`Origin`] on every exposure and a [`Discovery`] marker on every identity. The
//! display strings stay (they are what a person reads and what older inventories carry),
//! but no decision is taken on them.
//!
//! In the JSON contract an exposure's origin is an object with a `kind` and that kind's
//! fields, e.g. `{"kind": "clone", "source": "github:acme", "repository": "acme/api",
//! "path": "deploy/.env", "commit": "9f1c…", "in_head": true}`.

use serde::{Deserialize, Serialize};

/// How an identity record came to exist.
///
/// A **found** identity is a secret value or certificate the scanner read (in a file, a
/// commit, a clone or a collector's document); it is identified by its fingerprint. A
/// **collected** identity is one a provider's API reported (an IAM key, a ServiceAccount, a
/// deploy key). Use and rotation rules judge collected identities; where a value lies is
/// judged for found ones; correlation moves a found value onto the collected identity with
/// the same fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Discovery {
    Found,
    Collected,
}

/// Where one exposure of a value was seen, with any decoding on the way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Origin {
    #[serde(flatten)]
    pub place: Place,
    /// Decoding layers the value was found under, outermost first (a base64 blob inside a
    /// YAML file is `[base64]`). Empty when the value was written as-is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoded: Vec<Encoding>,
}

/// The kind of place, and that kind's fields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Place {
    /// A file of a scanned tree (or a file named on the command line).
    File {
        /// The path the user named (`.`, `services/api`, `config/app.env`).
        root: String,
        /// Path inside `root` (the file's name when the user named the file itself).
        path: String,
    },
    /// A blob in the history of a local repository the user named.
    Commit {
        /// The repository as the user named it on the command line.
        repository: String,
        /// Path inside the repository.
        path: String,
        commit: String,
        /// Whether HEAD still has the value at this path.
        in_head: bool,
    },
    /// A blob in a repository a source handed over for cloning (`--github-clone`).
    Clone {
        /// Source that listed the repository (`github:acme`).
        source: String,
        /// The repository's name at that source (`acme/api`).
        repository: String,
        /// Path inside the repository.
        path: String,
        commit: String,
        in_head: bool,
    },
    /// A blob in a repository's object database that no commit holds (`--all-objects`):
    /// staged and never committed, written by a tool, or left by a rewritten history. It
    /// has no path; `git cat-file -p <blob>` shows it.
    Object {
        /// The repository as the user named it (a clone's name at its source).
        repository: String,
        blob: String,
    },
    /// A value a collector read from a provider's object (a Kubernetes Secret's key, a CI
    /// variable): stored where credentials belong, so not a leak by itself.
    Document {
        /// Source that read it (`kubernetes:prod`).
        source: String,
        /// The object holding the value, as the provider names it (`payments/secrets/db`).
        object: String,
        /// The key inside the object (`DB_PASSWORD`).
        key: String,
    },
}

/// One decoding layer between the bytes on disk and the value found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Base64,
    Url,
    JsonEscape,
    #[serde(rename = "utf-16")]
    Utf16,
}

impl Origin {
    pub fn new(place: Place) -> Origin {
        Origin {
            place,
            decoded: Vec::new(),
        }
    }

    /// A file of the tree rooted at `.`.
    pub fn file(path: impl Into<String>) -> Origin {
        Origin::file_in(".", path)
    }

    /// A file at `path` inside the tree the user named as `root`.
    pub fn file_in(root: impl Into<String>, path: impl Into<String>) -> Origin {
        Origin::new(Place::File {
            root: root.into(),
            path: path.into(),
        })
    }

    /// The tree or repository the place belongs to: the root the user named, the
    /// repository of a commit or clone, the source of a document.
    pub fn repository(&self) -> &str {
        match &self.place {
            Place::File { root, .. } => root,
            Place::Commit { repository, .. }
            | Place::Clone { repository, .. }
            | Place::Object { repository, .. } => repository,
            Place::Document { source, .. } => source,
        }
    }

    /// True when the value lies where anyone who can read the code can read it: a file,
    /// a commit or a clone. A collector's document is a credential store, not a leak.
    pub fn is_leak(&self) -> bool {
        !matches!(self.place, Place::Document { .. })
    }

    /// True for a file of the working tree (as opposed to history or a provider's object).
    pub fn is_working_tree(&self) -> bool {
        matches!(self.place, Place::File { .. })
    }

    /// True for a blob in git history, local or cloned (a blob no commit holds is in the
    /// repository's objects all the same).
    pub fn is_history(&self) -> bool {
        matches!(
            self.place,
            Place::Commit { .. } | Place::Clone { .. } | Place::Object { .. }
        )
    }

    /// The path inside the repository or tree, for rules keyed by path (CODEOWNERS);
    /// `None` for a collector's document.
    pub fn path_in_tree(&self) -> Option<&str> {
        match &self.place {
            Place::File { path, .. } | Place::Commit { path, .. } | Place::Clone { path, .. } => {
                Some(path)
            }
            Place::Object { .. } | Place::Document { .. } => None,
        }
    }

    /// The cloned repository holding the value, as (source, repository).
    pub fn cloned_repository(&self) -> Option<(&str, &str)> {
        match &self.place {
            Place::Clone {
                source, repository, ..
            } => Some((source, repository)),
            _ => None,
        }
    }

    /// True for a local file or a commit of a local repository: the places the user's own
    /// tree (its CODEOWNERS, its `[[owners]]` paths) speaks about.
    pub fn is_local(&self) -> bool {
        matches!(self.place, Place::File { .. } | Place::Commit { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_an_object_with_a_kind_and_that_kinds_fields() {
        let origin = Origin {
            place: Place::Clone {
                source: "github:acme".into(),
                repository: "acme/api".into(),
                path: "deploy/.env".into(),
                commit: "9f1c".into(),
                in_head: true,
            },
            decoded: vec![Encoding::Base64],
        };
        let json = serde_json::to_value(&origin).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "clone", "source": "github:acme", "repository": "acme/api",
                "path": "deploy/.env", "commit": "9f1c", "in_head": true,
                "decoded": ["base64"],
            })
        );
        let back: Origin = serde_json::from_value(json).unwrap();
        assert_eq!(back, origin);
        let file: Origin =
            serde_json::from_str(r#"{"kind":"file","root":".","path":"a.env"}"#).unwrap();
        assert_eq!(file, Origin::file("a.env"));
        assert!(file.is_leak() && file.is_working_tree() && !file.is_history());
    }

    #[test]
    fn a_document_is_stored_not_leaked() {
        let doc = Origin::new(Place::Document {
            source: "kubernetes:prod".into(),
            object: "apps/secrets/db".into(),
            key: "DB_PASSWORD".into(),
        });
        assert!(!doc.is_leak());
        assert_eq!(doc.path_in_tree(), None);
    }
}
