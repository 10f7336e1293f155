//! The engine against a fake OS: the same calls a Windows program makes, on Linux.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex};

use qwave_sim::ffi::config::{Clock, Config, TimedFault};
use qwave_sim::model::Fault;
use qwave_sim::scenario::schema::Dur;

use super::*;

/// An OVERLAPPED as the fake sees it: Internal, InternalHigh, Offset, hEvent.
type Ov = [usize; 4];

#[derive(Default)]
struct Fake {
    next: u64,
    sockets: BTreeMap<u64, SocketView>,
    log: Vec<String>,
}

impl Os for Fake {
    fn open_handle(&mut self) -> Result<u64, u32> {
        self.next += 4;
        Ok(0x1000 + self.next)
    }
    fn close_handle(&mut self, app: u64) {
        self.log.push(format!("close {app:#x}"));
    }
    fn socket(&mut self, s: u64) -> Option<SocketView> {
        self.sockets.get(&s).copied()
    }
    fn readable(&self, p: *const u8, _len: usize) -> bool {
        p as usize >= 0x10000
    }
    fn writable(&self, p: *mut u8, _len: usize) -> bool {
        p as usize >= 0x10000
    }
    unsafe fn begin(&mut self, _app: u64, ov: usize) -> usize {
        unsafe { (*(ov as *mut Ov))[0] = 0x103 };
        7
    }
    unsafe fn complete(&mut self, app: Option<u64>, ov: usize, token: usize, status: u32, bytes: u32) {
        unsafe {
            (*(ov as *mut Ov))[0] = status as usize;
            (*(ov as *mut Ov))[1] = bytes as usize;
        }
        self.log.push(format!(
            "complete {app:?} token {token} status {status} bytes {bytes}"
        ));
    }
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

const IDLE: Duration = Duration::from_millis(100);

fn engine(config: Config) -> (Engine<Fake>, Sink) {
    let sink = Sink::default();
    let mut fake = Fake::default();
    let unbound = SocketView {
        protocol: Protocol::Udp,
        local: "0.0.0.0:0".parse().unwrap(),
        peer: None,
    };
    fake.sockets.insert(0x200, unbound);
    fake.sockets.insert(0x204, unbound);
    (Engine::new(&config, fake, Some(Box::new(sink.clone()))), sink)
}

fn virtual_clock() -> Config {
    Config {
        clock: Clock::Virtual { idle_ms: 100 },
        ..Config::default()
    }
}

/// `SOCKADDR_IN` bytes.
fn sin(a: &str) -> [u8; 16] {
    let a: SocketAddrV4 = a.parse().unwrap();
    let mut b = [0u8; 16];
    b[0..2].copy_from_slice(&2u16.to_ne_bytes());
    b[2..4].copy_from_slice(&a.port().to_be_bytes());
    b[4..8].copy_from_slice(&a.ip().octets());
    b
}

fn create(e: &mut Engine<Fake>) -> u64 {
    let v = [1u16, 0];
    let mut h = 0u64;
    unsafe { e.create_handle(v.as_ptr(), &mut h) }.unwrap();
    h
}

fn add(e: &mut Engine<Fake>, h: u64, s: u64, dest: &str, flags: u32) -> Result<u32, u32> {
    let d = sin(dest);
    let mut flow = 0u32;
    unsafe { e.add_socket_to_flow(h, s, d.as_ptr(), 4, flags, &mut flow) }.map(|_| flow)
}

#[test]
fn create_and_close_check_arguments_and_handles_like_the_model() {
    let (mut e, _) = engine(virtual_clock());
    let mut h = 0u64;
    let bad = [2u16, 0];
    assert_eq!(unsafe { e.create_handle(std::ptr::null(), &mut h) }, Err(87));
    assert_eq!(unsafe { e.create_handle(bad.as_ptr(), &mut h) }, Err(87));
    assert_eq!(
        unsafe { e.create_handle([1u16, 0].as_ptr(), std::ptr::null_mut()) },
        Err(87)
    );
    // A garbage (inaccessible) pointer is answered as a NULL one.
    assert_eq!(unsafe { e.create_handle(8 as *const u16, &mut h) }, Err(87));
    let h = create(&mut e);
    assert_eq!(h, 0x1004, "the app gets the OS object's value");
    assert_eq!(e.close_handle(0), Err(6));
    assert_eq!(e.close_handle(0xBAD0), Err(6));
    assert_eq!(e.close_handle(h), Ok(()));
    assert_eq!(e.close_handle(h), Err(6), "CLO-8");
    assert_eq!(e.os.log, ["close 0x1004"]);
}

#[test]
fn the_default_worlds_peers_answer_as_in_process() {
    let (mut e, _) = engine(virtual_clock());
    let h = create(&mut e);
    assert_eq!(add(&mut e, h, 0x200, "192.168.1.20:5004", 0), Ok(1));
    assert_eq!(add(&mut e, h, 0x204, "192.168.1.30:5004", 0), Err(50));
    assert_eq!(add(&mut e, h, 0x204, "192.168.1.40:5004", 0), Err(1225));
    assert_eq!(add(&mut e, h, 0x204, "198.51.100.7:5004", 2), Err(1232));
    assert_eq!(add(&mut e, h, 0x204, "192.168.1.30:5004", 2), Ok(2));
    assert_eq!(
        add(&mut e, h, 0x999, "192.168.1.30:5004", 2),
        Err(87),
        "SIM-1: not a socket"
    );
    let mut flow = 0;
    let d = sin("192.168.1.30:5004");
    let garbage = 16 as *mut u32;
    assert_eq!(
        unsafe { e.add_socket_to_flow(h, 0x200, d.as_ptr(), 4, 2, garbage) },
        Err(87)
    );
    assert_eq!(
        unsafe { e.add_socket_to_flow(0x77, 0x200, d.as_ptr(), 4, 2, garbage) },
        Err(6)
    );
    assert_eq!(
        unsafe { e.add_socket_to_flow(h, 0x200, d.as_ptr(), 4, 2, &mut flow) },
        Ok(())
    );
}

#[test]
fn an_overlapped_query_completes_on_an_idle_tick_with_its_data() {
    let (mut e, sink) = engine(virtual_clock());
    let h = create(&mut e);
    let flow = add(&mut e, h, 0x204, "192.168.1.30:5004", 2).unwrap();
    let mut ov: Ov = [0; 4];
    let mut buf = [0u8; 16];
    let mut size = 16u32;
    let ovp = ov.as_mut_ptr() as *mut u8;
    let r = unsafe { e.query_flow(h, flow, 1, &mut size, buf.as_mut_ptr(), 0, ovp) };
    assert_eq!(r, Err(997));
    assert_eq!(ov[0], 0x103, "pending until the clock moves");
    let now = Instant::now();
    assert_eq!(
        e.tick(now),
        Some(e.last_call + IDLE),
        "nothing before the app is idle"
    );
    assert_eq!(e.tick(now + IDLE), None);
    assert_eq!(ov, [0, 16, 0, 0]);
    assert_eq!(
        u32::from_le_bytes(buf[0..4].try_into().unwrap()),
        56,
        "voice DSCP"
    );
    assert!(e
        .os
        .log
        .iter()
        .any(|l| l == "complete Some(4100) token 7 status 0 bytes 16"));
    let t = sink.text();
    assert!(
        t.starts_with("# qwave.dll seed 0 world default faults 0 clock virtual"),
        "{t}"
    );
    assert!(t.contains("QOSQueryFlow(") && t.contains("complete"), "{t}");
    assert!(t.contains("s1"), "sockets are named by first use: {t}");
}

#[test]
fn close_completes_pending_requests_before_the_object_closes() {
    let (mut e, _) = engine(virtual_clock());
    let h = create(&mut e);
    let flow = add(&mut e, h, 0x200, "192.168.1.20:5004", 0).unwrap();
    let mut ov: Ov = [0; 4];
    let r = unsafe {
        e.notify_flow(
            h,
            flow,
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
            ov.as_mut_ptr().cast(),
        )
    };
    assert_eq!(r.0, Err(997));
    assert_eq!(e.close_handle(h), Ok(()));
    assert_eq!(ov[0], 995);
    assert_eq!(e.os.log.last().unwrap(), "close 0x1004");
    assert!(e.os.log[e.os.log.len() - 2].contains("status 995"));
}

#[test]
fn a_fault_timeline_resets_the_device_then_1164_until_close() {
    let config = Config {
        faults: vec![TimedFault {
            at: Dur::from_us(5_000_000),
            fault: Fault::DeviceReset,
        }],
        ..virtual_clock()
    };
    let (mut e, sink) = engine(config);
    let h = create(&mut e);
    let flow = add(&mut e, h, 0x200, "192.168.1.20:5004", 0).unwrap();
    let mut ov: Ov = [0; 4];
    let r = unsafe {
        e.notify_flow(
            h,
            flow,
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
            ov.as_mut_ptr().cast(),
        )
    };
    assert_eq!(r.0, Err(997));
    let mut now = Instant::now();
    for _ in 0..100 {
        now += IDLE;
        if e.tick(now).is_none() {
            break;
        }
    }
    assert_eq!(ov[0], 995, "the reset aborts the pending notification");
    assert_eq!(e.model().now(), VirtualTime(5_000_000));
    assert_eq!(add(&mut e, h, 0x204, "192.168.1.30:5004", 2), Err(1164));
    assert_eq!(e.close_handle(h), Ok(()));
    assert_eq!(add(&mut e, h, 0x204, "192.168.1.30:5004", 2), Err(6));
    assert!(sink.text().contains("DeviceReset"));
}

#[test]
fn the_same_calls_give_the_same_trace_bytes() {
    let run = || {
        let (mut e, sink) = engine(Config {
            seed: 9,
            ..virtual_clock()
        });
        let h = create(&mut e);
        let flow = add(&mut e, h, 0x200, "192.168.1.20:5004", 0).unwrap();
        let mut ov: Ov = [0; 4];
        let mut size = 40u32;
        let mut buf = [0u8; 40];
        let _ = unsafe { e.query_flow(h, flow, 0, &mut size, buf.as_mut_ptr(), 0, ov.as_mut_ptr().cast()) };
        let mut now = Instant::now();
        while e.tick(now).is_some() {
            now += IDLE;
        }
        e.close_handle(h).unwrap();
        sink.text()
    };
    let a = run();
    assert_eq!(a, run());
    assert!(a.lines().count() >= 5, "{a}");
}

#[test]
fn on_the_wall_clock_estimates_appear_after_the_warm_up_scaled_by_the_speed() {
    let speed = 200.0;
    let (mut e, _) = engine(Config {
        clock: Clock::Wall { speed },
        ..Config::default()
    });
    let h = create(&mut e);
    let flow = add(&mut e, h, 0x200, "192.168.1.20:5004", 0).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 40];
    loop {
        let mut size = 40u32;
        let r = unsafe { e.query_flow(h, flow, 0, &mut size, buf.as_mut_ptr(), 0, std::ptr::null_mut()) };
        // 232 during the warm-up, then partial, then full (AMB-36).
        let bandwidth_set = buf[16] != 0;
        if r.is_ok() && bandwidth_set {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no estimates: {r:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
    // The default world: 1 s warm-up + 1 s partial = 2 s of model time = 10 ms at x200.
    let ms = start.elapsed().as_secs_f64() * 1e3;
    assert!(ms >= 2000.0 / speed * 0.9, "{ms} ms");
}

#[test]
fn a_socket_seen_again_after_connect_is_told_to_the_model() {
    let (mut e, _) = engine(virtual_clock());
    let h = create(&mut e);
    // Unconnected, no destination: 87 (ADD-4). Connected: DestAddr NULL works (ADD-7).
    let mut flow = 0;
    assert_eq!(
        unsafe { e.add_socket_to_flow(h, 0x200, std::ptr::null(), 4, 2, &mut flow) },
        Err(87)
    );
    e.os.sockets.get_mut(&0x200).unwrap().peer = Some(SocketAddr::from((Ipv4Addr::new(192, 168, 1, 30), 9)));
    assert_eq!(
        unsafe { e.add_socket_to_flow(h, 0x200, std::ptr::null(), 4, 2, &mut flow) },
        Ok(())
    );
}
