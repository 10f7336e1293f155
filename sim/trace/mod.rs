//! Traces: the model's [`Event`](crate::model::Event)s rendered one line each, with virtual timestamps and the
//! scenario's names in place of raw values.
//!
//! **Invariant:** a trace is a pure function of the events and the [`Names`] table: no wall
//! clock, no addresses, no hash-map order. The same seed and scenario give the same bytes on
//! every run and machine.

mod entry;
mod text;

use std::collections::BTreeMap;

use serde::Serialize;

pub use entry::{entries, Entry};

use crate::model::Stamped;

/// Raw values → the names a scenario gave them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// Handle value → name.
    pub handles: BTreeMap<u64, String>,
    /// Socket value → name.
    pub sockets: BTreeMap<u64, String>,
    /// Flow id → name.
    pub flows: BTreeMap<u32, String>,
    /// OVERLAPPED key → name.
    pub overlapped: BTreeMap<u64, String>,
}

impl Names {
    /// A handle's name, or its value in hex (`NULL` for 0).
    pub fn handle(&self, v: u64) -> String {
        self.handles.get(&v).cloned().unwrap_or_else(|| raw_hex(v))
    }

    /// A socket's name, or its value.
    pub fn socket(&self, v: u64) -> String {
        self.sockets.get(&v).cloned().unwrap_or_else(|| raw_hex(v))
    }

    /// A flow's name, or its id.
    pub fn flow(&self, id: u32) -> String {
        self.flows.get(&id).cloned().unwrap_or_else(|| id.to_string())
    }

    /// An OVERLAPPED's name, or its key.
    pub fn overlapped(&self, k: u64) -> String {
        self.overlapped.get(&k).cloned().unwrap_or_else(|| raw_hex(k))
    }
}

fn raw_hex(v: u64) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("{v:#x}")
    }
}

/// WinSock error names the socket calls report, with their codes.
pub(crate) const WSA_NAMES: &[(&str, i32)] = {
    use crate::model::socket::wsa::*;
    &[
        ("WSAEFAULT", WSAEFAULT),
        ("WSAEINVAL", WSAEINVAL),
        ("WSAENOTSOCK", WSAENOTSOCK),
        ("WSAEPROTOTYPE", WSAEPROTOTYPE),
        ("WSAESOCKTNOSUPPORT", WSAESOCKTNOSUPPORT),
        ("WSAEAFNOSUPPORT", WSAEAFNOSUPPORT),
        ("WSAEADDRINUSE", WSAEADDRINUSE),
        ("WSAEADDRNOTAVAIL", WSAEADDRNOTAVAIL),
        ("WSAENETUNREACH", WSAENETUNREACH),
        ("WSAEISCONN", WSAEISCONN),
        ("WSAENOTCONN", WSAENOTCONN),
        ("WSAEHOSTUNREACH", WSAEHOSTUNREACH),
        ("WSAENOBUFS", WSAENOBUFS),
    ]
};

/// The name of a WinSock error (`WSAEINVAL`), if known.
pub(crate) fn wsa_name(code: i32) -> Option<&'static str> {
    WSA_NAMES.iter().find(|(_, v)| *v == code).map(|(n, _)| *n)
}

/// Output format of a trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (JSON Lines).
    Json,
    /// One RON value per line.
    Ron,
}

/// Renders events in `format`, one line per event, each ending in `\n`.
pub fn render(events: &[Stamped], names: &Names, format: Format) -> String {
    let mut out = String::new();
    for e in entries(events, names) {
        let line = match format {
            Format::Text => text::line(&e),
            Format::Json => {
                serde_json::to_string(&e).unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
            }
            Format::Ron => ron::to_string(&e).unwrap_or_else(|err| format!("Error(\"{err}\")")),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// One argument or output field: `name = value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Its name (`FlowId`).
    pub name: &'static str,
    /// Its rendered value.
    pub value: String,
}
