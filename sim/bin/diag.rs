//! How the command line shows problems: load errors through annotate-snippets (positions,
//! underlines, tabs, suggestions), failed expectations as aligned expected/actual lines whose
//! differences `similar` finds, colour only when stderr is a terminal.

use std::io::{self, IsTerminal, Write};

use annotate_snippets::{Level, Renderer, Snippet};
use qwave_sim::scenario::LoadError;
use similar::{ChangeTag, TextDiff};

/// Whether to colour what goes to stderr: a terminal, and `NO_COLOR` unset.
pub fn colour_stderr() -> bool {
    io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// What a tab in a source line is shown as.
const TAB: &str = "    ";

/// Byte offset of the `col`-th character (1-based) of `line`.
fn byte_at(line: &str, col: usize) -> usize {
    line.char_indices()
        .nth(col.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i)
}

/// A load error as a diagnostic:
///
/// ```text
/// error: undefined handle `h9`: …
///  --> scenarios/x.ron:3:24
///   |
/// 3 |   CloseHandle(handle: "h9"),
///   |                        ^^
///   |
///   = help: did you mean `h1`?
/// ```
///
/// An error without a position (the file cannot be read) is one line: `error: FILE: message`.
pub fn load_error(e: &LoadError, colour: bool) -> String {
    let renderer = if colour {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    if !e.has_position() {
        let title = format!("{}: {}", e.file, e.message);
        let text = renderer.render(Level::Error.title(&title)).to_string();
        return text;
    }
    // Tabs become four spaces here, and the span moves with them, so the underline stays under
    // the offending text (the renderer would expand them without moving the span).
    let expand = |text: &str| text.replace('\t', TAB);
    let line = &e.line_text;
    let start_raw = byte_at(line, e.pos.col);
    let end_raw = byte_at(line, e.pos.col + e.len.max(1)).max(start_raw);
    let start = expand(&line[..start_raw]).len();
    let end = start + expand(&line[start_raw..end_raw]).len();
    // An error at the end of a line (a truncated file) still gets its caret.
    let mut source = expand(line);
    if start >= source.len() {
        source.push(' ');
    }
    let end = end.max(start + 1).min(source.len());
    let mut msg = Level::Error.title(&e.message).snippet(
        Snippet::source(&source)
            .line_start(e.pos.line)
            .fold(false)
            .annotation(Level::Error.span(start..end)),
    );
    if let Some(h) = &e.help {
        msg = msg.footer(Level::Help.title(h));
    }
    let text = renderer.render(msg).to_string();
    // The position line is ours: the renderer would count the columns of the expanded line,
    // while `file:line:col` counts characters of the file's line (a tab is one).
    let arrow = format!(
        "{}{}-->{} {}:{}:{}",
        " ".repeat(e.pos.line.to_string().len()),
        if colour { "\x1b[1m\x1b[94m" } else { "" },
        if colour { RESET } else { "" },
        e.file,
        e.pos.line,
        e.pos.col
    );
    match text.split_once('\n') {
        Some((title, rest)) => format!("{title}\n{arrow}\n{rest}"),
        None => format!("{text}\n{arrow}"),
    }
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const EMPH_RED: &str = "\x1b[1;4;31m";
const EMPH_GREEN: &str = "\x1b[1;4;32m";
const RESET: &str = "\x1b[0m";

/// An expected/actual pair, aligned, each line prefixed with `indent`:
///
/// ```text
///     - expected: PacketPriority(conformant_dscp:46, …)
///     + actual:   PacketPriority(conformant_dscp:56, …)
///                                                ^^
/// ```
///
/// The caret line marks what differs (characters `similar` finds changed) when there is no
/// colour; with colour the changed parts are underlined in red and green instead.
pub fn diff(
    indent: &str,
    expected: &str,
    actual: &str,
    colour: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let d = TextDiff::from_chars(expected, actual);
    if colour {
        // Each side: runs of equal text in its colour, changed runs emphasised.
        let (mut exp, mut act) = (String::new(), String::new());
        let (mut exp_emph, mut act_emph) = (None, None);
        let push =
            |side: &mut String, state: &mut Option<bool>, emph: bool, plain: &str, strong: &str, v: &str| {
                if *state != Some(emph) {
                    side.push_str(RESET);
                    side.push_str(if emph { strong } else { plain });
                    *state = Some(emph);
                }
                side.push_str(v);
            };
        for ch in d.iter_all_changes() {
            match ch.tag() {
                ChangeTag::Equal => {
                    push(&mut exp, &mut exp_emph, false, RED, EMPH_RED, ch.value());
                    push(&mut act, &mut act_emph, false, GREEN, EMPH_GREEN, ch.value());
                }
                ChangeTag::Delete => push(&mut exp, &mut exp_emph, true, RED, EMPH_RED, ch.value()),
                ChangeTag::Insert => push(&mut act, &mut act_emph, true, GREEN, EMPH_GREEN, ch.value()),
            }
        }
        writeln!(out, "{indent}{RED}- expected: {exp}{RESET}")?;
        return writeln!(out, "{indent}{GREEN}+ actual:   {act}{RESET}");
    }
    writeln!(out, "{indent}- expected: {expected}")?;
    writeln!(out, "{indent}+ actual:   {actual}")?;
    // Mark the actual line's changed characters when the two share something.
    if d.ratio() > 0.3 && !actual.contains('\n') && !expected.contains('\n') {
        let mut marks = String::new();
        for ch in d.iter_all_changes() {
            match ch.tag() {
                ChangeTag::Equal => marks.push(' '),
                ChangeTag::Insert => marks.push('^'),
                ChangeTag::Delete => {}
            }
        }
        let marks = marks.trim_end();
        if !marks.is_empty() {
            writeln!(out, "{indent}            {marks}")?;
        }
    }
    Ok(())
}
