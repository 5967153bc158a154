//! Text shared by the emails and the invoices: HTML escaping and amounts as each locale writes
//! them.

use rust_decimal::Decimal;

use super::{Currency, Locale};

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "2 922,00 €" in French, "€2,922.00" in English; other currencies by their code.
pub fn format_amount(amount: Decimal, currency: Currency, locale: Locale) -> String {
    let plain = currency.format(amount);
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, point) = match locale {
        Locale::Fr => ('\u{202f}', ','),
        Locale::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let number = match frac {
        "" => format!("{sign}{grouped}"),
        f => format!("{sign}{grouped}{point}{f}"),
    };
    match (locale, currency.code()) {
        (Locale::Fr, "EUR") => format!("{number}\u{a0}€"),
        (Locale::En, "EUR") => format!("€{number}"),
        (Locale::Fr, code) => format!("{number}\u{a0}{code}"),
        (Locale::En, code) => format!("{code} {number}"),
    }
}
