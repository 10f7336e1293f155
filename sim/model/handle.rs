//! QoS handles: values, states (open, stale after a reset, dead), and the checks every call
//! starts with (GEN-6, GEN-8, GEN-11, CRE-8, AMB-40).

use super::*;

/// Handle values the sim issues carry this tag, so they never look like real handles.
pub const HANDLE_TAG: u64 = 0x5157 << 40;

/// The most handles one run may create.
pub const MAX_HANDLES: usize = 1 << 24;

/// State of a QoS handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandleState {
    /// Usable.
    Open,
    /// After a device reset: every call but close fails with 1164 (GEN-8).
    Stale,
    /// Closed, or invalidated by sleep: every call fails with 6 (CLO-8, GEN-9).
    Dead,
}

/// A QoS handle.
#[derive(Clone, Debug)]
pub struct Handle {
    /// The value the app holds.
    pub value: u64,
    /// Its state.
    pub state: HandleState,
    /// Flow ids it owns, unordered (positions kept in each flow).
    pub(crate) flows: Vec<u32>,
    /// Clients tracked through it: (family, address), sorted.
    pub tracked: Vec<(Family, IpAddr)>,
    /// Pending overlapped requests issued on it, by OVERLAPPED (one pending request per
    /// OVERLAPPED and handle, SIM-3): key → request id.
    pub(crate) pending: FxHashMap<OverlappedKey, u64>,
}

impl Handle {
    /// Flow ids it owns, sorted.
    pub fn flow_ids(&self) -> Vec<u32> {
        let mut v = self.flows.clone();
        v.sort_unstable();
        v
    }
}

impl Model {
    pub(crate) fn handle_index(&self, value: u64) -> Option<usize> {
        if value & !0xFF_FFFF_FFFF != HANDLE_TAG {
            return None;
        }
        let i = ((value & 0xFF_FFFF_FFFF) as usize).checked_sub(1)?;
        (i < self.handles.len()).then_some(i)
    }

    /// GEN-6, CLO-8, GEN-8: resolves a handle for any call but close.
    pub(crate) fn open_handle(&self, value: u64) -> Result<usize, Win32Error> {
        match self.handle_index(value) {
            Some(i) => match self.handles[i].state {
                HandleState::Open => Ok(i),
                HandleState::Stale => Err(Win32Error::ERROR_DEVICE_REINITIALIZATION_NEEDED),
                HandleState::Dead => Err(Win32Error::ERROR_INVALID_HANDLE),
            },
            None => Err(Win32Error::ERROR_INVALID_HANDLE),
        }
    }

    pub(crate) fn new_handle(&mut self) -> Option<u64> {
        if self.handles.len() >= MAX_HANDLES {
            return None;
        }
        let value = HANDLE_TAG | (self.handles.len() as u64 + 1);
        self.handles.push(Handle {
            value,
            state: HandleState::Open,
            flows: Vec::new(),
            tracked: Vec::new(),
            pending: FxHashMap::default(),
        });
        Some(value)
    }

    /// AMB-40: while asleep with power-transition errors on, every call reports 782, or 783
    /// once a second sleep made the transition a complex one.
    pub(crate) fn power_transition(&self) -> Result<(), Win32Error> {
        match (
            self.asleep && self.world.settings.power_transition_errors,
            self.complex_transition,
        ) {
            (false, _) => Ok(()),
            (true, false) => Err(Win32Error::ERROR_SYSTEM_POWERSTATE_TRANSITION),
            (true, true) => Err(Win32Error::ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION),
        }
    }

    /// GEN-11: an injected failure for this call, if one is armed.
    pub(crate) fn injected_failure(&mut self, f: Func) -> Result<(), Win32Error> {
        let pos = self.failures.iter().position(|(func, code, _)| {
            func.is_none_or(|g| g == f)
                && (*code != Win32Error::ERROR_ADAP_HDW_ERR || f.can_report_adapter_error())
        });
        match pos {
            Some(i) => {
                let code = self.failures[i].1;
                self.failures[i].2 -= 1;
                if self.failures[i].2 == 0 {
                    self.failures.remove(i);
                }
                Err(code)
            }
            None => Ok(()),
        }
    }

    pub(crate) fn resume_create_failure(&mut self) -> Result<(), Win32Error> {
        if self.asleep {
            return Err(Win32Error::ERROR_GEN_FAILURE); // CRE-8
        }
        if self.create_failures_left > 0 {
            self.create_failures_left -= 1;
            return Err(Win32Error::ERROR_GEN_FAILURE); // CRE-8
        }
        Ok(())
    }

    pub(crate) fn service_state(&self) -> world::ServiceState {
        self.service
    }
}
