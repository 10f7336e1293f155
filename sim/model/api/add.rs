//! `QOSAddSocketToFlow` (ADD).

use std::net::SocketAddr;

use crate::call::AddSocketToFlow;
use crate::model::event::{CallOutput, CallResult};
use crate::model::flow::{Flow, Owner, Sockets};
use crate::model::net::{self, Family, SockAddrIn};
use crate::model::socket::{Protocol, Socket};
use crate::model::{Func, Model, Route, Win32Error};
use crate::tag::HandleIndex;

/// Most destinations one shared flow remembers (AMB-38); more are accepted but not stored.
pub const MAX_EXTRA_DESTS: usize = 64;

const EINVAL: Win32Error = Win32Error::ERROR_INVALID_PARAMETER;

impl Model {
    /// `QOSAddSocketToFlow(QOSHandle, Socket, DestAddr, TrafficType, Flags, FlowId)`. Returns
    /// the flow id written to `*FlowId`.
    pub(super) fn add_socket_to_flow(&mut self, c: &AddSocketToFlow) -> CallResult {
        let AddSocketToFlow {
            handle,
            socket,
            dest,
            traffic_type,
            non_adaptive,
            flags,
            flow: flow_in,
        } = *c;
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // ADD-1, GEN-6, GEN-8
        let flow_in = flow_in.ok_or(EINVAL)?; // ADD-2
        if flags != 0 {
            return Err(EINVAL.into()); // ADD-19, AMB-6: no flag but QOS_NON_ADAPTIVE_FLOW
        }
        // ADD-9: the traffic type is ignored when joining; ADD-19: checked when creating.
        let tt = match (flow_in, traffic_type.typed()) {
            (0, None) => return Err(EINVAL.into()),
            (_, t) => t.unwrap_or_default(),
        };
        // SIM-1: a value that is not an open socket is an invalid parameter.
        let sock = self
            .socket_info(socket)
            .filter(|s| !s.closed)
            .cloned()
            .ok_or(EINVAL)?;
        let (dest, wildcard) = self.destination(&sock, dest)?; // ADD-3..7, AMB-26
        if wildcard && !non_adaptive {
            return Err(EINVAL.into()); // AMB-26: a wildcard flow can only be non-adaptive
        }
        self.injected_failure(Func::AddSocketToFlow)?; // ADD-14, GEN-11
        if flow_in != 0 {
            return self.join_flow(h, &sock, dest, non_adaptive, flow_in);
        }
        if self.world_settings().reject_socket_in_two_flows && sock.flow_refs > 0 {
            return Err(Win32Error::ERROR_ALREADY_EXISTS.into()); // AMB-30 (setting)
        }
        if self.flow_count() >= self.world_settings().max_flows as usize {
            return Err(Win32Error::ERROR_NO_SYSTEM_RESOURCES.into()); // GEN-11 flow limit
        }
        // ADD parameter notes: a socket bound to an interface's address selects that interface.
        let via = self.bound_interface(&sock);
        // The flow's path and interface come from `route`; `dest_route` is what routing says
        // about `dest` itself by the pinned interface, if any (the flow's cached route).
        let (route, dest_route) = if wildcard {
            let wild = Route::OffLink {
                interface: 0,
                path: 0,
            };
            (wild, self.route(dest.ip()))
        } else {
            let r = self.reachable(dest, via)?;
            (r, r)
        };
        if !non_adaptive {
            self.check_adaptive_peer(route)?; // ADD-10..12, AMB-8, AMB-27
        }
        let id = self.alloc_flow_id(); // ADD-8, AMB-29
        let flow = Flow {
            id,
            owner: Owner::Handle(h),
            pos: 0,
            adaptive: !non_adaptive,
            traffic_type: tt,
            sockets: Sockets::One(socket),
            dest,
            extra_dests: Vec::new(),
            path: route.path().unwrap_or(0),
            interface: route.interface(),
            pinned: via.is_some() && !wildcard,
            route: dest_route,
            route_epoch: self.topology_epoch(),
            started: self.now(),
            rate: None,
            admitted: false,
            held_bps: 0,
            custom_dscp: None,
            requests: 0,
            notify: [None; 3],
        };
        self.insert_flow(h, flow);
        if let Some(s) = self.socket_mut(socket) {
            s.flow_refs += 1;
        }
        Ok(CallOutput::Flow(id))
    }

    /// ADD-3..7: the destination a socket's flow uses; `true` for an AMB-26 wildcard.
    fn destination(&self, sock: &Socket, dest: Option<SockAddrIn>) -> Result<(SocketAddr, bool), Win32Error> {
        let Some(dest) = dest else {
            // ADD-7: a connected socket brings its peer; ADD-4, AMB-5: otherwise 87.
            return sock.peer.map(|p| (p, false)).ok_or(EINVAL);
        };
        let sa = dest.socket_addr().ok_or(EINVAL)?;
        match (sock.family, sa) {
            (Family::V4, SocketAddr::V4(_)) | (Family::V6, SocketAddr::V6(_)) => {}
            // ADD-3 (a), RW-3: an AF_INET address for an AF_INET6 socket, or the reverse.
            _ => return Err(EINVAL),
        }
        if sock.family == Family::V6 && net::is_v4_mapped(sa.ip()) {
            return Err(EINVAL); // ADD-3 (b), RW-4, AMB-4
        }
        if let Some(peer) = sock.peer {
            if peer.ip() != sa.ip() || peer.port() != sa.port() {
                return Err(EINVAL); // ADD-5, AMB-5
            }
        }
        if sa.port() == 0 || sa.ip().is_unspecified() {
            let lenient = self.world_settings().lenient_zero_dest
                && sa.port() == 0
                && sa.ip().is_unspecified()
                && sock.protocol == Protocol::Udp
                && sock.peer.is_none();
            return if lenient { Ok((sa, true)) } else { Err(EINVAL) }; // ADD-6, AMB-26
        }
        Ok((sa, false))
    }

    /// ADD-13, ADD-14: the destination must be routable over a working adapter (by interface
    /// `via` if the socket's bound address pins one).
    #[inline]
    fn reachable(&mut self, dest: SocketAddr, via: Option<u32>) -> Result<Route, Win32Error> {
        match self.route_new(dest.ip(), via) {
            Route::Unreachable => Err(Win32Error::ERROR_HOST_UNREACHABLE), // ADD-13
            r if self.interface_faulty(r.interface()) => Err(Win32Error::ERROR_ADAP_HDW_ERR), // ADD-14
            r => Ok(r),
        }
    }

    /// ADD-10..12: an adaptive flow needs a peer qWAVE can measure.
    #[inline]
    fn check_adaptive_peer(&self, route: Route) -> Result<(), Win32Error> {
        match route {
            Route::Loopback => Ok(()),       // AMB-27: accepted, never marked
            Route::OffLink { .. } => Ok(()), // AMB-8: accepted; estimation calls fail later
            Route::OnLink { known: false, .. } => Err(Win32Error::ERROR_NOT_SUPPORTED), // ADD-10, SIM-2
            Route::OnLink { path, .. } => {
                let p = &self.paths[path as usize];
                if p.resolution_fails {
                    Err(Win32Error::ERROR_BAD_NET_NAME) // ADD-11
                } else if p.refuses_qwave {
                    Err(Win32Error::ERROR_CONNECTION_REFUSED) // ADD-12
                } else if !p.lltd_qos {
                    Err(Win32Error::ERROR_NOT_SUPPORTED) // ADD-10, AMB-8
                } else {
                    Ok(())
                }
            }
            Route::Unreachable => Err(Win32Error::ERROR_HOST_UNREACHABLE),
        }
    }

    /// ADD-9, ADD-17, AMB-7, AMB-38: a socket joins an existing non-adaptive flow.
    fn join_flow(
        &mut self,
        h: HandleIndex,
        sock: &Socket,
        dest: SocketAddr,
        non_adaptive: bool,
        id: u32,
    ) -> CallResult {
        let f = self.own_flow(h, id)?; // AMB-7: unknown id → 1168
        if f.adaptive || !non_adaptive {
            return Err(EINVAL.into()); // ADD-9, ADD-17, AMB-7
        }
        let already = f.sockets.contains(sock.raw);
        if !already {
            if self.world_settings().reject_socket_in_two_flows && sock.flow_refs > 0 {
                return Err(Win32Error::ERROR_ALREADY_EXISTS.into()); // AMB-30 (setting)
            }
            if !dest.ip().is_unspecified() {
                self.reachable(dest, None)?;
            }
        }
        let f = self.flows.get_mut(&id).expect("checked above");
        if !already {
            f.sockets.push(sock.raw);
        }
        if f.dest != dest && !f.extra_dests.contains(&dest) && f.extra_dests.len() < MAX_EXTRA_DESTS {
            f.extra_dests.push(dest); // AMB-38
        }
        if !already {
            if let Some(s) = self.socket_mut(sock.raw) {
                s.flow_refs += 1;
            }
        }
        Ok(CallOutput::Flow(id)) // ADD-9: *FlowId unchanged
    }
}
