//! The hash that names a detector set, shared with `build.rs` (which computes the built-in
//! set's at build time through `#[path]`), so the two cannot drift apart. Depends on
//! nothing but `blake3`, which both build.

/// How a built-in file's origin starts (`embedded:aws.toml`): named in problems and hashed.
pub const BUILT_IN_ORIGIN: &str = "embedded:";

/// 16 hex digits of a hash over each (origin, text) in order.
pub fn hash_origins_and_texts<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = blake3::Hasher::new();
    for (origin, text) in files {
        h.update(origin.as_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().to_hex()[..16].to_string()
}
