//! GitHub Actions workflow commands: one `::error` (deny) or `::warning` (warn) line per
//! finding, which the Actions runner turns into an annotation on the file and line of the
//! pull request, for runs without code scanning (SARIF needs GitHub Advanced Security on
//! private repositories). The escaping is the runner's documented one: `%`, CR and LF in
//! the message; also `:` and `,` in a property value.

use crate::model::{Finding, Inventory, Level};

pub fn render(inventory: &Inventory, _: &super::Options) -> String {
    let mut out = String::new();
    for f in &inventory.findings {
        out.push_str(&command(f));
        out.push('\n');
    }
    let s = &inventory.summary;
    out.push_str(&format!(
        "::notice title=nhiscan::{}\n",
        escape_data(&format!(
            "{} deny and {} warn findings over {} identities ({} files scanned)",
            s.findings_deny,
            s.findings_warn,
            inventory.identities.len(),
            s.files_scanned
        ))
    ));
    out
}

fn command(f: &Finding) -> String {
    let kind = match f.level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "notice",
    };
    let mut properties: Vec<String> = Vec::new();
    // A finding about a file of the working tree is annotated on it; one seen only in a
    // past commit names the commit in its message instead (the file may not exist now).
    if let (Some(path), None) = (&f.path, &f.commit) {
        properties.push(format!("file={}", escape_property(path)));
        if let Some(line) = f.line.filter(|l| *l > 0) {
            properties.push(format!("line={line}"));
        }
        if let Some(col) = f.column.filter(|c| *c > 0) {
            properties.push(format!("col={col}"));
        }
    }
    let title = match &f.detector {
        Some(d) => format!("{} ({d})", f.code),
        None => f.code.clone(),
    };
    properties.push(format!("title={}", escape_property(&title)));
    let mut message = f.message.clone();
    if let (Some(path), Some(commit)) = (&f.path, &f.commit) {
        let short = commit.get(..12).unwrap_or(commit);
        message.push_str(&format!(" (in {path} at commit {short})"));
    }
    if !f.controls.is_empty() {
        message.push_str(&format!(" [{}]", f.controls.join(", ")));
    }
    format!(
        "::{kind} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_values_are_escaped_as_the_runner_reads_them() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
