//! The same calls through `windows` and `windows_sys` leave identical event logs: a scripted
//! sequence touching all 11 functions, run by the differential test's twin runner (which
//! compares results, last errors, outputs and OVERLAPPEDs after every call, and the logs at
//! the end).

use super::calls::{Call, LIVE, SETUP, SOCK};
use super::common::*;
use super::differential::twin_run;

#[test]
fn same_calls_through_windows_and_windows_sys_give_identical_event_logs() {
    let rest = [
        Call::Add {
            h: 0xdead_beef,
            s: SOCK[2],
            dest: None,
            tt: QOSTrafficTypeVoice,
            flags: 0,
            flow: Some(0),
        },
        // Voice for flow 2, overlapped, then waited for.
        Call::Set {
            h: LIVE,
            flow: 2,
            op: QOSSetTrafficType,
            size: 4,
            content: Some(0),
            flags: 0,
            ov: Some(0),
        },
        Call::Result {
            h: LIVE,
            ov: Some(0),
            wait: true,
        },
        Call::Advance { ms: 3000 },
        Call::Query {
            h: LIVE,
            flow: 1,
            op: QOSQueryPacketPriority,
            size: Some(16),
            buf: true,
            flags: QOS_QUERYFLOW_FRESH,
            ov: None,
        },
        Call::Notify {
            h: LIVE,
            flow: 1,
            op: QOSNotifyCongested,
            size: None,
            buf: false,
            flags: 0,
            ov: Some(0),
        },
        Call::Cancel { h: LIVE, ov: Some(0) },
        Call::Result {
            h: LIVE,
            ov: Some(0),
            wait: true,
        },
        Call::Enumerate {
            h: LIVE,
            size: Some(4),
            buf: true,
        },
        Call::Track {
            start: true,
            h: LIVE,
            dest: Some(0),
            flags: 0,
        },
        Call::Track {
            start: false,
            h: LIVE,
            dest: Some(0),
            flags: 1,
        },
        Call::Remove {
            h: LIVE,
            s: SOCK[0],
            flow: 1,
            flags: 0,
        },
        Call::Remove {
            h: LIVE,
            s: 0,
            flow: 2,
            flags: 0,
        },
        Call::Close { h: LIVE },
    ];
    let script: Vec<Call> = SETUP.into_iter().chain(rest).collect();
    let (_, log) = twin_run(5, World::default(), &script, 0);
    // The log is not trivially equal: it holds calls, failures, socket calls and completions.
    let count = |f: fn(&Event) -> bool| log.iter().filter(|e| f(&e.event)).count();
    assert_eq!(count(|e| matches!(e, Event::Call { .. })), 14);
    // Failed: the garbage handle, the two pending requests (IO_PENDING), enumerate (not an
    // administrator); QOSStopTrackingClient ignores its reserved Flags (STO-7).
    assert_eq!(count(|e| matches!(e, Event::Call { result: Err(_), .. })), 4);
    assert_eq!(count(|e| matches!(e, Event::Completion(_))), 2);
    assert!(count(|e| matches!(e, Event::Socket { .. })) >= 4);
}
