//! The real `qwave-sim` binary, run on files written to a temp dir: exit codes, `file:line:col`
//! diagnostics for malformed input (never a panic), diffs and reproduce commands for failed
//! expectations, seeds, formats and `--until`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_qwave-sim");

fn temp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write scenario");
    p
}

fn qwave(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("QWAVE_SIM_SEED");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run qwave-sim")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts exit code 2, no panic, and that stderr is an `error:` whose ` --> file:line:col`
/// names the position (annotate-snippets' layout) and contains `needle`.
fn check_bad(out: &Output, file: &Path, line_col: &str, needle: &str) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    let at = format!(" --> {}:{line_col}", file.display());
    assert!(stderr.contains(&at), "expected `{at}` in:\n{stderr}");
    assert!(stderr.contains(needle), "expected `{needle}` in:\n{stderr}");
}

const GOOD: &str = r#"// A small passing scenario.
Scenario(
    version: 1,
    name: "small",
    seed: 5,
    steps: [
        CreateHandle(handle: "h"),
        Socket(socket: "s", family: V4, protocol: Udp),
        AddSocketToFlow(handle: "h", socket: "s", dest: "192.168.1.30:9", traffic_type: Voice,
            non_adaptive: true, flow: New("voice")),
        Advance("1s"),
        QueryFlow(handle: "h", flow: "voice", op: PacketPriority, data: PacketPriority(conformant_dscp: 56)),
        CloseHandle(handle: "h"),
    ],
)
"#;

#[test]
fn malformed_files_get_line_column_errors_and_exit_2() {
    let dir = temp_dir("malformed");
    // (file name, contents, expected line:col, expected message part)
    let cases: &[(&str, String, &str, &str)] = &[
        ("truncated.ron", GOOD[..GOOD.len() / 2].to_string(), "9:57", "Expected end of string"),
        ("empty.ron", String::new(), "1:1", "Expected"),
        (
            "wrong_type.ron",
            "Scenario(version: 1, name: \"t\", seed: \"abc\", steps: [])".into(),
            "1:38",
            "Expected integer",
        ),
        (
            "wrong_step_type.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n    Advance(5),\n])".into(),
            "2:13",
            "Expected string",
        ),
        (
            "unknown_field.ron",
            "Scenario(version: 1, name: \"t\", colour: 1, steps: [])".into(),
            "1:33",
            "colour",
        ),
        (
            "unknown_step.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"h\"),\n  Frobnicate(),\n])".into(),
            "3:3",
            "Frobnicate",
        ),
        (
            "unknown_error_name.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(expect: Err(ERROR_NOPE)),\n])".into(),
            "2:28",
            "ERROR_NOPE",
        ),
        (
            "unknown_world_field.ron",
            "Scenario(version: 1, name: \"t\", world: (policy: (admn: true)), steps: [])".into(),
            "1:50",
            "admn",
        ),
        (
            "unknown_fault_field.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  Fault(FailCalls(func: None, code: ERROR_BUSY, count: 1, x: 2)),\n])"
                .into(),
            "2:59",
            "`x`",
        ),
        (
            "bad_duration.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  Advance(\"5 minutes\"),\n])".into(),
            "2:",
            "not a duration",
        ),
        (
            "bad_address.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"h\"),\n  StartTrackingClient(handle: \"h\", client: \"192.168.1.20\"),\n])"
                .into(),
            "3:",
            "not a socket address",
        ),
        (
            "duplicate_name.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"h1\"),\n  CreateHandle(handle: \"h1\"),\n])"
                .into(),
            "3:25",
            "duplicate name `h1`",
        ),
        (
            "undefined_handle.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"h1\"),\n  CloseHandle(handle: \"h9\"),\n])"
                .into(),
            "3:24",
            "undefined handle `h9`",
        ),
        (
            "undefined_flow.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"h\"),\n  QueryFlow(handle: \"h\", flow: \"voice\", op: OutgoingRate),\n])"
                .into(),
            "3:33",
            "undefined flow `voice`",
        ),
        (
            "wrong_kind.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  Socket(socket: \"s\", family: V4, protocol: Udp),\n  CloseHandle(handle: \"s\"),\n])"
                .into(),
            "3:24",
            "is a socket",
        ),
        (
            "bad_name.ron",
            "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"my handle\"),\n])".into(),
            "2:25",
            "not a valid name",
        ),
        (
            "version_2.ron",
            "Scenario(version: 2, name: \"t\", steps: [])".into(),
            "1:10",
            "format version 2 is not supported",
        ),
        (
            "duplicate_peer.ron",
            "Scenario(version: 1, name: \"t\", world: (peers: [\n  (address: \"192.168.1.20\"),\n  (address: \"192.168.1.20\", lltd_qos: true),\n]), steps: [])"
                .into(),
            "3:13",
            "peer 192.168.1.20 is listed twice",
        ),
        ("no_version.ron", "Scenario(name: \"t\", steps: [])".into(), "1:1", "missing `version: 1`"),
        (
            "bad_probability.ron",
            "Scenario(version: 1, name: \"t\", fault_plan: (faults: [(probability: 1.5, fault: Sleep)]), steps: [])"
                .into(),
            "1:",
            "probability 1.5",
        ),
    ];
    for (name, contents, at, needle) in cases {
        let f = write(&dir, name, contents);
        let f = f.to_str().expect("utf-8 path");
        for cmd in ["check", "run"] {
            let out = qwave(&[cmd, f], &[]);
            check_bad(&out, Path::new(f), at, needle);
        }
    }
    // The offending text is shown under the message with a caret.
    let f = dir.join("undefined_handle.ron");
    let err = text(&qwave(&["check", f.to_str().unwrap()], &[]).stderr);
    assert!(err.contains("3 |   CloseHandle(handle: \"h9\"),"), "{err}");
    assert!(err.contains("  |                        ^"), "{err}");
}

#[test]
fn a_missing_file_and_bad_arguments_exit_2() {
    let dir = temp_dir("args");
    let missing = dir.join("nope.ron");
    let out = qwave(&["check", missing.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the file"));
    let good = write(&dir, "good.ron", GOOD);
    let g = good.to_str().unwrap();
    for args in [
        vec!["check"],
        vec!["frobnicate", g],
        vec!["run", g, "--seed", "-1"],
        vec!["run", g, "--format", "xml"],
        vec!["run", g, "--until", "soon"],
    ] {
        let out = qwave(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("panicked"));
    }
    let out = qwave(&["run", g], &[("QWAVE_SIM_SEED", "many")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("QWAVE_SIM_SEED"));
}

#[test]
fn check_passes_the_library_and_a_good_file() {
    let lib = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let out = qwave(&["check", lib], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ok_lines = text(&out.stdout).lines().filter(|l| l.starts_with("ok ")).count();
    assert!(ok_lines >= 30, "{ok_lines} scenarios checked");
}

#[test]
fn a_failed_expectation_prints_a_diff_the_seed_and_the_command_and_exits_1() {
    let dir = temp_dir("mismatch");
    let bad = write(
        &dir,
        "bad.ron",
        &GOOD.replace("conformant_dscp: 56", "conformant_dscp: 46"),
    );
    let b = bad.to_str().unwrap();
    let out = qwave(&["check", b], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{b}:12:9: step 4 QueryFlow: data")),
        "{err}"
    );
    assert!(
        err.contains("- expected: PacketPriority(conformant_dscp:46"),
        "{err}"
    );
    assert!(
        err.contains("+ actual:   PacketPriority(conformant_dscp:56"),
        "{err}"
    );
    assert!(err.contains("seed: 5"), "{err}");
    assert!(
        err.contains(&format!("reproduce: qwave-sim check {b} --seed 5")),
        "{err}"
    );
    // The seed override shows up in the report and the reproduce command.
    let out = qwave(&["check", b], &[("QWAVE_SIM_SEED", "77")]);
    assert!(text(&out.stderr).contains("--seed 77"));
    let out = qwave(&["check", b, "--seed", "78"], &[("QWAVE_SIM_SEED", "77")]);
    assert!(text(&out.stderr).contains("--seed 78"));
    // A directory with one good and one bad file: exit 1, the good one still reported ok.
    write(&dir, "good.ron", GOOD);
    let out = qwave(&["check", dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("good.ron"));
}

#[test]
fn run_prints_the_trace_in_every_format_and_stops_when_told() {
    let dir = temp_dir("run");
    let f = write(&dir, "good.ron", GOOD);
    let f = f.to_str().unwrap();
    let out = qwave(&["run", f], &[]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stdout);
    assert!(trace.starts_with("# scenario `small`"), "{trace}");
    assert!(trace.contains("QOSAddSocketToFlow(QOSHandle=h, Socket=s, DestAddr=192.168.1.30:9"));
    assert_eq!(trace, text(&qwave(&["run", f], &[]).stdout), "two runs differ");

    let json = text(&qwave(&["run", f, "--format", "json"], &[]).stdout);
    assert_eq!(json.lines().count(), 6);
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v.get("at_us").is_some() && v.get("kind").is_some());
    }
    let ron_out = text(&qwave(&["run", f, "--format", "ron"], &[]).stdout);
    assert_eq!(ron_out.lines().count(), 6);
    assert!(ron_out.lines().all(|l| l.starts_with('(')));

    let until_step = text(&qwave(&["run", f, "--until", "2"], &[]).stdout);
    assert_eq!(until_step.lines().count(), 3, "{until_step}");
    let until_time = text(&qwave(&["run", f, "--until", "500ms"], &[]).stdout);
    assert!(until_time.contains("advance  to 0.500000s"), "{until_time}");
    assert!(!until_time.contains("QOSQueryFlow"), "{until_time}");
}

#[test]
fn a_recorded_run_checks_with_the_binary_and_replays_its_trace() {
    use qwave_sim::call::{self, Call, NotifyBuffer, NotifyOp, TrafficArg};
    use qwave_sim::model::{CallOutput, Fault, Model, VirtualTime, World};
    let world = World::default();
    let mut m = Model::new(world.clone(), 11);
    let create = Call::CreateHandle(call::CreateHandle {
        handle: (),
        version: Some((1, 0)),
        out: true,
    });
    let Ok(CallOutput::Handle(h)) = m.apply(create) else {
        panic!("create failed")
    };
    let s = m.socket(23, 2, 0).expect("socket");
    let dest = "[fd00::20]:5004"
        .parse::<std::net::SocketAddr>()
        .expect("address");
    let add = Call::AddSocketToFlow(call::AddSocketToFlow {
        handle: h,
        socket: s,
        dest: Some(dest.into()),
        traffic_type: TrafficArg::AudioVideo,
        non_adaptive: false,
        flags: 0,
        flow: Some(0),
    });
    let Ok(CallOutput::Flow(f)) = m.apply(add) else {
        panic!("add failed")
    };
    let notify = Call::NotifyFlow(call::NotifyFlow {
        handle: h,
        flow: f,
        op: NotifyOp::Congested,
        size: None,
        buffer: NotifyBuffer::Null,
        flags: 0,
        overlapped: Some(0xABC),
    });
    assert!(m.apply(notify).is_err()); // IO_PENDING
    m.inject_at(VirtualTime(1_500_000), Fault::DeviceReset);
    m.advance_us(2_000_000);
    assert!(m
        .apply(Call::CloseHandle(call::CloseHandle { handle: h }))
        .is_ok());

    let recorded = qwave_sim::scenario::record(&world, 11, m.events());
    let dir = temp_dir("recorded");
    let file = write(&dir, "recorded.ron", &recorded.to_ron());
    let f = file.to_str().expect("utf-8");
    let out = qwave(&["check", f], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stderr),
        recorded.to_ron()
    );
    let replay = text(&qwave(&["run", f], &[]).stdout);
    let expected = qwave_sim::trace::render(
        m.events(),
        &qwave_sim::scenario::record_names(m.events()),
        qwave_sim::trace::Format::Text,
    );
    let body: String = replay.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(body, expected);
    assert!(expected.contains("fault    DeviceReset"), "{expected}");
    assert!(expected.contains("ERROR_OPERATION_ABORTED"), "{expected}");
}

#[test]
fn a_closed_output_pipe_ends_quietly_without_a_panic() {
    let dir = temp_dir("pipe");
    // A long trace (20 000 path changes) cannot fit in a pipe buffer.
    let big = write(
        &dir,
        "big.ron",
        r#"Scenario(version: 1, name: "big", seed: 1,
            world: (peers: [(address: "192.168.1.20", lltd_qos: true, path: (congestion_period_ms: 1))]),
            steps: [Advance("20s")])"#,
    );
    let mut child = Command::new(BIN)
        .args(["run", big.to_str().expect("utf-8")])
        .env_remove("QWAVE_SIM_SEED")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // the reader goes away, like `| head -0`
    let out = child.wait_with_output().expect("wait");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn lib_file(rel: &str) -> String {
    format!("{MANIFEST}/{rel}")
}

#[test]
fn help_lists_exit_codes_examples_and_the_seed_variable() {
    for args in [vec!["--help"], vec!["check", "--help"], vec!["explore", "--help"]] {
        let out = qwave(&args, &[]);
        assert_eq!(out.status.code(), Some(0));
        let help = text(&out.stdout);
        for needle in [
            "Exit codes:",
            "  2  bad input",
            "Examples:",
            "qwave-sim check scenarios/",
        ] {
            assert!(help.contains(needle), "{args:?}: `{needle}` in:\n{help}");
        }
    }
    let run_help = text(&qwave(&["run", "--help"], &[]).stdout);
    assert!(
        run_help.contains("[env:") && run_help.contains("QWAVE_SIM_SEED="),
        "{run_help}"
    );
    // `check` has no --format (it prints verdicts, not traces).
    let good = lib_file("scenarios/voice_call.ron");
    let out = qwave(&["check", &good, "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn io_errors_have_no_position_and_names_get_suggestions() {
    let dir = temp_dir("friendly");
    let missing = dir.join("nope.ron");
    let err = text(&qwave(&["check", missing.to_str().unwrap()], &[]).stderr);
    assert!(
        err.starts_with(&format!("error: {}: cannot read the file", missing.display())),
        "{err}"
    );
    assert!(!err.contains(":0:0") && !err.contains("-->"), "{err}");

    let cases = [
        ("step.ron", "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandel(handle: \"h\"),\n])", "did you mean `CreateHandle`?"),
        ("field.ron", "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"h\", expct: Ok),\n])", "did you mean `expect`?"),
        ("variant.ron", "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"h\"),\n  QueryFlow(handle: \"h\", flow: \"1\", op: PacketPriorty),\n])", "did you mean `PacketPriority`?"),
        ("world.ron", "Scenario(version: 1, name: \"t\", world: (polcy: ()), steps: [])", "did you mean `policy`?"),
        ("code.ron", "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(expect: Err(ERROR_INVALID_PARAMETR)),\n])", "did you mean `ERROR_INVALID_PARAMETER`?"),
        ("name.ron", "Scenario(version: 1, name: \"t\", steps: [\n  CreateHandle(handle: \"qos\"),\n  CloseHandle(handle: \"qso\"),\n])", "did you mean `qos`?"),
    ];
    for (name, src, help) in cases {
        let f = write(&dir, name, src);
        let out = qwave(&["check", f.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.contains(&format!("= help: {help}")), "{name}:\n{err}");
    }

    // A tab before the error: the underline still sits under the offending text, which is
    // underlined whole; no colour when stderr is not a terminal.
    let f = write(
        &dir,
        "tab.ron",
        "Scenario(version: 1, name: \"t\", steps: [\n\tCreateHandle(handle: \"h\"),\n\tQueryFlow(handle: \"h\", flow: \"1\", op: PacketPriorty),\n])",
    );
    let err = text(&qwave(&["check", f.to_str().unwrap()], &[]).stderr);
    assert!(err.contains(&format!(" --> {}:3:40", f.display())), "{err}");
    assert!(!err.contains('\x1b'), "no colour when piped:\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    let src = lines
        .iter()
        .position(|l| l.starts_with("3 |"))
        .expect("source line");
    let at = lines[src].find("PacketPriorty").expect("the text");
    let marks = lines[src + 1];
    assert_eq!(marks.find('^'), Some(at), "{err}");
    assert_eq!(marks.trim_end().len() - at, "PacketPriorty".len(), "{err}");
}

#[test]
fn a_mismatch_marks_what_differs_under_the_actual_value() {
    let dir = temp_dir("diffmarks");
    let bad = write(
        &dir,
        "bad.ron",
        &GOOD.replace("conformant_dscp: 56", "conformant_dscp: 46"),
    );
    let err = text(&qwave(&["check", bad.to_str().unwrap()], &[]).stderr);
    let lines: Vec<&str> = err.lines().collect();
    let actual = lines
        .iter()
        .position(|l| l.contains("+ actual:"))
        .expect("actual line");
    let col = lines[actual].find("56").expect("56");
    assert_eq!(lines[actual + 1].find('^'), Some(col), "{err}");
}

#[test]
fn check_recurses_into_subfolders() {
    let dir = temp_dir("recurse");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    write(&dir, "top.ron", GOOD);
    write(&dir.join("a/b"), "deep.ron", GOOD);
    write(&dir.join("a"), "notes.txt", "not a scenario");
    let out = qwave(&["check", dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("a/b/deep.ron"), "{stdout}");
    assert!(stdout.contains("top.ron"), "{stdout}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_eq!(
        qwave(&["check", empty.to_str().unwrap()], &[]).status.code(),
        Some(2)
    );
}

#[test]
fn coverage_reports_the_library_as_text_and_json() {
    let lib = lib_file("scenarios");
    let out = qwave(&["coverage", &lib], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.starts_with("qWAVE fault coverage: "), "{report}");
    assert!(report.contains("documented failures never met"), "{report}");
    assert!(report.contains("QOSCreateHandle          "), "{report}");
    assert_eq!(
        report,
        text(&qwave(&["coverage", &lib], &[]).stdout),
        "deterministic"
    );
    // The README's coverage excerpt comes from this report.
    let readme = std::fs::read_to_string(lib_file("README.md")).unwrap();
    let block = readme
        .split("<!-- coverage:begin -->")
        .nth(1)
        .and_then(|r| r.split("<!-- coverage:end -->").next())
        .expect("README has a coverage excerpt");
    for line in block
        .lines()
        .filter(|l| !l.starts_with("```") && !l.trim().is_empty() && !l.contains('…'))
    {
        assert!(
            report.contains(line),
            "README line not in `qwave-sim coverage scenarios/`: {line}"
        );
    }

    let json = text(&qwave(&["coverage", &lib, "--format", "json"], &[]).stdout);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["runs"].as_u64(), Some(qwave_sim_library_size()));
    assert!(v["functions"]["QOSQueryFlow"]["ERROR_NO_DATA"].as_u64().unwrap() > 0);
    assert!(v["missed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["function"].is_string()));
    assert!(v["rules"].as_array().unwrap().iter().any(|r| r == "GEN-8"));
}

fn qwave_sim_library_size() -> u64 {
    std::fs::read_dir(lib_file("scenarios"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "ron"))
        .count() as u64
}

/// Parses an SVG with an XML parser and returns the texts it shows.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the plot is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert!(root.attribute("width").is_some() && root.attribute("height").is_some());
    assert!(doc.descendants().filter(|n| n.has_tag_name("rect")).count() > 3);
    assert!(doc
        .descendants()
        .any(|n| n.has_tag_name("polyline") || n.has_tag_name("path")));
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

#[test]
fn plot_draws_a_valid_svg_from_a_scenario_and_from_a_json_trace() {
    let dir = temp_dir("plot");
    let scenario = lib_file("scenarios/voice_call.ron");
    let a = dir.join("a.svg");
    let out = qwave(&["plot", &scenario, "-o", a.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let svg = std::fs::read_to_string(&a).unwrap();
    let texts = svg_texts(&svg);
    for want in [
        "flow voice",
        "faults",
        "failed calls",
        "64 kb/s",
        "32 kb/s",
        "Congestion",
        "available on 192.168.1.20",
    ] {
        assert!(texts.iter().any(|t| t.contains(want)), "`{want}` in {texts:?}");
    }
    let b = dir.join("b.svg");
    qwave(&["plot", &scenario, "-o", b.to_str().unwrap()], &[]);
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "same input, same bytes"
    );

    // The same run as a JSON trace draws the same picture (only the title differs).
    let trace = write(
        &dir,
        "voice.json",
        &text(&qwave(&["run", &scenario, "--format", "json"], &[]).stdout),
    );
    let c = dir.join("c.svg");
    let out = qwave(&["plot", trace.to_str().unwrap(), "-o", c.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let from_trace = std::fs::read_to_string(&c).unwrap();
    svg_texts(&from_trace);
    let body = |s: &str| s.lines().filter(|l| !l.contains("qwave-sim timeline")).count();
    assert_eq!(body(&svg), body(&from_trace));

    // Bad input: exit 2 with a position, never a panic.
    let bad = write(&dir, "bad.json", "{\"at_us\": 0, \"kind\": \"call\"}\nnot json\n");
    let out = qwave(
        &[
            "plot",
            bad.to_str().unwrap(),
            "-o",
            dir.join("x.svg").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad.json:1:"), "{}", text(&out.stderr));
}

/// The plot in the README is the tool's output for a bundled scenario, byte for byte. After a
/// deliberate change to the drawing, regenerate it with
/// `cargo run -- plot scenarios/voice_call.ron -o docs/voice_call.svg`.
#[test]
fn the_readme_plot_is_current() {
    let dir = temp_dir("readme_plot");
    let fresh = dir.join("voice_call.svg");
    let out = qwave(
        &[
            "plot",
            &lib_file("scenarios/voice_call.ron"),
            "-o",
            fresh.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(lib_file("docs/voice_call.svg")).expect("docs/voice_call.svg");
    assert!(
        committed == std::fs::read_to_string(&fresh).unwrap(),
        "docs/voice_call.svg is stale: cargo run -- plot scenarios/voice_call.ron -o docs/voice_call.svg"
    );
    let readme = std::fs::read_to_string(lib_file("README.md")).unwrap();
    assert!(
        readme.contains("](docs/voice_call.svg)"),
        "the README shows the plot"
    );
}

#[test]
fn explore_gives_the_same_summary_with_one_and_two_jobs() {
    let file = lib_file("scenarios/fault_plan_explore.ron");
    let one = qwave(&["explore", &file, "--seeds", "1..200", "--jobs", "1"], &[]);
    let two = qwave(&["explore", &file, "--seeds", "1..200", "--jobs", "2"], &[]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    assert_eq!(two.status.code(), Some(0), "{}", text(&two.stderr));
    let summary = text(&one.stdout);
    assert_eq!(
        summary,
        text(&two.stdout),
        "the summary does not depend on --jobs"
    );
    assert!(
        summary.contains("seeds 1..200: 200 run, 200 passed, 0 failed"),
        "{summary}"
    );
    assert!(
        summary.contains("planned faults fired: Congestion ×"),
        "{summary}"
    );
    // No progress bar when stderr is not a terminal: only the throughput line.
    assert_eq!(text(&one.stderr).lines().count(), 1, "{}", text(&one.stderr));

    // Shards split the seeds without overlap.
    let runs = |args: &[&str]| {
        let s = text(&qwave(args, &[]).stdout);
        let n: u64 = s
            .split(": ")
            .nth(2)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("runs");
        n
    };
    let a = runs(&["explore", &file, "--seeds", "1..200", "--shard", "1/3"]);
    let b = runs(&["explore", &file, "--seeds", "1..200", "--shard", "2/3"]);
    let c = runs(&["explore", &file, "--seeds", "1..200", "--shard", "3/3"]);
    assert_eq!((a, b, c), (67, 67, 66));
}

#[test]
fn explore_stops_at_the_first_failure_and_prints_how_to_reproduce_it() {
    let dir = temp_dir("explore_fail");
    // The assertion is wrong unless a planned fault fired first (expectations are then relaxed),
    // so exactly the seeds where nothing fired before it fail.
    let f = write(
        &dir,
        "flaky.ron",
        r#"Scenario(version: 1, name: "flaky", seed: 1,
            fault_plan: (faults: [(probability: 0.7, fault: Congestion(path: Peer("192.168.1.20"), congested: true), max: 1)]),
            steps: [Advance("1s"), Assert(FlowCount(5))])"#,
    );
    let f = f.to_str().unwrap();
    let mut first = None;
    for jobs in ["1", "2"] {
        let out = qwave(&["explore", f, "--seeds", "1..1000", "--jobs", jobs], &[]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let seed: u64 = stdout
            .split("stopped at the first failure: seed ")
            .nth(1)
            .and_then(|s| s.lines().next())
            .and_then(|s| s.parse().ok())
            .expect("the failing seed");
        assert!(
            stderr.contains(&format!("reproduce: qwave-sim check {f} --seed {seed}")),
            "{stderr}"
        );
        assert!(
            stdout.contains(&format!("{seed} run, {} passed, 1 failed", seed - 1)),
            "{stdout}"
        );
        assert!(
            first.is_none_or(|s| s == seed),
            "same first failure with {jobs} jobs"
        );
        first = Some(seed);
    }
    let seed = first.unwrap().to_string();
    assert_eq!(qwave(&["check", f, "--seed", &seed], &[]).status.code(), Some(1));
}

#[test]
fn schema_prints_a_json_schema() {
    let out = qwave(&["schema"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).expect("JSON");
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(v["title"], "Scenario");
    assert!(v["$defs"]["World"].is_object() && v["$defs"]["Fault"].is_object());
}
