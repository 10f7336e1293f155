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
        self.route_via(ip, None)
    }

    /// Where `ip` is when traffic must leave by interface `via` (a socket bound to one of its
    /// addresses, ADD parameter notes), or by the one the routing table prefers (`None`).
    pub(crate) fn route_via(&self, ip: IpAddr, via: Option<u32>) -> Route {
        let ip = net::unmap(ip);
        if ip.is_loopback() {
            return Route::Loopback;
        }
        // SIM-7: no route toward a group.
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
    #[inline]
    pub(crate) fn bound_interface(&self, sock: &Socket) -> Option<u32> {
        let ip = net::unmap(sock.bound?.ip());
        self.interfaces
            .iter()
            .find(|i| i.addresses.iter().any(|p| p.addr == ip))
            .map(|i| i.index)
    }

    /// The route of a flow's destination computed now, by its pinned interface if its socket
    /// chose one (what the flow's cached route holds while it is current).
    pub(crate) fn flow_dest_route_now(&self, f: &Flow) -> Route {
        self.route_via(f.dest.ip(), f.pinned.then_some(f.interface))
    }

    /// The route of a flow's destination: its cached route if no fault happened since it was
    /// computed, else computed now (the same as [`Model::flow_dest_route_now`]: by the flow's
    /// pinned interface if it has one).
    #[inline]
    pub(crate) fn flow_dest_route(&self, f: &Flow) -> Route {
        if f.route_epoch == self.topology_epoch {
            f.route
        } else {
            self.flow_dest_route_now(f)
        }
    }

    /// Recomputes the cached route of the flow at `slot` if a fault made it stale, so the
    /// calls that follow on this flow read it from the cache.
    #[inline]
    pub(crate) fn refresh_route(&mut self, slot: Slot) {
        if self.flows.at(slot).route_epoch != self.topology_epoch {
            self.recompute_route(slot);
        }
    }

    #[cold]
    fn recompute_route(&mut self, slot: Slot) {
        let route = self.flow_dest_route_now(self.flows.at(slot));
        let epoch = self.topology_epoch;
        let f = self.flows.at_mut(slot);
        f.route = route;
        f.route_epoch = epoch;
    }

    /// `route_via(ip, via)` for a new flow or a joining socket, remembering the last address
    /// (and pinned interface) asked for in this topology epoch: an app adds its flows toward a
    /// few peers, so the next add usually routes the same address again.
    pub(crate) fn route_new(&mut self, ip: IpAddr, via: Option<u32>) -> Route {
        if let Some((last, last_via, epoch, route)) = self.last_route {
            if last == ip && last_via == via && epoch == self.topology_epoch {
                return route;
            }
        }
        let route = self.route_via(ip, via);
        self.last_route = Some((ip, via, self.topology_epoch, route));
        route
    }

    /// The epoch new cached routes are computed in.
    pub(crate) fn topology_epoch(&self) -> u32 {
        self.topology_epoch
    }

    /// A fault may have changed the interfaces (up or down), the routes or the adapters: every
    /// cached route is stale from now on. Returns whether the epoch wrapped around (after 2^32
    /// faults): then every cached route is marked stale now, and the caller recomputes them all
    /// with [`Model::recompute_routes`] once the fault has taken effect, so none can look
    /// current by accident.
    pub(crate) fn bump_topology_epoch(&mut self) -> bool {
        self.topology_epoch = self.topology_epoch.wrapping_add(1);
        if self.topology_epoch != 0 {
            return false;
        }
        for f in self.flows.values_mut() {
            f.route_epoch = u32::MAX;
        }
        self.last_route = None;
        true
    }

    /// Recomputes every flow's cached route in the current epoch (pinned flows by their
    /// interface).
    pub(crate) fn recompute_routes(&mut self) {
        let fresh: Vec<(u32, Route)> = self
            .flows
            .values()
            .map(|f| (f.id, self.flow_dest_route_now(f)))
            .collect();
        let epoch = self.topology_epoch;
        for (id, route) in fresh {
            if let Some(f) = self.flows.get_mut(&id) {
                f.route = route;
                f.route_epoch = epoch;
            }
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
        let route = self.flow_dest_route(f);
        match route {
            Route::Unreachable => Err(Win32Error::ERROR_HOST_UNREACHABLE),
            r if self.interface_faulty(r.interface()) => Err(Win32Error::ERROR_ADAP_HDW_ERR),
            r => Ok(r),
        }
    }

    /// The markings a flow's packets get now (QRY-11): [`flow::marking`] in its context, which
    /// is worked out only if the flow is marked at all.
    #[inline]
    pub(crate) fn flow_marking(&self, f: &Flow) -> flow::Marking {
        let route = self.flow_dest_route(f);
        let loopback = matches!(route, Route::Loopback);
        if !flow::is_marked(f, loopback, self.world.policy.rate_required_for_marking) {
            return flow::Marking::default();
        }
        flow::marking(f, &self.marking_context_of(f, route))
    }

    pub(crate) fn marking_context(&self, f: &Flow) -> flow::MarkingContext {
        self.marking_context_of(f, self.flow_dest_route(f))
    }

    /// The marking context of `f`, whose destination's route is `route`.
    fn marking_context_of(&self, _f: &Flow, route: Route) -> flow::MarkingContext {
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

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use crate::model::world::Interface;
    use crate::model::{testing, Fault, Model, Route, SockAddrIn, World};

    /// A model of the default world with one adaptive flow toward 192.168.1.20; its id.
    fn one_flow() -> (Model, u32) {
        let mut m = Model::new(World::default(), 1);
        let h = testing::handle(&mut m);
        let id = testing::new_flow(&mut m, h, false);
        (m, id)
    }

    #[test]
    fn a_fault_makes_cached_routes_stale_and_reads_follow_the_new_topology() {
        let (mut m, id) = one_flow();
        let f = m.flows.get(&id).expect("flow");
        assert!(matches!(m.flow_dest_route(f), Route::OnLink { known: true, .. }));
        m.inject(Fault::InterfaceDown("Ethernet".into()));
        let f = m.flows.get(&id).expect("flow");
        assert_ne!(f.route_epoch, m.topology_epoch(), "the cache is stale");
        assert_eq!(m.flow_dest_route(f), Route::Unreachable);
        let slot = m.flows.find(id).expect("flow");
        m.refresh_route(slot);
        let f = m.flows.at(slot);
        assert_eq!((f.route, f.route_epoch), (Route::Unreachable, m.topology_epoch()));
        m.check_invariants().expect("the cache agrees with the topology");
    }

    /// The default world with a second interface, Wi-Fi (index 2), on Ethernet's link, and a
    /// non-adaptive flow toward the LLTD peer from a socket bound to Wi-Fi's address; its id.
    fn one_pinned_flow() -> (Model, u32) {
        let mut w = World::default();
        w.interfaces.push(Interface {
            name: "Wi-Fi".into(),
            index: 2,
            addresses: vec!["192.168.1.11/24".parse().expect("prefix")],
            ..Interface::default()
        });
        let mut m = Model::new(w, 1);
        let h = testing::handle(&mut m);
        let s = m.socket(2, 2, 17).expect("socket");
        let wifi = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 11)), 0);
        m.bind(s, Some(SockAddrIn::from(wifi))).expect("bind");
        let id = testing::add_flow(&mut m, h, s, true);
        (m, id)
    }

    #[test]
    fn a_pinned_flows_cached_route_stays_on_its_interface_through_faults() {
        let (mut m, id) = one_pinned_flow();
        let f = m.flows.get(&id).expect("flow");
        assert!(f.pinned);
        assert!(
            matches!(f.route, Route::OnLink { interface: 2, .. }),
            "{:?}",
            f.route
        );
        // The routing table would now choose Wi-Fi for everyone; the pin changes nothing.
        m.inject(Fault::InterfaceDown("Ethernet".into()));
        let slot = m.flows.find(id).expect("flow");
        m.refresh_route(slot);
        assert!(matches!(
            m.flows.at(slot).route,
            Route::OnLink { interface: 2, .. }
        ));
        m.check_invariants()
            .expect("the cache agrees with the pinned route");
        // Ethernet back, Wi-Fi down: the routing table could reach the peer by Ethernet, but the
        // flow's socket is bound to Wi-Fi: unreachable, also when read from a stale cache.
        m.inject(Fault::InterfaceUp("Ethernet".into()));
        m.inject(Fault::InterfaceDown("Wi-Fi".into()));
        assert!(matches!(
            m.route(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20))),
            Route::OnLink { interface: 1, .. }
        ));
        let f = m.flows.get(&id).expect("flow");
        assert_ne!(f.route_epoch, m.topology_epoch(), "stale");
        assert_eq!(m.flow_dest_route(f), Route::Unreachable);
        // An epoch that wraps around recomputes the cache by the pin too.
        m.topology_epoch = u32::MAX;
        m.inject(Fault::InterfaceUp("Ethernet".into()));
        let f = m.flows.get(&id).expect("flow");
        assert_eq!((f.route, f.route_epoch), (Route::Unreachable, 0));
        m.check_invariants()
            .expect("the cache agrees with the pinned route");
    }

    #[test]
    fn an_epoch_that_wraps_around_recomputes_every_cached_route() {
        let (mut m, id) = one_flow();
        assert_eq!(m.flows.get(&id).expect("flow").route_epoch, 0);
        // 2^32 - 1 faults later, the next fault brings the epoch back to the flow's.
        m.topology_epoch = u32::MAX;
        m.inject(Fault::InterfaceDown("Ethernet".into()));
        assert_eq!(m.topology_epoch(), 0);
        let f = m.flows.get(&id).expect("flow");
        assert_eq!((f.route, f.route_epoch), (Route::Unreachable, 0));
        m.check_invariants().expect("the cache agrees with the topology");
    }

    /// The fault that wraps the epoch already sees the topology it makes: a request pending on
    /// a route it breaks completes with the route's error (the flow's route cached in epoch 0
    /// must not look current while the fault takes effect).
    #[test]
    fn the_fault_that_wraps_the_epoch_fails_the_routes_it_breaks() {
        let (mut m, id) = one_flow();
        let s = &m.world().settings;
        m.advance_us((s.warmup_ms + s.partial_ms) * 1000);
        let h = m.handles()[0].value;
        testing::notify_congested(&mut m, h, id);
        assert_eq!(m.flows.get(&id).expect("flow").route_epoch, 0);
        m.topology_epoch = u32::MAX;
        m.inject(Fault::RouteLost("192.168.1.0/24".parse().expect("prefix")));
        m.settle();
        let done: Vec<_> = m.take_completions().iter().map(|c| (c.key, c.status)).collect();
        assert_eq!(done, vec![(7, crate::model::Win32Error::ERROR_HOST_UNREACHABLE)]);
    }
}
