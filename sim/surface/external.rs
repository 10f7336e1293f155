//! Real OS sockets passed as `SOCKET` (Unix): a value that is an open socket fd (from
//! `std::net` or tokio) is accepted. Its type and addresses are read from the OS on every use,
//! so a later `connect` is seen, and handed to the model as an external socket.

use crate::model::Model;

/// Registers `raw` with the model if it is a real socket fd (no-op for sim sockets and on
/// non-Unix targets).
#[cfg(unix)]
pub(crate) fn observe(model: &mut Model, raw: u64) {
    use crate::model::Protocol;
    if crate::tag::SOCKET.marks(raw) || raw > i32::MAX as u64 {
        return;
    }
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
        return;
    }
    let protocol = match ty {
        libc::SOCK_DGRAM => Protocol::Udp,
        libc::SOCK_STREAM => Protocol::Tcp,
        _ => return,
    };
    let Some(local) = os_name(fd, libc::getsockname) else {
        return;
    };
    let peer = os_name(fd, libc::getpeername);
    model.register_external_socket(raw, protocol, local, peer);
}

/// No real sockets off Unix.
#[cfg(not(unix))]
pub(crate) fn observe(_model: &mut Model, _raw: u64) {}

#[cfg(unix)]
type NameFn = unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

#[cfg(unix)]
fn os_name(fd: libc::c_int, f: NameFn) -> Option<std::net::SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
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
