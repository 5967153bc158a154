//! An invoice as plain text and as an HTML fragment, with the seller's legal mentions, for the
//! invoice email. HTML values are escaped; amounts are formatted for the customer's locale.

use rust_decimal::Decimal;
use time::Date;

use super::invoice::{DocumentKind, Invoice};
use super::text_format::{escape_html, format_amount};
use super::Locale;

struct Labels {
    title: &'static str,
    date: &'static str,
    order: &'static str,
    billed_to: &'static str,
    qty: &'static str,
    unit: &'static str,
    vat: &'static str,
    net: &'static str,
    shipping: &'static str,
    not_shipped: &'static str,
    total_net: &'static str,
    total_tax: &'static str,
    total_gross: &'static str,
    paid: &'static str,
    vat_number: &'static str,
    credit_title: &'static str,
    credit_of: &'static str,
    refund_line: &'static str,
    refunded: &'static str,
}

const FR: Labels = Labels {
    title: "Facture",
    date: "Date",
    order: "Commande",
    billed_to: "Facturé à",
    qty: "Qté",
    unit: "PU HT",
    vat: "TVA",
    net: "Total HT",
    shipping: "Livraison",
    not_shipped: "Non facturé (non livré ou remboursé)",
    total_net: "Total HT",
    total_tax: "Total TVA",
    total_gross: "Total TTC",
    paid: "Facture acquittée par carte bancaire.",
    vat_number: "N° TVA",
    credit_title: "Avoir",
    credit_of: "Avoir sur la facture",
    refund_line: "Remboursement",
    refunded: "Avoir remboursé sur la carte bancaire.",
};

const EN: Labels = Labels {
    title: "Invoice",
    date: "Date",
    order: "Order",
    billed_to: "Billed to",
    qty: "Qty",
    unit: "Unit price (excl. VAT)",
    vat: "VAT",
    net: "Net",
    shipping: "Shipping",
    not_shipped: "Not invoiced (not shipped or refunded)",
    total_net: "Total excl. VAT",
    total_tax: "Total VAT",
    total_gross: "Total incl. VAT",
    paid: "Paid by card.",
    vat_number: "VAT number",
    credit_title: "Credit note",
    credit_of: "Credit note for invoice",
    refund_line: "Refund",
    refunded: "Refunded to the card.",
};

/// What differs between an invoice and a credit note: the title, the invoice it corrects, the
/// line label, whether shipping is listed, and how it was settled.
struct Kind<'a> {
    title: &'a str,
    corrects: Option<&'a str>,
    line: Option<&'a str>,
    shipping: bool,
    settled: &'a str,
}

fn kind<'a>(d: &'a crate::domain::InvoiceDraft, l: &'a Labels) -> Kind<'a> {
    match &d.kind {
        DocumentKind::Invoice => Kind {
            title: l.title,
            corrects: None,
            line: None,
            shipping: true,
            settled: l.paid,
        },
        DocumentKind::CreditNote { invoice } => Kind {
            title: l.credit_title,
            corrects: Some(invoice),
            line: Some(l.refund_line),
            shipping: false,
            settled: l.refunded,
        },
    }
}

fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

pub(crate) fn date(d: Date, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()),
        Locale::En => format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    }
}

pub(crate) fn rate(r: Decimal, locale: Locale) -> String {
    let text = r.normalize().to_string();
    match locale {
        Locale::Fr => format!("{} %", text.replace('.', ",")),
        Locale::En => format!("{text}%"),
    }
}

/// The seller block and the customer block, as lines.
fn parties(invoice: &Invoice, l: &Labels) -> (Vec<String>, Vec<String>) {
    let d = &invoice.draft;
    let s = &d.seller;
    let mut seller = vec![s.legal_name.clone()];
    seller.extend(s.address_lines.iter().cloned());
    seller.push(format!("SIREN {}", s.siren));
    if let Some(siret) = &s.siret {
        seller.push(format!("SIRET {siret}"));
    }
    seller.push(s.rcs.clone());
    seller.push(s.share_capital.clone());
    seller.push(format!("{} {}", l.vat_number, s.vat_number));
    let c = &d.customer;
    let mut customer = vec![format!("{}:", l.billed_to)];
    customer.extend(c.company.iter().cloned());
    customer.push(c.name.clone());
    customer.push(c.address.line1.clone());
    customer.extend(c.address.line2.iter().cloned());
    customer.push(format!(
        "{} {} {}",
        c.address.postcode, c.address.city, c.address.country
    ));
    (seller, customer)
}

pub fn invoice_text(invoice: &Invoice, locale: Locale) -> String {
    let l = labels(locale);
    let d = &invoice.draft;
    let money = |a| format_amount(a, d.currency, locale);
    let (seller, customer) = parties(invoice, l);
    let k = kind(d, l);
    let mut out = vec![format!("{} {}", k.title, invoice.number)];
    out.push(format!("{}: {}", l.date, date(d.issued_on, locale)));
    out.push(format!("{}: {}", l.order, d.orders_text()));
    if let Some(corrected) = k.corrects {
        out.push(format!("{} {corrected}", l.credit_of));
    }
    out.push(String::new());
    out.extend(seller);
    out.push(String::new());
    out.extend(customer);
    out.push(String::new());
    for line in &d.lines {
        out.push(format!(
            "{} — {} × {} — {} {} — {} {}",
            k.line.unwrap_or(&line.description),
            line.quantity,
            money(line.unit_price),
            l.vat,
            rate(line.tax_rate, locale),
            l.net,
            money(line.net)
        ));
    }
    if k.shipping {
        out.push(format!(
            "{} ({}) — {} {} — {} {}",
            l.shipping,
            d.shipping.method,
            l.vat,
            rate(d.shipping.tax_rate, locale),
            l.net,
            money(d.shipping.net)
        ));
    }
    for adjustment in &d.adjustments {
        out.push(format!(
            "{} — {} {} — {} {}",
            adjustment.label.as_deref().unwrap_or(l.not_shipped),
            l.vat,
            rate(adjustment.tax_rate, locale),
            l.net,
            money(adjustment.net)
        ));
    }
    out.push(String::new());
    for band in &d.tax_bands {
        out.push(format!(
            "{} {}: {} {} → {}",
            l.vat,
            rate(band.rate, locale),
            l.net,
            money(band.base),
            money(band.tax)
        ));
    }
    out.push(format!("{}: {}", l.total_net, money(d.net)));
    out.push(format!("{}: {}", l.total_tax, money(d.tax)));
    out.push(format!("{}: {}", l.total_gross, money(d.gross)));
    out.push(k.settled.to_string());
    out.join("\n")
}

pub fn invoice_html(invoice: &Invoice, locale: Locale) -> String {
    let l = labels(locale);
    let d = &invoice.draft;
    let e = |s: &str| escape_html(s);
    let money = |a| e(&format_amount(a, d.currency, locale));
    let (seller, customer) = parties(invoice, l);
    let block = |lines: Vec<String>| lines.iter().map(|x| e(x)).collect::<Vec<_>>().join("<br>");
    let k = kind(d, l);
    let corrects = k
        .corrects
        .map(|n| format!("<br>{} {}", e(l.credit_of), e(n)))
        .unwrap_or_default();
    let mut rows = String::new();
    for line in &d.lines {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(k.line.unwrap_or(&line.description)),
            line.quantity,
            money(line.unit_price),
            e(&rate(line.tax_rate, locale)),
            money(line.net)
        ));
    }
    if k.shipping {
        rows.push_str(&format!(
            "<tr><td>{} ({})</td><td>1</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(l.shipping),
            e(&d.shipping.method),
            money(d.shipping.net),
            e(&rate(d.shipping.tax_rate, locale)),
            money(d.shipping.net)
        ));
    }
    for adjustment in &d.adjustments {
        rows.push_str(&format!(
            "<tr><td>{}</td><td></td><td></td><td>{}</td><td>{}</td></tr>",
            e(adjustment.label.as_deref().unwrap_or(l.not_shipped)),
            e(&rate(adjustment.tax_rate, locale)),
            money(adjustment.net)
        ));
    }
    let bands: String = d
        .tax_bands
        .iter()
        .map(|b| {
            format!(
                "<tr><td>{} {}</td><td>{}</td><td>{}</td></tr>",
                e(l.vat),
                e(&rate(b.rate, locale)),
                money(b.base),
                money(b.tax)
            )
        })
        .collect();
    format!(
        "<section class=\"invoice\"><h2>{} {}</h2><p>{}: {}<br>{}: {}{corrects}</p>\
         <p>{}</p><p>{}</p>\
         <table><tr><th></th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{rows}</table>\
         <table>{bands}</table>\
         <p>{}: {}<br>{}: {}<br><strong>{}: {}</strong></p><p>{}</p></section>",
        e(k.title),
        e(&invoice.number),
        e(l.date),
        e(&date(d.issued_on, locale)),
        e(l.order),
        e(&d.orders_text()),
        block(seller),
        block(customer),
        e(l.qty),
        e(l.unit),
        e(l.vat),
        e(l.net),
        e(l.total_net),
        money(d.net),
        e(l.total_tax),
        money(d.tax),
        e(l.total_gross),
        money(d.gross),
        e(k.settled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::tests::{billing, seller};
    use crate::domain::order::tests::sample_order;
    use crate::domain::InvoiceDraft;
    use time::macros::datetime;

    fn invoice() -> Invoice {
        let mut b = billing();
        b.name = "Jeanne <b>Martin</b>".into();
        InvoiceDraft::from_order(
            &sample_order("ORD-10042"),
            rust_decimal::Decimal::MAX,
            &b,
            "pay_1",
            datetime!(2026-07-14 22:30 UTC),
            &seller(),
        )
        .unwrap()
        .numbered(42)
    }

    #[test]
    fn text_has_number_date_legal_mentions_and_totals() {
        let text = invoice_text(&invoice(), Locale::Fr);
        for needle in [
            "Facture F-2026-000042",
            "Date: 15/07/2026",
            "SIREN 123456789",
            "RCS Toulon",
            "N° TVA FR12123456789",
            "TVA 20 %",
            "Total TTC: 2\u{202f}922,00\u{a0}€",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        let en = invoice_text(&invoice(), Locale::En);
        assert!(en.contains("Total incl. VAT: €2,922.00"));
    }

    #[test]
    fn html_escapes_customer_text() {
        let html = invoice_html(&invoice(), Locale::En);
        assert!(html.contains("Jeanne &lt;b&gt;Martin&lt;/b&gt;"));
        assert!(html.contains("9 rue d&#39;Antrechaus"));
    }
}
