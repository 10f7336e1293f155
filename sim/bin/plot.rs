//! `qwave-sim plot`: a run's timeline as SVG, drawn with plotters' SVG backend.
//!
//! The input is a scenario or a recording (replayed), or a JSON trace (`run --format json`);
//! either way the drawing works from trace entries, so both give the same picture. Top panel:
//! one lane per flow over virtual time (with its admitted rate), a lane of faults and one of
//! failed calls that name no flow; failed calls on a flow are crosses in its lane. Bottom
//! panel: admitted rates and each path's available bandwidth (log scale). Congestion periods
//! shade both panels. The same input gives the same bytes: nothing depends on time, maps are
//! ordered and plotters' SVG text is plain `<text>`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use qwave_sim::scenario::{self, RunOptions};
use qwave_sim::trace::Format;
use serde::Deserialize;

use super::{load, Out, Status};

/// Width of the picture, pixels.
const WIDTH: u32 = 1000;

/// One trace entry as `run --format json` writes it.
#[derive(Clone, Debug, Deserialize)]
struct Entry {
    at_us: u64,
    kind: String,
    what: String,
    #[serde(default)]
    args: Vec<Field>,
    #[serde(default)]
    result: String,
    #[serde(default)]
    out: Vec<Field>,
}

#[derive(Clone, Debug, Deserialize)]
struct Field {
    name: String,
    value: String,
}

impl Entry {
    fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }

    fn out(&self, name: &str) -> Option<&str> {
        self.out.iter().find(|f| f.name == name).map(|f| f.value.as_str())
    }
}

/// A flow's life.
#[derive(Debug)]
struct FlowLane {
    name: String,
    handle: String,
    start: u64,
    end: Option<u64>,
    sockets: Vec<String>,
    /// (time, admitted rate in bits/s).
    rates: Vec<(u64, u64)>,
    /// (time, error name) of failed calls on it.
    failures: Vec<(u64, String)>,
}

/// What the picture shows, gathered from the entries.
#[derive(Debug, Default)]
struct Timeline {
    title: String,
    end_us: u64,
    flows: Vec<FlowLane>,
    /// (time, fault kind).
    faults: Vec<(u64, String)>,
    /// Failed calls that name no flow: (time, function, error).
    failed_calls: Vec<(u64, String)>,
    /// Path → (time, available bits/s).
    available: BTreeMap<String, Vec<(u64, u64)>>,
    /// Path → congestion periods (start, end or `None`: still congested at the end).
    congestion: BTreeMap<String, Vec<(u64, Option<u64>)>>,
}

/// `{Bandwidth=64000, …}` → 64000.
fn bandwidth(buffer: &str) -> Option<u64> {
    let rest = buffer.split("Bandwidth=").nth(1)?;
    rest.split([',', '}']).next()?.trim().parse().ok()
}

fn short_error(e: &str) -> String {
    e.strip_prefix("ERROR_").unwrap_or(e).to_string()
}

impl Timeline {
    fn open_flow(&mut self, name: &str) -> Option<&mut FlowLane> {
        self.flows
            .iter_mut()
            .rev()
            .find(|f| f.name == name && f.end.is_none())
    }

    fn end_flows(&mut self, at: u64, handle: Option<&str>) {
        for f in self.flows.iter_mut().filter(|f| f.end.is_none()) {
            if handle.is_none_or(|h| h == f.handle) {
                f.end = Some(at);
            }
        }
    }

    fn failed(&mut self, at: u64, func: &str, flow: Option<&str>, code: &str) {
        let label = short_error(code);
        if let Some(lane) = flow.and_then(|f| self.open_flow(f)) {
            lane.failures.push((at, label));
            return;
        }
        let func = func.strip_prefix("QOS").unwrap_or(func);
        self.failed_calls.push((at, format!("{func}: {label}")));
    }

    fn call(&mut self, e: &Entry) {
        let at = e.at_us;
        if e.result != "TRUE" {
            let code = e.out("GetLastError").unwrap_or("FALSE");
            if code != "ERROR_IO_PENDING" {
                self.failed(at, &e.what, e.arg("FlowId"), code);
            }
            return;
        }
        match e.what.as_str() {
            "QOSAddSocketToFlow" => {
                let socket = e.arg("Socket").unwrap_or("").to_string();
                let name = e.out("FlowId").unwrap_or("?").to_string();
                if e.arg("FlowId") == Some("0") {
                    self.flows.push(FlowLane {
                        name,
                        handle: e.arg("QOSHandle").unwrap_or("").to_string(),
                        start: at,
                        end: None,
                        sockets: vec![socket],
                        rates: Vec::new(),
                        failures: Vec::new(),
                    });
                } else if let Some(lane) = self.open_flow(&name) {
                    if !lane.sockets.contains(&socket) {
                        lane.sockets.push(socket);
                    }
                }
            }
            "QOSRemoveSocketFromFlow" => {
                let socket = e.arg("Socket").unwrap_or("NULL").to_string();
                if let Some(lane) = self.open_flow(e.arg("FlowId").unwrap_or("")) {
                    lane.sockets.retain(|s| *s != socket && socket != "NULL");
                    if lane.sockets.is_empty() {
                        lane.end = Some(at);
                    }
                }
            }
            "QOSCloseHandle" => {
                let h = e.arg("QOSHandle").unwrap_or("").to_string();
                self.end_flows(at, Some(&h));
            }
            "QOSSetFlow" if e.arg("Operation") == Some("QOSSetOutgoingRate") => {
                if let (Some(bps), Some(lane)) = (
                    e.arg("Buffer").and_then(bandwidth),
                    self.open_flow(e.arg("FlowId").unwrap_or("")),
                ) {
                    lane.rates.push((at, bps));
                }
            }
            _ => {}
        }
    }

    fn path(&mut self, e: &Entry) {
        let at = e.at_us;
        let path = e.what.clone();
        if let Some(bps) = e.arg("available_bps").and_then(|v| v.parse().ok()) {
            self.available.entry(path.clone()).or_default().push((at, bps));
        }
        let congested = e.arg("congested") == Some("true");
        let periods = self.congestion.entry(path).or_default();
        let open = periods.last().is_some_and(|(_, end)| end.is_none());
        if congested && !open {
            periods.push((at, None));
        } else if !congested && open {
            if let Some(last) = periods.last_mut() {
                last.1 = Some(at);
            }
        }
    }

    /// A scenario's world says what each path carried before its first change: the plotted
    /// paths start at time 0 with that bandwidth.
    fn start_paths_from(&mut self, world: &qwave_sim::model::World) {
        for (path, points) in self.available.iter_mut() {
            let config = if path == "off-link" {
                Some(&world.offlink_path)
            } else {
                world
                    .peers
                    .iter()
                    .find(|p| p.address.to_string() == *path)
                    .map(|p| &p.path)
            };
            if let (Some(c), Some((first, _))) = (config, points.first()) {
                if *first > 0 {
                    points.insert(0, (0, c.available_bps));
                }
            }
        }
    }

    fn from_entries(title: String, entries: &[Entry]) -> Timeline {
        let mut t = Timeline {
            title,
            ..Timeline::default()
        };
        for e in entries {
            t.end_us = t.end_us.max(e.at_us);
            match e.kind.as_str() {
                "call" => t.call(e),
                "complete" if e.result != "ERROR_SUCCESS" => {
                    t.failed(e.at_us, &e.what, e.arg("FlowId"), &e.result);
                }
                "fault" => {
                    let kind = e.what.split(['(', ' ']).next().unwrap_or(&e.what).to_string();
                    if matches!(kind.as_str(), "DeviceReset" | "Sleep") {
                        t.end_flows(e.at_us, None); // GEN-8, GEN-9: every flow is gone
                    }
                    t.faults.push((e.at_us, kind));
                }
                "path" => t.path(e),
                _ => {}
            }
        }
        // A little room after the last event, and at least one second.
        t.end_us = (t.end_us + t.end_us / 10).max(1_000_000);
        t
    }
}

/// Reads the input as a JSON trace or replays it as a scenario; `None` after a diagnostic.
fn timeline(
    file: &Path,
    seed: Option<u64>,
    status: &mut Status,
    o: &mut Out<'_, impl Write, impl Write>,
) -> io::Result<Option<Timeline>> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            status.bad_input = true;
            writeln!(o.err, "error: {}: cannot read the file: {e}", file.display())?;
            return Ok(None);
        }
    };
    if text.trim_start().starts_with('{') {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match serde_json::from_str::<Entry>(line) {
                Ok(e) => entries.push(e),
                Err(e) => {
                    status.bad_input = true;
                    writeln!(
                        o.err,
                        "error: {}:{}:{}: not a trace entry (`run --format json`): {e}",
                        file.display(),
                        i + 1,
                        e.column()
                    )?;
                    return Ok(None);
                }
            }
        }
        let name = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        return Ok(Some(Timeline::from_entries(
            format!("{name} (JSON trace)"),
            &entries,
        )));
    }
    let Some(loaded) = load(file, status, o)? else {
        return Ok(None);
    };
    let report = scenario::run(
        &loaded.scenario,
        &RunOptions {
            seed,
            ..RunOptions::default()
        },
    );
    let entries: Vec<Entry> = report
        .trace(Format::Json)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let title = format!("{} (seed {})", loaded.scenario.name, report.seed);
    let mut t = Timeline::from_entries(title, &entries);
    t.start_paths_from(&loaded.scenario.world);
    Ok(Some(t))
}

fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}

fn rate_label(bps: u64) -> String {
    match bps {
        b if b >= 1_000_000 && b % 1_000_000 == 0 => format!("{} Mb/s", b / 1_000_000),
        b if b >= 1_000_000 => format!("{:.1} Mb/s", b as f64 / 1e6),
        b if b >= 1_000 => format!("{} kb/s", b / 1_000),
        b => format!("{b} b/s"),
    }
}

/// Draws the timeline into an SVG string.
fn draw(t: &Timeline) -> Result<String, Box<dyn std::error::Error>> {
    // Lanes from the top: flows in order of creation, then faults, then other failed calls.
    let mut lanes: Vec<String> = t.flows.iter().map(|f| format!("flow {}", f.name)).collect();
    lanes.push("faults".into());
    lanes.push("failed calls".into());
    let n = lanes.len();
    let row = |i: usize| n - 1 - i; // plotters' y grows upwards
    let lane_px = 34u32;
    let top_h = 70 + lane_px * n as u32;
    let bottom_h = 320u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, top_h + bottom_h)).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(top_h);
        let x_end = secs(t.end_us);

        // Top: lanes.
        let mut lanes_chart = ChartBuilder::on(&top)
            .caption(format!("qwave-sim timeline: {}", t.title), ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(25)
            .y_label_area_size(130)
            .build_cartesian_2d(0f64..x_end, (0..n).into_segmented())?;
        let names = lanes.clone();
        lanes_chart
            .configure_mesh()
            .disable_x_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => (n - 1)
                    .checked_sub(*i)
                    .and_then(|k| names.get(k).cloned())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("virtual time (s)")
            .draw()?;
        let lane_y = |i: usize| (SegmentValue::Exact(row(i)), SegmentValue::Exact(row(i) + 1));
        for periods in t.congestion.values() {
            for (s, e) in periods {
                let e = e.unwrap_or(t.end_us);
                lanes_chart.draw_series(std::iter::once(Rectangle::new(
                    [
                        (secs(*s), SegmentValue::Exact(0)),
                        (secs(e), SegmentValue::Exact(n)),
                    ],
                    RED.mix(0.12).filled(),
                )))?;
            }
        }
        // The band above the lanes says what the marks mean.
        lanes_chart.draw_series(std::iter::once(Text::new(
            "shaded: congestion   x: failed call   triangle: fault   bar: flow alive, with its admitted rate",
            (x_end * 0.01, SegmentValue::CenterOf(n)),
            ("sans-serif", 12).into_font().color(&BLACK.mix(0.7)),
        )))?;
        // A flow that lived for an instant still gets a visible sliver.
        let min_len = t.end_us / 300;
        for (i, f) in t.flows.iter().enumerate() {
            let colour = Palette99::pick(i);
            let (y0, y1) = lane_y(i);
            let end = f.end.unwrap_or(t.end_us).max(f.start + min_len);
            lanes_chart.draw_series(std::iter::once(Rectangle::new(
                [(secs(f.start), y0.clone()), (secs(end), y1.clone())],
                colour.mix(0.35).filled(),
            )))?;
            for (at, bps) in &f.rates {
                lanes_chart.draw_series(std::iter::once(Text::new(
                    rate_label(*bps),
                    (secs(*at), SegmentValue::CenterOf(row(i))),
                    ("sans-serif", 12).into_font().color(&BLACK),
                )))?;
            }
            lanes_chart.draw_series(f.failures.iter().map(|(at, _)| {
                Cross::new(
                    (secs(*at), SegmentValue::CenterOf(row(i))),
                    5,
                    RED.stroke_width(2),
                )
            }))?;
        }
        let faults_row = SegmentValue::CenterOf(row(t.flows.len()));
        lanes_chart.draw_series(t.faults.iter().map(|(at, _)| {
            TriangleMarker::new((secs(*at), faults_row.clone()), 6, RGBColor(230, 120, 0).filled())
        }))?;
        lanes_chart.draw_series(t.faults.iter().map(|(at, kind)| {
            Text::new(
                kind.clone(),
                (secs(*at), faults_row.clone()),
                ("sans-serif", 11).into_font().color(&BLACK),
            )
        }))?;
        let calls_row = SegmentValue::CenterOf(row(t.flows.len() + 1));
        lanes_chart.draw_series(
            t.failed_calls
                .iter()
                .map(|(at, _)| Cross::new((secs(*at), calls_row.clone()), 5, RED.stroke_width(2))),
        )?;

        // Bottom: rates and available bandwidth.
        let max_bps = t
            .available
            .values()
            .flatten()
            .map(|(_, b)| *b)
            .chain(t.flows.iter().flat_map(|f| f.rates.iter().map(|(_, b)| *b)))
            .max()
            .unwrap_or(1_000_000)
            .max(10_000);
        let mut bw = ChartBuilder::on(&bottom)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(130)
            .build_cartesian_2d(0f64..x_end, (1_000f64..max_bps as f64 * 4.0).log_scale())?;
        bw.configure_mesh()
            .x_desc("virtual time (s)")
            .y_desc("bits/s (log)")
            .y_label_formatter(&|v| rate_label(*v as u64))
            .draw()?;
        for periods in t.congestion.values() {
            for (s, e) in periods {
                let e = e.unwrap_or(t.end_us);
                bw.draw_series(std::iter::once(Rectangle::new(
                    [(secs(*s), 1_000f64), (secs(e), max_bps as f64 * 4.0)],
                    RED.mix(0.12).filled(),
                )))?;
            }
        }
        let steps = |points: &[(u64, u64)], end: u64| {
            let mut v: Vec<(f64, f64)> = Vec::new();
            for (i, (at, bps)) in points.iter().enumerate() {
                if i > 0 {
                    v.push((secs(*at), v[v.len() - 1].1));
                }
                v.push((secs(*at), (*bps).max(1_000) as f64));
            }
            if let Some(last) = v.last().copied() {
                v.push((secs(end), last.1));
            }
            v
        };
        for (k, (path, points)) in t.available.iter().enumerate() {
            let colour = Palette99::pick(t.flows.len() + k);
            bw.draw_series(LineSeries::new(steps(points, t.end_us), colour.stroke_width(2)))?
                .label(format!("available on {path}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
        }
        for (i, f) in t.flows.iter().enumerate().filter(|(_, f)| !f.rates.is_empty()) {
            let colour = Palette99::pick(i);
            bw.draw_series(LineSeries::new(
                steps(&f.rates, f.end.unwrap_or(t.end_us)),
                colour.stroke_width(3),
            ))?
            .label(format!("flow {} admitted rate", f.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(3)));
        }
        if !t.available.is_empty() || t.flows.iter().any(|f| !f.rates.is_empty()) {
            bw.configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// `qwave-sim plot FILE -o OUT.svg`.
pub fn command(
    file: &Path,
    output: &Path,
    seed: Option<u64>,
    status: &mut Status,
    o: &mut Out<'_, impl Write, impl Write>,
) -> io::Result<()> {
    let Some(t) = timeline(file, seed, status, o)? else {
        return Ok(());
    };
    let svg = match draw(&t) {
        Ok(svg) => svg,
        Err(e) => {
            status.bad_input = true;
            return writeln!(o.err, "error: cannot draw the plot: {e}");
        }
    };
    if let Err(e) = std::fs::write(output, svg.as_bytes()) {
        status.bad_input = true;
        return writeln!(o.err, "error: {}: cannot write the plot: {e}", output.display());
    }
    writeln!(
        o.out,
        "wrote {} ({} bytes): {} flow(s), {} fault(s), {} failed call(s)",
        output.display(),
        svg.len(),
        t.flows.len(),
        t.faults.len(),
        t.flows.iter().map(|f| f.failures.len()).sum::<usize>() + t.failed_calls.len()
    )
}
