// qWAVE probe: a program written exactly as against the real `windows` 0.62.2 crate, that makes
// a fixed list of calls and prints one line per answer. tests/wine/probe.c makes the same calls
// and prints the same lines.
//
// It runs three ways, and tests/wine.rs compares their lines:
// - in process against qwave-sim (tests/parity/main.rs brings `qwave_sim::windows` into scope
//   as `windows` and includes this file);
// - built for x86_64-pc-windows-gnu with windows = "=0.62.2", under Wine through
//   `qwave-sim wine` and qwave.dll;
// - (probe.c) built with mingw-w64 against its qos2.h, the same way.
//
// Modes: `calls` (argument errors, the default world's peers, overlapped requests completed
// through GetOverlappedResult, events and a completion port), `faults` (run with a fault
// timeline holding a DeviceReset at 5 s), `warmup` (wall clock: when estimates appear) and
// `create` (one QOSCreateHandle, for configuration tests).
// (Plain comments: the file is `include!`d, where inner doc comments are not allowed.)

use std::ffi::c_void;
use std::mem::size_of;
use std::net::{SocketAddrV4, SocketAddrV6};

use windows::core::BOOL;
use windows::Win32::Foundation::{CloseHandle, GetLastError, HANDLE, WIN32_ERROR};
use windows::Win32::NetworkManagement::QoS::{
    QOSAddSocketToFlow, QOSCancel, QOSCloseHandle, QOSCreateHandle, QOSEnumerateFlows, QOSNotifyFlow,
    QOSQueryFlow, QOSRemoveSocketFromFlow, QOSSetFlow, QOSStartTrackingClient, QOSStopTrackingClient,
    QOSFlowRateNotApplicable, QOSNotifyAvailable, QOSNotifyCongested, QOSNotifyUncongested, QOSQueryFlowFundamentals,
    QOSQueryOutgoingRate, QOSQueryPacketPriority, QOSSetOutgoingDSCPValue, QOSSetOutgoingRate, QOSShapeAndMark,
    QOSTrafficTypeVoice, QOS_FLOWRATE_OUTGOING, QOS_FLOW_FUNDAMENTALS, QOS_NON_ADAPTIVE_FLOW, QOS_PACKET_PRIORITY,
    QOS_TRAFFIC_TYPE, QOS_VERSION,
};
use windows::Win32::Networking::WinSock::{
    closesocket, socket, WSACleanup, WSAStartup, AF_INET, IPPROTO_UDP, SOCKADDR, SOCKADDR_IN, SOCKADDR_IN6,
    SOCKET, SOCK_DGRAM, WSADATA,
};
use windows::Win32::System::Threading::{CreateEventW, WaitForSingleObject, INFINITE};
use windows::Win32::System::IO::{CreateIoCompletionPort, GetOverlappedResult, GetQueuedCompletionStatus, OVERLAPPED};

/// The lines printed so far.
pub struct Out(pub Vec<String>);

impl Out {
    /// A BOOL-returning call: `name: TRUE` or `name: FALSE <GetLastError()>`.
    fn b(&mut self, name: &str, ok: BOOL) -> bool {
        let line = if ok.as_bool() {
            format!("{name}: TRUE")
        } else {
            format!("{name}: FALSE {}", unsafe { GetLastError() }.0)
        };
        self.0.push(line);
        ok.as_bool()
    }

    /// A `Result`-returning call, the same way.
    fn r(&mut self, name: &str, r: windows::core::Result<()>) -> bool {
        let line = match &r {
            Ok(()) => format!("{name}: TRUE"),
            Err(e) => format!("{name}: FALSE {}", WIN32_ERROR::from_error(e).map_or(0, |w| w.0)),
        };
        self.0.push(line);
        r.is_ok()
    }

    /// Appends ` key=value` to the last line.
    fn x(&mut self, key: &str, value: impl std::fmt::Display) {
        if let Some(l) = self.0.last_mut() {
            l.push_str(&format!(" {key}={value}"));
        }
    }
}

fn v4(a: &str) -> SOCKADDR_IN {
    SOCKADDR_IN::from(a.parse::<SocketAddrV4>().unwrap())
}

fn v6(a: &str) -> SOCKADDR_IN6 {
    SOCKADDR_IN6::from(a.parse::<SocketAddrV6>().unwrap())
}

fn sa<T>(a: &T) -> *const SOCKADDR {
    a as *const T as *const SOCKADDR
}

fn udp(af: i32) -> SOCKET {
    unsafe { socket(af, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap()
}

const VOICE: QOS_TRAFFIC_TYPE = QOSTrafficTypeVoice;

unsafe fn add(o: &mut Out, name: &str, qos: HANDLE, s: SOCKET, dest: Option<*const SOCKADDR>, tt: QOS_TRAFFIC_TYPE, flags: u32) -> u32 {
    let mut flow = 0u32;
    let f = if flags == 0 { None } else { Some(flags) };
    if o.b(name, unsafe { QOSAddSocketToFlow(qos, s, dest, tt, f, &mut flow) }) {
        o.x("flow", flow);
    }
    flow
}

unsafe fn priority(o: &mut Out, name: &str, qos: HANDLE, flow: u32, size: u32) {
    let mut p = QOS_PACKET_PRIORITY::default();
    let mut n = size;
    let ok = o.b(
        name,
        unsafe { QOSQueryFlow(qos, flow, QOSQueryPacketPriority, &mut n, &mut p as *mut _ as *mut c_void, None, None) },
    );
    o.x("size", n);
    if ok {
        o.x("dscp", p.ConformantDSCPValue);
        o.x("nc_dscp", p.NonConformantDSCPValue);
        o.x("l2", p.ConformantL2Value);
    }
}

unsafe fn fundamentals(o: &mut Out, name: &str, qos: HANDLE, flow: u32) -> Option<QOS_FLOW_FUNDAMENTALS> {
    let mut f = QOS_FLOW_FUNDAMENTALS::default();
    let mut n = size_of::<QOS_FLOW_FUNDAMENTALS>() as u32;
    let ok = o.b(
        name,
        unsafe { QOSQueryFlow(qos, flow, QOSQueryFlowFundamentals, &mut n, &mut f as *mut _ as *mut c_void, None, None) },
    );
    ok.then_some(f)
}

unsafe fn rate(o: &mut Out, name: &str, qos: HANDLE, flow: u32, bps: u64, size: u32, ov: Option<*mut OVERLAPPED>) -> bool {
    let r = QOS_FLOWRATE_OUTGOING { Bandwidth: bps, ShapingBehavior: QOSShapeAndMark, Reason: QOSFlowRateNotApplicable };
    o.b(name, unsafe { QOSSetFlow(qos, flow, QOSSetOutgoingRate, size, &r as *const _ as *const c_void, None, ov) })
}

fn event(manual: bool) -> HANDLE {
    unsafe { CreateEventW(None, manual, false, None) }.unwrap()
}

/// The probe: `mode` is `calls`, `faults`, `warmup` or `create`.
pub fn run(mode: &str) -> Vec<String> {
    let mut o = Out(Vec::new());
    unsafe {
        let mut wsa = WSADATA::default();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        match mode {
            "calls" => calls(&mut o),
            "faults" => faults(&mut o),
            "warmup" => warmup(&mut o),
            _ => {
                let mut qos = HANDLE::default();
                if o.b("create", QOSCreateHandle(&QOS_VERSION { MajorVersion: 1, MinorVersion: 0 }, &mut qos)) {
                    o.b("close", QOSCloseHandle(qos));
                }
            }
        }
        WSACleanup();
    }
    o.0
}

unsafe fn calls(o: &mut Out) {
    let v10 = QOS_VERSION { MajorVersion: 1, MinorVersion: 0 };
    let v20 = QOS_VERSION { MajorVersion: 2, MinorVersion: 0 };
    let mut qos = HANDLE::default();
    let mut other = HANDLE::default();
    o.b("create version=NULL", QOSCreateHandle(std::ptr::null(), &mut other));
    o.b("create out=NULL", QOSCreateHandle(&v10, std::ptr::null_mut()));
    o.b("create version=2.0", QOSCreateHandle(&v20, &mut other));
    o.b("create", QOSCreateHandle(&v10, &mut qos));
    o.b("close NULL", QOSCloseHandle(HANDLE(std::ptr::null_mut())));
    o.b("close garbage", QOSCloseHandle(HANDLE(0xBAD0 as *mut c_void)));

    let (s1, s2, s3) = (udp(AF_INET.0 as i32), udp(AF_INET.0 as i32), udp(AF_INET.0 as i32));
    let lltd = v4("192.168.1.20:5004");
    let no_lltd = v4("192.168.1.30:5004");
    let refusing = v4("192.168.1.40:5004");
    let unreachable = v4("198.51.100.7:5004");
    let offlink = v4("203.0.113.5:5004");
    let lltd6 = v6("[fd00::20]:5004");
    o.b("add FlowId=NULL", QOSAddSocketToFlow(qos, s1, Some(sa(&lltd)), VOICE, None, std::ptr::null_mut()));
    add(o, "add unconnected DestAddr=NULL", qos, s1, None, VOICE, 0);
    add(o, "add v6 dest on v4 socket", qos, s1, Some(sa(&lltd6)), VOICE, 0);
    add(o, "add traffic type 9", qos, s1, Some(sa(&lltd)), QOS_TRAFFIC_TYPE(9), 0);
    add(o, "add flags 0x4", qos, s1, Some(sa(&lltd)), VOICE, 4);
    add(o, "add not a socket", qos, SOCKET(0x7777), Some(sa(&lltd)), VOICE, 0);
    add(o, "add bad handle", HANDLE(0xBAD0 as *mut c_void), s1, Some(sa(&lltd)), VOICE, 0);
    let adaptive = add(o, "add LLTD peer adaptive", qos, s1, Some(sa(&lltd)), VOICE, 0);
    add(o, "add no-LLTD peer adaptive", qos, s2, Some(sa(&no_lltd)), VOICE, 0);
    let fixed = add(o, "add no-LLTD peer non-adaptive", qos, s2, Some(sa(&no_lltd)), VOICE, QOS_NON_ADAPTIVE_FLOW);
    add(o, "add unreachable non-adaptive", qos, s3, Some(sa(&unreachable)), VOICE, QOS_NON_ADAPTIVE_FLOW);
    add(o, "add refusing peer adaptive", qos, s3, Some(sa(&refusing)), VOICE, 0);
    let off = add(o, "add off-link adaptive", qos, s3, Some(sa(&offlink)), VOICE, 0);

    priority(o, "query priority", qos, fixed, 16);
    priority(o, "query priority Size=8", qos, fixed, 8);
    o.b(
        "query Size=NULL",
        QOSQueryFlow(qos, fixed, QOSQueryPacketPriority, std::ptr::null_mut(), std::ptr::null_mut(), None, None),
    );
    fundamentals(o, "query fundamentals warming up", qos, adaptive);
    fundamentals(o, "query fundamentals off-link", qos, off);
    priority(o, "query unknown flow", qos, 999, 16);
    priority(o, "query flow 0", qos, 0, 16);
    rate(o, "set rate adaptive unmeasured", qos, adaptive, 1_000_000, 16, None);
    rate(o, "set rate Size=8", qos, fixed, 64_000, 8, None);
    rate(o, "set rate non-adaptive", qos, fixed, 64_000, 16, None);
    let mut bps = 0u64;
    let mut n = 8u32;
    if o.b(
        "query outgoing rate",
        QOSQueryFlow(qos, fixed, QOSQueryOutgoingRate, &mut n, &mut bps as *mut u64 as *mut c_void, None, None),
    ) {
        o.x("bps", bps);
    }
    let dscp = 46u32;
    o.b(
        "set DSCP not admin",
        QOSSetFlow(qos, fixed, QOSSetOutgoingDSCPValue, 4, &dscp as *const u32 as *const c_void, None, None),
    );
    let mut n = 0u32;
    o.b("enumerate Size=0", QOSEnumerateFlows(qos, &mut n, std::ptr::null_mut()));
    o.x("size", n);
    o.b("notify non-adaptive", QOSNotifyFlow(qos, fixed, QOSNotifyCongested, None, None, None, None));
    let mut n = 4u32;
    let mut target = 1_000_000_000u64;
    o.b(
        "notify available Size=4",
        QOSNotifyFlow(qos, adaptive, QOSNotifyAvailable, Some(&mut n), Some(&mut target as *mut u64 as *mut c_void), None, None),
    );
    o.x("size", n);

    // An overlapped notification completed through an event.
    let e1 = event(true);
    let mut ov1 = OVERLAPPED { hEvent: e1, ..Default::default() };
    o.b("notify uncongested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyUncongested, None, None, None, Some(&mut ov1)));
    o.0.push(format!("wait event: {}", WaitForSingleObject(e1, INFINITE).0));
    let mut bytes = 7u32;
    o.r("GetOverlappedResult", GetOverlappedResult(qos, &ov1, &mut bytes, false));
    o.x("bytes", bytes);

    // ... and through GetOverlappedResult: pending, cancelled, then 995.
    let e2 = event(true);
    let mut ov2 = OVERLAPPED { hEvent: e2, ..Default::default() };
    o.b("notify congested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyCongested, None, None, None, Some(&mut ov2)));
    o.r("GetOverlappedResult no wait", GetOverlappedResult(qos, &ov2, &mut bytes, false));
    o.b("cancel", QOSCancel(qos, &ov2));
    o.r("GetOverlappedResult wait", GetOverlappedResult(qos, &ov2, &mut bytes, true));
    o.b("cancel again", QOSCancel(qos, &ov2));

    // An overlapped query without an event, waited for on the handle.
    let mut ov3 = OVERLAPPED::default();
    let mut p = QOS_PACKET_PRIORITY::default();
    let mut n = 16u32;
    o.b(
        "query priority overlapped",
        QOSQueryFlow(qos, fixed, QOSQueryPacketPriority, &mut n, &mut p as *mut _ as *mut c_void, None, Some(&mut ov3)),
    );
    if o.r("GetOverlappedResult wait", GetOverlappedResult(qos, &ov3, &mut bytes, true)) {
        o.x("bytes", bytes);
        o.x("dscp", p.ConformantDSCPValue);
    }

    // A completion port: a success with data, then a failure.
    let port = CreateIoCompletionPort(qos, None, 42, 0);
    o.0.push(format!("bind port: {}", if port.is_ok() { "TRUE" } else { "FALSE" }));
    if let Ok(port) = port {
        let mut ov4 = OVERLAPPED::default();
        let mut bps = 0u64;
        let mut n = 8u32;
        o.b(
            "query rate overlapped",
            QOSQueryFlow(qos, fixed, QOSQueryOutgoingRate, &mut n, &mut bps as *mut u64 as *mut c_void, None, Some(&mut ov4)),
        );
        dequeue(o, port, &ov4);
        o.x("bps", bps);
        let mut ov5 = OVERLAPPED::default();
        // The estimate is complete by now (the notification above waited for it, NOT-5): a
        // rate beyond the path's 80 Mb/s is refused (SET-6e).
        rate(o, "set rate adaptive overlapped", qos, adaptive, 500_000_000, 16, Some(&mut ov5));
        dequeue(o, port, &ov5);
        let _ = CloseHandle(port);
    }

    // Closing the handle aborts a pending request (995).
    let e6 = event(true);
    let mut ov6 = OVERLAPPED { hEvent: e6, ..Default::default() };
    o.b("notify congested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyCongested, None, None, None, Some(&mut ov6)));
    o.b("close", QOSCloseHandle(qos));
    o.0.push(format!("wait event: {}", WaitForSingleObject(e6, INFINITE).0));
    o.r("GetOverlappedResult", GetOverlappedResult(qos, &ov6, &mut bytes, false));
    o.b("close again", QOSCloseHandle(qos));
    add(o, "add on closed handle", qos, s1, Some(sa(&lltd)), VOICE, 0);
    for e in [e1, e2, e6] {
        let _ = CloseHandle(e);
    }

    // Tracking, a blocking notification, enumerate, remove.
    let mut q2 = HANDLE::default();
    o.b("create", QOSCreateHandle(&v10, &mut q2));
    o.b("start tracking LLTD peer", QOSStartTrackingClient(q2, sa(&lltd), None));
    o.b("start tracking no-LLTD peer", QOSStartTrackingClient(q2, sa(&no_lltd), None));
    o.b("stop tracking never tracked", QOSStopTrackingClient(q2, sa(&no_lltd), None));
    o.b("stop tracking", QOSStopTrackingClient(q2, sa(&lltd), None));
    o.b("start tracking NULL", QOSStartTrackingClient(q2, std::ptr::null(), None));
    let f = add(o, "add LLTD peer adaptive", q2, s2, Some(sa(&lltd)), VOICE, 0);
    o.b("notify uncongested blocking", QOSNotifyFlow(q2, f, QOSNotifyUncongested, None, None, None, None));
    o.b("remove socket 0", QOSRemoveSocketFromFlow(q2, None, f, None));
    o.b("remove again", QOSRemoveSocketFromFlow(q2, None, f, None));
    o.b("close", QOSCloseHandle(q2));
    for s in [s1, s2, s3] {
        closesocket(s);
    }
}

unsafe fn dequeue(o: &mut Out, port: HANDLE, ov: &OVERLAPPED) {
    let mut bytes = 0u32;
    let mut key = 0usize;
    let mut got: *mut OVERLAPPED = std::ptr::null_mut();
    o.r("GetQueuedCompletionStatus", GetQueuedCompletionStatus(port, &mut bytes, &mut key, &mut got, INFINITE));
    o.x("bytes", bytes);
    o.x("key", key);
    o.x("ov", if std::ptr::eq(got, ov) { "same" } else { "other" });
}

unsafe fn faults(o: &mut Out) {
    let v10 = QOS_VERSION { MajorVersion: 1, MinorVersion: 0 };
    let mut qos = HANDLE::default();
    o.b("create", QOSCreateHandle(&v10, &mut qos));
    let (s1, s2) = (udp(AF_INET.0 as i32), udp(AF_INET.0 as i32));
    let lltd = v4("192.168.1.20:5004");
    let no_lltd = v4("192.168.1.30:5004");
    let adaptive = add(o, "add LLTD peer adaptive", qos, s1, Some(sa(&lltd)), VOICE, 0);
    let fixed = add(o, "add non-adaptive", qos, s2, Some(sa(&no_lltd)), VOICE, QOS_NON_ADAPTIVE_FLOW);
    // Waits until the timeline's DeviceReset (5 s) aborts it.
    let e = event(true);
    let mut ov = OVERLAPPED { hEvent: e, ..Default::default() };
    o.b("notify congested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyCongested, None, None, None, Some(&mut ov)));
    o.0.push(format!("wait event: {}", WaitForSingleObject(e, INFINITE).0));
    let mut bytes = 0u32;
    o.r("GetOverlappedResult", GetOverlappedResult(qos, &ov, &mut bytes, false));
    priority(o, "query after reset", qos, fixed, 16);
    add(o, "add after reset", qos, s2, Some(sa(&no_lltd)), VOICE, QOS_NON_ADAPTIVE_FLOW);
    rate(o, "set after reset", qos, fixed, 64_000, 16, None);
    let mut n = 0u32;
    o.b("enumerate after reset", QOSEnumerateFlows(qos, &mut n, std::ptr::null_mut()));
    o.b("close stale handle", QOSCloseHandle(qos));
    priority(o, "query after close", qos, fixed, 16);
    let mut q2 = HANDLE::default();
    o.b("create", QOSCreateHandle(&v10, &mut q2));
    let f = add(o, "add non-adaptive", q2, s2, Some(sa(&no_lltd)), VOICE, QOS_NON_ADAPTIVE_FLOW);
    priority(o, "query priority", q2, f, 16);
    o.b("close", QOSCloseHandle(q2));
    let _ = CloseHandle(e);
    closesocket(s1);
    closesocket(s2);
}

/// Wall clock: how long until an adaptive flow's estimates exist (AMB-36). Prints the
/// milliseconds at which the first partial and the first full answer came.
unsafe fn warmup(o: &mut Out) {
    // From before the first call: qwave.dll's clock starts at that call, so every time
    // measured here is at least the model time divided by the speed factor.
    let start = std::time::Instant::now();
    let v10 = QOS_VERSION { MajorVersion: 1, MinorVersion: 0 };
    let mut qos = HANDLE::default();
    o.b("create", QOSCreateHandle(&v10, &mut qos));
    let s = udp(AF_INET.0 as i32);
    let lltd = v4("192.168.1.20:5004");
    let flow = add(o, "add LLTD peer adaptive", qos, s, Some(sa(&lltd)), VOICE, 0);
    let mut partial = None;
    let mut scratch = Out(Vec::new());
    loop {
        let elapsed = start.elapsed();
        if let Some(f) = fundamentals(&mut scratch, "q", qos, flow) {
            if f.AvailableBandwidthSet.as_bool() {
                o.0.push(format!("partial after ms: {}", partial.unwrap_or(elapsed).as_millis()));
                o.0.push(format!("estimates after ms: {}", elapsed.as_millis()));
                o.x("available", f.AvailableBandwidth);
                break;
            }
            partial.get_or_insert(elapsed);
        }
        if elapsed.as_secs() > 60 {
            o.0.push("no estimates after 60 s".to_string());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    o.b("close", QOSCloseHandle(qos));
    closesocket(s);
}
