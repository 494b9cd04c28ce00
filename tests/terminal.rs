//! The table on a real terminal: a pseudo-terminal made by util-linux's `script`, sized
//! with `stty`, as a person's terminal would be.

mod common;

use common::*;
use std::process::Command;

/// Standard output of `nhiscan scan . --no-progress ARGS` on a `cols`-wide terminal in the
/// planted tree, as the terminal received it (`\r\n` turned back into `\n`).
fn on_terminal(cols: u16, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = vec!["--no-progress"];
    all.extend_from_slice(args);
    terminal_session(&planted(), cols, &all, env)
}

/// What a `cols`-wide terminal shows (standard output and error) for `nhiscan scan .
/// --threads 2 ARGS` run in `dir`.
fn terminal_session(
    dir: &std::path::Path,
    cols: u16,
    args: &[&str],
    env: &[(&str, &str)],
) -> String {
    let bin = assert_cmd::cargo::cargo_bin("nhiscan");
    let mut line = format!(
        "stty cols {cols} rows 50; exec '{}' scan . --threads 2",
        bin.display()
    );
    for a in args {
        line.push(' ');
        line.push_str(a);
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(dir)
        .env("NHISCAN_NOW", NOW)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("NHISCAN_FINGERPRINT_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("util-linux `script` runs");
    assert!(out.status.success() || out.status.code() == Some(1));
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .replace("\r\n", "\n")
}

fn widest(text: &str) -> usize {
    let ansi = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
    text.lines()
        .map(|l| ansi.replace_all(l, "").chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn the_table_fits_the_terminal_and_wide_shows_every_column() {
    let fitted = on_terminal(100, &[], &[("NO_COLOR", "1")]);
    assert!(fitted.contains("Inventory ("), "{fitted}");
    let table_lines: Vec<&str> = fitted
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '╞', '└']))
        .collect();
    assert!(!table_lines.is_empty());
    assert!(
        widest(&table_lines.join("\n")) <= 100,
        "a table line is wider than the terminal:\n{fitted}"
    );
    assert!(!fitted.contains("Last used") && !fitted.contains("Detector"));
    assert!(fitted.contains('…'), "long paths are shortened: {fitted}");

    let wide = on_terminal(100, &["--wide"], &[("NO_COLOR", "1")]);
    assert!(wide.contains("Last used") && wide.contains("Detector"));
    assert!(widest(&wide) > 100, "--wide keeps full length");
    // A pipe gets every column too, whatever the terminal.
    let piped = nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--threads", "2"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&piped.stdout).contains("Last used"));
}

#[test]
fn colour_follows_no_color_unless_asked_for_always() {
    let esc = "\x1b[";
    assert!(
        on_terminal(120, &[], &[]).contains(esc),
        "a terminal gets colour"
    );
    assert!(!on_terminal(120, &[], &[("NO_COLOR", "1")]).contains(esc));
    assert!(on_terminal(120, &["--color", "always"], &[("NO_COLOR", "1")]).contains(esc));
    assert!(!on_terminal(120, &["--color", "never"], &[]).contains(esc));
    // The same colours mean the same thing in every table: an owner-less identity's owner
    // cell in warn's yellow, an expired one's status in deny's bold red.
    let coloured = on_terminal(200, &[], &[]);
    let row = coloured
        .lines()
        .find(|l| l.contains("legacy-gateway.internal.test"))
        .expect("the expired certificate's row");
    assert!(row.contains("\x1b[38;5;11m -"), "{row:?}");
    assert!(row.contains("\x1b[38;5;9m\x1b[1m expired"), "{row:?}");
}

#[test]
fn the_progress_bar_counts_commits_and_blobs_of_a_history_scan() {
    // 3,000 commits, each adding a file: long enough for the bar's ticks to draw.
    let tmp = tempfile::tempdir().unwrap();
    let repo = common::git::Repo::new(tmp.path(), "svc");
    let mut stream = String::new();
    for i in 0..3000 {
        let text = format!("module {i}\n");
        let message = format!("m{i}");
        // Consecutive commits to one branch in one stream chain by themselves.
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter Dev <dev@example.test> {} +0000\ndata {}\n{message}\n",
            1_700_000_000 + i,
            message.len()
        ));
        stream.push_str(&format!(
            "M 100644 inline src/m{i}.txt\ndata {}\n{text}\n",
            text.len()
        ));
    }
    let mut child = std::process::Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&repo.dir)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    repo.git(
        &["checkout", "-q", "main"],
        "2025-01-01T00:00:00Z",
        "Dev One",
    );

    let seen = terminal_session(&repo.dir, 120, &[], &[("NO_COLOR", "1")]);
    let frame =
        regex::Regex::new(r"history of \.: \d+/3000 (commits diffed|blobs scanned)").unwrap();
    assert!(
        frame.is_match(&seen),
        "the bar shows the history's progress with its total: {:?}",
        &seen[seen.len().saturating_sub(2000)..]
    );
    assert!(
        seen.contains("history: 3000 commits, 3000 blobs scanned"),
        "{seen}"
    );
}
