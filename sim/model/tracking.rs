//! Client tracking state (STA, STO) and its lingering after a handle closes (AMB-3).

use super::*;
use crate::tag::HandleIndex;

impl Model {
    /// qWAVE starts measuring `path` (a first adaptive flow or tracked client), unless it already
    /// is; notifications waiting on the path re-check once the estimate is complete (NOT-5).
    pub(crate) fn start_probing_path(&mut self, path: PathIdx) {
        let Some(p) = self.paths.get_mut(path as usize) else {
            return;
        };
        if p.probing_since.is_some() {
            return;
        }
        p.probing_since = Some(self.now);
        p.queries = 0;
        let s = &self.world.settings;
        if s.warmup == world::Warmup::Time {
            let ready_us = s.warmup_ms.saturating_add(s.partial_ms).saturating_mul(1000);
            self.schedule(self.now.plus_us(ready_us), Scheduled::EstimateReady(path));
        }
    }

    pub(crate) fn stop_tracking_everywhere(&mut self, family: Family, ip: IpAddr) -> bool {
        let mut found = false;
        for h in self.handles.iter_mut() {
            let before = h.tracked.len();
            h.tracked.retain(|e| *e != (family, ip));
            found |= h.tracked.len() != before;
        }
        let before = self.lingering.len();
        self.lingering.retain(|(_, f, a)| !(*f == family && *a == ip));
        found | (self.lingering.len() != before)
    }

    /// AMB-3: a closed handle's clients keep being tracked for `tracking_linger_ms`.
    pub(crate) fn linger_tracking(&mut self, h: HandleIndex) {
        let tracked = std::mem::take(&mut self.handles[h].tracked);
        let ms = self.world.settings.tracking_linger_ms;
        if ms == 0 {
            return;
        }
        for (f, ip) in tracked {
            let id = self.next_linger;
            self.next_linger += 1;
            self.lingering.push((id, f, ip));
            self.schedule(
                self.now.plus_us(ms.saturating_mul(1000)),
                Scheduled::LingerEnd(id),
            );
        }
    }

    /// Whether `ip` is a tracked client, through any handle or lingering after a close (STA-3:
    /// the family and address identify it).
    pub(crate) fn client_tracked(&self, ip: IpAddr) -> bool {
        let id = (Family::of(ip), ip);
        self.handles
            .as_slice()
            .iter()
            .any(|h| h.tracked.binary_search(&id).is_ok())
            || self.lingering.iter().any(|(_, f, a)| (*f, *a) == id)
    }

    /// Clients tracked after their handle closed (AMB-3).
    pub fn lingering_clients(&self) -> Vec<(Family, IpAddr)> {
        self.lingering.iter().map(|(_, f, a)| (*f, *a)).collect()
    }
}
