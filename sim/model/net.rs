//! Addresses, prefixes and routing: which interface and path a destination uses.
//!
//! Pure functions of the [`World`](super::world::World): no sockets, no OS.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Windows' `AF_INET`.
pub const AF_INET: u16 = 2;
/// Windows' `AF_INET6` (23, not Linux's 10).
pub const AF_INET6: u16 = 23;

/// An IP family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Family {
    /// IPv4 (`AF_INET`, 2).
    V4,
    /// IPv6 (`AF_INET6`, 23).
    V6,
}

impl Family {
    /// The family of `ip`.
    pub fn of(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// The Windows `ADDRESS_FAMILY` value.
    pub fn af(self) -> u16 {
        match self {
            Family::V4 => AF_INET,
            Family::V6 => AF_INET6,
        }
    }
}

/// A `SOCKADDR` as the caller passed it, decoded by a surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SockAddrIn {
    /// `AF_INET`.
    V4(SocketAddrV4),
    /// `AF_INET6`.
    V6(SocketAddrV6),
    /// Any other `sa_family` value.
    BadFamily(u16),
}

impl SockAddrIn {
    /// The address as a std socket address, unless the family is unknown.
    pub fn socket_addr(self) -> Option<SocketAddr> {
        match self {
            SockAddrIn::V4(a) => Some(SocketAddr::V4(a)),
            SockAddrIn::V6(a) => Some(SocketAddr::V6(a)),
            SockAddrIn::BadFamily(_) => None,
        }
    }
}

impl From<SocketAddr> for SockAddrIn {
    fn from(a: SocketAddr) -> Self {
        match a {
            SocketAddr::V4(a) => SockAddrIn::V4(a),
            SocketAddr::V6(a) => SockAddrIn::V6(a),
        }
    }
}

/// `::ffff:a.b.c.d` → `a.b.c.d`; any other address unchanged.
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Whether `ip` is an IPv4-mapped IPv6 address.
pub fn is_v4_mapped(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
}

/// An address with a prefix length: `192.168.1.10/24`, `2001:db8::/32`.
/// Written and read as that string in scenario files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    /// The address (for an interface: its own address).
    pub addr: IpAddr,
    /// Prefix length in bits (≤ 32 for IPv4, ≤ 128 for IPv6).
    pub len: u8,
}

impl Prefix {
    /// `addr/len`; `None` if `len` is too long for the family.
    pub fn new(addr: IpAddr, len: u8) -> Option<Prefix> {
        let max = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (len <= max).then_some(Prefix { addr, len })
    }

    /// Whether `ip` (same family) lies inside this prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(p), IpAddr::V4(a)) => {
                let mask = mask_bits(self.len, 32) as u32;
                u32::from(p) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(p), IpAddr::V6(a)) => {
                let mask = mask_bits(self.len, 128);
                u128::from(p) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

fn mask_bits(len: u8, width: u32) -> u128 {
    if len == 0 {
        0
    } else {
        let all: u128 = if width == 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        };
        all & !((1u128 << (width - u32::from(len))) - 1)
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// Why a prefix string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixError(pub String);

impl fmt::Display for PrefixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Prefix {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Prefix, PrefixError> {
        let (a, l) = s
            .split_once('/')
            .ok_or_else(|| PrefixError(format!("`{s}` is not `address/length`")))?;
        let addr: IpAddr = a
            .parse()
            .map_err(|_| PrefixError(format!("`{a}` is not an IP address")))?;
        let len: u8 = l
            .parse()
            .map_err(|_| PrefixError(format!("`{l}` is not a prefix length")))?;
        Prefix::new(addr, len)
            .ok_or_else(|| PrefixError(format!("prefix length {len} is too long for `{addr}`")))
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Prefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Prefix, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether `ip` is a loopback address (127.0.0.0/8, `::1`, or a mapped 127.x).
pub fn is_loopback(ip: IpAddr) -> bool {
    unmap(ip).is_loopback()
}

/// The unspecified address of a family.
pub fn unspecified(family: Family) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_and_contain() {
        let p: Prefix = "192.168.1.10/24".parse().unwrap();
        assert!(p.contains("192.168.1.99".parse().unwrap()));
        assert!(!p.contains("192.168.2.1".parse().unwrap()));
        assert!(!p.contains("fd00::1".parse().unwrap()));
        let p6: Prefix = "2001:db8::/32".parse().unwrap();
        assert!(p6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!p6.contains("2001:db9::5".parse().unwrap()));
        let all: Prefix = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("1.2.3.4/33".parse::<Prefix>().is_err());
        assert!("1.2.3.4".parse::<Prefix>().is_err());
        assert_eq!(p.to_string(), "192.168.1.10/24");
    }

    /// A bad prefix in a world file says what is wrong with it (serde reports it through
    /// `Display`).
    #[test]
    fn a_bad_prefix_says_why() {
        for (text, why) in [
            ("1.2.3.4/33", "prefix length 33 is too long for `1.2.3.4`"),
            ("1.2.3.4", "`1.2.3.4` is not `address/length`"),
            ("x/8", "`x` is not an IP address"),
            ("1.2.3.4/x", "`x` is not a prefix length"),
        ] {
            let e = ron::from_str::<Prefix>(&format!("{text:?}")).expect_err(text);
            assert!(e.to_string().contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn mapped_addresses_unmap() {
        let m: IpAddr = "::ffff:192.168.1.20".parse().unwrap();
        assert!(is_v4_mapped(m));
        assert_eq!(unmap(m), "192.168.1.20".parse::<IpAddr>().unwrap());
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
    }
}
