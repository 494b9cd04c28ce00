//! Values a collector read (a cluster Secret's data), through the same scanner and
//! fingerprints as files, so a cloud key stored there correlates with the identity another
//! collector saw. The builder records them as stored, not leaked.

use super::ScanRequest;
use crate::collect::Document;
use crate::inventory::Builder;
use crate::scan::{FileFindings, file::FileScanner};

pub(super) fn scan(req: &ScanRequest<'_>, documents: &[Document], builder: &mut Builder<'_>) {
    if documents.is_empty() {
        return;
    }
    let mut scanner = FileScanner::new(req.set, &req.fingerprinter);
    let found: Vec<(&Document, FileFindings)> = documents
        .iter()
        .map(|d| {
            let mut found = FileFindings::default();
            // Reading from memory cannot fail; a binary value is skipped like a binary file.
            let _ = scanner.scan_bytes(d.bytes.as_slice(), &d.path(), &mut found);
            (d, found)
        })
        .collect();
    builder.add_documents(&found);
}
