//! What the detector set concluded about a candidate: kept with a confidence and the reason
//! for it, or rejected for a counted reason. Nothing is dropped silently: every rejection
//! is counted by [`Rejection`], so a scan can say "412 candidates rejected as code, 95 as
//! placeholders".

use crate::model::Confidence;

/// Why a kept candidate has its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// A checksum in the value matched (GitHub's, npm's CRC32).
    Checksum,
    /// The value's checksum did not match: hand-edited, truncated, or not the provider's.
    ChecksumMismatch,
    /// A structure check parsed it (a JWT's header and claims, a key block's DER).
    Structure,
    /// The format's frame is there but its content does not parse (a key block cut short).
    Malformed,
    /// The detector's own confidence for its format (`confidence` in its TOML).
    Format,
    /// A generic assignment that passed the code and placeholder filters; entropy in
    /// tenths of a bit per character.
    Generic { entropy_tenths: u16 },
    /// Exactly a value its vendor publishes as an example (index into the set's list).
    KnownExample(u32),
    /// A reference to a secret held in a store, not a value.
    Reference,
    /// The provider's name next to a value of its documented shape (a contextual row).
    Context,
}

/// Why a candidate was not reported. Stable names: they appear in the summary and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rejection {
    /// A template, a redaction or a documentation word (`<token>`, `xxxx`, `changeme`).
    Placeholder,
    /// Too few distinct characters for a random value.
    LowEntropy,
    /// Code rather than a value: an identifier, a member access, a call, a constant name.
    Code,
    /// A field whose name says it holds no secret (`next_token`, `secret_name`).
    Metadata,
    /// A pointer to a secret held elsewhere (`${{ secrets.X }}`, `${VAR}`, `vault:`).
    Reference,
    /// A hash or ciphertext of a secret (bcrypt, pbkdf2, sha-crypt, Fernet), not the secret.
    Hash,
    /// A run inside a larger base64 blob (an image, a certificate), not a token of its own.
    Encoded,
    /// The format's structure check failed (a "JWT" whose parts are not JSON).
    Structure,
    /// A test word, a keyboard run, a sequence (`Passw0rd`, `qwerty123`).
    WeakWord,
    /// An identifier that is not a key (a UUID where the format is not one, a request id).
    Identifier,
}

impl Rejection {
    pub const ALL: [Rejection; 10] = [
        Rejection::Placeholder,
        Rejection::LowEntropy,
        Rejection::Code,
        Rejection::Metadata,
        Rejection::Reference,
        Rejection::Hash,
        Rejection::Encoded,
        Rejection::Structure,
        Rejection::WeakWord,
        Rejection::Identifier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::Placeholder => "placeholder",
            Rejection::LowEntropy => "low-entropy",
            Rejection::Code => "code",
            Rejection::Metadata => "metadata",
            Rejection::Reference => "reference",
            Rejection::Hash => "hash",
            Rejection::Encoded => "encoded",
            Rejection::Structure => "structure",
            Rejection::WeakWord => "weak-word",
            Rejection::Identifier => "identifier",
        }
    }

    fn index(self) -> usize {
        Rejection::ALL
            .iter()
            .position(|r| *r == self)
            .expect("every rejection is in ALL")
    }
}

/// Rejections counted per reason; per thread, merged at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rejections([u64; Rejection::ALL.len()]);

impl Rejections {
    pub fn add(&mut self, r: Rejection) {
        self.0[r.index()] += 1;
    }

    pub fn merge(&mut self, other: &Rejections) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    pub fn get(&self, r: Rejection) -> u64 {
        self.0[r.index()]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Non-zero counts by name, for the summary.
    pub fn by_name(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Rejection::ALL
            .iter()
            .map(|r| (r.as_str(), self.get(*r)))
            .filter(|(_, n)| *n > 0)
    }
}

/// The confidence a kept candidate gets for `reason`, given its detector's declared one.
/// A checksum proves the provider minted the value: high. A structure check (a key block
/// that parses, a JWT) proves the value is what it claims to be, not whose it is: the
/// detector's own confidence stands.
pub fn confidence_of(reason: Reason, declared: Confidence) -> Confidence {
    match reason {
        Reason::Checksum => Confidence::High,
        Reason::Structure => declared,
        Reason::ChecksumMismatch | Reason::Malformed => Confidence::Low,
        Reason::Format => declared,
        // Low unless the detector declares more (a password passed to NetworkCredential).
        Reason::Generic { .. } => declared,
        Reason::KnownExample(_) => Confidence::Example,
        Reason::Reference | Reason::Context => declared,
    }
}
