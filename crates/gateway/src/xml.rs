//! Reading XML from the outside safely: the one door every gateway message
//! comes in through. A document is refused before it can cost us: over
//! [`MAX_BYTES`], nested deeper than [`MAX_DEPTH`], more than
//! [`MAX_ELEMENTS`] elements, any `<!DOCTYPE …>` (so no entity is ever
//! declared, external or expanding), and any entity reference other than
//! the five XML predefines and character references. quick-xml never fetches
//! anything; with no DOCTYPE there is nothing it could fetch.
//!
//! The result is a small owned tree that keeps, for each element, the byte
//! range of its content in the original document: a signature covers exact
//! bytes, never a re-serialisation.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};
use std::ops::Range;

/// The largest message the gateway accepts.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Deeper than any SOAP message of ours (which nests about eight levels).
pub const MAX_DEPTH: usize = 32;
/// Elements in one message.
pub const MAX_ELEMENTS: usize = 10_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("larger than {MAX_BYTES} bytes")]
    TooLarge,
    #[error("nested deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    #[error("a DOCTYPE is not accepted")]
    DocType,
    #[error("entity `{0}` is not accepted")]
    Entity(String),
    #[error("not UTF-8")]
    NotUtf8,
    #[error("not well-formed: {0}")]
    Malformed(String),
}

/// An element as read: its namespace, local name, attributes (by local
/// name, namespace declarations left out), child elements and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The element's own text (and CDATA), entities resolved, in order.
    pub text: String,
    /// The bytes between the start tag's `>` and the end tag's `<`.
    pub inner: Range<usize>,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child with this local name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.name == name
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// Reads one document (see the module docs for what is refused).
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    if bytes.len() > MAX_BYTES {
        return Err(XmlError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let before = usize::try_from(reader.buffer_position()).map_err(malformed)?;
        let (resolved, event) = reader.read_resolved_event().map_err(malformed)?;
        let ns = match resolved {
            ResolveResult::Bound(n) => Some(str::to_owned(n.as_ref())),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(XmlError::Malformed(format!("unbound prefix `{p}`")))
            }
        };
        match event {
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(malformed("content after the root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(malformed)?;
                    let key = a.key;
                    if key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let value =
                        a.normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|err| match err {
                                quick_xml::Error::Escape(esc) => XmlError::Entity(esc.to_string()),
                                other => malformed(other),
                            })?;
                    attrs.push((str::to_owned(key.local_name().as_ref()), value.into_owned()));
                }
                let after = usize::try_from(reader.buffer_position()).map_err(malformed)?;
                let el = Element {
                    ns,
                    name: str::to_owned(e.local_name().as_ref()),
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                    inner: after..after,
                };
                if matches!(event, Event::Start(_)) {
                    stack.push(el);
                } else {
                    attach(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                let mut el = stack.pop().ok_or_else(|| malformed("unexpected end tag"))?;
                el.inner.end = before;
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => match stack.last_mut() {
                Some(el) => el.text.push_str(&t.xml10_content()),
                None if t.xml10_content().trim().is_empty() => {}
                None => return Err(malformed("text outside the root element")),
            },
            Event::CData(c) => match stack.last_mut() {
                Some(el) => el.text.push_str(&c.xml10_content()),
                None => return Err(malformed("CDATA outside the root element")),
            },
            Event::GeneralRef(r) => {
                let name = r.xml10_content().into_owned();
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|_| XmlError::Entity(name.clone()))?
                        .ok_or_else(|| XmlError::Entity(name.clone()))?
                } else {
                    predefined(&name).ok_or(XmlError::Entity(name))?
                };
                match stack.last_mut() {
                    Some(el) => el.text.push(ch),
                    None => return Err(malformed("reference outside the root element")),
                }
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unclosed element"));
    }
    root.ok_or_else(|| malformed("no root element"))
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// Text made safe to place between tags or inside a double-quoted attribute.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_text_and_spans() {
        let doc = br#"<?xml version="1.0"?><a:x xmlns:a="urn:a" k="v &amp; w"><b>1 &lt; 2 &#x41;</b><c/></a:x>"#;
        let el = parse(doc).unwrap();
        assert!(el.is("urn:a", "x"));
        assert_eq!(el.attr("k"), Some("v & w"));
        assert_eq!(el.child_text("b"), Some("1 < 2 A"));
        assert_eq!(&doc[el.inner.clone()], b"<b>1 &lt; 2 &#x41;</b><c/>");
    }

    #[test]
    fn refuses_doctype_even_harmless() {
        assert_eq!(parse(b"<!DOCTYPE a><a/>").unwrap_err(), XmlError::DocType);
    }

    #[test]
    fn refuses_undeclared_entities() {
        assert!(matches!(
            parse(b"<a>&xxe;</a>").unwrap_err(),
            XmlError::Entity(_)
        ));
        assert!(matches!(
            parse(b"<a b=\"&xxe;\"/>").unwrap_err(),
            XmlError::Entity(_)
        ));
    }

    #[test]
    fn refuses_unclosed_and_trailing() {
        assert!(matches!(
            parse(b"<a><b></a>").unwrap_err(),
            XmlError::Malformed(_)
        ));
        assert!(matches!(
            parse(b"<a/><b/>").unwrap_err(),
            XmlError::Malformed(_)
        ));
        assert!(matches!(parse(b"<a>").unwrap_err(), XmlError::Malformed(_)));
    }
}
