//! Routing: where a destination is from this host (loopback, on-link, off-link, unreachable),
//! given the current interfaces and routes, and what that means for marking.

use super::*;

/// Where a destination is, from this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
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
    pub(crate) fn route(&self, ip: IpAddr) -> Route {
        let ip = net::unmap(ip);
        if ip.is_loopback() {
            return Route::Loopback;
        }
        if ip.is_unspecified() || ip.is_multicast() || self.unreachable.iter().any(|p| p.contains(ip)) {
            return Route::Unreachable;
        }
        let on_link = self
            .interfaces
            .iter()
            .find(|i| i.addresses.iter().any(|p| p.contains(ip)));
        if let Some(iface) = on_link {
            if !iface.up {
                return Route::Unreachable;
            }
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
            .find(|i| i.addresses.iter().any(|p| p.contains(gw)))
        {
            Some(iface) if iface.up => Route::OffLink {
                interface: iface.index,
                path: self.peer_index.get(&ip).copied().unwrap_or(0),
            },
            _ => Route::Unreachable,
        }
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
        let route = self.route(f.dest.ip());
        match route {
            Route::Unreachable => Err(Win32Error::ERROR_HOST_UNREACHABLE),
            r if self.interface_faulty(r.interface()) => Err(Win32Error::ERROR_ADAP_HDW_ERR),
            r => Ok(r),
        }
    }

    pub(crate) fn marking_context(&self, f: &Flow) -> flow::MarkingContext {
        let route = self.route(f.dest.ip());
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
