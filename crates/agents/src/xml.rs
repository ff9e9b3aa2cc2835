//! The `xml` agent (agents.md §5.3): XML to JSON with `roxmltree` (no_std, so every target).
//! A document `<a x="1"><b>t</b><b>u</b></a>` becomes `{"a": {"@x": "1", "b": ["t", "u"]}}`:
//! attributes are `@name` keys, repeated child elements arrays, an element with only text a
//! string, text beside attributes `#text`. Names are local names (namespace prefixes
//! dropped). DTDs are refused (no entity expansion).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use roxmltree::{Document, Node};
use serde_json::{Map, Value};

use crate::error::permanent;
use crate::input::{bool_or, field, str_or};

struct Options {
    trim: bool,
    attributes: bool,
    preserve_text: bool,
}

/// `from-xml`: `{data, encoding?, preserve_text?, include_attributes?, trim_text?}` → `{root
/// name: content}`. `data` is XML text (or FileData / bytes in `encoding`, default utf-8);
/// `include_attributes` and `trim_text` default true; `preserve_text` (default false) keeps
/// the text of elements that also have child elements under `#text`. Errors: `INVALID_XML`
/// with the line and column, `INVALID_ENCODING`.
pub fn from_xml(input: &Value) -> Result<Value, Value> {
    let text = match field(input, "data") {
        Some(Value::String(s)) => s.clone(),
        _ => crate::text::decode(&crate::input::bytes(input, "data")?, str_or(input, "encoding", "utf-8")?)?,
    };
    let options = Options {
        trim: bool_or(input, "trim_text", true)?,
        attributes: bool_or(input, "include_attributes", true)?,
        preserve_text: bool_or(input, "preserve_text", false)?,
    };
    let doc = Document::parse(&text).map_err(|e| permanent("INVALID_XML", format!("invalid XML: {e}")))?;
    let root = doc.root_element();
    let mut out = Map::new();
    out.insert(root.tag_name().name().to_string(), element(root, &options));
    Ok(Value::Object(out))
}

fn element(node: Node<'_, '_>, o: &Options) -> Value {
    let children: Vec<Node<'_, '_>> = node.children().filter(Node::is_element).collect();
    let own_text: String = node.children().filter(Node::is_text).filter_map(|t| t.text()).collect();
    let own_text = if o.trim { own_text.trim().to_string() } else { own_text };
    let attributes: Vec<_> = if o.attributes { node.attributes().collect() } else { Vec::new() };
    if children.is_empty() && attributes.is_empty() {
        return Value::String(own_text);
    }
    let mut map = Map::new();
    for a in attributes {
        map.insert(format!("@{}", a.name()), Value::String(a.value().to_string()));
    }
    for child in children {
        let name = child.tag_name().name().to_string();
        let value = element(child, o);
        match map.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(first) => *first = Value::Array(Vec::from([first.take(), value])),
            None => {
                map.insert(name, value);
            }
        }
    }
    let has_children = map.keys().any(|k| !k.starts_with('@'));
    if !own_text.is_empty() && (!has_children || o.preserve_text) {
        map.insert("#text".into(), Value::String(own_text));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_attributes_and_repeats() {
        let x = r#"<?xml version="1.0"?><order id="7"><item sku="a">2</item><item>3</item><note/></order>"#;
        let v = from_xml(&json!({"data": x})).unwrap();
        assert_eq!(v, json!({"order": {"@id": "7", "item": [{"@sku": "a", "#text": "2"}, "3"], "note": ""}}));
        assert_eq!(from_xml(&json!({"data": "<a><b></a>"})).unwrap_err()["code"], "INVALID_XML");
    }
}
