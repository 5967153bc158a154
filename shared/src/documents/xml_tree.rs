//! A small element tree written out by quick-xml (which escapes text and attributes), so the
//! CII document reads top-down in the same nesting as the standard.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    name: &'static str,
    attributes: Vec<(&'static str, String)>,
    text: Option<String>,
    children: Vec<Element>,
}

pub fn el(name: &'static str) -> Element {
    Element {
        name,
        attributes: Vec::new(),
        text: None,
        children: Vec::new(),
    }
}

/// `<name>text</name>`.
pub fn leaf(name: &'static str, text: impl Into<String>) -> Element {
    el(name).text(text)
}

impl Element {
    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attributes.push((name, value.into()));
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    pub fn child_if(self, child: Option<Element>) -> Self {
        match child {
            Some(child) => self.child(child),
            None => self,
        }
    }

    pub fn children(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children.extend(children);
        self
    }

    /// The document, UTF-8, with its XML declaration, indented by two spaces.
    pub fn to_document(&self) -> Vec<u8> {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing into a Vec cannot fail.
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        let _ = self.write(&mut writer);
        let mut bytes = writer.into_inner();
        bytes.push(b'\n');
        bytes
    }

    fn write(&self, writer: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let element = writer.create_element(self.name).with_attributes(
            self.attributes
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        match (&self.text, self.children.is_empty()) {
            (Some(text), _) => {
                element.write_text_content(BytesText::new(text))?;
            }
            (None, true) => {
                element.write_empty()?;
            }
            (None, false) => {
                element.write_inner_content(|w| {
                    self.children.iter().try_for_each(|child| child.write(w))
                })?;
            }
        }
        Ok(())
    }
}
