//! QoS handles: values, states (open, stale after a reset, dead), and the checks every call
//! starts with (GEN-6, GEN-8, GEN-11, CRE-8, AMB-40).

use std::ops::{Index, IndexMut};

use super::touched::Touched;
use super::*;
use crate::tag::{HandleIndex, HandleValue};

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

/// Every handle the model created, in creation order, by [`HandleIndex`] (dead ones stay).
#[derive(Clone, Debug, Default)]
pub(crate) struct Handles(Vec<Handle>, pub(crate) Touched<u32>);

impl Handles {
    /// The handle a value names, if the sim issued it.
    pub(crate) fn find(&self, value: HandleValue) -> Option<HandleIndex> {
        value.index().filter(|i| i.get() < self.0.len())
    }

    /// A new open handle, if the table has room.
    fn open_new(&mut self) -> Option<HandleIndex> {
        let i = HandleIndex::next(self.0.len())?;
        self.1.touch(i.get() as u32);
        self.0.push(Handle {
            value: i.value().get(),
            state: HandleState::Open,
            flows: Vec::new(),
            tracked: Vec::new(),
            pending: FxHashMap::default(),
        });
        Some(i)
    }

    /// The handles, in creation order.
    pub(crate) fn as_slice(&self) -> &[Handle] {
        &self.0
    }

    /// The handles with their indices.
    pub(crate) fn indexed(&self) -> impl Iterator<Item = (HandleIndex, &Handle)> {
        (0..self.0.len()).filter_map(HandleIndex::next).zip(self.0.iter())
    }

    /// The handles, mutably.
    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, Handle> {
        self.1.touch_all();
        self.0.iter_mut()
    }

    /// The handle at `i`, if there is one.
    pub(crate) fn get(&self, i: HandleIndex) -> Option<&Handle> {
        self.0.get(i.get())
    }
}

impl Index<HandleIndex> for Handles {
    type Output = Handle;

    fn index(&self, i: HandleIndex) -> &Handle {
        &self.0[i.get()]
    }
}

impl IndexMut<HandleIndex> for Handles {
    fn index_mut(&mut self, i: HandleIndex) -> &mut Handle {
        self.1.touch(i.get() as u32);
        &mut self.0[i.get()]
    }
}

impl Model {
    pub(crate) fn handle_index(&self, value: u64) -> Option<HandleIndex> {
        self.handles.find(HandleValue(value))
    }

    /// GEN-6, CLO-8, GEN-8: resolves a handle for any call but close.
    pub(crate) fn open_handle(&self, value: u64) -> Result<HandleIndex, Win32Error> {
        match self.handle_index(value) {
            Some(i) => match self.handles[i].state {
                HandleState::Open => Ok(i),
                HandleState::Stale => Err(Win32Error::ERROR_DEVICE_REINITIALIZATION_NEEDED),
                HandleState::Dead => Err(Win32Error::ERROR_INVALID_HANDLE),
            },
            None => Err(Win32Error::ERROR_INVALID_HANDLE),
        }
    }

    /// A new open handle's value (`None`: the table is full).
    pub(crate) fn new_handle(&mut self) -> Option<u64> {
        self.handles.open_new().map(|i| i.value().get())
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
    #[inline]
    pub(crate) fn injected_failure(&mut self, f: Func) -> Result<(), Win32Error> {
        if self.failures.is_empty() {
            return Ok(());
        }
        self.armed_failure(f)
    }

    fn armed_failure(&mut self, f: Func) -> Result<(), Win32Error> {
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
