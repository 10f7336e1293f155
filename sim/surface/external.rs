//! Real OS sockets passed as `SOCKET` (Unix), when the sim takes them
//! ([`crate::SimBuilder::real_sockets`]).
//!
//! A value is taken as a real socket only if the sim takes real sockets, it is not a sim value
//! (those carry the model's tag, far above any fd) and it is an open socket fd (UDP or TCP,
//! `getsockopt(SO_TYPE)`). Its type and addresses are read from the OS on every use, so a later
//! `connect` is seen, and handed to the model as socket calls
//! ([`crate::model::Model::register_external_socket`]), so traces and recordings name it
//! `os-socket-N` by order of first use, never by fd number, and a recording replays it.
//!
//! A sim that does not take real sockets answers for every untagged value exactly as for any
//! unknown value, whatever fds the process has open (the issue: `SOCKET(7)` must not depend on
//! whether another test opened fd 7); it only prints a hint, once, when such a value happens to
//! be an open socket.

use std::net::SocketAddr;

use rustc_hash::FxHashMap;

use super::State;
use crate::model::Protocol;

/// The surface's bookkeeping of real sockets.
#[derive(Debug, Default)]
pub(crate) struct OsSockets {
    /// Whether this sim takes real OS sockets.
    pub(crate) enabled: bool,
    /// What the OS said about each real socket last time (its type and addresses), so the
    /// model hears only of changes.
    seen: FxHashMap<u64, (Protocol, SocketAddr, Option<SocketAddr>)>,
    /// The "this sim does not take real sockets" hint was printed.
    hinted: bool,
}

/// Whether `raw` could be an fd at all: not a sim value, not NULL, within `c_int`.
fn fd_like(raw: u64) -> bool {
    raw != 0 && raw <= i32::MAX as u64
}

/// Brings the model's view of `raw` up to date if it is a real socket the sim takes (no-op
/// for sim values, on non-Unix targets, and when the sim does not take real sockets).
#[inline]
pub(crate) fn observe(st: &mut State, raw: u64) {
    // Nearly always a sim value: answered inline.
    if fd_like(raw) {
        observe_fd(st, raw);
    }
}

/// [`observe`] for a value that could be an fd.
fn observe_fd(st: &mut State, raw: u64) {
    if !st.os.enabled {
        hint(st, raw);
        return;
    }
    match read(raw) {
        Some(view) => {
            let known = st.model.socket_info(raw).is_some_and(|s| s.external && !s.closed);
            if known && st.os.seen.get(&raw) == Some(&view) {
                return;
            }
            st.os.seen.insert(raw, view);
            let (protocol, local, peer) = view;
            st.model.register_external_socket(raw, protocol, local, peer);
        }
        None => {
            // No longer a socket (closed, or the fd now holds something else): closed in the
            // sim too, as the app's own `closesocket` would.
            if st.os.seen.remove(&raw).is_some()
                && st.model.socket_info(raw).is_some_and(|s| s.external && !s.closed)
            {
                let _ = st.model.close_socket(raw);
            }
        }
    }
}

/// The app closed a real socket in the sim (`closesocket`): the next use adopts it afresh.
pub(crate) fn forget(st: &mut State, raw: u64) {
    st.os.seen.remove(&raw);
}

/// Prints, once per sim, that a value the sim does not know is a real socket it does not take.
fn hint(st: &mut State, raw: u64) {
    if st.os.hinted || st.model.socket_info(raw).is_some() || read(raw).is_none() {
        return;
    }
    st.os.hinted = true;
    eprintln!(
        "qwave-sim: SOCKET({raw}) is an open OS socket in this process, but this sim does not take \
         real sockets: it answers as for any unknown value (87, WSAENOTSOCK). To pass std or tokio \
         sockets (`as_raw_fd()`), build the sim with `Sim::builder().real_sockets(true)`."
    );
}

/// The OS's view of `raw` if it is an open UDP or TCP socket: protocol, local address, peer.
#[cfg(unix)]
fn read(raw: u64) -> Option<(Protocol, SocketAddr, Option<SocketAddr>)> {
    // Reading the fd's type and names may fail (not a socket, not connected): the app's errno
    // stays as it was.
    let _errno = super::errno::Preserved::new();
    let fd = raw as libc::c_int;
    let mut ty: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: valid out-pointers; an fd that is not a socket just makes the call fail.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut ty as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return None;
    }
    let protocol = match ty {
        libc::SOCK_DGRAM => Protocol::Udp,
        libc::SOCK_STREAM => Protocol::Tcp,
        _ => return None,
    };
    let local = os_name(fd, libc::getsockname)?;
    let peer = os_name(fd, libc::getpeername);
    Some((protocol, local, peer))
}

/// No real sockets off Unix.
#[cfg(not(unix))]
fn read(_raw: u64) -> Option<(Protocol, SocketAddr, Option<SocketAddr>)> {
    None
}

#[cfg(unix)]
type NameFn = unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

#[cfg(unix)]
fn os_name(fd: libc::c_int, f: NameFn) -> Option<SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
    // SAFETY: sockaddr_storage is plain data; zeroed is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: ss is large enough for any address and len says so.
    if unsafe { f(fd, (&mut ss as *mut libc::sockaddr_storage).cast(), &mut len) } != 0 {
        return None;
    }
    match libc::c_int::from(ss.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin: libc::sockaddr_in =
                unsafe { std::ptr::read((&ss as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6: libc::sockaddr_in6 =
                unsafe { std::ptr::read((&ss as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
