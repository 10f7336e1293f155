//! Set-up shared by the model's unit tests: a handle and a flow toward the default world's
//! first peer, through [`Model::apply`] as an app would make them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::call::{self, Call, TrafficArg};
use crate::model::{CallOutput, Model, SockAddrIn};

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
    let add = call::AddSocketToFlow {
        handle: h,
        socket: s,
        dest: Some(peer()),
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
