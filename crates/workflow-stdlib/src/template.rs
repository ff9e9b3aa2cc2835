//! Templates (dsl-spec §6): minijinja 2 against the whole scope, lenient undefined, result
//! always a string.

use alloc::format;
use serde_json::Value;

use crate::failure::Failure;
use crate::scope::Scope;

/// Renders `source` against the scope. Errors: `Template parse error: …` for syntax,
/// `Template render error: …` for evaluation (e.g. attribute access on an undefined value).
pub fn template(scope: &Scope, source: &str) -> Result<Value, Failure> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    let tmpl = env.template_from_str(source).map_err(|e| Failure::msg(format!("Template parse error: {e}")))?;
    let out = tmpl.render(scope.as_value()).map_err(|e| {
        let hint = match e.kind() {
            minijinja::ErrorKind::UnknownFilter
            | minijinja::ErrorKind::UnknownFunction
            | minijinja::ErrorKind::UnknownTest
            | minijinja::ErrorKind::UnknownMethod => " (unknown filter/function/test/method)",
            _ => "",
        };
        Failure::msg(format!("Template render error: {e}{hint}"))
    })?;
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    #[test]
    fn renders_strings_and_lenient_undefined() {
        let s = Scope::new(json!({"n": 5, "name": "ada"}), Map::new());
        assert_eq!(template(&s, "{{ data.n }}").unwrap(), json!("5"));
        assert_eq!(template(&s, "Hi {{ data.missing }}").unwrap(), json!("Hi "));
        assert_eq!(template(&s, "{{ data.name | upper }}").unwrap(), json!("ADA"));
        assert!(template(&s, "{{ data.missing.x }}").unwrap_err().text().starts_with("Template render error"));
        assert!(template(&s, "{% if %}").unwrap_err().text().starts_with("Template parse error"));
    }
}
