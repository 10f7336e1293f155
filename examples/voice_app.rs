//! A voice app's QoS code, tested on Linux against qwave-sim's default world.
//!
//! The `voice` module is written exactly as against windows-rs 0.62.2; only the `use` line
//! naming `windows` differs. Run it with `cargo run --example voice_app`.

mod voice {
    use qwave_sim::windows; // on Windows: the real `windows` crate

    use std::ffi::c_void;
    use std::net::SocketAddrV4;

    use windows::core::Result;
    use windows::Win32::Foundation::{
        CloseHandle, GetLastError, ERROR_IO_PENDING, HANDLE, WAIT_OBJECT_0, WIN32_ERROR,
    };
    use windows::Win32::NetworkManagement::QoS::*;
    use windows::Win32::Networking::WinSock::{
        socket, AF_INET, IPPROTO_UDP, SOCKADDR, SOCKADDR_IN, SOCK_DGRAM,
    };
    use windows::Win32::System::Threading::{CreateEventW, WaitForSingleObject};
    use windows::Win32::System::IO::{GetOverlappedResult, OVERLAPPED};

    /// A voice call's QoS state.
    pub struct Call {
        pub qos: HANDLE,
        pub flow: u32,
    }

    /// Starts marking a call toward `peer` as voice traffic (adaptive flow).
    pub fn start(peer: SocketAddrV4) -> Result<Call> {
        unsafe {
            let mut qos = HANDLE::default();
            QOSCreateHandle(
                &QOS_VERSION {
                    MajorVersion: 1,
                    MinorVersion: 0,
                },
                &mut qos,
            )
            .ok()?;
            let s = socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0)?;
            let dest = SOCKADDR_IN::from(peer);
            let mut flow = 0;
            QOSAddSocketToFlow(
                qos,
                s,
                Some(&dest as *const _ as *const SOCKADDR),
                QOSTrafficTypeVoice,
                None,
                &mut flow,
            )
            .ok()?;
            Ok(Call { qos, flow })
        }
    }

    /// Declares the call's bit rate (admission control for adaptive flows: refused with
    /// `ERROR_NETWORK_BUSY` until qWAVE has measured the path).
    pub fn declare_rate(call: &Call, bps: u64) -> Result<()> {
        let rate = QOS_FLOWRATE_OUTGOING {
            Bandwidth: bps,
            ShapingBehavior: QOSShapeAndMark,
            Reason: QOSFlowRateNotApplicable,
        };
        let size = std::mem::size_of::<QOS_FLOWRATE_OUTGOING>() as u32;
        unsafe {
            QOSSetFlow(
                call.qos,
                call.flow,
                QOSSetOutgoingRate,
                size,
                &rate as *const _ as *const c_void,
                None,
                None,
            )
        }
        .ok()
    }

    /// The DSCP value the call's packets carry.
    pub fn dscp(call: &Call) -> Result<u32> {
        let mut p = QOS_PACKET_PRIORITY::default();
        let mut size = std::mem::size_of::<QOS_PACKET_PRIORITY>() as u32;
        unsafe {
            QOSQueryFlow(
                call.qos,
                call.flow,
                QOSQueryPacketPriority,
                &mut size,
                &mut p as *mut _ as *mut c_void,
                None,
                None,
            )
        }
        .ok()?;
        Ok(p.ConformantDSCPValue)
    }

    /// Waits up to `ms` for the path to congest; `Ok(true)` if it did.
    pub fn wait_for_congestion(call: &Call, ms: u32) -> Result<bool> {
        unsafe {
            let mut ov = OVERLAPPED {
                hEvent: CreateEventW(None, true, false, None)?,
                ..Default::default()
            };
            let r = QOSNotifyFlow(
                call.qos,
                call.flow,
                QOSNotifyCongested,
                None,
                None,
                None,
                Some(&mut ov),
            );
            if !r.as_bool() && GetLastError() != ERROR_IO_PENDING {
                return Err(GetLastError().into());
            }
            let fired = WaitForSingleObject(ov.hEvent, ms) == WAIT_OBJECT_0;
            if !fired {
                // Cancel, then let the cancelled request finish before `ov` goes away.
                QOSCancel(call.qos, &ov).ok()?;
                let mut bytes = 0;
                let _ = GetOverlappedResult(call.qos, &ov, &mut bytes, true);
            }
            CloseHandle(ov.hEvent)?;
            Ok(fired)
        }
    }

    /// Ends the call's QoS.
    pub fn stop(call: Call) -> Result<()> {
        unsafe { QOSCloseHandle(call.qos) }.ok()
    }

    /// The Win32 code inside an error, for reports.
    pub fn code(e: &windows::core::Error) -> Option<WIN32_ERROR> {
        WIN32_ERROR::from_error(e)
    }
}

use std::time::Duration;

use qwave_sim::model::{Fault, PathRef};
use qwave_sim::Sim;

/// Drives the app through the default world: an LLTD peer at 192.168.1.20, measured after
/// 2 s, that congests at 4 s. Returns (DSCP before the rate is admitted, DSCP after,
/// congested within 1 s, congested within 5 s).
fn scenario(sim: &Sim) -> (u32, u32, bool, bool) {
    let _g = sim.enter();
    let call = voice::start("192.168.1.20:5004".parse().unwrap()).expect("start");
    let before = voice::dscp(&call).expect("dscp");
    let busy = voice::declare_rate(&call, 64_000).expect_err("not measured yet");
    assert_eq!(voice::code(&busy).map(|c| c.0), Some(54), "ERROR_NETWORK_BUSY");
    sim.advance(Duration::from_secs(2)); // warm-up and partial estimates
    voice::declare_rate(&call, 64_000).expect("admitted");
    let dscp = voice::dscp(&call).expect("dscp");
    let peer = PathRef::Peer("192.168.1.20".parse().unwrap());
    sim.inject_at(
        Duration::from_secs(4),
        Fault::Congestion {
            path: peer,
            congested: true,
        },
    );
    let early = voice::wait_for_congestion(&call, 1_000).expect("first wait");
    let late = voice::wait_for_congestion(&call, 5_000).expect("second wait");
    voice::stop(call).expect("stop");
    let unreachable = voice::start("198.51.100.1:5004".parse().unwrap())
        .err()
        .expect("no route");
    assert_eq!(
        voice::code(&unreachable).map(|c| c.0),
        Some(1232),
        "ERROR_HOST_UNREACHABLE"
    );
    (before, dscp, early, late)
}

fn main() {
    let sim = Sim::builder().seed(1).build();
    let (before, dscp, early, late) = scenario(&sim);
    assert_eq!((before, dscp, early, late), (0, 56, false, true));
    sim.check_invariants().expect("invariants");
    println!("voice flow DSCP {before} before its rate was admitted, {dscp} after");
    println!("congestion seen within 1 s: {early}, within 5 s more: {late}");
    println!(
        "virtual time {:?}, {} events recorded",
        sim.now(),
        sim.events().len()
    );
}

#[test]
fn voice_app_against_the_default_world() {
    let sim = Sim::new();
    assert_eq!(scenario(&sim), (0, 56, false, true));
    assert_eq!(
        sim.now(),
        Duration::from_secs(4),
        "the second wait ends when the path congests"
    );
}
