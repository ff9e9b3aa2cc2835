//! The scope object references, conditions and templates are evaluated against, and
//! reference-path resolution (dsl-spec §4.1, §4.3).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

/// The evaluation scope of one graph level (dsl-spec §4.1).
///
/// `iteration`, `loop` and `item` are derived from the built-in variables `_loop_indices`,
/// `_index`, `_loop` and `_item`; `bindings` overrides roots for the duration of a Filter or
/// While condition, and holds `__error`/`error` while an onError route runs.
///
/// In a Split iteration ([`Scope::iteration_of`]) the item is `data` and `_item` is not
/// stored again in `variables`: reads of `item`, `variables._item` and `variables` find it in
/// `data`, so each item is held once.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub data: Value,
    pub variables: Map<String, Value>,
    pub steps: Map<String, Value>,
    pub bindings: Map<String, Value>,
    /// `_item` is `data` (a Split iteration).
    item_is_data: bool,
}

/// Result of walking a path (dsl-spec §4.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Found(Value),
    Absent,
    /// A named key was used on an array; carries the message.
    Mismatch(String),
}

impl Scope {
    /// A scope with the given data and variables and no step envelopes.
    pub fn new(data: Value, variables: Map<String, Value>) -> Self {
        Scope { data, variables, steps: Map::new(), bindings: Map::new(), item_is_data: false }
    }

    /// A Split iteration's scope (dsl-spec §7.4): `item` is both `data` and `_item`, held
    /// once. `variables` must not hold `_item`.
    pub fn iteration_of(item: Value, variables: Map<String, Value>) -> Self {
        Scope { item_is_data: true, ..Scope::new(item, variables) }
    }

    /// A scope over the same data (and so the same item) with other `variables`.
    pub fn with_variables(&self, variables: Map<String, Value>) -> Self {
        Scope { item_is_data: self.item_is_data, ..Scope::new(self.data.clone(), variables) }
    }

    /// The built-in `_item`, if this scope has one.
    pub fn item(&self) -> Option<&Value> {
        if self.item_is_data {
            Some(&self.data)
        } else {
            self.variables.get("_item")
        }
    }

    /// `variables` as an object, `_item` included.
    fn variables_value(&self) -> Value {
        let mut vars = self.variables.clone();
        if self.item_is_data {
            vars.insert("_item".into(), self.data.clone());
        }
        Value::Object(vars)
    }

    /// `workflow`: `{inputs: {data, variables}}`.
    fn workflow_value(&self) -> Value {
        let inputs = crate::value::object([("data", self.data.clone()), ("variables", self.variables_value())]);
        crate::value::object([("inputs", inputs)])
    }

    /// Walks `segs` from `from`, where `segs[from - 1]` named the variables.
    fn walk_variables(&self, text: &str, segs: &[&str], from: usize) -> Resolved {
        match segs.get(from) {
            Some(&"_item") if self.item_is_data => walk(&self.data, text, segs, from + 1),
            None if self.item_is_data => Resolved::Found(self.variables_value()),
            _ => walk_map(&self.variables, text, segs, from),
        }
    }

    /// Stores a step envelope under `steps.<id>`.
    pub fn store(&mut self, step_id: &str, envelope: Value) {
        self.steps.insert(step_id.to_string(), envelope);
    }

    /// The value of a root segment, if the root exists in this scope.
    fn root(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.bindings.get(name) {
            return Some(v.clone());
        }
        match name {
            "data" => Some(self.data.clone()),
            "variables" => Some(self.variables_value()),
            "steps" => Some(Value::Object(self.steps.clone())),
            "workflow" => Some(self.workflow_value()),
            "iteration" => self.iteration(),
            "loop" => self.variables.get("_loop").cloned(),
            "item" => self.item().cloned(),
            _ => None,
        }
    }

    /// `{index, indices, item}` when `_loop_indices` exists (dsl-spec §4.1).
    pub fn iteration(&self) -> Option<Value> {
        let indices = self.variables.get("_loop_indices")?;
        let index = self
            .variables
            .get("_index")
            .cloned()
            .or_else(|| indices.as_array().and_then(|a| a.last().cloned()))
            .unwrap_or(Value::Null);
        let item = self.item().cloned().unwrap_or(Value::Null);
        Some(crate::value::object([("index", index), ("indices", indices.clone()), ("item", item)]))
    }

    /// Resolves pre-tokenised segments (dsl-spec §4.3). `text` is the authored path, used in
    /// the Mismatch message.
    pub fn resolve(&self, text: &str, segments: &[&str]) -> Resolved {
        let Some((first, rest)) = segments.split_first() else {
            return Resolved::Found(self.as_value());
        };
        // Fast paths borrow instead of cloning the whole root.
        let owned;
        let start: &Value = match *first {
            "data" if !self.bindings.contains_key("data") => &self.data,
            "variables" if !self.bindings.contains_key("variables") => {
                return self.walk_variables(text, segments, 1);
            }
            "steps" if !self.bindings.contains_key("steps") => {
                return walk_map(&self.steps, text, segments, 1);
            }
            "item" if !self.bindings.contains_key("item") => match self.item() {
                Some(v) => return walk(v, text, segments, 1),
                None => return Resolved::Absent,
            },
            "loop" if !self.bindings.contains_key("loop") => match self.variables.get("_loop") {
                Some(v) => return walk(v, text, segments, 1),
                None => return Resolved::Absent,
            },
            "workflow" if rest.len() >= 2 && rest[0] == "inputs" => match rest[1] {
                "data" => return walk(&self.data, text, segments, 3),
                "variables" => return self.walk_variables(text, segments, 3),
                _ => return Resolved::Absent,
            },
            other => match self.root(other) {
                Some(v) => {
                    owned = v;
                    &owned
                }
                None => return Resolved::Absent,
            },
        };
        walk(start, text, segments, 1)
    }

    /// Moves the value at a `steps.*` path out of the scope (leaving null), or `None` when
    /// the path does not lead to a value (the caller then resolves it normally for the
    /// exact absent/mismatch semantics).
    pub fn take(&mut self, segments: &[&str]) -> Option<Value> {
        let ["steps", id, rest @ ..] = segments else { return None };
        if self.bindings.contains_key("steps") {
            return None;
        }
        let mut cur = self.steps.get_mut(*id)?;
        for seg in rest {
            cur = match cur {
                Value::Object(m) => m.get_mut(*seg)?,
                Value::Array(a) => {
                    if !is_index(seg) {
                        return None;
                    }
                    let i = index(a.len(), seg)?;
                    &mut a[i]
                }
                _ => return None,
            };
        }
        Some(core::mem::take(cur))
    }

    /// The whole scope as one JSON object (templates, empty paths).
    pub fn as_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("data".into(), self.data.clone());
        m.insert("variables".into(), self.variables_value());
        m.insert("steps".into(), Value::Object(self.steps.clone()));
        m.insert("workflow".into(), self.workflow_value());
        for key in ["iteration", "loop", "item"] {
            if let Some(v) = self.root(key) {
                m.insert(key.into(), v);
            }
        }
        for (k, v) in &self.bindings {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

fn walk_map(m: &Map<String, Value>, text: &str, segs: &[&str], from: usize) -> Resolved {
    match segs.get(from) {
        None => Resolved::Found(Value::Object(m.clone())),
        Some(key) => match m.get(*key) {
            Some(v) => walk(v, text, segs, from + 1),
            None => Resolved::Absent,
        },
    }
}

fn walk(start: &Value, text: &str, segs: &[&str], from: usize) -> Resolved {
    let mut cur = start;
    for (i, seg) in segs.iter().enumerate().skip(from) {
        cur = match cur {
            Value::Object(m) => match m.get(*seg) {
                Some(v) => v,
                None => return Resolved::Absent,
            },
            Value::Array(a) => {
                if !is_index(seg) {
                    let prefix: Vec<&str> = segs[..i].to_vec();
                    let prefix = prefix.join(".");
                    return Resolved::Mismatch(format!(
                        "reference '{text}' cannot be resolved: '{prefix}' is an array with no field '{seg}' — address array elements by numeric index (e.g. '{prefix}.0')"
                    ));
                }
                match index(a.len(), seg) {
                    Some(i) => &a[i],
                    None => return Resolved::Absent,
                }
            }
            _ => return Resolved::Absent,
        };
    }
    Resolved::Found(cur.clone())
}

fn is_index(seg: &str) -> bool {
    let d = seg.strip_prefix('-').unwrap_or(seg);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

/// Python-style index into a sequence of `len` (dsl-spec §4.3); out of range → `None`.
pub fn index(len: usize, seg: &str) -> Option<usize> {
    let n: i64 = seg.parse().ok()?;
    let i = if n < 0 { len as i64 + n } else { n };
    (0..len as i64).contains(&i).then_some(i as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_split_iteration_reads_its_item_from_data_wherever_item_is_named() {
        let mut vars = Map::new();
        vars.insert("_loop_indices".into(), json!([4]));
        vars.insert("_index".into(), json!(4));
        let s = Scope::iteration_of(json!({"n": 7}), vars);
        assert!(!s.variables.contains_key("_item"), "held once");
        let found = |path: &str| match s.resolve(path, &path.split('.').collect::<Vec<_>>()) {
            Resolved::Found(v) => v,
            other => panic!("{path}: {other:?}"),
        };
        for path in ["item.n", "data.n", "variables._item.n", "workflow.inputs.variables._item.n", "iteration.item.n"] {
            assert_eq!(found(path), json!(7), "{path}");
        }
        assert_eq!(found("variables")["_item"], json!({"n": 7}));
        assert_eq!(s.as_value()["variables"]["_item"], json!({"n": 7}));
        assert_eq!(s.with_variables(Map::new()).item(), Some(&json!({"n": 7})), "a scope over the same data");
    }

    fn scope() -> Scope {
        let mut s = Scope::new(json!({"items": [1, 2, 3], "a.b": 5, "o": {"x": null}}), Map::new());
        s.store("split", json!({"outputs": [{"v": 1}]}));
        s
    }

    #[test]
    fn resolution_rules() {
        let s = scope();
        assert_eq!(s.resolve("", &["data", "items", "-1"]), Resolved::Found(json!(3)));
        assert_eq!(s.resolve("", &["data", "items", "9"]), Resolved::Absent);
        assert_eq!(s.resolve("", &["data", "a.b"]), Resolved::Found(json!(5)));
        assert_eq!(s.resolve("", &["data", "o", "x"]), Resolved::Found(Value::Null));
        assert_eq!(s.resolve("", &["data", "o", "x", "deeper"]), Resolved::Absent);
        assert_eq!(s.resolve("", &["workflow", "inputs", "data", "items", "0"]), Resolved::Found(json!(1)));
        assert_eq!(s.resolve("", &["dat", "x"]), Resolved::Absent);
    }

    #[test]
    fn named_key_into_array_is_a_mismatch() {
        let s = scope();
        let r = s.resolve("steps.split.outputs.result", &["steps", "split", "outputs", "result"]);
        let Resolved::Mismatch(m) = r else { panic!("{r:?}") };
        assert!(m.contains("'steps.split.outputs' is an array with no field 'result'"), "{m}");
    }
}
