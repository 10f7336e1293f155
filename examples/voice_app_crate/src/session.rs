//! The app around the QoS calls: a voice call with a congestion monitor thread, and a keeper
//! that keeps a socket's flow marked through device resets and sleep.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::qos::{is_aborted, is_dead_handle, Flow, Qos};

/// The lowest bit rate the codec goes down to.
pub const MIN_BITRATE: u64 = 16_000;

/// A voice call: its socket's flow, the bit rate it sends at, and (for adaptive flows) a
/// thread that waits for congestion, halves the rate, waits for the congestion to clear and
/// restores it.
#[derive(Debug)]
pub struct VoiceCall {
    qos: Arc<Qos>,
    flow: Arc<Flow>,
    bitrate: Arc<AtomicU64>,
    monitor: Option<JoinHandle<io::Result<u32>>>,
}

impl VoiceCall {
    /// Starts marking `socket`'s traffic toward `peer` as voice at `bitrate` bits/s. Declares
    /// the rate if qWAVE admits it now (it refuses until it has measured the path; the call
    /// goes on meanwhile) and starts the congestion monitor, on a thread of its own.
    pub fn start(socket: &UdpSocket, peer: SocketAddr, bitrate: u64) -> io::Result<VoiceCall> {
        let qos = Arc::new(Qos::open()?);
        let flow = Arc::new(qos.add(socket, Some(peer), true)?);
        let rate = Arc::new(AtomicU64::new(bitrate));
        let monitor = if flow.adaptive {
            qos.set_rate(&flow, bitrate)?;
            let (qos, flow, rate) = (qos.clone(), flow.clone(), rate.clone());
            Some(std::thread::spawn(move || monitor(&qos, &flow, &rate, bitrate)))
        } else {
            None
        };
        Ok(VoiceCall {
            qos,
            flow,
            bitrate: rate,
            monitor,
        })
    }

    /// The bit rate the call sends at now.
    pub fn bitrate(&self) -> u64 {
        self.bitrate.load(Ordering::SeqCst)
    }

    /// The DSCP value its packets carry.
    pub fn dscp(&self) -> io::Result<u32> {
        self.qos.dscp(&self.flow)
    }

    /// Whether the call's flow is adaptive (has a monitor thread).
    pub fn adaptive(&self) -> bool {
        self.flow.adaptive
    }

    /// Ends the call: closes the QoS handle, which ends the monitor's blocking wait
    /// (ERROR_OPERATION_ABORTED), and joins the monitor. Returns how many congestions it saw.
    pub fn shutdown(mut self) -> io::Result<u32> {
        self.qos.close()?;
        match self.monitor.take() {
            Some(m) => m.join().expect("the monitor thread panicked"),
            None => Ok(0),
        }
    }
}

/// The monitor thread: wait for congestion and halve the rate, wait for it to clear and
/// restore the rate; again, until the handle closes under the wait.
fn monitor(qos: &Qos, flow: &Flow, rate: &AtomicU64, full: u64) -> io::Result<u32> {
    let ended = |e: &io::Error| is_aborted(e) || is_dead_handle(e);
    let mut congestions = 0;
    loop {
        match qos.wait_congested(flow) {
            Ok(()) => congestions += 1,
            Err(e) if ended(&e) => return Ok(congestions),
            Err(e) => return Err(e),
        }
        let halved = (rate.load(Ordering::SeqCst) / 2).max(MIN_BITRATE);
        rate.store(halved, Ordering::SeqCst);
        match qos.set_rate(flow, halved) {
            Err(e) if ended(&e) => return Ok(congestions),
            Err(e) => return Err(e),
            Ok(_) => {} // refused while the path is not measured yet: keep the lower rate anyway
        }
        match qos.wait_uncongested(flow) {
            Ok(()) => {}
            Err(e) if ended(&e) => return Ok(congestions),
            Err(e) => return Err(e),
        }
        rate.store(full, Ordering::SeqCst);
        match qos.set_rate(flow, full) {
            Err(e) if ended(&e) => return Ok(congestions),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
    }
}

/// Keeps `socket`'s traffic toward `peer` marked as voice (a non-adaptive flow), whatever
/// happens to qWAVE: call [`FlowKeeper::tick`] periodically.
#[derive(Debug)]
pub struct FlowKeeper {
    peer: SocketAddr,
    qos: Option<Qos>,
    flow: Option<Flow>,
}

impl FlowKeeper {
    /// A keeper with nothing set up yet.
    pub fn new(peer: SocketAddr) -> FlowKeeper {
        FlowKeeper {
            peer,
            qos: None,
            flow: None,
        }
    }

    /// One pass of the app's loop: checks the flow, and sets up whatever is missing. A device
    /// reset (GEN-8: every call gives 1164) or sleep (GEN-9: the handle is gone) means: close
    /// the handle, open a new one, add the flow again. Anything else is retried next tick.
    pub fn tick(&mut self, socket: &UdpSocket) {
        if let (Some(qos), Some(flow)) = (&self.qos, &self.flow) {
            match qos.dscp(flow) {
                Err(e) if is_dead_handle(&e) => self.start_over(),
                _ => return,
            }
        }
        if self.qos.is_none() {
            match Qos::open() {
                Ok(q) => self.qos = Some(q),
                Err(_) => return, // the service is down, or just resumed (CRE-8): next tick
            }
        }
        let qos = self.qos.as_ref().expect("opened above");
        match qos.add(socket, Some(self.peer), false) {
            Ok(f) => self.flow = Some(f),
            Err(e) if is_dead_handle(&e) => self.start_over(),
            Err(_) => {} // transient: unreachable for now, an adapter error, an injected failure
        }
    }

    fn start_over(&mut self) {
        self.flow = None;
        if let Some(q) = self.qos.take() {
            let _ = q.close(); // a stale handle must still be closed (GEN-8)
        }
    }

    /// The DSCP value the socket's packets carry now (`None`: not marked).
    pub fn dscp(&self) -> Option<u32> {
        let (qos, flow) = (self.qos.as_ref()?, self.flow.as_ref()?);
        qos.dscp(flow).ok()
    }
}
