//! A small checker of JSON objects against `fixtures/stripe_schemas.json` (Stripe's schemas for
//! the pinned API version, see fixtures/README.md): every required field present, each field's
//! JSON type among the schema's (null only where nullable), string values within the enum,
//! nested objects checked against the schema they refer to, and no field the schema lacks.
//! Hand-written rather than the `jsonschema` crate: that crate turns on serde_json's
//! `float_roundtrip` for the whole workspace in test builds (a rebuild of everything, and tests
//! parsing floats differently from production).

use serde_json::{Map, Value};

pub struct Schemas {
    schemas: Map<String, Value>,
}

/// The schema of a Stripe object, from its `object` field (`"checkout.session"` → itself).
pub fn schema_of(object: &Value) -> Option<&str> {
    object["object"].as_str()
}

impl Schemas {
    pub fn load() -> Self {
        let file: Value = serde_json::from_str(include_str!("../fixtures/stripe_schemas.json"))
            .expect("fixtures/stripe_schemas.json is JSON");
        let schemas = file["schemas"].as_object().cloned().unwrap_or_default();
        assert!(!schemas.is_empty(), "no schemas in the fixture");
        Self { schemas }
    }

    /// Every way `value` departs from the schema `name`, each as `path: problem`; empty when
    /// it conforms.
    pub fn check(&self, name: &str, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.check_object(name, value, name, &mut problems);
        problems
    }

    /// Panics with every problem found.
    pub fn assert_valid(&self, name: &str, value: &Value) {
        let problems = self.check(name, value);
        assert!(
            problems.is_empty(),
            "{name} does not match Stripe's schema:\n  {}\n{value:#}",
            problems.join("\n  ")
        );
    }

    fn check_object(&self, name: &str, value: &Value, path: &str, out: &mut Vec<String>) {
        let Some(schema) = self.schemas.get(name) else {
            out.push(format!("{path}: no schema named {name}"));
            return;
        };
        let Some(object) = value.as_object() else {
            out.push(format!("{path}: expected an object, got {}", kind(value)));
            return;
        };
        for field in schema["required"].as_array().into_iter().flatten() {
            let field = field.as_str().unwrap_or_default();
            if !object.contains_key(field) {
                out.push(format!("{path}.{field}: required field missing"));
            }
        }
        let properties = &schema["properties"];
        for (field, v) in object {
            let at = format!("{path}.{field}");
            match properties.get(field) {
                None => out.push(format!("{at}: not a field of {name}")),
                Some(property) => self.check_property(property, v, &at, out),
            }
        }
    }

    fn check_property(&self, property: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
        if value.is_null() {
            if property["nullable"] != Value::Bool(true) {
                out.push(format!("{path}: null, but the field is not nullable"));
            }
            return;
        }
        let types: Vec<&str> = property["types"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let actual = kind(value);
        if !types.contains(&actual) {
            out.push(format!("{path}: {actual}, expected {}", types.join(" or ")));
            return;
        }
        if let (Some(allowed), Some(s)) = (property["enum"].as_array(), value.as_str()) {
            if !allowed.iter().any(|a| a.as_str() == Some(s)) {
                out.push(format!("{path}: {s:?} is not one of Stripe's values"));
            }
        }
        if let (Some(name), Value::Object(_)) = (property["ref"].as_str(), value) {
            self.check_object(name, value, path, out);
        }
        if let (Some(name), Value::Array(items)) = (property["items_ref"].as_str(), value) {
            for (i, item) in items.iter().enumerate() {
                self.check_object(name, item, &format!("{path}[{i}]"), out);
            }
        }
    }
}

/// The JSON type as the schemas name it; whole numbers are `integer`.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const MULTICAPTURE: &str =
        "payment_flows_private_payment_methods_card_details_api_resource_multicapture";

    #[test]
    fn a_missing_required_field_is_reported() {
        let schemas = Schemas::load();
        assert_eq!(
            schemas.check(MULTICAPTURE, &json!({"status": "available"})),
            Vec::<String>::new()
        );
        assert_eq!(
            schemas.check(MULTICAPTURE, &json!({})),
            [format!("{MULTICAPTURE}.status: required field missing")]
        );
        let redirect = json!({"url": "https://x.example/3ds", "return_url": null});
        assert!(schemas
            .check("payment_intent_next_action_redirect_to_url", &redirect)
            .is_empty());
        let problems = schemas.check("payment_intent_next_action_redirect_to_url", &json!({}));
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn wrong_types_nulls_enums_and_unknown_fields_are_reported() {
        let schemas = Schemas::load();
        for (value, expected) in [
            (json!({"status": 1}), ".status: integer, expected string"),
            (
                json!({"status": null}),
                ".status: null, but the field is not nullable",
            ),
            (
                json!({"status": "maybe"}),
                ".status: \"maybe\" is not one of",
            ),
            (
                json!({"status": "available", "extra": true}),
                ".extra: not a field of",
            ),
        ] {
            let problems = schemas.check(MULTICAPTURE, &value);
            assert!(
                problems.len() == 1 && problems[0].contains(expected),
                "{value}: {problems:?}"
            );
        }
        assert_eq!(
            schemas.check("customer", &json!([])),
            ["customer: expected an object, got array"]
        );
    }

    #[test]
    fn nested_objects_are_checked_through_their_ref() {
        let schemas = Schemas::load();
        let card = json!({"type": "card", "card": {"multicapture": {"status": "sometimes"}}});
        let problems = schemas.check("payment_method_details", &card);
        assert!(
            problems
                .iter()
                .any(|p| p == "payment_method_details.card.multicapture.status: \"sometimes\" is not one of Stripe's values"),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p == "payment_method_details.card.brand: required field missing"),
            "{problems:?}"
        );
    }
}
