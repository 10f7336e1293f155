//! What `qwave.dll` (the `sim/dll` crate) needs from the library: the pointer decoding the
//! in-process surfaces use, the `QWAVE_SIM_*` configuration, and a clock step that leaves no
//! trace line. Not a stable API: it changes with the DLL.
//!
//! The DLL is a thin adapter: it decodes the caller's pointers with the same functions as the
//! `windows` and `windows-sys` surfaces ([`create_handle`] … [`tracking`]), applies the
//! [`Call`](crate::call::Call) to a [`Model`] with [`Model::apply`], and writes the outputs
//! back with [`write_data`], [`write_flows`] and [`write_error_size`].

pub mod config;

pub use crate::surface::decode::{
    add_socket_to_flow, create_handle, enumerate_flows, notify_flow, opt_u32, query_flow, set_flow, sockaddr,
    tracking, write_data, write_error_size, write_flows,
};

use std::net::SocketAddr;

use crate::model::{Model, Protocol, VirtualTime};

/// Moves the model's clock to `to` (never back), running every event scheduled on the way,
/// without logging an `advance` event: for a clock that follows another one (the DLL's wall
/// clock), where a line per tick would only be noise.
pub fn run_until(model: &mut Model, to: VirtualTime) {
    model.run_until(to);
}

/// The NTSTATUS Windows stores in `OVERLAPPED.Internal` for a request that ends with the Win32
/// code `code`, as the in-process surfaces store it: the native status where there is one
/// (`STATUS_SUCCESS` for 0, `STATUS_CANCELLED` for 995, `STATUS_NETWORK_BUSY` for 54, …), else
/// the `FACILITY_NTWIN32` form `0xC0070000 | code`. `RtlNtStatusToDosError` maps each back.
pub fn ntstatus(code: u32) -> u32 {
    crate::surface::io::ntstatus_of(code)
}

/// Tells the model about a real socket of the app (its protocol, local address and peer, read
/// from the OS by the DLL), as the in-process surface does for real sockets on Unix.
pub fn register_external_socket(
    model: &mut Model,
    raw: u64,
    protocol: Protocol,
    local: SocketAddr,
    peer: Option<SocketAddr>,
) {
    model.register_external_socket(raw, protocol, local, peer);
}
