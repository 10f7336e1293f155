//! Simulated WinSock sockets: family, protocol, bound address, connected peer, dual-stack.
//!
//! Only what qWAVE looks at is modelled. Closing a socket never touches qWAVE state (AMB-37).

use std::net::{IpAddr, SocketAddr};

use super::net::{self, Family, SockAddrIn};
use super::{Model, Route};
use crate::tag;

/// The tag bits of every socket value the sim creates (the fuzzer's name for them; see
/// [`crate::tag`]).
#[cfg(feature = "fuzz")]
pub(crate) const SOCKET_TAG: u64 = tag::SOCKET.nth(0);

/// WinSock error codes (`WSAGetLastError`) the socket calls report.
pub mod wsa {
    /// `WSAEFAULT`: a bad pointer or length.
    pub const WSAEFAULT: i32 = 10014;
    /// `WSAEINVAL`: invalid argument or state.
    pub const WSAEINVAL: i32 = 10022;
    /// `WSAENOTSOCK`: not a socket.
    pub const WSAENOTSOCK: i32 = 10038;
    /// `WSAEPROTOTYPE`: protocol does not fit the socket type.
    pub const WSAEPROTOTYPE: i32 = 10041;
    /// `WSAESOCKTNOSUPPORT`: socket type not supported.
    pub const WSAESOCKTNOSUPPORT: i32 = 10044;
    /// `WSAEAFNOSUPPORT`: address family not supported.
    pub const WSAEAFNOSUPPORT: i32 = 10047;
    /// `WSAEADDRINUSE`: the local address is taken.
    pub const WSAEADDRINUSE: i32 = 10048;
    /// `WSAEADDRNOTAVAIL`: not an address of this host (`bind`), or a remote address or port
    /// 0 (`connect`).
    pub const WSAEADDRNOTAVAIL: i32 = 10049;
    /// `WSAENETUNREACH`: no route.
    pub const WSAENETUNREACH: i32 = 10051;
    /// `WSAEISCONN`: already connected (TCP).
    pub const WSAEISCONN: i32 = 10056;
    /// `WSAENOTCONN`: not connected.
    pub const WSAENOTCONN: i32 = 10057;
    /// `WSAEHOSTUNREACH`: host unreachable.
    pub const WSAEHOSTUNREACH: i32 = 10065;
    /// `WSAENOBUFS`: the sim's socket limit is reached.
    pub const WSAENOBUFS: i32 = 10055;
}

/// Datagram or stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Protocol {
    /// `SOCK_DGRAM` / `IPPROTO_UDP`.
    Udp,
    /// `SOCK_STREAM` / `IPPROTO_TCP`.
    Tcp,
}

/// One socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socket {
    /// The `SOCKET` value the app holds.
    pub raw: u64,
    /// `AF_INET` or `AF_INET6`.
    pub family: Family,
    /// UDP or TCP.
    pub protocol: Protocol,
    /// `IPV6_V6ONLY` (Windows default: on).
    pub v6only: bool,
    /// Local address after `bind` (or chosen by `connect`).
    pub bound: Option<SocketAddr>,
    /// Peer after `connect`.
    pub peer: Option<SocketAddr>,
    /// `closesocket` was called.
    pub closed: bool,
    /// A real OS socket the app created (addresses read from the OS).
    pub external: bool,
    /// Live flows that hold this socket.
    pub(crate) flow_refs: u32,
}

impl Socket {
    /// An AF_INET6 socket that also carries IPv4 (`IPV6_V6ONLY` off).
    pub fn dual_stack(&self) -> bool {
        self.family == Family::V6 && !self.v6only
    }

    /// Live flows holding this socket.
    pub fn flow_count(&self) -> u32 {
        self.flow_refs
    }
}

/// The most sockets one run may create (TigerBeetle-style limit on everything).
pub(crate) const MAX_SOCKETS: usize = 1 << 24;

impl Model {
    /// `socket(af, type, protocol)`: `af` 2 or 23, `kind` 1 (stream) or 2 (dgram), protocol
    /// 0, 6 (TCP) or 17 (UDP).
    pub fn socket(&mut self, af: i32, kind: i32, protocol: i32) -> Result<u64, i32> {
        self.settle();
        let family = match af {
            2 => Family::V4,
            23 => Family::V6,
            _ => return self.sock_fail(wsa::WSAEAFNOSUPPORT),
        };
        let proto = match (kind, protocol) {
            (1, 0 | 6) => Protocol::Tcp,
            (2, 0 | 17) => Protocol::Udp,
            (1 | 2, _) => return self.sock_fail(wsa::WSAEPROTOTYPE),
            _ => return self.sock_fail(wsa::WSAESOCKTNOSUPPORT),
        };
        if self.sockets.len() >= MAX_SOCKETS {
            return self.sock_fail(wsa::WSAENOBUFS);
        }
        let raw = tag::SOCKET.value(self.sockets.len());
        self.touched_sockets.touch(raw);
        self.sockets.push(Socket {
            raw,
            family,
            protocol: proto,
            v6only: true,
            bound: None,
            peer: None,
            closed: false,
            external: false,
            flow_refs: 0,
        });
        self.emit_socket(
            super::event::SocketOp::Create {
                family,
                protocol: proto,
            },
            raw,
            0,
        );
        Ok(raw)
    }

    /// Adopts a real OS socket the app passes as a `SOCKET` (the surface reads its type and
    /// addresses from the OS), or brings the sim's view of it up to date.
    ///
    /// It goes through the socket calls a scenario replays, so a recording of the run turns it
    /// into a scenario socket (named `os-socket-N` by order of first use) with the same
    /// addresses and connection:
    ///
    /// - first seen, or seen again after `closesocket` or with another family or protocol: a
    ///   `socket()` event for `raw`;
    /// - a local address the socket has and the sim's copy has not: `bind(local)`, where an
    ///   address this simulated host does not own (the real machine's) becomes the unspecified
    ///   address with the same port;
    /// - a peer other than the sim's copy's: `connect(peer)`, or `connect` to the all-zero
    ///   address for a UDP socket the OS no longer has connected (RW-4).
    ///
    /// Each can fail as the same call in a scenario would (a peer this world cannot reach);
    /// the sim's copy then stays as the world allows.
    pub(crate) fn register_external_socket(
        &mut self,
        raw: u64,
        protocol: Protocol,
        local: SocketAddr,
        peer: Option<SocketAddr>,
    ) {
        let family = Family::of(local.ip());
        let fresh = match self.external.get(&raw) {
            Some(s) => s.closed || s.family != family || s.protocol != protocol,
            None => true,
        };
        if fresh {
            let sock = Socket {
                raw,
                family,
                protocol,
                v6only: true,
                bound: None,
                peer: None,
                closed: false,
                external: true,
                // Flows still holding this value keep counting (AMB-37).
                flow_refs: self.external.get(&raw).map(|s| s.flow_refs).unwrap_or(0),
            };
            self.settle();
            self.touched_sockets.touch(raw);
            self.external.insert(raw, sock);
            self.emit_socket(super::event::SocketOp::Create { family, protocol }, raw, 0);
        }
        let (bound, had_peer) = match self.external.get(&raw) {
            Some(s) => (s.bound, s.peer),
            None => return,
        };
        let local = self.adoptable_local(local);
        if bound.is_none() && !(local.ip().is_unspecified() && local.port() == 0) {
            let _ = self.bind(raw, Some(SockAddrIn::from(local)));
        }
        if had_peer != peer {
            let to = peer.unwrap_or_else(|| SocketAddr::new(net::unspecified(family), 0));
            if peer.is_some() || protocol == Protocol::Udp {
                let _ = self.connect(raw, Some(SockAddrIn::from(to)));
            }
        }
    }

    /// A real socket's local address as this simulated host can hold it: addresses the host
    /// does not own (the machine running the test) become the unspecified address, same port.
    fn adoptable_local(&self, local: SocketAddr) -> SocketAddr {
        let ip = local.ip();
        // (The unspecified address maps to itself either way, so `||` → `&&` after its test is
        // an equivalent mutant.)
        if ip.is_unspecified() || net::is_loopback(net::unmap(ip)) || self.is_local_address(net::unmap(ip)) {
            local
        } else {
            SocketAddr::new(net::unspecified(Family::of(ip)), local.port())
        }
    }

    /// The socket behind a raw value, if the sim knows it (closed sockets included).
    pub fn socket_info(&self, raw: u64) -> Option<&Socket> {
        if tag::SOCKET.marks(raw) {
            tag::SOCKET.index(raw).and_then(|i| self.sockets.get(i))
        } else {
            self.external.get(&raw)
        }
    }

    pub(crate) fn socket_mut(&mut self, raw: u64) -> Option<&mut Socket> {
        self.touched_sockets.touch(raw);
        if tag::SOCKET.marks(raw) {
            tag::SOCKET.index(raw).and_then(move |i| self.sockets.get_mut(i))
        } else {
            self.external.get_mut(&raw)
        }
    }

    fn open_socket(&mut self, raw: u64) -> Result<&mut Socket, i32> {
        match self.socket_mut(raw) {
            Some(s) if !s.closed => Ok(s),
            _ => Err(wsa::WSAENOTSOCK),
        }
    }

    fn sock_fail<T>(&mut self, code: i32) -> Result<T, i32> {
        Err(code)
    }

    /// `bind(s, addr)`: the address must be unspecified or one of this host's (or loopback).
    pub fn bind(&mut self, raw: u64, addr: Option<SockAddrIn>) -> Result<(), i32> {
        self.settle();
        let r = self.bind_inner(raw, addr);
        self.emit_socket(super::event::SocketOp::Bind(addr), raw, r.err().unwrap_or(0));
        r
    }

    fn bind_inner(&mut self, raw: u64, addr: Option<SockAddrIn>) -> Result<(), i32> {
        let addr = addr.ok_or(wsa::WSAEFAULT)?;
        let local_ok =
            |m: &Model, ip: IpAddr| ip.is_unspecified() || net::is_loopback(ip) || m.is_local_address(ip);
        let sa = addr.socket_addr().ok_or(wsa::WSAEAFNOSUPPORT)?;
        let ok = local_ok(self, net::unmap(sa.ip()));
        let s = self.open_socket(raw)?;
        if Family::of(sa.ip()) != s.family {
            return Err(wsa::WSAEFAULT);
        }
        if s.bound.is_some() {
            return Err(wsa::WSAEINVAL);
        }
        if !ok {
            return Err(wsa::WSAEADDRNOTAVAIL);
        }
        s.bound = Some(sa);
        Ok(())
    }

    /// `connect(s, addr)`. UDP records the peer; connecting UDP to the all-zero address of the
    /// family dissolves the association (RW-4). TCP needs a route.
    pub fn connect(&mut self, raw: u64, addr: Option<SockAddrIn>) -> Result<(), i32> {
        self.settle();
        let r = self.connect_inner(raw, addr);
        self.emit_socket(super::event::SocketOp::Connect(addr), raw, r.err().unwrap_or(0));
        r
    }

    fn connect_inner(&mut self, raw: u64, addr: Option<SockAddrIn>) -> Result<(), i32> {
        let addr = addr.ok_or(wsa::WSAEFAULT)?;
        let sa = addr.socket_addr().ok_or(wsa::WSAEAFNOSUPPORT)?;
        let route = self.route(net::unmap(sa.ip()));
        let local = self.local_address_for(&route, Family::of(sa.ip()));
        let s = self.open_socket(raw)?;
        match (s.family, sa) {
            (Family::V4, SocketAddr::V4(_)) | (Family::V6, SocketAddr::V6(_)) => {}
            _ => return Err(wsa::WSAEAFNOSUPPORT),
        }
        if s.family == Family::V6 && s.v6only && net::is_v4_mapped(sa.ip()) {
            return Err(wsa::WSAEINVAL);
        }
        if sa.ip().is_unspecified() && sa.port() == 0 && s.protocol == Protocol::Udp {
            s.peer = None; // RW-4: "disconnect"
            return Ok(());
        }
        // Winsock's error table: connect fails with WSAEADDRNOTAVAIL when the remote address
        // or port is 0 (the all-zero address only disconnects a datagram socket).
        if sa.ip().is_unspecified() || sa.port() == 0 {
            return Err(wsa::WSAEADDRNOTAVAIL);
        }
        if s.protocol == Protocol::Tcp && s.peer.is_some() {
            return Err(wsa::WSAEISCONN);
        }
        if matches!(route, Route::Unreachable) {
            return Err(wsa::WSAEHOSTUNREACH);
        }
        if s.bound.is_none() {
            s.bound = Some(SocketAddr::new(local, 0));
        }
        s.peer = Some(sa);
        Ok(())
    }

    /// `closesocket(s)`. Flows that hold it stay alive (AMB-37).
    pub fn close_socket(&mut self, raw: u64) -> Result<(), i32> {
        self.settle();
        let r = self.open_socket(raw).map(|s| s.closed = true);
        self.emit_socket(super::event::SocketOp::Close, raw, r.err().unwrap_or(0));
        r
    }

    /// `setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, v)`: only before `bind`/`connect`.
    pub fn set_v6only(&mut self, raw: u64, v6only: bool) -> Result<(), i32> {
        self.settle();
        let r = (|| {
            let s = self.open_socket(raw)?;
            if s.family != Family::V6 || s.bound.is_some() {
                return Err(wsa::WSAEINVAL);
            }
            s.v6only = v6only;
            Ok(())
        })();
        self.emit_socket(super::event::SocketOp::V6Only(v6only), raw, r.err().unwrap_or(0));
        r
    }

    /// `getsockname(s)`.
    pub fn sock_name(&self, raw: u64) -> Result<SocketAddr, i32> {
        let s = self
            .socket_info(raw)
            .filter(|s| !s.closed)
            .ok_or(wsa::WSAENOTSOCK)?;
        s.bound.ok_or(wsa::WSAEINVAL)
    }

    /// `getpeername(s)`.
    pub fn peer_name(&self, raw: u64) -> Result<SocketAddr, i32> {
        let s = self
            .socket_info(raw)
            .filter(|s| !s.closed)
            .ok_or(wsa::WSAENOTSOCK)?;
        s.peer.ok_or(wsa::WSAENOTCONN)
    }

    /// Whether `ip` is one of this host's interface addresses.
    pub(crate) fn is_local_address(&self, ip: IpAddr) -> bool {
        self.interfaces
            .iter()
            .any(|i| i.addresses.iter().any(|p| p.addr == ip))
    }

    fn local_address_for(&self, route: &Route, family: Family) -> IpAddr {
        let iface = match route {
            Route::OnLink { interface, .. } | Route::OffLink { interface, .. } => Some(*interface),
            _ => None,
        };
        iface
            .and_then(|ix| self.interfaces.iter().find(|i| i.index == ix))
            .and_then(|i| i.addresses.iter().find(|p| Family::of(p.addr) == family))
            .map(|p| p.addr)
            .unwrap_or(match (route, family) {
                (Route::Loopback, Family::V4) => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                (Route::Loopback, Family::V6) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
                _ => net::unspecified(family),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::world::World;

    fn addr(s: &str) -> Option<SockAddrIn> {
        Some(SockAddrIn::from(s.parse::<SocketAddr>().expect("test address")))
    }

    /// `socket()`'s argument checks: a protocol that does not fit the type is WSAEPROTOTYPE, an
    /// unknown type WSAESOCKTNOSUPPORT, an unknown family WSAEAFNOSUPPORT.
    #[test]
    fn socket_arguments_that_do_not_fit() {
        let mut m = Model::new(World::default(), 1);
        for (af, kind, protocol, want) in [
            (2, 1, 17, wsa::WSAEPROTOTYPE),
            (23, 2, 6, wsa::WSAEPROTOTYPE),
            (2, 3, 0, wsa::WSAESOCKTNOSUPPORT),
            (7, 2, 0, wsa::WSAEAFNOSUPPORT),
        ] {
            assert_eq!(m.socket(af, kind, protocol), Err(want), "{af} {kind} {protocol}");
        }
        assert!(m.socket(23, 1, 6).is_ok());
    }

    #[test]
    fn bind_takes_only_this_hosts_addresses() {
        let mut m = Model::new(World::default(), 1);
        for (to, want) in [
            ("192.168.1.10:0", Ok(())),
            ("127.0.0.1:0", Ok(())),
            ("0.0.0.0:7", Ok(())),
            ("192.168.1.99:0", Err(wsa::WSAEADDRNOTAVAIL)),
            ("203.0.113.7:0", Err(wsa::WSAEADDRNOTAVAIL)),
        ] {
            let s = m.socket(2, 2, 0).expect("socket");
            assert_eq!(m.bind(s, addr(to)), want, "{to}");
        }
    }

    /// A real socket value the OS hands out again for another family (or protocol) is a new
    /// socket, not the old one's copy.
    #[test]
    fn a_reused_external_value_with_another_family_or_protocol_is_a_new_socket() {
        let mut m = Model::new(World::default(), 1);
        let raw = 0x1234;
        let v4: SocketAddr = "0.0.0.0:0".parse().expect("address");
        let v6: SocketAddr = "[::]:0".parse().expect("address");
        m.register_external_socket(raw, Protocol::Udp, v4, None);
        m.register_external_socket(raw, Protocol::Udp, v6, None);
        assert_eq!(m.socket_info(raw).map(|s| s.family), Some(Family::V6));
        m.register_external_socket(raw, Protocol::Tcp, v6, None);
        assert_eq!(m.socket_info(raw).map(|s| s.protocol), Some(Protocol::Tcp));
    }

    /// The sim's copy of an OS socket takes the OS's connection: a TCP socket's peer, and a
    /// UDP socket's peer and its later disconnection (RW-4).
    #[test]
    fn an_external_socket_follows_the_os_connection() {
        let mut m = Model::new(World::default(), 1);
        let any: SocketAddr = "0.0.0.0:0".parse().expect("address");
        let peer: SocketAddr = "192.168.1.20:5004".parse().expect("address");
        let peer_of = |m: &Model, raw| m.socket_info(raw).expect("known").peer;
        let (tcp, udp) = (0x1234, 0x5678);
        m.register_external_socket(tcp, Protocol::Tcp, any, Some(peer));
        assert_eq!(peer_of(&m, tcp), Some(peer));
        m.register_external_socket(udp, Protocol::Udp, any, Some(peer));
        assert_eq!(peer_of(&m, udp), Some(peer));
        m.register_external_socket(udp, Protocol::Udp, any, None);
        assert_eq!(peer_of(&m, udp), None);
    }

    /// The sim's copy of an OS socket takes its local address: one of this host's addresses
    /// as it is; another (the real machine's) as the unspecified address with the same port;
    /// none (all zero) left for `connect` to choose from the route.
    #[test]
    fn an_external_socket_takes_the_os_local_address_this_host_can_hold() {
        let mut m = Model::new(World::default(), 1);
        let bound_of = |m: &Model, raw| m.socket_info(raw).expect("known").bound;
        let peer: SocketAddr = "192.168.1.20:5004".parse().expect("address");
        let cases = [
            ("192.168.1.10:4000", None, "192.168.1.10:4000"),
            ("10.9.8.7:4000", None, "0.0.0.0:4000"),
            ("0.0.0.0:0", Some(peer), "192.168.1.10:0"),
        ];
        for (raw, (local, peer, want)) in (0x1000..).zip(cases) {
            let local: SocketAddr = local.parse().expect("address");
            m.register_external_socket(raw, Protocol::Udp, local, peer);
            assert_eq!(bound_of(&m, raw), Some(want.parse().expect("address")), "{local}");
        }
    }

    /// `connect` to a zero address or port: a datagram socket disconnects from the all-zero
    /// address (RW-4); anything else with a 0 in it is WSAEADDRNOTAVAIL.
    #[test]
    fn connect_to_a_zero_address_or_port() {
        let mut m = Model::new(World::default(), 1);
        for (kind, to, want) in [
            (2, "0.0.0.0:0", Ok(())),
            (2, "0.0.0.0:5004", Err(wsa::WSAEADDRNOTAVAIL)),
            (2, "192.168.1.20:0", Err(wsa::WSAEADDRNOTAVAIL)),
            (1, "0.0.0.0:0", Err(wsa::WSAEADDRNOTAVAIL)),
            (1, "192.168.1.20:0", Err(wsa::WSAEADDRNOTAVAIL)),
        ] {
            let s = m.socket(2, kind, 0).expect("socket");
            assert_eq!(m.connect(s, addr(to)), want, "type {kind}, {to}");
        }
    }

    /// A datagram socket may connect again, to another peer; a connected stream socket may
    /// not (WSAEISCONN).
    #[test]
    fn connect_again() {
        let mut m = Model::new(World::default(), 1);
        for (kind, second) in [(2, Ok(())), (1, Err(wsa::WSAEISCONN))] {
            let s = m.socket(2, kind, 0).expect("socket");
            assert_eq!(m.connect(s, addr("192.168.1.20:5004")), Ok(()));
            assert_eq!(m.connect(s, addr("192.168.1.30:5004")), second, "type {kind}");
        }
    }

    #[test]
    fn connect_binds_the_local_address_of_the_route() {
        let mut m = Model::new(World::default(), 1);
        for (af, to, local) in [
            (2, "192.168.1.20:5004", "192.168.1.10"),
            (23, "[fd00::20]:5004", "fd00::10"),
            (2, "127.0.0.1:5004", "127.0.0.1"),
            (23, "[::1]:5004", "::1"),
        ] {
            let s = m.socket(af, 2, 0).expect("socket");
            m.connect(s, addr(to)).expect("connect");
            let ip: IpAddr = local.parse().expect("test address");
            assert_eq!(m.sock_name(s), Ok(SocketAddr::new(ip, 0)), "{to}");
        }
    }
}
