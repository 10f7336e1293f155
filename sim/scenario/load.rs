//! Reading scenario files: RON parsing, the version check, and name validation, each error
//! pointing at `file:line:column` with the offending text.
//!
//! A file that is right is read in one pass, straight into the [`Scenario`], and checked on the
//! values. Only when something is wrong, or a step's position must be reported, is the file read
//! again in three passes so every error has a position: a lenient pass reads only `version`
//! (syntax errors surface here), a typed pass reads the header fields and keeps each step as raw
//! text (its position in the file known), and each step is then parsed on its own with its error
//! positions shifted back into the file. Name errors (unknown, duplicate, wrong kind) point at the
//! name's text inside its step.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use ron::extensions::Extensions;
use ron::value::RawValue;
use serde::Deserialize;

use super::schema::{
    Addr, CallStep, Check, Expect, FlowIn, Named, RandomFaults, Ref, Scenario, Size, SockExpect, Step,
    FORMAT_VERSION,
};
use crate::call::{self, Resolve};
use crate::model::World;

/// A line and column in a file, both from 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A scenario, and its text to say where each of its steps starts in its file.
#[derive(Clone)]
pub struct Loaded {
    /// The file name as given.
    pub file: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The text it was read from.
    source: String,
    /// Start of each step, found in `source` the first time one is asked for.
    positions: OnceLock<Vec<Pos>>,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("file", &self.file)
            .field("scenario", &self.scenario)
            .finish_non_exhaustive()
    }
}

impl Loaded {
    /// Where step `i` starts (1:1 if unknown). The first call finds every step's position in
    /// the text (a parse that is only needed to report one).
    pub fn position(&self, i: usize) -> Pos {
        let all = self.positions.get_or_init(|| step_positions(&self.source));
        all.get(i).copied().unwrap_or(Pos { line: 1, col: 1 })
    }
}

/// Why a file could not be read as a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub file: String,
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
    /// The source line at `pos` (empty if none).
    pub line_text: String,
    /// How many characters from `pos` the offending text spans (at least 1 when `pos` is a
    /// position in the file).
    pub len: usize,
    /// A suggestion: `did you mean `CreateHandle`?` for a misspelt name, field or variant.
    pub help: Option<String>,
}

impl LoadError {
    /// Whether the error has a position in the file (an I/O error has none).
    pub fn has_position(&self) -> bool {
        self.pos.line > 0
    }
}

/// `file:line:col: error: message`, the offending line with a caret under the position (tabs
/// in the line are kept in the caret line, so the caret lines up), and the suggestion. An error
/// without a position (the file cannot be read) is `file: error: message`.
impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.has_position() {
            write!(f, "{}: error: {}", self.file, self.message)?;
        } else {
            writeln!(f, "{}:{}: error: {}", self.file, self.pos, self.message)?;
            let num = self.pos.line.to_string();
            let pad = " ".repeat(num.len());
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {}", self.line_text)?;
            let lead: String = self
                .line_text
                .chars()
                .take(self.pos.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "{pad} | {lead}{}", "^".repeat(self.len.max(1)))?;
        }
        if let Some(h) = &self.help {
            write!(f, "\n  = help: {h}")?;
        }
        Ok(())
    }
}

/// The candidate closest to `found`, if it is close enough to be a likely misspelling.
pub(crate) fn closest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = found.to_ascii_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != found)
        .map(|c| (strsim::osa_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(found.chars().count()) / 3).max(1))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `did you mean `x`?` for the closest candidate.
pub(crate) fn did_you_mean<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(found, candidates).map(|c| format!("did you mean `{c}`?"))
}

impl std::error::Error for LoadError {}

/// The RON options every scenario file is read and written with: `implicit_some` is on, so an
/// optional field is written `dest: "192.168.1.20:5004"` rather than `dest: Some("…")`.
pub fn options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Reads and validates the scenario in `path`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let file = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: file.clone(),
        pos: Pos { line: 0, col: 0 },
        message: format!("cannot read the file: {e}"),
        line_text: String::new(),
        len: 0,
        help: None,
    })?;
    parse(&file, &src)
}

#[derive(Deserialize)]
#[serde(rename = "Scenario")]
struct Header {
    #[serde(default)]
    version: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename = "Scenario", deny_unknown_fields)]
struct RawFile<'a> {
    version: u32,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    world: World,
    #[serde(default)]
    fault_plan: Option<RandomFaults>,
    #[serde(borrow)]
    steps: Vec<&'a RawValue>,
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn parse(file: &str, src: &str) -> Result<Loaded, LoadError> {
    // The usual case, a file that is right: one pass into the schema, checks on the values.
    if let Ok(scenario) = options().from_str::<Scenario>(src) {
        if scenario.version == FORMAT_VERSION && valid(&scenario) {
            return Ok(Loaded {
                file: file.to_string(),
                scenario,
                source: src.to_string(),
                positions: OnceLock::new(),
            });
        }
    }
    // Something is wrong: read it again, the way that says where.
    parse_with_positions(file, src)
}

/// Whether the checks [`parse_with_positions`] makes after reading all pass.
fn valid(s: &Scenario) -> bool {
    let probabilities = s
        .fault_plan
        .as_ref()
        .is_none_or(|plan| plan.faults.iter().all(|p| (0.0..=1.0).contains(&p.probability)));
    probabilities && validate_world(&s.world).is_ok() && validate_names(s).is_ok()
}

/// Every step's start in `src`, a scenario's text (empty if it does not parse).
fn step_positions(src: &str) -> Vec<Pos> {
    let Ok(raw) = options().from_str::<RawFile<'_>>(src) else {
        return Vec::new();
    };
    let lines = LineStarts::new(src);
    raw.steps
        .iter()
        .map(|r| lines.pos_of(src, step_text(src, r).1))
        .collect()
}

/// A step's text without the comments above it, and its byte offset in `src`.
fn step_text<'a>(src: &str, raw: &'a RawValue) -> (&'a str, usize) {
    let whole = raw.get_ron();
    let text = &whole[leading_trivia(whole)..];
    let offset = (text.as_ptr() as usize)
        .saturating_sub(src.as_ptr() as usize)
        .min(src.len());
    (text, offset)
}

/// [`parse`], reading the file in the passes that give every error its position.
fn parse_with_positions(file: &str, src: &str) -> Result<Loaded, LoadError> {
    let err_at = |offset: usize, message: String| error_at(file, src, pos_of(src, offset), message);
    let opts = options();
    check_version(file, src)?;
    let raw: RawFile<'_> = opts
        .from_str(src)
        .map_err(|e| ron_error(file, src, Pos::default(), &e))?;
    let steps = parse_steps(file, src, &raw.steps)?;
    let scenario = Scenario {
        version: raw.version,
        name: raw.name,
        description: raw.description,
        seed: raw.seed,
        world: raw.world,
        fault_plan: raw.fault_plan,
        steps: steps.steps,
    };
    if let Some(plan) = &scenario.fault_plan {
        for p in &plan.faults {
            if !(0.0..=1.0).contains(&p.probability) {
                let at = src.find("probability").unwrap_or(0);
                return Err(err_at(
                    at,
                    format!("probability {} is outside 0.0..=1.0", p.probability),
                ));
            }
        }
    }
    validate_world(&scenario.world).map_err(|(needle, msg)| {
        // Point at the second occurrence of the duplicated text (the first is the original).
        let at = src.match_indices(needle.as_str()).nth(1).map_or(0, |(o, _)| o);
        err_at(at, msg)
    })?;
    validate_names(&scenario).map_err(|e| {
        let (text, start) = steps.texts[e.step];
        let inner = text.find(&format!("\"{}\"", e.name)).map_or(0, |o| o + 1);
        let mut err = err_at(start + inner, e.message);
        err.len = e.name.chars().count().max(1);
        err.help = e.help;
        err
    })?;
    Ok(Loaded {
        file: file.to_string(),
        scenario,
        source: src.to_string(),
        positions: OnceLock::from(steps.positions),
    })
}

/// The first pass: the file is RON and says `version: 1`.
fn check_version(file: &str, src: &str) -> Result<(), LoadError> {
    let err_at = |offset: usize, message: String| error_at(file, src, pos_of(src, offset), message);
    let header: Header = options()
        .from_str(src)
        .map_err(|e| ron_error(file, src, Pos::default(), &e))?;
    match header.version {
        None => Err(err_at(
            0,
            format!("missing `version: {FORMAT_VERSION}` (the scenario format version)"),
        )),
        Some(FORMAT_VERSION) => Ok(()),
        Some(v) => {
            let at = src.find("version").unwrap_or(0);
            Err(err_at(
                at,
                format!(
                    "format version {v} is not supported: this qwave-sim reads version {FORMAT_VERSION} \
                     (rewrite the file for version {FORMAT_VERSION}, or use the qwave-sim release that wrote it)"
                ),
            ))
        }
    }
}

/// A file's steps, each parsed on its own.
struct Steps<'a> {
    steps: Vec<Step>,
    /// Where each starts.
    positions: Vec<Pos>,
    /// Each one's text (without the comments above it) and its byte offset in the file.
    texts: Vec<(&'a str, usize)>,
}

/// Parses each step's raw text, with error positions shifted back into the file.
fn parse_steps<'a>(file: &str, src: &'a str, raw: &[&'a RawValue]) -> Result<Steps<'a>, LoadError> {
    let opts = options();
    let lines = LineStarts::new(src);
    let mut out = Steps {
        steps: Vec::with_capacity(raw.len()),
        positions: Vec::with_capacity(raw.len()),
        texts: Vec::with_capacity(raw.len()),
    };
    for r in raw {
        // The raw text may start with the comments above the step; point at the step itself.
        let (text, offset) = step_text(src, r);
        let base = lines.pos_of(src, offset);
        let step: Step = opts.from_str(text).map_err(|e| ron_error(file, src, base, &e))?;
        out.steps.push(step);
        out.positions.push(base);
        out.texts.push((text, offset));
    }
    Ok(out)
}

/// Bytes of whitespace and comments (`// …`, nested `/* … */`) at the start of `text`.
fn leading_trivia(text: &str) -> usize {
    let mut i = 0;
    loop {
        let rest = &text[i..];
        let trimmed = rest.trim_start();
        i += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            i += trimmed.find('\n').map_or(trimmed.len(), |n| n + 1);
        } else if trimmed.starts_with("/*") {
            let b = trimmed.as_bytes();
            let (mut depth, mut j) = (0usize, 0usize);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth = depth.saturating_sub(1);
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            i += j;
        } else {
            return i;
        }
    }
}

/// Where each line of a source starts, so the positions of all steps cost one pass over the
/// file instead of one pass per step.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(src: &str) -> LineStarts {
        let mut v = vec![0];
        v.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineStarts(v)
    }

    /// Same as [`pos_of`].
    fn pos_of(&self, src: &str, offset: usize) -> Pos {
        let offset = offset.min(src.len());
        // Lines starting at or before `offset`; the last of them holds it.
        let line = self.0.partition_point(|&s| s <= offset);
        let line_start = self.0[line - 1];
        Pos {
            line,
            col: src[line_start..offset].chars().count() + 1,
        }
    }
}

fn pos_of(src: &str, offset: usize) -> Pos {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line,
        col: before[line_start..].chars().count() + 1,
    }
}

fn error_at(file: &str, src: &str, pos: Pos, message: String) -> LoadError {
    LoadError {
        file: file.to_string(),
        pos,
        message,
        line_text: src
            .lines()
            .nth(pos.line.saturating_sub(1))
            .unwrap_or("")
            .to_string(),
        len: 1,
        help: None,
    }
}

/// The length of the token at `col` (1-based, in characters) of `line`: an identifier, a
/// quoted string, or one character.
fn token_len(line: &str, col: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(col.saturating_sub(1)).collect();
    match rest.first() {
        Some('"') => rest[1..].iter().position(|c| *c == '"').map_or(1, |i| i + 2),
        Some(c) if c.is_alphanumeric() || *c == '_' => rest
            .iter()
            .take_while(|c| c.is_alphanumeric() || **c == '_')
            .count(),
        _ => 1,
    }
}

/// A ron error whose positions are relative to text starting at `base` (1:1 for the file).
fn ron_error(file: &str, src: &str, base: Pos, e: &ron::error::SpannedError) -> LoadError {
    let p = e.span.start;
    let pos = if base == Pos::default() || base.line == 0 {
        Pos {
            line: p.line.max(1),
            col: p.col.max(1),
        }
    } else if p.line <= 1 {
        Pos {
            line: base.line,
            col: base.col + p.col.max(1) - 1,
        }
    } else {
        Pos {
            line: base.line + p.line - 1,
            col: p.col.max(1),
        }
    };
    let mut err = error_at(file, src, pos, e.code.to_string());
    err.len = token_len(&err.line_text, pos.col);
    err.help = match &e.code {
        ron::Error::NoSuchEnumVariant { expected, found, .. }
        | ron::Error::NoSuchStructField { expected, found, .. } => {
            did_you_mean(found, expected.iter().copied())
        }
        ron::Error::Message(m) => unknown_error_name_help(m),
        _ => None,
    };
    err
}

/// A suggestion for an unknown Win32 error name in a message such as
/// ``unknown Win32 error name `ERROR_NOPE` ``.
fn unknown_error_name_help(message: &str) -> Option<String> {
    let name = message
        .strip_prefix("unknown Win32 error name `")?
        .strip_suffix('`')?;
    let names: Vec<&'static str> = crate::model::Win32Error::all().filter_map(|e| e.name()).collect();
    did_you_mean(name, names)
}

/// World entries the model would silently shadow: a peer listed twice (the model keeps the
/// first), two interfaces with one name or index. Returns the text to point at and the message.
fn validate_world(w: &World) -> Result<(), (String, String)> {
    let mut peers = BTreeMap::new();
    for p in &w.peers {
        let ip = crate::model::net::unmap(p.address);
        if peers.insert(ip, ()).is_some() {
            return Err((
                format!("\"{}\"", p.address),
                format!(
                    "peer {} is listed twice in the world (each host has one path)",
                    p.address
                ),
            ));
        }
    }
    let mut names = BTreeMap::new();
    let mut indices = BTreeMap::new();
    for i in &w.interfaces {
        if names.insert(i.name.as_str(), ()).is_some() {
            return Err((
                format!("\"{}\"", i.name),
                format!("two interfaces are named `{}`", i.name),
            ));
        }
        if indices.insert(i.index, ()).is_some() {
            return Err((
                format!("index: {}", i.index),
                format!("two interfaces have index {}", i.index),
            ));
        }
    }
    Ok(())
}

/// Parses a world on its own (a RON `World(...)`, as in a scenario's `world` field), with the
/// same checks as a scenario's world; `file` names it in errors. (Public through `crate::ffi`.)
pub(crate) fn parse_world(file: &str, src: &str) -> Result<World, LoadError> {
    let world: World = options()
        .from_str(src)
        .map_err(|e| ron_error(file, src, Pos::default(), &e))?;
    validate_world(&world).map_err(|(needle, msg)| {
        let at = src.match_indices(needle.as_str()).nth(1).map_or(0, |(o, _)| o);
        error_at(file, src, pos_of(src, at), msg)
    })?;
    Ok(world)
}

/// Parses a fault timeline: a RON list of `(at: "5s", fault: DeviceReset)` entries, in any
/// order; `file` names it in errors. (Public through `crate::ffi`.)
pub(crate) fn parse_fault_timeline(
    file: &str,
    src: &str,
) -> Result<Vec<crate::ffi::config::TimedFault>, LoadError> {
    options()
        .from_str(src)
        .map_err(|e| ron_error(file, src, Pos::default(), &e))
}

/// What a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Handle,
    Socket,
    Flow,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Handle => "handle",
            Kind::Socket => "socket",
            Kind::Flow => "flow",
        }
    }
}

/// Whether `s` is a raw value reference (`NULL`, `0x…`, or decimal digits).
pub(crate) fn raw_ref(s: &str) -> Option<u64> {
    if s == "NULL" {
        return Some(0);
    }
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok();
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        return s.parse().ok();
    }
    None
}

fn valid_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
        && s != "NULL"
        && s.len() <= 64
}

/// A name error: the step, the name to point at, the message and a suggestion.
struct NameError {
    step: usize,
    name: String,
    message: String,
    help: Option<String>,
}

impl NameError {
    fn new(step: usize, name: String, message: String) -> NameError {
        NameError {
            step,
            name,
            message,
            help: None,
        }
    }
}

struct Names {
    defined: BTreeMap<String, (Kind, usize)>,
    step: usize,
}

impl Names {
    /// A name a step binds: defined when the step is expected to succeed, else only checked.
    fn new_name(&mut self, name: &str, kind: Kind, succeeds: bool) -> Result<(), NameError> {
        if succeeds {
            self.define(name, kind)
        } else {
            self.check_syntax(name)
        }
    }

    fn define(&mut self, name: &str, kind: Kind) -> Result<(), NameError> {
        self.check_syntax(name)?;
        if let Some((k, at)) = self.defined.get(name) {
            return Err(NameError::new(
                self.step,
                name.into(),
                format!(
                    "duplicate name `{name}`: step {at} already defined it as a {}; names must be unique",
                    k.noun()
                ),
            ));
        }
        self.defined.insert(name.to_string(), (kind, self.step));
        Ok(())
    }

    fn check_syntax(&self, name: &str) -> Result<(), NameError> {
        if valid_name(name) {
            Ok(())
        } else {
            Err(NameError::new(
                self.step,
                name.into(),
                format!(
                    "`{name}` is not a valid name (a letter or `_`, then letters, digits, `_`, `-`, `.`; \
                     at most 64 characters; `NULL` is reserved)"
                ),
            ))
        }
    }

    fn refer(&self, r: &Ref, kind: Kind) -> Result<(), NameError> {
        if let Some(v) = raw_ref(r) {
            if kind == Kind::Flow && u32::try_from(v).is_err() {
                return Err(NameError::new(
                    self.step,
                    r.clone(),
                    format!("flow id `{r}` does not fit in 32 bits"),
                ));
            }
            return Ok(());
        }
        match self.defined.get(r.as_str()) {
            Some((k, _)) if *k == kind => Ok(()),
            Some((k, at)) => Err(NameError::new(
                self.step,
                r.clone(),
                format!("`{r}` is a {} (defined at step {at}), not a {}", k.noun(), kind.noun()),
            )),
            None => Err(NameError {
                help: did_you_mean(
                    r,
                    self.defined
                        .iter()
                        .filter(|(_, (k, _))| *k == kind)
                        .map(|(n, _)| n.as_str()),
                ),
                ..NameError::new(
                    self.step,
                    r.clone(),
                    format!(
                        "undefined {} `{r}`: no earlier step creates a {} with that name \
                         (use a name bound by an earlier successful step, \"NULL\", or a raw number such as \"0xdeadbeef\")",
                        kind.noun(),
                        kind.noun()
                    ),
                )
            }),
        }
    }

    /// A call step's names: the call's, then the expected flows.
    fn call(&mut self, c: &CallStep) -> Result<(), NameError> {
        let mut walk = Walk {
            names: self,
            succeeds: c.expected.expect == Expect::Ok,
            err: None,
        };
        c.call.map(&mut walk);
        if let Some(e) = walk.err {
            return Err(e);
        }
        // The OVERLAPPED of a request (Set, Query, Notify); `QOSCancel`'s may be any text.
        if let Some(o) = c.call.overlapped() {
            self.check_syntax(o)?;
        }
        for f in c.expected.flows.iter().flatten() {
            self.refer(f, Kind::Flow)?;
        }
        Ok(())
    }

    fn check(&mut self, c: &Check) -> Result<(), NameError> {
        match c {
            Check::Flow { flow, sockets, .. } => {
                self.refer(flow, Kind::Flow)?;
                for s in sockets.iter().flatten() {
                    self.refer(s, Kind::Socket)?;
                }
            }
            Check::Marking { flow, .. } => self.refer(flow, Kind::Flow)?,
            Check::Handle { handle, flows, .. } => {
                self.refer(handle, Kind::Handle)?;
                for f in flows.iter().flatten() {
                    self.refer(f, Kind::Flow)?;
                }
            }
            Check::Pending {
                handle, overlapped, ..
            } => {
                self.refer(handle, Kind::Handle)?;
                self.check_syntax(overlapped)?;
            }
            Check::FlowCount(_)
            | Check::PendingCount(_)
            | Check::LastError(_)
            | Check::Deadlocks(_)
            | Check::Invariants => {}
        }
        Ok(())
    }
}

/// A naming with nothing in it: mapping a call into it visits each of its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Visited;

impl call::Names for Visited {
    type Handle = ();
    type Socket = ();
    type Flow = ();
    type FlowIn = ();
    type NewHandle = ();
    type Overlapped = ();
    type Size = ();
    type Addr = ();

    fn null_socket() {}
}

/// Checks a call's names as [`Call::map`](crate::call::Call::map) visits them, keeping the
/// first error.
struct Walk<'a> {
    names: &'a mut Names,
    /// Whether the step expects the call to succeed (and so bind its new name).
    succeeds: bool,
    err: Option<NameError>,
}

impl Walk<'_> {
    fn keep(&mut self, r: Result<(), NameError>) {
        if let (None, Err(e)) = (&self.err, r) {
            self.err = Some(e);
        }
    }
}

impl Resolve<Named, Visited> for Walk<'_> {
    fn handle(&mut self, h: &Ref) {
        let r = self.names.refer(h, Kind::Handle);
        self.keep(r);
    }

    fn socket(&mut self, s: &Ref) {
        let r = self.names.refer(s, Kind::Socket);
        self.keep(r);
    }

    fn flow(&mut self, f: &Ref) {
        let r = self.names.refer(f, Kind::Flow);
        self.keep(r);
    }

    fn flow_in(&mut self, f: &FlowIn) {
        let r = match f {
            FlowIn::New(name) => self.names.new_name(name, Kind::Flow, self.succeeds),
            FlowIn::Join(r) => self.names.refer(r, Kind::Flow),
            FlowIn::Null => Ok(()),
        };
        self.keep(r);
    }

    fn new_handle(&mut self, h: &Option<String>) {
        if let Some(name) = h {
            let r = self.names.new_name(name, Kind::Handle, self.succeeds);
            self.keep(r);
        }
    }

    fn overlapped(&mut self, _: &String) {}

    fn size(&mut self, _: &Size, _: Option<u32>) {}

    fn addr(&mut self, _: &Option<Addr>) {}
}

/// Checks every name: defined once, referred to only after its definition, with its kind.
fn validate_names(s: &Scenario) -> Result<(), NameError> {
    let mut n = Names {
        defined: BTreeMap::new(),
        step: 0,
    };
    for (i, step) in s.steps.iter().enumerate() {
        n.step = i;
        match step {
            Step::Call(c) => n.call(c)?,
            Step::Socket { socket, expect, .. } => {
                n.new_name(socket, Kind::Socket, *expect == SockExpect::Ok)?;
            }
            Step::Bind { socket, .. }
            | Step::Connect { socket, .. }
            | Step::CloseSocket { socket, .. }
            | Step::V6Only { socket, .. } => n.refer(socket, Kind::Socket)?,
            Step::Wait { overlapped, .. } => n.check_syntax(overlapped)?,
            Step::Assert(c) => n.check(c)?,
            Step::Advance(_) | Step::AdvanceTo(_) | Step::Fault(_) | Step::FaultAt { .. } => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod line_tests {
    use super::{pos_of, LineStarts};

    #[test]
    fn line_starts_give_the_same_positions_as_a_scan_from_the_start() {
        let src = "a\n\nbé // ü\n  x\r\ny\n";
        let lines = LineStarts::new(src);
        for (offset, _) in src.char_indices().chain([(src.len(), ' ')]) {
            assert_eq!(lines.pos_of(src, offset), pos_of(src, offset), "offset {offset}");
        }
    }
}

/// Whether `parsed`, what [`parse`] made of `src`, is what the three positioned passes make of it
/// (the same scenario and step positions, or the same error): the fuzz target and the tests check
/// that the one-pass reading changes nothing.
#[cfg(any(test, feature = "fuzz"))]
pub(crate) fn same_as_positioned(file: &str, src: &str, parsed: &Result<Loaded, LoadError>) -> bool {
    match (parsed, &parse_with_positions(file, src)) {
        (Ok(a), Ok(b)) => {
            a.file == b.file
                && a.scenario == b.scenario
                && (0..=a.scenario.steps.len()).all(|i| a.position(i) == b.position(i))
        }
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod one_pass_tests {
    use super::{parse, parse_with_positions, same_as_positioned};

    /// Texts near the library's: each file, and each with one of the mistakes the three passes
    /// must point at (syntax, version, names, world, fault plan).
    fn variants(src: &str) -> Vec<String> {
        let mut v = vec![src.to_string()];
        for (from, to) in [
            ("version: 1", "version: 2"),
            ("version: 1,", ""),
            ("steps: [", "steps: [ Advance(\"1s\"), Bogus,"),
            ("(handle: \"", "(handle: \"undefined-"),
            ("CreateHandle(handle: \"", "CreateHandle(handle: \"0bad"),
            (
                "peers: [",
                "peers: [ (address: \"192.168.1.20\"), (address: \"192.168.1.20\"),",
            ),
            ("probability: ", "probability: 2"),
            ("),", ")"),
        ] {
            if let Some(i) = src.find(from) {
                v.push(format!("{}{}{}", &src[..i], to, &src[i + from.len()..]));
            }
        }
        for cut in [src.len() / 3, src.len() / 2, src.len() - 2] {
            if src.is_char_boundary(cut) {
                v.push(src[..cut].to_string());
            }
        }
        v
    }

    #[test]
    fn one_pass_parses_exactly_what_the_positioned_passes_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("scenarios/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        files.sort();
        assert!(files.len() >= 10);
        let (mut ok, mut err) = (0, 0);
        for f in &files {
            let src = std::fs::read_to_string(f).expect("read");
            for (i, text) in variants(&src).iter().enumerate() {
                let name = format!("{}#{i}", f.display());
                let fast = parse(&name, text);
                assert!(
                    same_as_positioned(&name, text, &fast),
                    "{name}: {fast:?}\n!=\n{:?}",
                    parse_with_positions(&name, text)
                );
                if fast.is_ok() {
                    ok += 1;
                } else {
                    err += 1;
                }
            }
        }
        assert!(
            ok >= files.len() && err >= files.len(),
            "{ok} parsed, {err} errors"
        );
    }
}
