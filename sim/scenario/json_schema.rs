//! A JSON Schema of the scenario format (feature `schema`).

/// The schema as pretty JSON text.
pub fn json_schema_text() -> String {
    "{}".into()
}
