//! The printed invoice or credit note laid out on A4 pages as drawing operations (text and
//! rules), independent of the PDF library: the header and parties, the lines (the table carried
//! over to as many pages as it takes, its header repeated), VAT per rate, totals, how it was
//! paid, and on every page the legal mentions and "page i / n". In French, the language French
//! invoicing law requires.

use rust_decimal::Decimal;

use super::cii::{payment_terms, LATE_PAYMENT_PENALTIES, NO_EARLY_DISCOUNT, RECOVERY_INDEMNITY};
use super::font::{drawable, width, wrap};
use crate::domain::invoice::DocumentKind;
use crate::domain::invoice_text::{date, rate};
use crate::domain::text_format::format_amount;
use crate::domain::{Invoice, Locale};

pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// Where the footer (legal mentions) starts: the body stops above it.
const BODY_BOTTOM: f32 = PAGE_HEIGHT - 105.0;
const ROW: f32 = 13.0;
const BODY: f32 = 9.0;

/// Table columns: description left-aligned at MARGIN, the others right-aligned at these x.
const QTY_X: f32 = 345.0;
const UNIT_X: f32 = 415.0;
const VAT_X: f32 = 465.0;
const DESCRIPTION_WIDTH: f32 = 250.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `y` is the baseline; text is already reduced to what the font can draw.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        align: Align,
        muted: bool,
    },
    /// A horizontal rule.
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        accent: bool,
    },
}

#[derive(Debug, Default)]
pub struct Pages {
    pub pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pages {
    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, x: f32, size: f32, text: &str, align: Align, muted: bool) {
        let y = self.y;
        self.page().push(Op::Text {
            x,
            y,
            size,
            text: drawable(text),
            align,
            muted,
        });
    }

    fn rule(&mut self, x1: f32, x2: f32, accent: bool) {
        let y = self.y;
        self.page().push(Op::Rule { x1, x2, y, accent });
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN + 10.0;
    }

    /// Starts a new page unless `height` still fits above the footer.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > BODY_BOTTOM {
            self.new_page();
            return true;
        }
        false
    }
}

/// Every page of `invoice`, footers included.
pub fn lay_out(invoice: &Invoice) -> Vec<Vec<Op>> {
    let mut pages = Pages::default();
    pages.new_page();
    header(&mut pages, invoice);
    table(&mut pages, invoice);
    summarised_orders(&mut pages, invoice);
    totals(&mut pages, invoice);
    let count = pages.pages.len();
    for (i, page) in pages.pages.iter_mut().enumerate() {
        footer(page, invoice, i + 1, count);
    }
    pages.pages
}

fn money(invoice: &Invoice, amount: Decimal) -> String {
    format_amount(amount, invoice.draft.currency, Locale::Fr)
}

fn title(invoice: &Invoice) -> &'static str {
    match invoice.draft.kind {
        DocumentKind::Invoice => "FACTURE",
        DocumentKind::CreditNote { .. } => "AVOIR",
    }
}

fn header(pages: &mut Pages, invoice: &Invoice) {
    let draft = &invoice.draft;
    let seller = &draft.seller;
    let top = pages.y;
    pages.y = top + 6.0;
    pages.text(MARGIN, 15.0, &seller.legal_name, Align::Left, false);
    pages.y += 16.0;
    let mut seller_lines: Vec<String> = seller.address_lines.clone();
    let city = format!("{} {}", seller.postcode, seller.city);
    if !city.trim().is_empty() {
        seller_lines.push(city.trim().to_string());
    }
    seller_lines.push(format!("SIREN {}", seller.siren));
    if let Some(siret) = &seller.siret {
        seller_lines.push(format!("SIRET {siret}"));
    }
    seller_lines.push(format!("N° TVA {}", seller.vat_number));
    for line in seller_lines {
        pages.text(MARGIN, BODY, &line, Align::Left, true);
        pages.y += 11.5;
    }
    let seller_bottom = pages.y;

    pages.y = top + 6.0;
    pages.text(RIGHT, 18.0, title(invoice), Align::Right, false);
    pages.y += 18.0;
    pages.text(
        RIGHT,
        11.0,
        &format!("N° {}", invoice.number),
        Align::Right,
        false,
    );
    pages.y += 14.0;
    let mut facts = vec![format!("Date : {}", date(draft.issued_on, Locale::Fr))];
    match &draft.summary {
        Some(summary) => {
            facts.push(format!(
                "Période : {} – {}",
                date(summary.month.first_day(), Locale::Fr),
                date(draft.issued_on, Locale::Fr)
            ));
            facts.push(format!("Commandes : {}", summary.orders.len()));
        }
        None => facts.push(format!("Commande : {}", draft.order_reference)),
    }
    if let Some(delivered) = draft.delivered_on {
        facts.push(format!("Livraison : {}", date(delivered, Locale::Fr)));
    }
    if let DocumentKind::CreditNote { invoice } = &draft.kind {
        facts.push(format!("Sur la facture {invoice}"));
    }
    for fact in facts {
        pages.text(RIGHT, BODY, &fact, Align::Right, false);
        pages.y += 11.5;
    }

    // The buyer, in a block on the right.
    pages.y = seller_bottom.max(pages.y) + 18.0;
    let x = 330.0;
    pages.text(x, 8.0, "Facturé à", Align::Left, true);
    pages.y += 13.0;
    let customer = &draft.customer;
    let address = &customer.address;
    let mut lines = Vec::new();
    if let Some(company) = &customer.company {
        lines.push(company.clone());
    }
    lines.push(customer.name.clone());
    lines.push(address.line1.clone());
    if let Some(line2) = &address.line2 {
        lines.push(line2.clone());
    }
    lines.push(format!("{} {}", address.postcode, address.city));
    lines.push(address.country.clone());
    lines.push(customer.email.clone());
    for line in lines {
        for part in wrap(&drawable(&line), 10.0, RIGHT - x, 2) {
            pages.text(x, 10.0, &part, Align::Left, false);
            pages.y += 12.5;
        }
    }
    pages.y += 18.0;
}

fn table_header(pages: &mut Pages) {
    pages.rule(MARGIN, RIGHT, true);
    pages.y += 12.0;
    pages.text(MARGIN, 8.0, "Désignation", Align::Left, true);
    pages.text(QTY_X, 8.0, "Qté", Align::Right, true);
    pages.text(UNIT_X, 8.0, "PU HT", Align::Right, true);
    pages.text(VAT_X, 8.0, "TVA", Align::Right, true);
    pages.text(RIGHT, 8.0, "Total HT", Align::Right, true);
    pages.y += 6.0;
    pages.rule(MARGIN, RIGHT, false);
    pages.y += ROW;
}

struct Row {
    description: Vec<String>,
    quantity: String,
    unit: String,
    rate: String,
    net: String,
}

fn rows(invoice: &Invoice) -> Vec<Row> {
    let draft = &invoice.draft;
    let rate = |r: Decimal| rate(r, Locale::Fr);
    let mut rows: Vec<Row> = draft
        .lines
        .iter()
        .map(|line| Row {
            description: wrap(&drawable(&line.description), BODY, DESCRIPTION_WIDTH, 3),
            quantity: line.quantity.to_string(),
            unit: money(invoice, line.unit_price),
            rate: rate(line.tax_rate),
            net: money(invoice, line.net),
        })
        .collect();
    if !draft.shipping.net.is_zero() {
        rows.push(Row {
            description: wrap(
                &drawable(&format!("Livraison {}", draft.shipping.method)),
                BODY,
                DESCRIPTION_WIDTH,
                2,
            ),
            quantity: "1".into(),
            unit: money(invoice, draft.shipping.net),
            rate: rate(draft.shipping.tax_rate),
            net: money(invoice, draft.shipping.net),
        });
    }
    for adjustment in &draft.adjustments {
        rows.push(Row {
            description: vec!["Non facturé (non livré ou remboursé)".into()],
            quantity: String::new(),
            unit: String::new(),
            rate: rate(adjustment.tax_rate),
            net: money(invoice, adjustment.net),
        });
    }
    rows
}

fn table(pages: &mut Pages, invoice: &Invoice) {
    table_header(pages);
    for row in rows(invoice) {
        let height = ROW * row.description.len() as f32;
        if pages.ensure(height + 4.0) {
            table_header(pages);
        }
        pages.text(QTY_X, BODY, &row.quantity, Align::Right, false);
        pages.text(UNIT_X, BODY, &row.unit, Align::Right, false);
        pages.text(VAT_X, BODY, &row.rate, Align::Right, false);
        pages.text(RIGHT, BODY, &row.net, Align::Right, false);
        for line in &row.description {
            pages.text(MARGIN, BODY, line, Align::Left, false);
            pages.y += ROW;
        }
    }
    pages.y -= ROW - 6.0;
    pages.rule(MARGIN, RIGHT, false);
    pages.y += 20.0;
}

/// A month summary's orders: each with its dates and what it adds (VAT included).
fn summarised_orders(pages: &mut Pages, invoice: &Invoice) {
    let Some(summary) = &invoice.draft.summary else {
        return;
    };
    let heading = |pages: &mut Pages| {
        pages.text(MARGIN, 8.0, "Commande", Align::Left, true);
        pages.text(200.0, 8.0, "Passée le", Align::Left, true);
        pages.text(300.0, 8.0, "Livrée le", Align::Left, true);
        pages.text(RIGHT, 8.0, "Total TTC", Align::Right, true);
        pages.y += ROW;
    };
    pages.ensure(ROW * 3.0);
    pages.text(MARGIN, 10.0, "Commandes du mois", Align::Left, false);
    pages.y += ROW + 2.0;
    heading(pages);
    for order in &summary.orders {
        if pages.ensure(ROW + 4.0) {
            heading(pages);
        }
        let delivered = order
            .delivered_on
            .map(|d| date(d, Locale::Fr))
            .unwrap_or_else(|| "non livrée".into());
        pages.text(MARGIN, BODY, order.reference.as_str(), Align::Left, false);
        pages.text(
            200.0,
            BODY,
            &date(order.ordered_on, Locale::Fr),
            Align::Left,
            false,
        );
        pages.text(300.0, BODY, &delivered, Align::Left, false);
        pages.text(
            RIGHT,
            BODY,
            &money(invoice, order.gross()),
            Align::Right,
            false,
        );
        pages.y += ROW;
    }
    pages.y += 10.0;
}

fn totals(pages: &mut Pages, invoice: &Invoice) {
    let draft = &invoice.draft;
    let bands = draft.tax_bands.len() as f32;
    pages.ensure(ROW * (bands + 7.0) + 40.0);
    let label_x = 330.0;
    let start = pages.y;
    // VAT per rate, on the left.
    pages.text(MARGIN, 8.0, "TVA par taux", Align::Left, true);
    pages.text(220.0, 8.0, "Base HT", Align::Right, true);
    pages.text(290.0, 8.0, "TVA", Align::Right, true);
    pages.y += ROW;
    for band in &draft.tax_bands {
        pages.text(
            MARGIN,
            BODY,
            &rate(band.rate, Locale::Fr),
            Align::Left,
            false,
        );
        pages.text(220.0, BODY, &money(invoice, band.base), Align::Right, false);
        pages.text(290.0, BODY, &money(invoice, band.tax), Align::Right, false);
        pages.y += ROW;
    }
    let left_bottom = pages.y;

    pages.y = start;
    let total = |pages: &mut Pages, label: &str, amount: Decimal, size: f32| {
        pages.text(label_x, size, label, Align::Left, false);
        pages.text(RIGHT, size, &money(invoice, amount), Align::Right, false);
        pages.y += size + 4.5;
    };
    total(pages, "Total HT", draft.net, BODY);
    total(pages, "Total TVA", draft.tax, BODY);
    pages.y += 2.0;
    pages.rule(label_x, RIGHT, true);
    pages.y += 13.0;
    total(pages, "Total TTC", draft.gross, 11.0);
    let settled = draft.gross - draft.amount_due;
    match draft.kind {
        DocumentKind::Invoice => {
            total(pages, "Déjà payé", settled, BODY);
            total(pages, "Reste à payer", draft.amount_due, BODY);
        }
        DocumentKind::CreditNote { .. } => total(pages, "Remboursé", settled, BODY),
    }
    pages.y = pages.y.max(left_bottom) + 14.0;
    for line in wrap(&payment_terms(invoice), 10.0, RIGHT - MARGIN, 3) {
        pages.text(MARGIN, 10.0, &line, Align::Left, false);
        pages.y += 13.0;
    }
}

fn footer(page: &mut Vec<Op>, invoice: &Invoice, number: usize, count: usize) {
    let seller = &invoice.draft.seller;
    let mut y = BODY_BOTTOM + 22.0;
    page.push(Op::Rule {
        x1: MARGIN,
        x2: RIGHT,
        y: y - 12.0,
        accent: false,
    });
    let legal = format!(
        "{} – {} – {}",
        seller.legal_name, seller.share_capital, seller.rcs
    );
    let mentions = [
        LATE_PAYMENT_PENALTIES,
        RECOVERY_INDEMNITY,
        NO_EARLY_DISCOUNT,
        legal.as_str(),
    ];
    for mention in mentions {
        for line in wrap(&drawable(mention), 7.0, RIGHT - MARGIN - 110.0, 2) {
            page.push(Op::Text {
                x: MARGIN,
                y,
                size: 7.0,
                text: line,
                align: Align::Left,
                muted: true,
            });
            y += 9.0;
        }
    }
    page.push(Op::Text {
        x: RIGHT,
        y: BODY_BOTTOM + 22.0,
        size: 7.0,
        text: format!("{} – page {number} / {count}", invoice.number),
        align: Align::Right,
        muted: true,
    });
}

/// The x where text drawn with `align` at `x` starts.
pub fn start_x(x: f32, size: f32, text: &str, align: Align) -> f32 {
    match align {
        Align::Left => x,
        Align::Right => x - width(text, size),
    }
}
