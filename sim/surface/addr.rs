//! `SOCKADDR` decoding and encoding in the Windows layout (AF_INET = 2, AF_INET6 = 23, ports
//! and flow info in network byte order).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::model::net::{AF_INET, AF_INET6};
use crate::model::SockAddrIn;

/// `sizeof(SOCKADDR_IN)`.
pub(crate) const SOCKADDR_IN_LEN: usize = 16;
/// `sizeof(SOCKADDR_IN6)`.
pub(crate) const SOCKADDR_IN6_LEN: usize = 28;

/// Reads the `SOCKADDR` at `p` by its `sa_family`: 2 → `SOCKADDR_IN`, 23 → `SOCKADDR_IN6`,
/// anything else → [`SockAddrIn::BadFamily`]. NULL → `None`.
///
/// # Safety
/// `p` is NULL or points to a readable `SOCKADDR_IN` (family 2), `SOCKADDR_IN6` (family 23) or
/// at least two bytes (other families).
pub(crate) unsafe fn read(p: *const u8) -> Option<SockAddrIn> {
    if p.is_null() {
        return None;
    }
    let family = unsafe { u16::from_ne_bytes([*p, *p.add(1)]) };
    Some(match family {
        AF_INET => {
            let b: [u8; SOCKADDR_IN_LEN] = unsafe { std::ptr::read_unaligned(p.cast()) };
            let port = u16::from_be_bytes([b[2], b[3]]);
            SockAddrIn::V4(SocketAddrV4::new(Ipv4Addr::new(b[4], b[5], b[6], b[7]), port))
        }
        AF_INET6 => {
            let b: [u8; SOCKADDR_IN6_LEN] = unsafe { std::ptr::read_unaligned(p.cast()) };
            let port = u16::from_be_bytes([b[2], b[3]]);
            let flowinfo = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&b[8..24]);
            let scope = u32::from_ne_bytes([b[24], b[25], b[26], b[27]]);
            SockAddrIn::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, flowinfo, scope))
        }
        other => SockAddrIn::BadFamily(other),
    })
}

/// The bytes a `SOCKADDR` of the given family needs (`None` for unknown families).
pub(crate) fn len_of(family: u16) -> Option<usize> {
    match family {
        AF_INET => Some(SOCKADDR_IN_LEN),
        AF_INET6 => Some(SOCKADDR_IN6_LEN),
        _ => None,
    }
}

/// Reads the `SOCKADDR` at `p` after checking `namelen` covers it (WinSock's `WSAEFAULT` rule).
///
/// # Safety
/// As [`read`], with `namelen` bytes readable at `p`.
pub(crate) unsafe fn read_checked(p: *const u8, namelen: i32) -> Result<SockAddrIn, i32> {
    use crate::model::socket::wsa;
    if p.is_null() || namelen < 2 {
        return Err(wsa::WSAEFAULT);
    }
    let family = unsafe { u16::from_ne_bytes([*p, *p.add(1)]) };
    match len_of(family) {
        Some(n) if (namelen as usize) < n => Err(wsa::WSAEFAULT),
        Some(_) => Ok(unsafe { read(p) }.expect("non-null")),
        None => Err(wsa::WSAEAFNOSUPPORT),
    }
}

/// The Windows bytes of `a` (16 or 28 bytes).
pub(crate) fn encode(a: SocketAddr) -> Vec<u8> {
    match a {
        SocketAddr::V4(a) => {
            let mut b = vec![0u8; SOCKADDR_IN_LEN];
            b[0..2].copy_from_slice(&AF_INET.to_ne_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.ip().octets());
            b
        }
        SocketAddr::V6(a) => {
            let mut b = vec![0u8; SOCKADDR_IN6_LEN];
            b[0..2].copy_from_slice(&AF_INET6.to_ne_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.flowinfo().to_be_bytes());
            b[8..24].copy_from_slice(&a.ip().octets());
            b[24..28].copy_from_slice(&a.scope_id().to_ne_bytes());
            b
        }
    }
}

/// Writes `a` to `name` / `*namelen` as `getsockname` does (`WSAEFAULT` if it does not fit).
///
/// # Safety
/// `name` is NULL or writable for `*namelen` bytes; `namelen` is NULL or valid.
pub(crate) unsafe fn write(a: SocketAddr, name: *mut u8, namelen: *mut i32) -> Result<(), i32> {
    use crate::model::socket::wsa;
    if name.is_null() || namelen.is_null() {
        return Err(wsa::WSAEFAULT);
    }
    let b = encode(a);
    let cap = unsafe { *namelen };
    if cap < 0 || (cap as usize) < b.len() {
        return Err(wsa::WSAEFAULT);
    }
    unsafe {
        std::ptr::copy_nonoverlapping(b.as_ptr(), name, b.len());
        *namelen = b.len() as i32;
    }
    Ok(())
}
