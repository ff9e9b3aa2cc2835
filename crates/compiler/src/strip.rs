//! Dropping a `--release` component's `component-name` section: the names of its
//! instances, types and functions, for debuggers and traps. `-C strip=symbols` strips the
//! core module's names, but the component layer keeps its own (6.7 KB of a 180 KB
//! component, issue 18); wasm-component-ld has no switch for it.

/// The custom section this removes.
const COMPONENT_NAMES: &[u8] = b"component-name";

/// `component` without its top-level `component-name` custom section; `None` when it has
/// none or is not a well-formed sequence of sections (then it is left as it is).
pub fn component_names(component: &[u8]) -> Option<Vec<u8>> {
    let mut out = component.get(..8)?.to_vec();
    let mut at = 8;
    let mut dropped = false;
    while at < component.len() {
        let (size, body) = leb128(component, at + 1)?;
        let end = body.checked_add(size).filter(|&e| e <= component.len())?;
        let custom_name = (component[at] == 0).then(|| leb128(component, body)).flatten();
        let named = custom_name
            .and_then(|(len, name)| component.get(name..name.checked_add(len)?))
            .is_some_and(|name| name == COMPONENT_NAMES);
        if named {
            dropped = true;
        } else {
            out.extend_from_slice(&component[at..end]);
        }
        at = end;
    }
    dropped.then_some(out)
}

/// The unsigned LEB128 at `at`: (value, offset after it).
fn leb128(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some((value, at));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"\0asm\x0d\0\x01\0";

    fn custom(name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name);
        body.extend_from_slice(data);
        let mut s = vec![0, body.len() as u8];
        s.extend(body);
        s
    }

    #[test]
    fn drops_only_the_component_name_section() {
        let producers = custom(b"producers", b"xyz");
        let mut component = HEADER.to_vec();
        component.extend(custom(b"component-name", b"names"));
        component.extend(&producers);
        component.extend([11, 0]); // an empty export section
        let mut want = HEADER.to_vec();
        want.extend(&producers);
        want.extend([11, 0]);
        assert_eq!(component_names(&component), Some(want));
    }

    #[test]
    fn leaves_components_without_it_and_malformed_bytes_alone() {
        let mut component = HEADER.to_vec();
        component.extend(custom(b"producers", b"xyz"));
        assert_eq!(component_names(&component), None);
        component.extend([0, 0x7f]); // a section that runs past the end
        assert_eq!(component_names(&component), None);
    }
}
