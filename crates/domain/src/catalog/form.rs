//! Application forms as JSON Schema 2020-12, with the `kz-iin` format
//! checked by [`Iin::parse`](crate::iin::Iin::parse).

use crate::iin::Iin;
use serde::Serialize;
use serde_json::Value;

pub(crate) const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// One problem in a submitted form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormError {
    /// JSON pointer of the offending value (`/children/0/iin`; `` for the root).
    pub path: String,
    pub message: String,
}

/// A compiled form schema.
#[derive(Debug, Clone)]
pub(crate) struct FormSchema {
    pub schema: Value,
    validator: jsonschema::Validator,
}

/// Compiles a schema: it must declare the 2020-12 dialect, pass the
/// meta-schema, and build (all `$ref`s local: nothing is fetched).
/// The error carries a JSON pointer into the schema, when there is one.
pub(crate) fn compile(schema: Value) -> Result<FormSchema, (String, String)> {
    match schema.get("$schema").and_then(Value::as_str) {
        Some(DIALECT) => {}
        Some(other) => {
            return Err((
                "/$schema".into(),
                format!(
                "`$schema` is `{other}`; form schemas must be JSON Schema 2020-12 (`{DIALECT}`)"
            ),
            ))
        }
        None => {
            return Err((
                String::new(),
                format!("missing `$schema`: form schemas must declare `{DIALECT}`"),
            ))
        }
    }
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        return Err((
            e.instance_path().as_str().to_owned(),
            format!("not a valid JSON Schema 2020-12: {e}"),
        ));
    }
    let validator = jsonschema::draft202012::options()
        .with_format("kz-iin", |s: &str| Iin::parse(s).is_ok())
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| (String::new(), format!("schema does not compile: {e}")))?;
    Ok(FormSchema { schema, validator })
}

impl FormSchema {
    pub fn validate(&self, form: &Value) -> Result<(), Vec<FormError>> {
        let mut errors: Vec<FormError> = self
            .validator
            .iter_errors(form)
            .map(|e| {
                let path = e.instance_path().as_str().to_owned();
                let message = iin_reason(form, &path, &e.to_string());
                FormError { path, message }
            })
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        Err(errors)
    }
}

/// A failed `kz-iin` format says only "is not a kz-iin"; say why, as the
/// IIN module does.
fn iin_reason(form: &Value, path: &str, message: &str) -> String {
    if !message.contains("\"kz-iin\"") {
        return message.to_owned();
    }
    match form.pointer(path).and_then(Value::as_str).map(Iin::parse) {
        Some(Err(e)) => format!("not a valid IIN: {e}"),
        _ => message.to_owned(),
    }
}

/// Stands in for a version's schema until its file is attached by the loader.
pub(crate) fn unset() -> FormSchema {
    let schema = Value::Bool(true);
    let validator = jsonschema::draft202012::new(&schema).expect("`true` is a schema");
    FormSchema { schema, validator }
}
