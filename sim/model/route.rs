//! Routing: where a destination is from this host (loopback, on-link, off-link, unreachable),
//! given the current interfaces and routes, and what that means for marking.

use super::*;

/// Where a destination is, from this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// 127/8, ::1.
    Loopback,
    /// On the link of `interface`; `peer` is the world's peer entry, if listed.
    OnLink {
        /// Interface index.
        interface: u32,
        /// Path index.
        path: PathIdx,
        /// Whether the peer is listed.
        known: bool,
    },
    /// Through the gateway on `interface`.
    OffLink {
        /// Interface index.
        interface: u32,
        /// Path index.
        path: PathIdx,
    },
    /// No route.
    Unreachable,
}

impl Route {
    /// The path the route uses.
    pub fn path(&self) -> Option<PathIdx> {
        match *self {
            Route::Loopback => Some(LOOPBACK_PATH),
            Route::OnLink { path, .. } | Route::OffLink { path, .. } => Some(path),
            Route::Unreachable => None,
        }
    }

    /// The interface index the route leaves by.
    pub fn interface(&self) -> u32 {
        match *self {
            Route::OnLink { interface, .. } | Route::OffLink { interface, .. } => interface,
            _ => 0,
        }
    }
}

impl Model {
    /// Where `ip` is from this host, given the current interfaces and routes.
    pub fn route(&self, ip: IpAddr) -> Route {
        self.route_via(ip, None)
    }

    /// Where `ip` is when traffic must leave by interface `via` (a socket bound to one of its
    /// addresses, ADD parameter notes), or by the one the routing table prefers (`None`).
    pub(crate) fn route_via(&self, ip: IpAddr, via: Option<u32>) -> Route {
        let ip = net::unmap(ip);
        if ip.is_loopback() {
            return Route::Loopback;
        }
        if ip.is_unspecified() || ip.is_multicast() || self.unreachable.iter().any(|p| p.contains(ip)) {
            return Route::Unreachable;
        }
        // A down interface has no routes; another one on the same link (or the gateway's) may
        // still reach the destination, unless the socket's bound address pins `via`.
        let usable = |i: &&Interface| i.up && via.is_none_or(|v| i.index == v);
        let on_link = self
            .interfaces
            .iter()
            .filter(usable)
            .find(|i| i.addresses.iter().any(|p| p.contains(ip)));
        if let Some(iface) = on_link {
            let peer = self.peer_index.get(&ip).copied();
            return Route::OnLink {
                interface: iface.index,
                path: peer.unwrap_or(0),
                known: peer.is_some(),
            };
        }
        let gw: Option<IpAddr> = match ip {
            IpAddr::V4(_) => self.world.gateway_v4.map(IpAddr::V4),
            IpAddr::V6(_) => self.world.gateway_v6.map(IpAddr::V6),
        };
        let Some(gw) = gw else {
            return Route::Unreachable;
        };
        match self
            .interfaces
            .iter()
            .filter(usable)
            .find(|i| i.addresses.iter().any(|p| p.contains(gw)))
        {
            Some(iface) => Route::OffLink {
                interface: iface.index,
                path: self.peer_index.get(&ip).copied().unwrap_or(0),
            },
            None => Route::Unreachable,
        }
    }

    /// The interface a socket is bound to, if it was bound (or connected) to one of this host's
    /// interface addresses: its traffic leaves by that interface.
    pub(crate) fn bound_interface(&self, sock: &Socket) -> Option<u32> {
        let ip = net::unmap(sock.bound?.ip());
        self.interfaces
            .iter()
            .find(|i| i.addresses.iter().any(|p| p.addr == ip))
            .map(|i| i.index)
    }

    /// The route of a flow's destination, by its pinned interface if its socket chose one.
    pub(crate) fn flow_dest_route(&self, f: &Flow) -> Route {
        self.route_via(f.dest.ip(), f.pinned.then_some(f.interface))
    }

    pub(crate) fn interface_faulty(&self, index: u32) -> bool {
        self.interfaces
            .iter()
            .any(|i| i.index == index && i.hardware_fault)
    }

    pub(crate) fn path(&self, p: PathIdx) -> Option<&PathState> {
        self.paths.get(p as usize)
    }

    /// Re-checks a flow's destination: unreachable (1232) or a faulty adapter (57).
    pub(crate) fn flow_route(&self, f: &Flow) -> Result<Route, Win32Error> {
        if f.dest.ip().is_unspecified() {
            // AMB-26: a lenient wildcard flow has no destination to lose.
            return Ok(Route::OffLink {
                interface: 0,
                path: 0,
            });
        }
        let route = self.flow_dest_route(f);
        match route {
            Route::Unreachable => Err(Win32Error::ERROR_HOST_UNREACHABLE),
            r if self.interface_faulty(r.interface()) => Err(Win32Error::ERROR_ADAP_HDW_ERR),
            r => Ok(r),
        }
    }

    pub(crate) fn marking_context(&self, f: &Flow) -> flow::MarkingContext {
        let route = self.flow_dest_route(f);
        let keeps = match route {
            Route::OnLink { path, known, .. } => {
                known
                    && self.paths[path as usize].config.keeps_8021p
                    && self.estimate_phase(path) == Phase::Full
            }
            _ => false,
        };
        flow::MarkingContext {
            on_link: matches!(route, Route::OnLink { .. }),
            loopback: matches!(route, Route::Loopback),
            path_keeps_8021p: keeps,
            rate_required: self.world.policy.rate_required_for_marking,
            dscp_policy: self.world.policy.dscp_policy.map(|d| d.min(63)),
            adaptive_prioritised: self.adaptive_marked > 0,
            shape_only_marks: self.world.settings.shape_only_marks,
        }
    }
}
