//! `windows_sys::Win32::Networking::WinSock`: the socket calls and address types a qWAVE app
//! uses.
//!
//! Sockets made by [`socket`] are simulated (values tagged so they never equal a real fd). On
//! Unix, a sim built with `Sim::builder().real_sockets(true)` also takes a `SOCKET` holding a
//! real socket fd (`udp.as_raw_fd() as usize`) in every function here and in the `QOS*` functions:
//! its addresses are read from the OS. By default such values are unknown, like any other.

use crate::surface::{self, winsock};
use crate::windows::Win32::Networking::WinSock as w;
use crate::windows_sys::core::{PCSTR, PSTR};
use crate::windows_sys::{same_as_windows, zeroed_default};

pub use crate::windows::Win32::Networking::WinSock::{INADDR_ANY, IPV6_V6ONLY, SOCKET_ERROR, SOL_SOCKET};

/// A socket handle.
pub type SOCKET = usize;
/// An address family.
pub type ADDRESS_FAMILY = u16;
/// A socket type (`socket`'s second parameter).
pub type WINSOCK_SOCKET_TYPE = i32;
/// An IP protocol number.
pub type IPPROTO = i32;
/// A WinSock error code (`WSAGetLastError`).
pub type WSA_ERROR = i32;

/// `INVALID_SOCKET`.
pub const INVALID_SOCKET: SOCKET = -1i32 as _;

same_as_windows! { w, ADDRESS_FAMILY; AF_UNSPEC, AF_INET, AF_INET6 }
same_as_windows! { w, WINSOCK_SOCKET_TYPE; SOCK_STREAM, SOCK_DGRAM }
same_as_windows! { w, IPPROTO; IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6 }
same_as_windows! { w, WSA_ERROR;
    WSA_IO_PENDING,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTSOCK,
    WSAEPROTOTYPE,
    WSAESOCKTNOSUPPORT,
    WSAEAFNOSUPPORT,
    WSAEADDRINUSE,
    WSAEADDRNOTAVAIL,
    WSAENETUNREACH,
    WSAENOBUFS,
    WSAEISCONN,
    WSAENOTCONN,
    WSAEHOSTUNREACH,
    WSANOTINITIALISED,
}

/// A generic socket address (16 bytes); cast `&SOCKADDR_IN`/`&SOCKADDR_IN6` to `*const SOCKADDR`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SOCKADDR {
    /// Family.
    pub sa_family: ADDRESS_FAMILY,
    /// Address bytes.
    pub sa_data: [i8; 14],
}

/// An IPv4 socket address (16 bytes; port and address in network byte order).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SOCKADDR_IN {
    /// `AF_INET`.
    pub sin_family: ADDRESS_FAMILY,
    /// Port, network byte order.
    pub sin_port: u16,
    /// Address.
    pub sin_addr: IN_ADDR,
    /// Padding.
    pub sin_zero: [i8; 8],
}

/// An IPv4 address.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct IN_ADDR {
    /// The union of views.
    pub S_un: IN_ADDR_0,
}

/// Views of an IPv4 address.
#[repr(C)]
#[derive(Clone, Copy)]
pub union IN_ADDR_0 {
    /// Four bytes.
    pub S_un_b: IN_ADDR_0_0,
    /// Two words.
    pub S_un_w: IN_ADDR_0_1,
    /// Network byte order `u32`.
    pub S_addr: u32,
}

/// Bytes of an IPv4 address.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct IN_ADDR_0_0 {
    /// Byte 1.
    pub s_b1: u8,
    /// Byte 2.
    pub s_b2: u8,
    /// Byte 3.
    pub s_b3: u8,
    /// Byte 4.
    pub s_b4: u8,
}

/// Words of an IPv4 address.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct IN_ADDR_0_1 {
    /// Word 1.
    pub s_w1: u16,
    /// Word 2.
    pub s_w2: u16,
}

/// An IPv6 address.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct IN6_ADDR {
    /// The union of views.
    pub u: IN6_ADDR_0,
}

/// Views of an IPv6 address.
#[repr(C)]
#[derive(Clone, Copy)]
pub union IN6_ADDR_0 {
    /// Sixteen bytes.
    pub Byte: [u8; 16],
    /// Eight words.
    pub Word: [u16; 8],
}

/// An IPv6 socket address (28 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SOCKADDR_IN6 {
    /// `AF_INET6` (23).
    pub sin6_family: ADDRESS_FAMILY,
    /// Port, network byte order.
    pub sin6_port: u16,
    /// Flow info, network byte order.
    pub sin6_flowinfo: u32,
    /// Address.
    pub sin6_addr: IN6_ADDR,
    /// Scope.
    pub Anonymous: SOCKADDR_IN6_0,
}

/// Scope of a `SOCKADDR_IN6`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union SOCKADDR_IN6_0 {
    /// Scope id.
    pub sin6_scope_id: u32,
    /// Scope struct.
    pub sin6_scope_struct: SCOPE_ID,
}

/// Scope of an IPv6 address.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SCOPE_ID {
    /// The union of views.
    pub Anonymous: SCOPE_ID_0,
}

/// Views of a scope id.
#[repr(C)]
#[derive(Clone, Copy)]
pub union SCOPE_ID_0 {
    /// Zone and level bitfield.
    pub Anonymous: SCOPE_ID_0_0,
    /// The raw value.
    pub Value: u32,
}

/// Bitfield of a scope id.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct SCOPE_ID_0_0 {
    /// Zone (28 bits) and level (4 bits).
    pub _bitfield: u32,
}

/// Storage for any socket address (128 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SOCKADDR_STORAGE {
    /// Family.
    pub ss_family: ADDRESS_FAMILY,
    /// Padding.
    pub __ss_pad1: [i8; 6],
    /// Alignment.
    pub __ss_align: i64,
    /// Padding.
    pub __ss_pad2: [i8; 112],
}

/// An IPv4 or IPv6 socket address.
#[repr(C)]
#[derive(Clone, Copy)]
pub union SOCKADDR_INET {
    /// IPv4.
    pub Ipv4: SOCKADDR_IN,
    /// IPv6.
    pub Ipv6: SOCKADDR_IN6,
    /// Family.
    pub si_family: ADDRESS_FAMILY,
}

/// `WSAStartup` output (the 64-bit layout).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WSADATA {
    /// Version in use.
    pub wVersion: u16,
    /// Highest version supported.
    pub wHighVersion: u16,
    /// Obsolete.
    pub iMaxSockets: u16,
    /// Obsolete.
    pub iMaxUdpDg: u16,
    /// Obsolete.
    pub lpVendorInfo: PSTR,
    /// Description.
    pub szDescription: [i8; 257],
    /// Status.
    pub szSystemStatus: [i8; 129],
}

zeroed_default!(
    SOCKADDR,
    SOCKADDR_IN,
    IN_ADDR,
    IN_ADDR_0,
    IN6_ADDR,
    IN6_ADDR_0,
    SOCKADDR_IN6,
    SOCKADDR_IN6_0,
    SCOPE_ID,
    SCOPE_ID_0,
    SOCKADDR_STORAGE,
    SOCKADDR_INET,
    WSADATA,
);

/// `WSAStartup`: fills `lpwsadata` (version 2.2) and returns 0, or returns `WSAEFAULT` (not
/// set as last error, as WinSock does) for a NULL pointer. The windows surface's `WSAStartup`
/// does the work: `WSADATA` has the same layout in both crates.
///
/// # Safety
/// `lpwsadata` is NULL or writable.
pub unsafe extern "system" fn WSAStartup(wversionrequested: u16, lpwsadata: *mut WSADATA) -> i32 {
    unsafe { w::WSAStartup(wversionrequested, lpwsadata.cast()) }
}

/// `WSACleanup`: 0.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn WSACleanup() -> i32 {
    winsock::startup("WSACleanup");
    0
}

/// The thread's last error as a WinSock code: the same slot as `GetLastError` (GEN-1).
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
pub unsafe extern "system" fn WSAGetLastError() -> WSA_ERROR {
    surface::last_error() as i32
}

/// Sets the thread's last error.
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
pub unsafe extern "system" fn WSASetLastError(ierror: i32) {
    surface::set_last_error(ierror as u32)
}

/// `socket(af, type, protocol)`: a new simulated socket (`AF_INET`/`AF_INET6`, UDP/TCP), or
/// `INVALID_SOCKET` with the WSA error in `WSAGetLastError`.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn socket(af: i32, r#type: WINSOCK_SOCKET_TYPE, protocol: i32) -> SOCKET {
    winsock::socket(af, r#type, protocol).map_or(INVALID_SOCKET, |s| s as SOCKET)
}

/// `bind`.
///
/// # Safety
/// `name` is NULL or readable for `namelen` bytes.
pub unsafe extern "system" fn bind(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32 {
    unsafe { winsock::bind(s as u64, name.cast(), namelen) }
}

/// `connect` (UDP: sets the peer; TCP: needs a route).
///
/// # Safety
/// `name` is NULL or readable for `namelen` bytes.
pub unsafe extern "system" fn connect(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32 {
    unsafe { winsock::connect(s as u64, name.cast(), namelen) }
}

/// `closesocket` (flows holding the socket stay, AMB-37).
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn closesocket(s: SOCKET) -> i32 {
    winsock::closesocket(s as u64)
}

/// `setsockopt`: `IPPROTO_IPV6`/`IPV6_V6ONLY` is modelled, other options are accepted.
///
/// # Safety
/// `optval` is NULL or readable for `optlen` bytes.
pub unsafe extern "system" fn setsockopt(
    s: SOCKET,
    level: i32,
    optname: i32,
    optval: PCSTR,
    optlen: i32,
) -> i32 {
    unsafe { winsock::setsockopt_raw(s as u64, level, optname, optval, optlen) }
}

/// `getsockname`.
///
/// # Safety
/// `name` is NULL or writable for `*namelen` bytes; `namelen` NULL or valid.
pub unsafe extern "system" fn getsockname(s: SOCKET, name: *mut SOCKADDR, namelen: *mut i32) -> i32 {
    unsafe { winsock::name(s as u64, name.cast(), namelen, false) }
}

/// `getpeername`.
///
/// # Safety
/// `name` is NULL or writable for `*namelen` bytes; `namelen` NULL or valid.
pub unsafe extern "system" fn getpeername(s: SOCKET, name: *mut SOCKADDR, namelen: *mut i32) -> i32 {
    unsafe { winsock::name(s as u64, name.cast(), namelen, true) }
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    use core::mem::{align_of, size_of};
    assert!(size_of::<SOCKADDR>() == 16);
    assert!(size_of::<SOCKADDR_IN>() == 16);
    assert!(size_of::<SOCKADDR_IN6>() == 28);
    assert!(size_of::<SOCKADDR_STORAGE>() == 128);
    assert!(size_of::<SOCKADDR_INET>() == 28);
    // `WSAStartup` hands this struct to the windows surface's.
    assert!(size_of::<WSADATA>() == size_of::<w::WSADATA>());
    assert!(align_of::<WSADATA>() == align_of::<w::WSADATA>());
};
