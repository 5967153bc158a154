//! Declares the embedded XML in the PDF's XMP metadata, as Factur-X requires (`fx:` properties,
//! and their PDF/A extension schema so the XMP stays PDF/A-valid). krilla writes the rest of the
//! XMP and has no way to add a schema of one's own, so the finished file is edited with lopdf:
//! the catalog's metadata stream is replaced, every other object kept as it is.

use lopdf::{Document, Object};

use super::render::{RenderError, FACTURX_FILE_NAME};

const FX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// The PDF with the Factur-X XMP properties added (`document_type`: `INVOICE`).
pub fn declare_facturx(pdf: &[u8], document_type: &str) -> Result<Vec<u8>, RenderError> {
    let fail = |what: &str| RenderError::Pdf(format!("Factur-X metadata: {what}"));
    let mut document = Document::load_mem(pdf).map_err(|e| fail(&e.to_string()))?;
    let metadata_id = document
        .catalog()
        .and_then(|catalog| catalog.get(b"Metadata"))
        .and_then(Object::as_reference)
        .map_err(|_| fail("no metadata stream"))?;
    let stream = document
        .get_object_mut(metadata_id)
        .and_then(Object::as_stream_mut)
        .map_err(|_| fail("the metadata is not a stream"))?;
    if stream.dict.get(b"Filter").is_ok() {
        return Err(fail("the metadata stream is compressed"));
    }
    let xmp = String::from_utf8(stream.content.clone()).map_err(|_| fail("not UTF-8"))?;
    let xmp = with_facturx(&xmp, document_type).ok_or_else(|| fail("unexpected XMP layout"))?;
    stream.set_content(xmp.into_bytes());
    let mut out = Vec::with_capacity(pdf.len() + 2048);
    document
        .save_to(&mut out)
        .map_err(|e| fail(&e.to_string()))?;
    Ok(out)
}

/// `xmp` with the Factur-X schema added to its PDF/A extension schemas and the `fx:` properties
/// in a description of their own; None if the packet is not shaped as expected.
fn with_facturx(xmp: &str, document_type: &str) -> Option<String> {
    const SCHEMAS: &str = "<pdfaExtension:schemas><rdf:Bag>";
    const END: &str = "</rdf:RDF>";
    let schemas_at = xmp.find(SCHEMAS)? + SCHEMAS.len();
    let end_at = xmp.rfind(END)?;
    if end_at < schemas_at || xmp.contains(FX_NAMESPACE) {
        return None;
    }
    let property = |name: &str, description: &str| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>\
             <pdfaProperty:valueType>Text</pdfaProperty:valueType>\
             <pdfaProperty:category>external</pdfaProperty:category>\
             <pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"
        )
    };
    let schema = format!(
        "<rdf:li rdf:parseType=\"Resource\">\
         <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\
         <pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>\
         <pdfaSchema:prefix>fx</pdfaSchema:prefix>\
         <pdfaSchema:property><rdf:Seq>{}{}{}{}</rdf:Seq></pdfaSchema:property></rdf:li>",
        property("DocumentFileName", "The name of the embedded XML document"),
        property(
            "DocumentType",
            "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"
        ),
        property(
            "Version",
            "The actual version of the standard applying to the embedded XML document"
        ),
        property(
            "ConformanceLevel",
            "The conformance level of the embedded XML document"
        ),
    );
    let description = format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{FX_NAMESPACE}\">\
         <fx:DocumentType>{document_type}</fx:DocumentType>\
         <fx:DocumentFileName>{FACTURX_FILE_NAME}</fx:DocumentFileName>\
         <fx:Version>1.0</fx:Version>\
         <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description>"
    );
    let mut out = String::with_capacity(xmp.len() + schema.len() + description.len());
    out.push_str(&xmp[..schemas_at]);
    out.push_str(&schema);
    out.push_str(&xmp[schemas_at..end_at]);
    out.push_str(&description);
    out.push_str(&xmp[end_at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_and_the_properties_are_added_once() {
        let xmp = "<x:xmpmeta><rdf:RDF><rdf:Description rdf:about=\"\">\
                   <pdfaExtension:schemas><rdf:Bag><rdf:li>mm</rdf:li></rdf:Bag>\
                   </pdfaExtension:schemas></rdf:Description></rdf:RDF></x:xmpmeta>";
        let out = with_facturx(xmp, "INVOICE").expect("patched");
        assert!(out.contains("<pdfaSchema:prefix>fx</pdfaSchema:prefix>"));
        assert!(out.contains("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>"));
        assert!(out.contains("<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>"));
        assert!(out.ends_with("</rdf:Description></rdf:RDF></x:xmpmeta>"));
        assert_eq!(with_facturx(&out, "INVOICE"), None, "never twice");
        assert_eq!(with_facturx("<rdf:RDF></rdf:RDF>", "INVOICE"), None);
    }
}
