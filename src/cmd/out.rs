//! Writing to the terminal and to pipes without ever panicking.
//!
//! `println!` and `eprintln!` panic when the write fails: `nhiscan detectors list | head -1`
//! closes the pipe early, and a full disk behind `2>log` fails every write. Here a closed
//! standard output ends the output quietly (the command still finishes and exits with its
//! verdict, as other command-line tools do), and a failing standard error is ignored: the
//! report and the exit code matter more than a diagnostic nobody can read. Everything on
//! standard error is made printable first, since paths, author names and API messages come
//! from whoever controls the scanned thing.

use std::io::Write;

/// Write `text` to standard output; a reader that went away (`| head`) is not an error.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Standard output as a stream, for output written as it is made: once the reader has
/// gone away (`| head`), the rest is dropped instead of failing, so the command still
/// finishes and exits with its verdict, as [`stdout`] does for one piece of text.
#[derive(Default)]
pub struct StdoutStream {
    closed: bool,
}

impl StdoutStream {
    fn quietly(&mut self, result: std::io::Result<()>) -> std::io::Result<()> {
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

impl Write for StdoutStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.closed {
            let result = std::io::stdout().lock().write_all(buf);
            self.quietly(result)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = std::io::stdout().lock().flush();
        self.quietly(result)
    }
}

/// What to do about a file that could not be written.
pub fn write_advice(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "check that the directory exists",
        std::io::ErrorKind::PermissionDenied => "check that it is writable by this user",
        std::io::ErrorKind::StorageFull => {
            "free some space on that file system, or write elsewhere"
        }
        std::io::ErrorKind::IsADirectory => "give a file name, not a directory",
        _ => "check the path and the file system",
    }
}

/// One message on standard error, control characters escaped; never fails.
pub fn say_line(message: &str) {
    let text = nhiscan::model::text::printable_lines(message);
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|_| err.write_all(b"\n"));
}

/// `say!("...", args)`: [`say_line`] with `format!` arguments.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cmd::out::say_line(&format!($($arg)*))
    };
}
pub(crate) use say;

/// Columns of the terminal standard output is: `COLUMNS` when set to a number (as `ls`
/// and `git` honour it), else what the terminal says.
pub fn terminal_width() -> Option<usize> {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    from_env.or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
}
