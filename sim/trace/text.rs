//! The human-readable trace format: one line per event.
//!
//! `   0.010000s call     QOSSetFlow(QOSHandle=h1, FlowId=voice, …) -> FALSE GetLastError=ERROR_IO_PENDING`

use std::fmt::Write;

use super::Entry;
use crate::model::VirtualTime;

/// Formats one entry as a line (without the newline).
pub fn line(e: &Entry) -> String {
    let mut s = format!(
        "{:>12} {:<8} {}",
        VirtualTime(e.at_us).to_string(),
        e.kind,
        e.what
    );
    if !e.args.is_empty() || e.kind == "call" || e.kind == "socket" {
        s.push('(');
        for (i, a) in e.args.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "{}={}", a.name, a.value);
        }
        s.push(')');
    }
    if !e.result.is_empty() {
        let _ = write!(s, " -> {}", e.result);
    }
    for o in &e.out {
        let _ = write!(s, " {}={}", o.name, o.value);
    }
    s
}
