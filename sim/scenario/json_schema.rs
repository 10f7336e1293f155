//! A JSON Schema of the scenario format (feature `schema`), made by schemars from the format's
//! own types, so it cannot drift from what [`parse`](super::parse) reads.
//!
//! The schema describes the serde data model, which RON and JSON share: a struct is an object
//! (`Scenario(version: 1, …)` ↔ `{"version": 1, …}`), an enum variant with data is an object
//! with one key (`Err(ERROR_NO_DATA)` ↔ `{"Err": "ERROR_NO_DATA"}`, `New("voice")` ↔
//! `{"New": "voice"}`), a unit variant is a string, and an optional field is its value or
//! absent. Types with their own text form (durations, addresses, prefixes, error names) are
//! strings with a pattern or a list of names.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

use super::schema::{Addr, Data, Dur, Expect, ExpectField, Expectation, Named, Scenario, Step, WsaError};
use crate::call;
use crate::model::{Func, Prefix, Win32Error};

/// The JSON Schema (draft 2020-12) of a scenario file.
///
/// ```
/// let schema: serde_json::Value = serde_json::from_str(&qwave_sim::scenario::json_schema_text()).unwrap();
/// assert_eq!(schema["title"], "Scenario");
/// assert!(schema["required"].as_array().unwrap().iter().any(|r| r == "steps"));
/// ```
pub fn json_schema_text() -> String {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Scenario>();
    schema.insert(
        "$comment".into(),
        Value::String(
            "qwave-sim scenario format version 1. Files are RON; this schema describes the same data \
             model (structs are objects, enum variants with data are one-key objects, unit variants \
             strings). See docs/SCENARIOS.md."
                .into(),
        ),
    );
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

impl JsonSchema for Win32Error {
    fn schema_name() -> Cow<'static, str> {
        "Win32Error".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = Win32Error::all().filter_map(|e| e.name()).collect();
        json_schema!({
            "description": "A Win32 error by name (`ERROR_NOT_FOUND`), or `WIN32_ERROR(n)` for a code without one.",
            "oneOf": [
                { "type": "string", "enum": names },
                {
                    "type": "object",
                    "properties": { "WIN32_ERROR": { "type": "integer", "minimum": 0, "maximum": u32::MAX } },
                    "required": ["WIN32_ERROR"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl JsonSchema for WsaError {
    fn schema_name() -> Cow<'static, str> {
        "WsaError".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = crate::trace::WSA_NAMES.iter().map(|(n, _)| *n).collect();
        json_schema!({
            "description": "A WinSock error by name (`WSAEINVAL`), or `WSA_ERROR(n)`.",
            "oneOf": [
                { "type": "string", "enum": names },
                {
                    "type": "object",
                    "properties": { "WSA_ERROR": { "type": "integer" } },
                    "required": ["WSA_ERROR"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl JsonSchema for Dur {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A virtual duration or instant: \"1.5s\", \"250ms\", \"40us\" (at most microsecond precision).",
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]+)?(s|ms|us)$"
        })
    }
}

impl JsonSchema for Addr {
    fn schema_name() -> Cow<'static, str> {
        "SocketAddress".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A SOCKADDR: \"192.168.1.20:5004\", \"[fd00::20]:5004\", or \"af:N\" for another family.",
            "type": "string",
            "pattern": "^(af:[0-9]+|[0-9.]+:[0-9]+|\\[[0-9A-Fa-f:.]+\\]:[0-9]+)$"
        })
    }
}

impl JsonSchema for Prefix {
    fn schema_name() -> Cow<'static, str> {
        "Prefix".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An address prefix: \"203.0.113.0/24\", \"2001:db8::/32\".",
            "type": "string",
            "pattern": "^[0-9A-Fa-f:.]+/[0-9]+$"
        })
    }
}

/// The schema of a call's struct, inline.
fn call_struct(func: Func, g: &mut SchemaGenerator) -> Schema {
    match func {
        Func::CreateHandle => call::CreateHandle::<Named>::json_schema(g),
        Func::CloseHandle => call::CloseHandle::<Named>::json_schema(g),
        Func::AddSocketToFlow => call::AddSocketToFlow::<Named>::json_schema(g),
        Func::RemoveSocketFromFlow => call::RemoveSocketFromFlow::<Named>::json_schema(g),
        Func::SetFlow => call::SetFlow::<Named>::json_schema(g),
        Func::QueryFlow => call::QueryFlow::<Named>::json_schema(g),
        Func::NotifyFlow => call::NotifyFlow::<Named>::json_schema(g),
        Func::Cancel => call::Cancel::<Named>::json_schema(g),
        Func::EnumerateFlows => call::EnumerateFlows::<Named>::json_schema(g),
        Func::StartTrackingClient | Func::StopTrackingClient => call::Tracking::<Named>::json_schema(g),
    }
}

/// One call step: `{"QueryFlow": {call fields…, expectation fields…}}`.
fn call_step(func: Func, g: &mut SchemaGenerator) -> Value {
    let mut inner = call_struct(func, g).to_value();
    let props = inner
        .as_object_mut()
        .and_then(|o| {
            o.entry("properties")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
        })
        .map(std::mem::take)
        .unwrap_or_default();
    let mut props = props;
    for field in Expectation::fields(func) {
        let (schema, doc) = match field {
            ExpectField::Expect => (
                g.subschema_for::<Expect>(),
                "Expected outcome: Ok (TRUE, the default) or Err(ERROR_…).",
            ),
            ExpectField::Id => (
                g.subschema_for::<u32>(),
                "The numeric flow id expected in *FlowId.",
            ),
            ExpectField::Data => (
                g.subschema_for::<Data>(),
                "The buffer contents expected (omitted fields are not checked).",
            ),
            ExpectField::Flows => (
                g.subschema_for::<Vec<String>>(),
                "The flow ids expected, in order (names or numbers).",
            ),
            ExpectField::OutSize => (g.subschema_for::<u32>(), "The *Size expected back."),
        };
        let mut schema = schema.to_value();
        if let Some(o) = schema.as_object_mut() {
            o.insert("description".into(), Value::String(doc.into()));
        }
        props.insert(field.name().into(), schema);
    }
    if let Some(o) = inner.as_object_mut() {
        o.insert("properties".into(), Value::Object(props));
        o.insert("additionalProperties".into(), Value::Bool(false));
        o.insert(
            "description".into(),
            Value::String(format!("`{}` and what it should return.", func.win32_name())),
        );
    }
    let keyword = super::schema::call_keyword(func);
    serde_json::json!({
        "type": "object",
        "properties": { keyword: inner },
        "required": [keyword],
        "additionalProperties": false
    })
}

impl JsonSchema for Step {
    fn schema_name() -> Cow<'static, str> {
        "Step".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let mut variants: Vec<Value> = Func::ALL.into_iter().map(|f| call_step(f, g)).collect();
        let others = super::step_format::other_steps_schema(g).to_value();
        if let Some(list) = others.get("oneOf").and_then(Value::as_array) {
            variants.extend(list.iter().cloned());
        }
        json_schema!({
            "description": "One step of the timeline: one of the 11 qWAVE calls with its expected result, a socket call, a time advance, a fault, a wait or an assertion.",
            "oneOf": variants
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_keyword_and_call_field_is_in_the_schema() {
        let schema: Value = serde_json::from_str(&json_schema_text()).unwrap();
        let step = &schema["$defs"]["Step"]["oneOf"];
        let keys: Vec<String> = step
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| {
                v["required"][0]
                    .as_str()
                    .map(String::from)
                    .or_else(|| v["enum"][0].as_str().map(String::from))
            })
            .collect();
        for func in Func::ALL {
            assert!(
                keys.contains(&super::super::schema::call_keyword(func).to_string()),
                "{func:?} in {keys:?}"
            );
        }
        for other in ["Socket", "Advance", "Fault", "Wait", "Assert"] {
            assert!(keys.iter().any(|k| k == other), "{other} in {keys:?}");
        }
        let query = step
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["required"][0] == "QueryFlow")
            .unwrap();
        let props = query["properties"]["QueryFlow"]["properties"]
            .as_object()
            .unwrap();
        for f in ["handle", "flow", "op", "fresh", "expect", "data", "out_size"] {
            assert!(props.contains_key(f), "QueryFlow.{f}");
        }
    }
}
