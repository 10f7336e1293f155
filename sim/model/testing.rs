//! Set-up shared by the model's unit tests: a handle and a flow toward the default world's
//! first peer, through [`Model::apply`] as an app would make them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::call::{self, Call, NotifyBuffer, NotifyOp, SetOp, TrafficArg};
use crate::model::{CallOutput, Model, Shaping, SockAddrIn, Win32Error, World};

/// The default world with no estimate warm-up: a path's estimate is complete as soon as it is
/// measured.
pub(crate) fn no_warm_up() -> World {
    let mut w = World::default();
    w.settings.warmup_ms = 0;
    w.settings.partial_ms = 0;
    w
}

/// The default world's peer on the local link: 192.168.1.20:5000.
pub(crate) fn peer() -> SockAddrIn {
    SockAddrIn::from(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)), 5000))
}

/// `QOSCreateHandle` for version 1.0: the new handle.
pub(crate) fn handle(m: &mut Model) -> u64 {
    let create = call::CreateHandle {
        handle: (),
        version: Some((1, 0)),
        out: true,
    };
    match m.apply(Call::CreateHandle(create)) {
        Ok(CallOutput::Handle(h)) => h,
        other => panic!("create: {other:?}"),
    }
}

/// `QOSAddSocketToFlow(h, s, peer(), AudioVideo)` for a new flow: its id.
pub(crate) fn add_flow(m: &mut Model, h: u64, s: u64, non_adaptive: bool) -> u32 {
    add_flow_to(m, h, s, peer(), non_adaptive)
}

/// A new UDP socket and [`add_flow`] with it: the flow's id.
pub(crate) fn new_flow(m: &mut Model, h: u64, non_adaptive: bool) -> u32 {
    let s = m.socket(2, 2, 17).expect("socket");
    add_flow(m, h, s, non_adaptive)
}

/// `QOSAddSocketToFlow(h, s, dest, AudioVideo)` for a new flow: its id.
pub(crate) fn add_flow_to(m: &mut Model, h: u64, s: u64, dest: SockAddrIn, non_adaptive: bool) -> u32 {
    let add = call::AddSocketToFlow {
        handle: h,
        socket: s,
        dest: Some(dest),
        traffic_type: TrafficArg::AudioVideo,
        non_adaptive,
        flags: 0,
        flow: Some(0),
    };
    match m.apply(Call::AddSocketToFlow(add)) {
        Ok(CallOutput::Flow(id)) => id,
        other => panic!("add: {other:?}"),
    }
}

/// `QOSSetFlow(h, flow, QOSSetOutgoingRate, bps, ShapeAndMark)`, synchronous; must succeed.
pub(crate) fn set_rate(m: &mut Model, h: u64, flow: u32, bandwidth_bps: u64) {
    let set = call::SetFlow {
        handle: h,
        flow,
        op: SetOp::OutgoingRate {
            bandwidth_bps,
            shaping: Shaping::ShapeAndMark,
            reason: 0,
        },
        flags: 0,
        overlapped: None,
    };
    assert_eq!(m.apply(Call::SetFlow(set)), Ok(CallOutput::None));
}

/// `QOSNotifyFlow(h, flow, QOSNotifyCongested)` with OVERLAPPED 7; must pend.
pub(crate) fn notify_congested(m: &mut Model, h: u64, flow: u32) {
    let notify = call::NotifyFlow {
        handle: h,
        flow,
        op: NotifyOp::Congested,
        size: None,
        buffer: NotifyBuffer::Null,
        flags: 0,
        overlapped: Some(7),
    };
    let r = m.apply(Call::NotifyFlow(notify)).map_err(|e| e.code);
    assert_eq!(r, Err(Win32Error::ERROR_IO_PENDING));
}
