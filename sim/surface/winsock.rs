//! The WinSock calls qWAVE apps make, on raw values: `socket`, `bind`, `connect`,
//! `closesocket`, `setsockopt(IPV6_V6ONLY)`, `getsockname`, `getpeername`. Failures return
//! `SOCKET_ERROR` (-1) with the WSA code in the thread's last error (`WSAGetLastError`).
//!
//! Sim sockets carry the socket tag ([`crate::tag`]), so they never collide with real fds; real
//! socket fds are accepted too when the sim takes them (see [`super::external`]).

use std::net::SocketAddr;

use super::{addr, external, fail, with_state};
use crate::model::socket::wsa;

/// `SOCKET_ERROR`.
pub(crate) const SOCKET_ERROR: i32 = -1;
/// `IPPROTO_IPV6`.
pub(crate) const IPPROTO_IPV6: i32 = 41;
/// `IPV6_V6ONLY`.
pub(crate) const IPV6_V6ONLY: i32 = 27;

fn ret(r: Result<(), i32>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(code) => {
            fail(code as u32);
            SOCKET_ERROR
        }
    }
}

/// `WSAStartup`/`WSACleanup` need a sim (like every windows-shaped call) but change nothing.
pub(crate) fn startup(name: &str) {
    with_state(name, |_| ());
}

/// `socket(af, type, protocol)`: the new socket, or the WSA error (also set as last error).
pub(crate) fn socket(af: i32, kind: i32, protocol: i32) -> Result<u64, i32> {
    with_state("socket", |st| {
        st.model.socket(af, kind, protocol).inspect_err(|&e| {
            fail(e as u32);
        })
    })
}

/// `bind(s, name, namelen)`.
///
/// # Safety
/// `name` is NULL or readable for `namelen` bytes.
pub(crate) unsafe fn bind(s: u64, name: *const u8, namelen: i32) -> i32 {
    with_state("bind", |st| {
        external::observe(st, s);
        let r = unsafe { addr::read_checked(name, namelen) }.and_then(|a| st.model.bind(s, Some(a)));
        ret(r)
    })
}

/// `connect(s, name, namelen)`.
///
/// # Safety
/// `name` is NULL or readable for `namelen` bytes.
pub(crate) unsafe fn connect(s: u64, name: *const u8, namelen: i32) -> i32 {
    with_state("connect", |st| {
        external::observe(st, s);
        let r = unsafe { addr::read_checked(name, namelen) }.and_then(|a| st.model.connect(s, Some(a)));
        ret(r)
    })
}

/// `closesocket(s)` (a real fd is only forgotten, never closed: its owner closes it).
pub(crate) fn closesocket(s: u64) -> i32 {
    with_state("closesocket", |st| {
        external::observe(st, s);
        external::forget(st, s);
        ret(st.model.close_socket(s))
    })
}

/// `setsockopt`: `IPPROTO_IPV6`/`IPV6_V6ONLY` reaches the model; other options are accepted
/// as no-ops on any known socket.
pub(crate) fn setsockopt(s: u64, level: i32, optname: i32, optval: Option<&[u8]>) -> i32 {
    with_state("setsockopt", |st| {
        external::observe(st, s);
        if level == IPPROTO_IPV6 && optname == IPV6_V6ONLY {
            let r = match optval {
                Some(v) if v.len() >= 4 => {
                    let on = i32::from_ne_bytes([v[0], v[1], v[2], v[3]]) != 0;
                    st.model.set_v6only(s, on)
                }
                _ => Err(wsa::WSAEFAULT),
            };
            return ret(r);
        }
        let known = st.model.socket_info(s).is_some_and(|k| !k.closed);
        ret(if known { Ok(()) } else { Err(wsa::WSAENOTSOCK) })
    })
}

/// `getsockname` (`peer` false) / `getpeername` (`peer` true).
///
/// # Safety
/// `name` is NULL or writable for `*namelen` bytes; `namelen` NULL or valid.
pub(crate) unsafe fn name(s: u64, name: *mut u8, namelen: *mut i32, peer: bool) -> i32 {
    with_state(if peer { "getpeername" } else { "getsockname" }, |st| {
        external::observe(st, s);
        let a: Result<SocketAddr, i32> = if peer {
            st.model.peer_name(s)
        } else {
            st.model.sock_name(s)
        };
        ret(a.and_then(|a| unsafe { addr::write(a, name, namelen) }))
    })
}

/// `setsockopt` with a raw `optval` / `optlen` (the windows-sys shape): NULL `optval` is an
/// absent value; a negative `optlen` reads nothing.
///
/// # Safety
/// `optval` is NULL or readable for `optlen` bytes.
pub(crate) unsafe fn setsockopt_raw(s: u64, level: i32, optname: i32, optval: *const u8, optlen: i32) -> i32 {
    let len = usize::try_from(optlen).unwrap_or(0);
    let v = (!optval.is_null()).then(|| unsafe { std::slice::from_raw_parts(optval, len) });
    setsockopt(s, level, optname, v)
}
