//! PEM certificates found in files: not secrets, but identities with an expiry date.
//!
//! The detector set finds `-----BEGIN CERTIFICATE-----` blocks (also inside JSON strings
//! with `\n` escapes, or indented in YAML); this stage decodes the block and parses it with
//! x509-parser so the inventory can say who the certificate is for and when it expires.

use crate::model::Timestamp;
use base64::Engine;
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

/// What an inventory needs to know about one certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateInfo {
    pub subject: String,
    pub common_name: Option<String>,
    pub issuer: String,
    pub serial: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub subject_alt_names: Vec<String>,
    pub self_signed: bool,
    pub is_ca: bool,
    /// SHA-256 of the DER encoding, lowercase hex: the usual certificate fingerprint.
    pub sha256: String,
}

/// Decode a PEM certificate block (possibly escaped or indented) and parse it.
pub fn parse_pem_block(block: &[u8]) -> Option<CertificateInfo> {
    let text = std::str::from_utf8(block).ok()?;
    let body = text
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)?
        .split("-----END CERTIFICATE-----")
        .next()?;
    let cleaned: String = body
        .replace("\\n", "")
        .replace("\\r", "")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()?;
    parse_der(&der)
}

fn parse_der(der: &[u8]) -> Option<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    let subject_alt_names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    GeneralName::RFC822Name(e) => Some(e.to_string()),
                    GeneralName::URI(u) => Some(u.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let is_ca = cert.is_ca();
    Some(CertificateInfo {
        self_signed: subject == issuer,
        subject,
        common_name,
        issuer,
        serial: cert.raw_serial_as_string(),
        not_before: Timestamp(cert.validity().not_before.to_datetime()),
        not_after: Timestamp(cert.validity().not_after.to_datetime()),
        subject_alt_names,
        is_ca,
        sha256: hex(&Sha256::digest(der)),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
