//! The shopper's emails about an instalment plan: an instalment taken (with what is still to
//! come), and one that could not be charged (when it is tried again, or that the shopper must
//! act, with the pay link). French by default, English for `en` customers.

use rust_decimal::Decimal;
use time::Date;

use super::emails::{assemble, escape_html, format_amount, RenderedEmail};
use super::{Currency, Locale, Reference};

/// What an instalment email says.
#[derive(Debug, Clone, Copy)]
pub struct InstalmentNews<'a> {
    pub name: &'a str,
    pub reference: &'a Reference,
    pub amount: Decimal,
    pub currency: Currency,
    pub index: u32,
    pub count: u32,
}

/// A date as the shopper reads it: "1 janvier 2027", "1 January 2027".
pub fn format_date(date: Date, locale: Locale) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let month = u8::from(date.month()) as usize - 1;
    match locale {
        Locale::Fr => format!("{} {} {}", date.day(), FR[month], date.year()),
        Locale::En => format!("{} {} {}", date.day(), date.month(), date.year()),
    }
}

/// Paragraphs → email (`emails::assemble`); `link` (text, url) as a last paragraph, the url
/// written out in the plain text.
fn email(subject: String, paragraphs: Vec<String>, link: Option<(&str, &str)>) -> RenderedEmail {
    let html = link.map_or_else(String::new, |(label, url)| {
        format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(url),
            escape_html(label)
        )
    });
    let mut email = assemble(subject, &paragraphs, &html);
    if let Some((label, url)) = link {
        email.text.push_str(&format!("\n\n{label}: {url}"));
    }
    email
}

/// Instalment `index` of `count` was taken; `upcoming` lists what is still to come.
pub fn taken(
    news: &InstalmentNews<'_>,
    upcoming: &[(Date, Decimal)],
    locale: Locale,
) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    let n = news;
    let a = format_amount(n.amount, n.currency, locale);
    let hello = if fr {
        format!("Bonjour {},", n.name)
    } else {
        format!("Hello {},", n.name)
    };
    let (subject, body) = if fr {
        (
            format!(
                "Échéance {}/{} payée – commande {}",
                n.index, n.count, n.reference
            ),
            format!(
                "L'échéance {} sur {} de votre commande {} a été débitée de votre carte : {a}.",
                n.index, n.count, n.reference
            ),
        )
    } else {
        (
            format!(
                "Instalment {}/{} paid – order {}",
                n.index, n.count, n.reference
            ),
            format!(
                "Instalment {} of {} for your order {} has been charged to your card: {a}.",
                n.index, n.count, n.reference
            ),
        )
    };
    let mut paragraphs = vec![hello, body];
    if !upcoming.is_empty() {
        let lines: Vec<String> = upcoming
            .iter()
            .map(|(due, amount)| {
                format!(
                    "{}{}{}",
                    format_date(*due, locale),
                    if fr { " : " } else { ": " },
                    format_amount(*amount, n.currency, locale)
                )
            })
            .collect();
        let intro = if fr {
            "Prochaines échéances, débitées sur la même carte :"
        } else {
            "Still to come, charged to the same card:"
        };
        paragraphs.push(format!("{intro}\n{}", lines.join("\n")));
    }
    paragraphs.push(
        if fr {
            "Merci de votre confiance."
        } else {
            "Thank you for your order."
        }
        .into(),
    );
    email(subject, paragraphs, None)
}

/// Instalment `index` could not be charged: tried again on `retry_on`, or not (`needs_shopper`:
/// the bank wants the shopper to confirm; None and false: the retries are used up).
pub fn failed(
    news: &InstalmentNews<'_>,
    retry_on: Option<Date>,
    needs_shopper: bool,
    pay_link: &str,
    locale: Locale,
) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    let n = news;
    let a = format_amount(n.amount, n.currency, locale);
    let hello = if fr {
        format!("Bonjour {},", n.name)
    } else {
        format!("Hello {},", n.name)
    };
    let subject = if fr {
        format!(
            "Échéance {}/{} non débitée – commande {}",
            n.index, n.count, n.reference
        )
    } else {
        format!(
            "Instalment {}/{} not charged – order {}",
            n.index, n.count, n.reference
        )
    };
    let what = if fr {
        format!(
            "L'échéance {} sur {} de votre commande {} ({a}) n'a pas pu être débitée de votre carte.",
            n.index, n.count, n.reference
        )
    } else {
        format!(
            "Instalment {} of {} for your order {} ({a}) could not be charged to your card.",
            n.index, n.count, n.reference
        )
    };
    let next = match (retry_on, needs_shopper, fr) {
        (_, true, true) => "Votre banque demande que vous confirmiez ce paiement vous-même : \
                            merci de le régler avec le lien ci-dessous."
            .to_string(),
        (_, true, false) => "Your bank asks you to confirm this payment yourself: please pay it \
                             with the link below."
            .to_string(),
        (Some(day), false, true) => format!(
            "Nous essaierons à nouveau le {}. Vous pouvez aussi la régler dès maintenant avec \
             le lien ci-dessous.",
            format_date(day, locale)
        ),
        (Some(day), false, false) => format!(
            "We will try again on {}. You can also pay it now with the link below.",
            format_date(day, locale)
        ),
        (None, false, true) => "Nous ne réessaierons plus : merci de la régler avec le lien \
                                ci-dessous."
            .to_string(),
        (None, false, false) => {
            "We will not try again: please pay it with the link below.".to_string()
        }
    };
    let label = if fr { "Payer maintenant" } else { "Pay now" };
    email(subject, vec![hello, what, next], Some((label, pay_link)))
}
