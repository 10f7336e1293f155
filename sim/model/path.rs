//! Paths toward peers: their live state, how far qWAVE has measured them (QRY-9, AMB-36), the
//! bandwidth left for a flow (SET-6e), and the notifications waiting on them (NOT-4, NOT-5).

use super::*;
use world::Warmup;

/// Live state of a path.
#[derive(Clone, Debug)]
pub(crate) struct PathState {
    /// Which path.
    pub id: PathRef,
    /// Current capacity.
    pub config: PathConfig,
    /// Peer properties (for on-link peers): lltd, refuses, resolution fails.
    pub lltd_qos: bool,
    /// Peer rejects qWAVE.
    pub refuses_qwave: bool,
    /// Name resolution fails.
    pub resolution_fails: bool,
    /// When qWAVE started measuring it (first adaptive flow or tracked client).
    pub probing_since: Option<VirtualTime>,
    /// Fundamentals queries answered on it since then (the `Warmup::Queries` form, AMB-36).
    pub queries: u32,
    /// Sum of admitted rates of adaptive flows on it.
    pub admitted_bps: u64,
    /// Pending `QOSNotifyFlow` requests waiting on it.
    pub(crate) waiters: Vec<u64>,
}

impl PathState {
    /// The paths of a world: the off-link path (index 0), then one per peer in world order
    /// (the first entry of a duplicated address wins; scenario validation reports duplicates),
    /// with the index of each peer's path by address.
    pub(crate) fn of_world(world: &World) -> (Vec<PathState>, FxHashMap<IpAddr, PathIdx>) {
        let fresh = |id, config: &PathConfig| PathState {
            id,
            config: config.clone(),
            lltd_qos: false,
            refuses_qwave: false,
            resolution_fails: false,
            probing_since: None,
            queries: 0,
            admitted_bps: 0,
            waiters: Vec::new(),
        };
        let mut paths = vec![fresh(PathRef::OffLink, &world.offlink_path)];
        let mut peer_index = FxHashMap::default();
        for p in &world.peers {
            let ip = net::unmap(p.address);
            if peer_index.contains_key(&ip) {
                continue;
            }
            peer_index.insert(ip, paths.len() as PathIdx);
            paths.push(PathState {
                lltd_qos: p.lltd_qos,
                refuses_qwave: p.refuses_qwave,
                resolution_fails: p.resolution_fails,
                ..fresh(PathRef::Peer(ip), &p.path)
            });
        }
        (paths, peer_index)
    }
}

/// How far the estimate of a path has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Nothing measured yet: `ERROR_NO_DATA`.
    NoData,
    /// Bottleneck and RTT known, available bandwidth not yet.
    Partial,
    /// Everything known.
    Full,
}

impl Model {
    /// How far qWAVE's measurement of a path has come (QRY-9, AMB-36).
    pub(crate) fn estimate_phase(&self, path: PathIdx) -> Phase {
        let Some(p) = self.path(path) else {
            return Phase::NoData;
        };
        let Some(since) = p.probing_since else {
            return Phase::NoData;
        };
        let s = &self.world.settings;
        let (done, warm, partial) = match s.warmup {
            Warmup::Time => (
                self.now.0.saturating_sub(since.0),
                s.warmup_ms.saturating_mul(1000),
                s.partial_ms.saturating_mul(1000),
            ),
            Warmup::Queries { no_data, partial } => {
                (u64::from(p.queries), u64::from(no_data), u64::from(partial))
            }
        };
        if done < warm {
            Phase::NoData
        } else if done < warm.saturating_add(partial) {
            Phase::Partial
        } else {
            Phase::Full
        }
    }

    /// AMB-36 `Warmup::Queries`: one more fundamentals query was answered on `path`; once that
    /// completes the estimate, waiting notifications re-check (NOT-5).
    pub(crate) fn count_query(&mut self, path: PathIdx) {
        if !matches!(self.world.settings.warmup, Warmup::Queries { .. }) {
            return;
        }
        let before = self.estimate_phase(path);
        let p = &mut self.paths[path as usize];
        p.queries = p.queries.saturating_add(1);
        // (`&&` → `||` is an equivalent mutant: it re-checks the waiters at every query of the
        // warm-up too; `notify_condition` is a function of the state, and every other change
        // that can satisfy it re-checks already, so the extra looks find nothing.)
        if before != Phase::Full && self.estimate_phase(path) == Phase::Full {
            self.recheck_waiters(path);
        }
    }

    /// Bandwidth left on a path for flow `f`: free capacity minus what other flows hold;
    /// 0 while congested (QRY-10: the sample reads 0 as congestion).
    pub(crate) fn available_for(&self, f: &Flow) -> u64 {
        let Some(p) = self.path(f.path) else {
            return 0;
        };
        if p.config.congested {
            return 0;
        }
        let others = p.admitted_bps.saturating_sub(f.held_bps);
        p.config.available_bps.saturating_sub(others)
    }

    /// SET-6a, QRY-10: an IP-layer rate (QOSSetFlow, QOSNotifyAvailable) in the units of
    /// AvailableBandwidth, which excludes layer-3 overhead: `QOS_SUBTRACT_OVERHEAD` with the
    /// family and protocol of the flow's socket and `settings.packet_bytes`.
    pub(crate) fn payload_bps(&self, f: &Flow, bps: u64) -> u64 {
        let sock = f.sockets.as_slice().first().and_then(|s| self.socket_info(*s));
        let ipv4 = sock.map_or(f.dest.is_ipv4(), |s| s.family == Family::V4);
        let tcp = sock.is_some_and(|s| s.protocol == Protocol::Tcp);
        flow::subtract_overhead(ipv4, tcp, self.world.settings.packet_bytes, bps)
    }

    pub(crate) fn jitter(&mut self, v: u64) -> u64 {
        let pct = u64::from(self.world.settings.estimate_jitter_pct.min(100));
        if pct == 0 || v == 0 {
            return v;
        }
        let span = v / 100 * pct;
        let off = self.rng.below(span.saturating_mul(2).saturating_add(1));
        v.saturating_sub(span).saturating_add(off)
    }

    /// Re-evaluates every notification waiting on path `p` after its state changed.
    pub(crate) fn path_changed(&mut self, p: PathIdx, id: PathRef) {
        let cfg = &self.paths[p as usize].config;
        let (congested, available_bps) = (cfg.congested, cfg.available_bps);
        self.push_event(Event::Path {
            path: id,
            congested,
            available_bps,
        });
        // The waiters of path `p` are notifications of flows on `p`: completing one removes it
        // from this list. Taking the list out first keeps that removal O(1) and the survivors in
        // their order (completions come out in waiting order, as before).
        let mut waiters = std::mem::take(&mut self.paths[p as usize].waiters);
        let mut kept = 0;
        for i in 0..waiters.len() {
            let w = waiters[i];
            if !self.check_notification(w) {
                waiters[kept] = w;
                kept += 1;
            }
        }
        waiters.truncate(kept);
        let list = &mut self.paths[p as usize].waiters;
        waiters.append(list);
        *list = waiters;
    }

    /// Completes a pending notification if its condition holds now (NOT-4, NOT-5); returns
    /// whether it completed.
    pub(crate) fn check_notification(&mut self, id: u64) -> bool {
        let Some(r) = self.requests.get(&id) else {
            return false;
        };
        let ReqKind::Notify(op) = r.kind else {
            return false;
        };
        let Some(f) = self.flows.get(&r.flow) else {
            return false;
        };
        if let Some(data) = self.notify_condition(f, op) {
            let r = self.unregister(id).expect("pending");
            let c = self.completion_of(&r, Win32Error::ERROR_SUCCESS, data);
            self.deliver(c);
            return true;
        }
        false
    }
}
