//! `windows::Win32::Networking::WinSock`: the socket calls and address types a qWAVE app uses.
//!
//! Sockets made by [`socket`] are simulated (values tagged so they never equal a real fd). On
//! Unix, a sim built with `Sim::builder().real_sockets(true)` also takes a `SOCKET` holding a
//! real socket fd (`SOCKET(udp.as_raw_fd() as usize)`) in every function here and in the `QOS*` functions:
//! its addresses are read from the OS. By default such values are unknown, like any other.

use crate::surface::{self, winsock};
use crate::windows::core::{Error, Result, HRESULT, PSTR};

/// A socket handle.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SOCKET(pub usize);

impl SOCKET {
    /// `INVALID_SOCKET`.
    pub fn is_invalid(&self) -> bool {
        self.0 == usize::MAX
    }
}

/// `INVALID_SOCKET`.
pub const INVALID_SOCKET: SOCKET = SOCKET(usize::MAX);
/// `SOCKET_ERROR`: the failure return of the socket calls.
pub const SOCKET_ERROR: i32 = -1;

/// An address family.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct ADDRESS_FAMILY(pub u16);

/// `AF_UNSPEC`.
pub const AF_UNSPEC: ADDRESS_FAMILY = ADDRESS_FAMILY(0);
/// `AF_INET`.
pub const AF_INET: ADDRESS_FAMILY = ADDRESS_FAMILY(2);
/// `AF_INET6` (23 on Windows, not Linux's 10).
pub const AF_INET6: ADDRESS_FAMILY = ADDRESS_FAMILY(23);

/// A socket type (`socket`'s second parameter).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct WINSOCK_SOCKET_TYPE(pub i32);

/// `SOCK_STREAM`.
pub const SOCK_STREAM: WINSOCK_SOCKET_TYPE = WINSOCK_SOCKET_TYPE(1);
/// `SOCK_DGRAM`.
pub const SOCK_DGRAM: WINSOCK_SOCKET_TYPE = WINSOCK_SOCKET_TYPE(2);

/// An IP protocol number (pass `IPPROTO_UDP.0` to `socket`).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct IPPROTO(pub i32);

/// `IPPROTO_IP`.
pub const IPPROTO_IP: IPPROTO = IPPROTO(0);
/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: IPPROTO = IPPROTO(6);
/// `IPPROTO_UDP`.
pub const IPPROTO_UDP: IPPROTO = IPPROTO(17);
/// `IPPROTO_IPV6`.
pub const IPPROTO_IPV6: IPPROTO = IPPROTO(41);
/// `IPV6_V6ONLY` (`setsockopt` option of `IPPROTO_IPV6`).
pub const IPV6_V6ONLY: i32 = 27;
/// `SOL_SOCKET`.
pub const SOL_SOCKET: i32 = 65535;
/// `INADDR_ANY`.
pub const INADDR_ANY: u32 = 0;

/// A WinSock error code (`WSAGetLastError`).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct WSA_ERROR(pub i32);

macro_rules! wsa_errors {
    ($($name:ident = $v:expr),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "` (", stringify!($v), ").")]
            pub const $name: WSA_ERROR = WSA_ERROR($v);
        )*
    };
}

wsa_errors! {
    WSA_IO_PENDING = 997,
    WSAEFAULT = 10014,
    WSAEINVAL = 10022,
    WSAENOTSOCK = 10038,
    WSAEPROTOTYPE = 10041,
    WSAESOCKTNOSUPPORT = 10044,
    WSAEAFNOSUPPORT = 10047,
    WSAEADDRINUSE = 10048,
    WSAEADDRNOTAVAIL = 10049,
    WSAENETUNREACH = 10051,
    WSAENOBUFS = 10055,
    WSAEISCONN = 10056,
    WSAENOTCONN = 10057,
    WSAEHOSTUNREACH = 10065,
    WSANOTINITIALISED = 10093,
}

/// A generic socket address (16 bytes); cast `&SOCKADDR_IN`/`&SOCKADDR_IN6` to `*const SOCKADDR`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SOCKADDR {
    /// Family.
    pub sa_family: ADDRESS_FAMILY,
    /// Address bytes.
    pub sa_data: [i8; 14],
}

impl Default for SOCKADDR {
    fn default() -> Self {
        SOCKADDR {
            sa_family: ADDRESS_FAMILY(0),
            sa_data: [0; 14],
        }
    }
}

/// An IPv4 address.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct IN_ADDR {
    /// The union of views.
    pub S_un: IN_ADDR_0,
}

impl Default for IN_ADDR {
    fn default() -> Self {
        IN_ADDR {
            S_un: IN_ADDR_0 { S_addr: 0 },
        }
    }
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

impl Default for IN_ADDR_0 {
    fn default() -> Self {
        IN_ADDR_0 { S_addr: 0 }
    }
}

/// Bytes of an IPv4 address.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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

impl Default for IN6_ADDR {
    fn default() -> Self {
        IN6_ADDR {
            u: IN6_ADDR_0 { Byte: [0; 16] },
        }
    }
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

impl Default for IN6_ADDR_0 {
    fn default() -> Self {
        IN6_ADDR_0 { Byte: [0; 16] }
    }
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

impl Default for SOCKADDR_IN {
    fn default() -> Self {
        SOCKADDR_IN {
            sin_family: ADDRESS_FAMILY(0),
            sin_port: 0,
            sin_addr: IN_ADDR::default(),
            sin_zero: [0; 8],
        }
    }
}

/// Scope of an IPv6 address.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SCOPE_ID {
    /// The union of views.
    pub Anonymous: SCOPE_ID_0,
}

impl Default for SCOPE_ID {
    fn default() -> Self {
        SCOPE_ID {
            Anonymous: SCOPE_ID_0 { Value: 0 },
        }
    }
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

impl Default for SCOPE_ID_0 {
    fn default() -> Self {
        SCOPE_ID_0 { Value: 0 }
    }
}

/// Bitfield of a scope id.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SCOPE_ID_0_0 {
    /// Zone (28 bits) and level (4 bits).
    pub _bitfield: u32,
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

impl Default for SOCKADDR_IN6 {
    fn default() -> Self {
        SOCKADDR_IN6 {
            sin6_family: ADDRESS_FAMILY(0),
            sin6_port: 0,
            sin6_flowinfo: 0,
            sin6_addr: IN6_ADDR::default(),
            Anonymous: SOCKADDR_IN6_0::default(),
        }
    }
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

impl Default for SOCKADDR_IN6_0 {
    fn default() -> Self {
        SOCKADDR_IN6_0 { sin6_scope_id: 0 }
    }
}

/// Storage for any socket address (128 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
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

impl Default for SOCKADDR_STORAGE {
    fn default() -> Self {
        SOCKADDR_STORAGE {
            ss_family: ADDRESS_FAMILY(0),
            __ss_pad1: [0; 6],
            __ss_align: 0,
            __ss_pad2: [0; 112],
        }
    }
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

impl Default for SOCKADDR_INET {
    fn default() -> Self {
        SOCKADDR_INET {
            Ipv6: SOCKADDR_IN6::default(),
        }
    }
}

/// `WSAStartup` output.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
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

impl Default for WSADATA {
    fn default() -> Self {
        WSADATA {
            wVersion: 0,
            wHighVersion: 0,
            iMaxSockets: 0,
            iMaxUdpDg: 0,
            lpVendorInfo: PSTR::null(),
            szDescription: [0; 257],
            szSystemStatus: [0; 129],
        }
    }
}

impl From<std::net::Ipv4Addr> for IN_ADDR {
    fn from(addr: std::net::Ipv4Addr) -> Self {
        IN_ADDR {
            S_un: IN_ADDR_0 {
                S_addr: u32::from(addr).to_be(),
            },
        }
    }
}

impl From<IN_ADDR> for std::net::Ipv4Addr {
    fn from(a: IN_ADDR) -> Self {
        // SAFETY: every view of the union is plain bytes.
        std::net::Ipv4Addr::from(u32::from_be(unsafe { a.S_un.S_addr }))
    }
}

impl From<std::net::Ipv6Addr> for IN6_ADDR {
    fn from(addr: std::net::Ipv6Addr) -> Self {
        IN6_ADDR {
            u: IN6_ADDR_0 { Byte: addr.octets() },
        }
    }
}

impl From<IN6_ADDR> for std::net::Ipv6Addr {
    fn from(a: IN6_ADDR) -> Self {
        // SAFETY: every view of the union is plain bytes.
        std::net::Ipv6Addr::from(unsafe { a.u.Byte })
    }
}

impl From<std::net::SocketAddrV4> for SOCKADDR_IN {
    fn from(addr: std::net::SocketAddrV4) -> Self {
        SOCKADDR_IN {
            sin_family: AF_INET,
            sin_port: addr.port().to_be(),
            sin_addr: (*addr.ip()).into(),
            ..Default::default()
        }
    }
}

impl From<std::net::SocketAddrV6> for SOCKADDR_IN6 {
    fn from(addr: std::net::SocketAddrV6) -> Self {
        SOCKADDR_IN6 {
            sin6_family: AF_INET6,
            sin6_port: addr.port().to_be(),
            sin6_flowinfo: addr.flowinfo().to_be(),
            sin6_addr: (*addr.ip()).into(),
            Anonymous: SOCKADDR_IN6_0 {
                sin6_scope_id: addr.scope_id(),
            },
        }
    }
}

impl From<std::net::SocketAddrV4> for SOCKADDR_INET {
    fn from(addr: std::net::SocketAddrV4) -> Self {
        SOCKADDR_INET { Ipv4: addr.into() }
    }
}

impl From<std::net::SocketAddrV6> for SOCKADDR_INET {
    fn from(addr: std::net::SocketAddrV6) -> Self {
        SOCKADDR_INET { Ipv6: addr.into() }
    }
}

impl From<std::net::SocketAddr> for SOCKADDR_INET {
    fn from(addr: std::net::SocketAddr) -> Self {
        match addr {
            std::net::SocketAddr::V4(a) => a.into(),
            std::net::SocketAddr::V6(a) => a.into(),
        }
    }
}

/// `WSAStartup`: fills `lpwsadata` (version 2.2) and returns 0, or `WSAEFAULT` (returned,
/// not set as last error, as WinSock does) for a NULL pointer.
///
/// # Safety
/// `lpwsadata` is NULL or writable.
#[inline]
pub unsafe fn WSAStartup(wversionrequested: u16, lpwsadata: *mut WSADATA) -> i32 {
    winsock::startup("WSAStartup");
    if lpwsadata.is_null() {
        return WSAEFAULT.0;
    }
    let mut d = WSADATA {
        wVersion: wversionrequested.min(0x0202),
        wHighVersion: 0x0202,
        ..Default::default()
    };
    for (i, c) in b"WinSock 2.0 (qwave-sim)".iter().enumerate() {
        d.szDescription[i] = *c as i8;
    }
    for (i, c) in b"Running".iter().enumerate() {
        d.szSystemStatus[i] = *c as i8;
    }
    unsafe { lpwsadata.write_unaligned(d) };
    0
}

/// `WSACleanup`: 0.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn WSACleanup() -> i32 {
    winsock::startup("WSACleanup");
    0
}

/// The thread's last error as a WinSock code: the same slot as `GetLastError` (GEN-1).
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
#[inline]
pub unsafe fn WSAGetLastError() -> WSA_ERROR {
    WSA_ERROR(surface::last_error() as i32)
}

/// Sets the thread's last error.
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
#[inline]
pub unsafe fn WSASetLastError(ierror: i32) {
    surface::set_last_error(ierror as u32)
}

/// `socket(af, type, protocol)`: a new simulated socket (`AF_INET`/`AF_INET6`, UDP/TCP), or
/// the WSA error (also in `WSAGetLastError`).
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn socket(af: i32, r#type: WINSOCK_SOCKET_TYPE, protocol: i32) -> Result<SOCKET> {
    winsock::socket(af, r#type.0, protocol)
        .map(|s| SOCKET(s as usize))
        .map_err(|e| Error::from_hresult(HRESULT::from_win32(e as u32)))
}

/// `bind`.
///
/// # Safety
/// `name` is NULL or readable for `namelen` bytes.
#[inline]
pub unsafe fn bind(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32 {
    unsafe { winsock::bind(s.0 as u64, name.cast(), namelen) }
}

/// `connect` (UDP: sets the peer; TCP: needs a route).
///
/// # Safety
/// `name` is NULL or readable for `namelen` bytes.
#[inline]
pub unsafe fn connect(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32 {
    unsafe { winsock::connect(s.0 as u64, name.cast(), namelen) }
}

/// `closesocket` (flows holding the socket stay, AMB-37).
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn closesocket(s: SOCKET) -> i32 {
    winsock::closesocket(s.0 as u64)
}

/// `setsockopt`: `IPPROTO_IPV6`/`IPV6_V6ONLY` is modelled, other options are accepted.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn setsockopt(s: SOCKET, level: i32, optname: i32, optval: Option<&[u8]>) -> i32 {
    winsock::setsockopt(s.0 as u64, level, optname, optval)
}

/// `getsockname`.
///
/// # Safety
/// `name` is NULL or writable for `*namelen` bytes; `namelen` NULL or valid.
#[inline]
pub unsafe fn getsockname(s: SOCKET, name: *mut SOCKADDR, namelen: *mut i32) -> i32 {
    unsafe { winsock::name(s.0 as u64, name.cast(), namelen, false) }
}

/// `getpeername`.
///
/// # Safety
/// `name` is NULL or writable for `*namelen` bytes; `namelen` NULL or valid.
#[inline]
pub unsafe fn getpeername(s: SOCKET, name: *mut SOCKADDR, namelen: *mut i32) -> i32 {
    unsafe { winsock::name(s.0 as u64, name.cast(), namelen, true) }
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(core::mem::size_of::<SOCKADDR>() == 16);
    assert!(core::mem::size_of::<SOCKADDR_IN>() == 16);
    assert!(core::mem::size_of::<SOCKADDR_IN6>() == 28);
    assert!(core::mem::size_of::<SOCKADDR_STORAGE>() == 128);
    assert!(core::mem::size_of::<SOCKADDR_INET>() == 28);
};
