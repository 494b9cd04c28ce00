//! The time a collector may spend, and what an API answer that is not an answer means.
//!
//! Every network call of every collector goes through [`Budget::call`]: it ends after
//! `--request-timeout` (a hung server, a body dripping one byte a second) or when the
//! source's own deadline (`--source-timeout`) runs out, whichever comes first. Either way
//! the call is an error of that call only: the collector goes on, keeps what it already
//! collected, and the source is `partial`. The runner's hard timeout is only a backstop
//! for a collector that does not stop when its budget says so.
//!
//! The two endings are told apart because their advice differs: a request that timed out
//! will likely time out again (raising the source timeout would not help), while a source
//! that ran out of time would have finished with more of it.

use super::calls::{FailedCall, Failure};
use std::future::Future;
use std::time::{Duration, Instant};

/// The longest wait a collector accepts from a `Retry-After` before it gives up on the
/// call and says when to retry: longer waits are better spent on the next scan.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// How a call ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfTime {
    /// This one call took longer than `--request-timeout`.
    Request(Duration),
    /// The source's deadline (`--source-timeout`) passed before the call finished.
    Source(Duration),
}

impl std::fmt::Display for OutOfTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutOfTime::Request(d) => write!(
                f,
                "no complete answer within {} (--request-timeout): the server hangs or answers too slowly",
                seconds(*d)
            ),
            OutOfTime::Source(d) => write!(
                f,
                "--source-timeout ({}) ran out before this call finished",
                seconds(*d)
            ),
        }
    }
}

/// One collector's time: its deadline, and the limit of each call.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    started: Instant,
    source_timeout: Duration,
    request_timeout: Duration,
}

impl Default for Budget {
    /// Five minutes per source, 30 seconds per call: the CLI's defaults.
    fn default() -> Self {
        Budget::starting_now(Duration::from_secs(300), Duration::from_secs(30))
    }
}

impl Budget {
    /// A budget whose deadline is `source_timeout` from now.
    pub fn starting_now(source_timeout: Duration, request_timeout: Duration) -> Budget {
        Budget {
            started: Instant::now(),
            source_timeout,
            request_timeout: request_timeout.max(Duration::from_millis(1)),
        }
    }

    pub fn source_timeout(&self) -> Duration {
        self.source_timeout
    }

    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Time left before the source's deadline.
    pub fn remaining(&self) -> Duration {
        self.source_timeout.saturating_sub(self.started.elapsed())
    }

    /// Run one call within the budget: it ends at `--request-timeout` or at the deadline.
    pub async fn call<F: Future>(&self, call: F) -> Result<F::Output, OutOfTime> {
        let remaining = self.remaining();
        if remaining.is_zero() {
            return Err(OutOfTime::Source(self.source_timeout));
        }
        let limit = remaining.min(self.request_timeout);
        tokio::time::timeout(limit, call).await.map_err(|_| {
            if limit < self.request_timeout {
                OutOfTime::Source(self.source_timeout)
            } else {
                OutOfTime::Request(self.request_timeout)
            }
        })
    }

    /// Whether waiting `wait` (a server's `Retry-After`) is worth it: at most
    /// [`MAX_RETRY_WAIT`] and with time left for the retry itself afterwards.
    pub fn can_wait(&self, wait: Duration) -> bool {
        wait <= MAX_RETRY_WAIT && wait < self.remaining()
    }

    /// The one error a source reports for every call its deadline cut off, whatever the
    /// operation: `first` names the first unfinished call, and the call log counts the
    /// rest. Recorded on a [`super::calls::CallLog`] under one operation so it is one line.
    pub fn deadline_failure(&self, first: &str) -> FailedCall {
        FailedCall {
            operation: "source deadline".into(),
            failure: Failure::Other,
            message: format!(
                "--source-timeout ({}) ran out before every list was read (first unfinished: {first})",
                seconds(self.source_timeout)
            ),
            fix: "what was collected before is in the inventory; raise --source-timeout or narrow the scope to get the rest".into(),
            affected: 1,
            count_affected: true,
        }
    }
}

/// The wait a `Retry-After` header asks for, in seconds (the HTTP-date form is not used by
/// the APIs nhiscan reads).
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Why a wait asked for by the server is not taken: said at once instead of waiting.
pub fn refused_wait(wait: Duration, budget: &Budget) -> String {
    let until = time::OffsetDateTime::now_utc() + wait;
    let until = until
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let why = if wait > MAX_RETRY_WAIT {
        format!("more than the {} nhiscan waits", seconds(MAX_RETRY_WAIT))
    } else {
        format!(
            "more than the {} left of --source-timeout",
            seconds(budget.remaining())
        )
    };
    format!(
        "rate limited: the server asks to retry in {} ({why}); re-run after {until}",
        seconds(wait)
    )
}

/// An error answer's body in one short line: the API's own message when the body is JSON
/// with one, "an HTML page" for a proxy's or server's error page, else the start of the
/// text, control characters removed. `message_field` is a top-level key (`message`) or a
/// JSON pointer (`/error/message`, as Google and Microsoft nest it).
pub fn body_summary(text: &str, message_field: &str) -> String {
    let trimmed = text.trim_start();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed)
        && let Some(message) = if message_field.starts_with('/') {
            value.pointer(message_field)
        } else {
            value.get(message_field)
        }
        .and_then(|m| m.as_str())
    {
        return crate::model::text::bounded(&crate::model::text::printable(message), 200)
            .into_owned();
    }
    if trimmed.is_empty() {
        return "(empty body)".into();
    }
    if trimmed.starts_with('<') {
        return "(an HTML page, not the API's JSON: a proxy or the server itself failed)".into();
    }
    let flat: String = trimmed
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::model::text::bounded(&flat, 200).into_owned()
}

/// An error and its causes in one line (`dispatch failure: io error: ... Connection
/// refused`), each cause said once: the SDK's own context display is a multi-line debug
/// structure with every header of the request.
pub fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    let line = parts.join(": ");
    crate::model::text::bounded(&crate::model::text::printable(&line), 300).into_owned()
}

/// `2s`, `90s`, `60m`: how messages say a duration.
pub fn seconds(d: Duration) -> String {
    let secs = d.as_secs();
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_call_ends_at_the_request_timeout_and_a_late_one_at_the_deadline() {
        let budget = Budget::starting_now(Duration::from_secs(60), Duration::from_millis(50));
        let slow = budget
            .call(tokio::time::sleep(Duration::from_secs(5)))
            .await;
        assert_eq!(slow, Err(OutOfTime::Request(Duration::from_millis(50))));
        assert_eq!(budget.call(async { 7 }).await, Ok(7));

        let budget = Budget::starting_now(Duration::from_millis(50), Duration::from_secs(30));
        let cut = budget
            .call(tokio::time::sleep(Duration::from_secs(5)))
            .await;
        assert_eq!(cut, Err(OutOfTime::Source(Duration::from_millis(50))));
        // Once the deadline passed, no call starts.
        assert_eq!(
            budget.call(async { 7 }).await,
            Err(OutOfTime::Source(Duration::from_millis(50)))
        );
        assert!(!budget.can_wait(Duration::from_secs(1)));
    }

    #[test]
    fn waits_longer_than_a_minute_or_the_time_left_are_refused_with_when_to_retry() {
        let budget = Budget::starting_now(Duration::from_secs(300), Duration::from_secs(30));
        assert!(budget.can_wait(Duration::from_secs(2)));
        assert!(!budget.can_wait(Duration::from_secs(3600)));
        let message = refused_wait(Duration::from_secs(3600), &budget);
        assert!(message.starts_with("rate limited: the server asks to retry in 60m (more than the 1m nhiscan waits); re-run after 20"), "{message}");
        let short = Budget::starting_now(Duration::from_secs(10), Duration::from_secs(30));
        assert!(!short.can_wait(Duration::from_secs(30)));
        assert!(refused_wait(Duration::from_secs(30), &short).contains("left of --source-timeout"));
    }

    #[test]
    fn error_bodies_become_one_short_line() {
        assert_eq!(
            body_summary(r#"{"message":"Bad credentials"}"#, "message"),
            "Bad credentials"
        );
        assert!(
            body_summary("<html><body><h1>500</h1></body></html>", "message").contains("HTML page")
        );
        assert_eq!(
            body_summary("upstream\r\nreset\x1b[2J", "message"),
            "upstream  reset [2J"
        );
        assert_eq!(body_summary("", "message"), "(empty body)");
        assert_eq!(
            body_summary(&"x".repeat(5000), "message").chars().count(),
            201
        );
    }
}
