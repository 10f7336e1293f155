//! The public API is a list checked into the repository (`tests/public-api.txt`, one item a
//! line): this test rebuilds the list from rustdoc's JSON output and fails when the two differ, so
//! the API never grows (or shrinks) unnoticed. After an intended change, regenerate the list with
//!
//! ```text
//! QWAVE_SIM_BLESS=1 cargo test --all-features --test public_api
//! ```
//!
//! and review its diff. rustdoc's JSON output needs a nightly toolchain (`cargo +nightly`); where
//! none is installed the test prints a loud `NOT RUN` and passes.
//!
//! Each line is `kind path` for an item reachable from the crate root (modules, types, fields,
//! variants, functions, methods, constants, traits and their items, re-exports of other crates'
//! items) or `impl Trait for path` for a trait implementation written in this crate (derives
//! included; auto traits and blanket impls left out). An item re-exported under a second path is
//! listed under both, as users can name it both ways.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const LIST: &str = "tests/public-api.txt";

#[test]
fn the_public_api_is_the_committed_list() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(json) = rustdoc_json(root) else {
        return;
    };
    let doc = Json::parse(&json).unwrap_or_else(|e| panic!("rustdoc JSON: {e}"));
    let items = public_items(&doc);
    let outside: usize = items
        .iter()
        .filter(|l| !l.contains("qwave_sim::windows::") && !l.contains("qwave_sim::windows_sys::"))
        .count();
    let named = items.iter().filter(|l| !l.starts_with("impl ")).count();
    println!(
        "public API: {} lines ({named} named items, {} trait impls); {outside} outside the \
         mirrored windows and windows_sys surfaces",
        items.len(),
        items.len() - named
    );
    let text: String = items.iter().map(|l| format!("{l}\n")).collect();
    let file = root.join(LIST);
    if std::env::var_os("QWAVE_SIM_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&file, &text).expect("write the list");
        println!("wrote {}", file.display());
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    if committed == text {
        return;
    }
    let old: BTreeSet<&str> = committed.lines().collect();
    let new: BTreeSet<&str> = text.lines().collect();
    let mut diff = String::new();
    for l in new.difference(&old) {
        diff += &format!("+ {l}\n");
    }
    for l in old.difference(&new) {
        diff += &format!("- {l}\n");
    }
    panic!(
        "the public API differs from {LIST} (+ new, - gone):\n{diff}\nIf this is intended, \
         regenerate the list with `QWAVE_SIM_BLESS=1 cargo test --all-features --test public_api` \
         and commit it."
    );
}

/// Set to `1` by `.ci/run` once it has installed nightly: a missing nightly then fails the check
/// instead of leaving it NOT RUN.
const REQUIRE_NIGHTLY: &str = "QWAVE_SIM_REQUIRE_NIGHTLY";

/// rustdoc's JSON for the library with every feature, or `None` (after saying so) when no
/// nightly toolchain is installed and [`REQUIRE_NIGHTLY`] is not set.
fn rustdoc_json(root: &Path) -> Option<String> {
    let nightly = Command::new("cargo")
        .args(["+nightly", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        assert!(
            std::env::var(REQUIRE_NIGHTLY).as_deref() != Ok("1"),
            "{REQUIRE_NIGHTLY}=1 (set by .ci/run once nightly is installed), but `cargo +nightly` \
             failed: the public API check cannot run"
        );
        eprintln!(
            "\n==================== NOT RUN ====================\n\
             public_api: no nightly toolchain (`cargo +nightly` failed), so rustdoc JSON cannot be\n\
             built and the public API was NOT compared with {LIST}.\n\
             Install one with `rustup toolchain install nightly --profile minimal`.\n\
             =================================================\n"
        );
        return None;
    }
    let target: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("public-api");
    let out = Command::new("cargo")
        .args([
            "+nightly",
            "rustdoc",
            "--lib",
            "--all-features",
            "--quiet",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTDOCFLAGS")
        .env_remove("CARGO_ENCODED_RUSTDOCFLAGS")
        .output()
        .expect("run cargo +nightly rustdoc");
    assert!(
        out.status.success(),
        "cargo +nightly rustdoc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = target.join("doc").join("qwave_sim.json");
    Some(std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
}

// ----- the walk over rustdoc's JSON -----

/// Every public item reachable from the crate root, sorted.
fn public_items(doc: &Json) -> Vec<String> {
    let mut w = Walk {
        index: doc.get("index").and_then(Json::object).expect("index"),
        paths: doc.get("paths").and_then(Json::object).expect("paths"),
        out: BTreeSet::new(),
    };
    let root = doc.get("root").expect("root").id();
    w.module(&root, "qwave_sim", &mut Vec::new());
    w.out.into_iter().collect()
}

struct Walk<'a> {
    index: &'a BTreeMap<String, Json>,
    paths: &'a BTreeMap<String, Json>,
    out: BTreeSet<String>,
}

/// An item's kind and its kind-specific data (`"inner": {"struct": {...}}`).
fn inner(item: &Json) -> (&str, &Json) {
    let (k, v) = item
        .get("inner")
        .and_then(Json::object)
        .and_then(|o| o.iter().next())
        .expect("inner");
    (k.as_str(), v)
}

fn is_public(item: &Json) -> bool {
    item.get("visibility").and_then(Json::str) == Some("public")
}

fn name(item: &Json) -> &str {
    item.get("name").and_then(Json::str).unwrap_or("_")
}

impl Walk<'_> {
    fn item(&self, id: &str) -> Option<&Json> {
        self.index.get(id)
    }

    /// The items of module `id`, named under `path`; `seen` breaks re-export cycles.
    fn module(&mut self, id: &str, path: &str, seen: &mut Vec<String>) {
        if seen.iter().any(|s| s == id) {
            return;
        }
        seen.push(id.to_string());
        let item = self.item(id).expect("module").clone();
        let items = inner(&item)
            .1
            .get("items")
            .and_then(Json::array)
            .cloned()
            .unwrap_or_default();
        for child in items {
            let child_id = child.id();
            let Some(it) = self.item(&child_id).cloned() else {
                continue;
            };
            let (kind, data) = inner(&it);
            match kind {
                "use" if is_public(&it) => {
                    let target = data.get("id").filter(|t| !t.is_null()).map(Json::id);
                    let glob = data.get("is_glob").and_then(Json::bool) == Some(true);
                    match (target, glob) {
                        (Some(t), true) if self.item(&t).is_some_and(|m| inner(m).0 == "module") => {
                            self.module(&t, path, seen)
                        }
                        (_, true) => {
                            let source = data.get("source").and_then(Json::str).unwrap_or("?");
                            self.out.insert(format!("pub use {path}::* (from {source})"));
                        }
                        (t, false) => {
                            let n = data.get("name").and_then(Json::str).unwrap_or("_");
                            self.named(t.as_deref(), &format!("{path}::{n}"), seen);
                        }
                    }
                }
                "use" | "impl" => {}
                _ if is_public(&it) => self.named(Some(&child_id), &format!("{path}::{}", name(&it)), seen),
                _ => {}
            }
        }
        seen.pop();
    }

    /// An item (or another crate's re-exported item, `id` not in the index) named `path`.
    fn named(&mut self, id: Option<&str>, path: &str, seen: &mut Vec<String>) {
        let Some(item) = id.and_then(|i| self.item(i)).cloned() else {
            self.out.insert(format!("pub use {path}"));
            return;
        };
        let (kind, data) = inner(&item);
        self.out.insert(format!("{kind} {path}"));
        match kind {
            "module" => self.module(id.expect("in the index"), path, seen),
            "struct" | "union" | "enum" => {
                self.fields(kind, data, path);
                for imp in data.get("impls").and_then(Json::array).into_iter().flatten() {
                    self.impl_block(&imp.id(), path);
                }
            }
            "trait" => {
                for m in data.get("items").and_then(Json::array).into_iter().flatten() {
                    if let Some(mi) = self.item(&m.id()) {
                        let line = format!("{} {path}::{}", inner(mi).0, name(mi));
                        self.out.insert(line);
                    }
                }
            }
            _ => {}
        }
    }

    /// Public fields of a struct or union; variants of an enum, with their named fields.
    fn fields(&mut self, kind: &str, data: &Json, path: &str) {
        let members: Vec<String> = match kind {
            "enum" => ids(data.get("variants")),
            "union" => ids(data.get("fields")),
            _ => match data.get("kind") {
                Some(k) if k.get("plain").is_some() => ids(k.get("plain").and_then(|p| p.get("fields"))),
                Some(k) if k.get("tuple").is_some() => ids(k.get("tuple")),
                _ => Vec::new(),
            },
        };
        for id in members {
            let Some(f) = self.item(&id).cloned() else {
                continue;
            };
            let (fkind, fdata) = inner(&f);
            if fkind == "struct_field" && !is_public(&f) {
                continue;
            }
            self.out.insert(format!("{fkind} {path}::{}", name(&f)));
            if fkind == "variant" {
                let fields = match fdata.get("kind") {
                    Some(k) if k.get("struct").is_some() => {
                        ids(k.get("struct").and_then(|s| s.get("fields")))
                    }
                    _ => Vec::new(),
                };
                for vf in fields {
                    if let Some(x) = self.item(&vf) {
                        let line = format!("struct_field {path}::{}::{}", name(&f), name(x));
                        self.out.insert(line);
                    }
                }
            }
        }
    }

    /// The public methods and constants of an inherent impl, or the line of a trait impl.
    fn impl_block(&mut self, id: &str, path: &str) {
        let Some(item) = self.item(id).cloned() else {
            return;
        };
        let (_, imp) = inner(&item);
        let synthetic = imp.get("is_synthetic").and_then(Json::bool) == Some(true);
        let blanket = imp.get("blanket_impl").is_some_and(|b| !b.is_null());
        if synthetic || blanket {
            return;
        }
        match imp.get("trait").filter(|t| !t.is_null()) {
            None => {
                for m in imp.get("items").and_then(Json::array).into_iter().flatten() {
                    if let Some(mi) = self.item(&m.id()).filter(|mi| is_public(mi)) {
                        let line = format!("{} {path}::{}", inner(mi).0, name(mi));
                        self.out.insert(line);
                    }
                }
            }
            Some(t) => {
                let known = t.get("id").and_then(|i| self.paths.get(&i.id()));
                let trait_path = match known.and_then(|p| p.get("path")).and_then(Json::array) {
                    Some(parts) => parts.iter().filter_map(Json::str).collect::<Vec<_>>().join("::"),
                    None => t.get("path").and_then(Json::str).unwrap_or("?").to_string(),
                };
                self.out.insert(format!("impl {trait_path} for {path}"));
            }
        }
    }
}

/// The ids in an array (absent entries, `null` for a stripped tuple field, skipped).
fn ids(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::array)
        .map(|a| a.iter().filter(|x| !x.is_null()).map(Json::id).collect())
        .unwrap_or_default()
}

// ----- a small JSON reader (rustdoc's output is plain JSON; no dependency needed) -----

#[derive(Clone, Debug)]
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn parse(s: &str) -> Result<Json, String> {
        let mut p = Parser {
            b: s.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.b.len() {
            return Err(format!("trailing data at byte {}", p.i));
        }
        Ok(v)
    }

    fn get(&self, k: &str) -> Option<&Json> {
        self.object().and_then(|o| o.get(k))
    }

    fn object(&self) -> Option<&BTreeMap<String, Json>> {
        match self {
            Json::Obj(o) => Some(o),
            _ => None,
        }
    }

    fn array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// An item id: a number in recent formats, a string in older ones.
    fn id(&self) -> String {
        match self {
            Json::Num(n) | Json::Str(n) => n.clone(),
            other => panic!("not an id: {other:?}"),
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", c as char, self.i))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut o = BTreeMap::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(o));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.eat(b':')?;
                    o.insert(k, self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(o));
                        }
                        _ => return Err(format!("bad object at byte {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(a));
                }
                loop {
                    a.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(a));
                        }
                        _ => return Err(format!("bad array at byte {}", self.i)),
                    }
                }
            }
            Some(b'"') => self.string().map(Json::Str),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(_) => {
                let start = self.i;
                while self.i < self.b.len()
                    && matches!(self.b[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    self.i += 1;
                }
                if start == self.i {
                    return Err(format!("unexpected byte at {}", self.i));
                }
                Ok(Json::Num(
                    String::from_utf8_lossy(&self.b[start..self.i]).into_owned(),
                ))
            }
            None => Err("unexpected end".into()),
        }
    }

    fn word(&mut self, w: &str, v: Json) -> Result<Json, String> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(format!("bad literal at byte {}", self.i))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err("unterminated string".into());
            };
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or("bad escape")?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = std::str::from_utf8(self.b.get(self.i..self.i + 4).ok_or("bad \\u")?)
                                .map_err(|e| e.to_string())?;
                            self.i += 4;
                            let mut cp = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                            if (0xD800..0xDC00).contains(&cp) && self.b[self.i..].starts_with(b"\\u") {
                                let lo = std::str::from_utf8(&self.b[self.i + 2..self.i + 6])
                                    .map_err(|e| e.to_string())?;
                                let lo = u32::from_str_radix(lo, 16).map_err(|e| e.to_string())?;
                                self.i += 6;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                            out.extend_from_slice(ch.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }
}
