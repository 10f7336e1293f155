//! Positional forms of the 11 calls, each building a [`Call`] for [`Model::apply`].
//! Transitional: callers move to `apply`, then this file goes.
#![allow(missing_docs, clippy::too_many_arguments)]

use crate::call::*;
use crate::model::event::{CallResult, OverlappedKey};
use crate::model::{Model, SockAddrIn};

/// The 11 calls with positional C-like arguments (transitional).
#[doc(hidden)]
pub trait Positional {
    fn create_handle(&mut self, version: Option<(u16, u16)>, out: bool) -> CallResult;
    fn close_handle(&mut self, handle: u64) -> CallResult;
    fn add_socket_to_flow(
        &mut self,
        handle: u64,
        socket: u64,
        dest: Option<SockAddrIn>,
        traffic_type: i32,
        flags: u32,
        flow_in: Option<u32>,
    ) -> CallResult;
    fn remove_socket_from_flow(&mut self, handle: u64, socket: u64, flow: u32, flags: u32) -> CallResult;
    fn set_flow(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: u32,
        buffer: Option<&[u8]>,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult;
    fn query_flow(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        buffer: bool,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult;
    fn notify_flow(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        target: Option<u64>,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult;
    fn cancel(&mut self, handle: u64, overlapped: Option<OverlappedKey>) -> CallResult;
    fn enumerate_flows(&mut self, handle: u64, size: Option<u32>, buffer: bool) -> CallResult;
    fn start_tracking_client(&mut self, handle: u64, dest: Option<SockAddrIn>, flags: u32) -> CallResult;
    fn stop_tracking_client(&mut self, handle: u64, dest: Option<SockAddrIn>, flags: u32) -> CallResult;
}

impl Positional for Model {
    fn create_handle(&mut self, version: Option<(u16, u16)>, out: bool) -> CallResult {
        self.apply(Call::CreateHandle(CreateHandle {
            handle: (),
            version,
            out,
        }))
    }

    fn close_handle(&mut self, handle: u64) -> CallResult {
        self.apply(Call::CloseHandle(CloseHandle { handle }))
    }

    fn add_socket_to_flow(
        &mut self,
        handle: u64,
        socket: u64,
        dest: Option<SockAddrIn>,
        traffic_type: i32,
        flags: u32,
        flow_in: Option<u32>,
    ) -> CallResult {
        self.apply(Call::AddSocketToFlow(AddSocketToFlow {
            handle,
            socket,
            dest,
            traffic_type: TrafficArg::from_raw(traffic_type),
            non_adaptive: flags & QOS_NON_ADAPTIVE_FLOW != 0,
            flags: flags & !QOS_NON_ADAPTIVE_FLOW,
            flow: flow_in,
        }))
    }

    fn remove_socket_from_flow(&mut self, handle: u64, socket: u64, flow: u32, flags: u32) -> CallResult {
        self.apply(Call::RemoveSocketFromFlow(RemoveSocketFromFlow {
            handle,
            socket,
            flow,
            flags,
        }))
    }

    fn set_flow(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: u32,
        buffer: Option<&[u8]>,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult {
        self.apply(Call::SetFlow(SetFlow {
            handle,
            flow,
            op: SetOp::Raw {
                op,
                size,
                bytes: buffer.map(<[u8]>::to_vec),
            },
            flags,
            overlapped,
        }))
    }

    fn query_flow(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        buffer: bool,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult {
        self.apply(Call::QueryFlow(QueryFlow {
            handle,
            flow,
            op: QueryOp::from_code(op),
            size,
            buffer,
            fresh: flags & QOS_QUERYFLOW_FRESH != 0,
            flags: flags & !QOS_QUERYFLOW_FRESH,
            overlapped,
        }))
    }

    fn notify_flow(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        target: Option<u64>,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult {
        let op = match op {
            0 => NotifyOp::Congested,
            1 => NotifyOp::Uncongested,
            2 => NotifyOp::Available(target.unwrap_or(0)),
            v => NotifyOp::Raw(v),
        };
        self.apply(Call::NotifyFlow(NotifyFlow {
            handle,
            flow,
            op,
            size,
            buffer: target.map_or(NotifyBuffer::Null, NotifyBuffer::Value),
            flags,
            overlapped,
        }))
    }

    fn cancel(&mut self, handle: u64, overlapped: Option<OverlappedKey>) -> CallResult {
        self.apply(Call::Cancel(Cancel { handle, overlapped }))
    }

    fn enumerate_flows(&mut self, handle: u64, size: Option<u32>, buffer: bool) -> CallResult {
        self.apply(Call::EnumerateFlows(EnumerateFlows { handle, size, buffer }))
    }

    fn start_tracking_client(&mut self, handle: u64, dest: Option<SockAddrIn>, flags: u32) -> CallResult {
        self.apply(Call::StartTrackingClient(Tracking {
            handle,
            client: dest,
            flags,
        }))
    }

    fn stop_tracking_client(&mut self, handle: u64, dest: Option<SockAddrIn>, flags: u32) -> CallResult {
        self.apply(Call::StopTrackingClient(Tracking {
            handle,
            client: dest,
            flags,
        }))
    }
}
