//! The customer emails, French by default and English for `en` customers: subject, plain text
//! and HTML. They name the order and amounts only: no card numbers, IBANs or PSP ids ever
//! reach an email. Every interpolated value is HTML-escaped in the HTML part.

use rust_decimal::Decimal;

use super::invoice::Invoice;
use super::{Currency, Locale, Reference};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, Copy)]
pub enum EmailContent<'a> {
    /// The card was authorised (or paid) at checkout: sent at once.
    PaymentReceived {
        name: &'a str,
        reference: &'a Reference,
        amount: Decimal,
        currency: Currency,
    },
    /// Paid and taken at once (a wallet without a separate authorisation).
    PaymentTaken {
        name: &'a str,
        reference: &'a Reference,
        amount: Decimal,
        currency: Currency,
    },
    /// The card was debited at shipment.
    AmountDebited {
        name: &'a str,
        reference: &'a Reference,
        amount: Decimal,
        currency: Currency,
    },
    /// With the credit note when the order was already invoiced.
    RefundIssued {
        name: &'a str,
        reference: &'a Reference,
        amount: Decimal,
        currency: Currency,
        credit_note: Option<&'a Invoice>,
    },
    Invoice {
        name: &'a str,
        invoice: &'a Invoice,
    },
    /// The card authorisation lapsed before the order shipped: pay what remains.
    ReauthorisationNeeded {
        name: &'a str,
        reference: &'a Reference,
        amount: Decimal,
        currency: Currency,
        /// The shopper pages' pay link for this order (`…/pay?ref=ORD-10042`).
        pay_link: &'a str,
    },
    /// The seller did not accept the order after its fraud review: the amount held on the
    /// card was released, nothing is charged.
    OrderRejected {
        name: &'a str,
        reference: &'a Reference,
        amount: Decimal,
        currency: Currency,
    },
    /// An instalment was taken (the first at checkout, the others on their dates), with what
    /// is still to come (due date, amount).
    InstalmentTaken {
        news: super::instalment_emails::InstalmentNews<'a>,
        upcoming: &'a [(time::Date, Decimal)],
    },
    /// An instalment could not be charged: tried again on `retry_on`, or the shopper must act
    /// (`needs_shopper`: the bank wants them present), with the pay link.
    InstalmentFailed {
        news: super::instalment_emails::InstalmentNews<'a>,
        retry_on: Option<time::Date>,
        needs_shopper: bool,
        pay_link: &'a str,
    },
}

impl EmailContent<'_> {
    /// Names the template in dedupe keys and logs.
    pub fn template(&self) -> &'static str {
        match self {
            EmailContent::PaymentReceived { .. } | EmailContent::PaymentTaken { .. } => {
                "payment_received"
            }
            EmailContent::AmountDebited { .. } => "amount_debited",
            EmailContent::RefundIssued { .. } => "refund_issued",
            EmailContent::Invoice { .. } => "invoice",
            EmailContent::ReauthorisationNeeded { .. } => "reauthorisation_needed",
            EmailContent::OrderRejected { .. } => "order_rejected",
            EmailContent::InstalmentTaken { .. } => "instalment_taken",
            EmailContent::InstalmentFailed { .. } => "instalment_failed",
        }
    }
}

pub use super::text_format::{escape_html, format_amount};

/// Paragraphs of plain text → (text, html), escaping each for HTML.
pub(crate) fn assemble(subject: String, paragraphs: &[String], extra_html: &str) -> RenderedEmail {
    let text = paragraphs.join("\n\n");
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body>{body}{extra_html}</body></html>",
        escape_html(&subject)
    );
    RenderedEmail {
        subject,
        text,
        html,
    }
}

pub fn render(content: &EmailContent<'_>, locale: Locale) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    let hello = |name: &str| {
        if fr {
            format!("Bonjour {name},")
        } else {
            format!("Hello {name},")
        }
    };
    let bye = if fr {
        "Merci de votre confiance.".to_string()
    } else {
        "Thank you for your order.".to_string()
    };
    match *content {
        EmailContent::PaymentReceived {
            name,
            reference,
            amount,
            currency,
        } => {
            let a = format_amount(amount, currency, locale);
            let (subject, body) =
                if fr {
                    (format!("Paiement reçu – commande {reference}"),
                 format!("Nous avons bien reçu votre paiement de {a} pour la commande {reference}. \
                          Votre carte sera débitée au moment de l'expédition ; \
                          un email vous le confirmera."))
                } else {
                    (
                        format!("Payment received – order {reference}"),
                        format!(
                            "We have received your payment of {a} for order {reference}. \
                          Your card will be debited when the order ships; \
                          we will email you then."
                        ),
                    )
                };
            assemble(subject, &[hello(name), body, bye], "")
        }
        EmailContent::PaymentTaken {
            name,
            reference,
            amount,
            currency,
        } => {
            let a = format_amount(amount, currency, locale);
            let (subject, body) = if fr {
                (
                    format!("Paiement reçu – commande {reference}"),
                    format!(
                        "Nous avons bien reçu votre paiement de {a} pour la commande \
                         {reference} : il est réglé."
                    ),
                )
            } else {
                (
                    format!("Payment received – order {reference}"),
                    format!(
                        "We have received your payment of {a} for order {reference}: it is \
                         settled."
                    ),
                )
            };
            assemble(subject, &[hello(name), body, bye], "")
        }
        EmailContent::AmountDebited {
            name,
            reference,
            amount,
            currency,
        } => {
            let a = format_amount(amount, currency, locale);
            let (subject, body) = if fr {
                (
                    format!("Votre carte a été débitée – commande {reference}"),
                    format!(
                        "Votre commande {reference} a été remise au transporteur : \
                          le montant de {a} a été débité de votre carte."
                    ),
                )
            } else {
                (
                    format!("Your card has been charged – order {reference}"),
                    format!(
                        "Your order {reference} has been handed to the carrier: \
                          {a} has been charged to your card."
                    ),
                )
            };
            assemble(subject, &[hello(name), body, bye], "")
        }
        EmailContent::RefundIssued {
            name,
            reference,
            amount,
            currency,
            credit_note,
        } => {
            let a = format_amount(amount, currency, locale);
            let (subject, body) = if fr {
                (
                    format!("Remboursement effectué – commande {reference}"),
                    format!(
                        "Nous vous avons remboursé {a} pour la commande {reference}. \
                          Le montant apparaîtra sur votre compte sous quelques jours."
                    ),
                )
            } else {
                (
                    format!("Refund issued – order {reference}"),
                    format!(
                        "We have refunded {a} for order {reference}. \
                          It will appear on your statement within a few days."
                    ),
                )
            };
            match credit_note {
                None => assemble(subject, &[hello(name), body, bye], ""),
                Some(note) => {
                    let doc = super::invoice_text::invoice_text(note, locale);
                    let html = super::invoice_text::invoice_html(note, locale);
                    let mut email = assemble(subject, &[hello(name), body, bye], &html);
                    email.text = format!("{}\n\n{doc}", email.text);
                    email
                }
            }
        }
        EmailContent::Invoice { name, invoice } => {
            let d = &invoice.draft;
            let (subject, body) = match (&d.summary, fr) {
                (Some(summary), true) => (
                    format!(
                        "Votre facture {} – relevé du mois {}",
                        invoice.number, summary.month
                    ),
                    format!(
                        "Veuillez trouver ci-dessous la facture {} de vos commandes du mois {} ({}).",
                        invoice.number,
                        summary.month,
                        d.orders_text()
                    ),
                ),
                (Some(summary), false) => (
                    format!(
                        "Your invoice {} – statement for {}",
                        invoice.number, summary.month
                    ),
                    format!(
                        "Please find below invoice {} for your orders of {} ({}).",
                        invoice.number,
                        summary.month,
                        d.orders_text()
                    ),
                ),
                (None, true) => (
                    format!(
                        "Votre facture {} – commande {}",
                        invoice.number, d.order_reference
                    ),
                    format!(
                        "Veuillez trouver ci-dessous la facture {} de votre commande {}.",
                        invoice.number, d.order_reference
                    ),
                ),
                (None, false) => (
                    format!(
                        "Your invoice {} – order {}",
                        invoice.number, d.order_reference
                    ),
                    format!(
                        "Please find below invoice {} for your order {}.",
                        invoice.number, d.order_reference
                    ),
                ),
            };
            let doc = super::invoice_text::invoice_text(invoice, locale);
            let html = super::invoice_text::invoice_html(invoice, locale);
            let mut email = assemble(subject, &[hello(name), body, bye], &html);
            email.text = format!("{}\n\n{doc}", email.text);
            email
        }
        EmailContent::ReauthorisationNeeded {
            name,
            reference,
            amount,
            currency,
            pay_link,
        } => {
            let a = format_amount(amount, currency, locale);
            let (subject, body, action) = if fr {
                (
                    format!("Action requise – commande {reference}"),
                    format!(
                        "L'autorisation de paiement de votre commande {reference} a expiré avant \
                         l'expédition et n'a pas pu être renouvelée. Pour que nous puissions \
                         expédier, merci de régler les {a} restants :"
                    ),
                    "Payer maintenant",
                )
            } else {
                (
                    format!("Action needed – order {reference}"),
                    format!(
                        "The payment authorisation for your order {reference} expired before it \
                         shipped and could not be renewed. So that we can ship it, please pay \
                         the remaining {a}:"
                    ),
                    "Pay now",
                )
            };
            let link = format!("<p><a href=\"{}\">{action}</a></p>", escape_html(pay_link));
            let mut email = assemble(subject, &[hello(name), body, bye.clone()], &link);
            email.text =
                email
                    .text
                    .replacen(&format!("\n\n{bye}"), &format!("\n{pay_link}\n\n{bye}"), 1);
            email
        }
        EmailContent::InstalmentTaken { news, upcoming } => {
            super::instalment_emails::taken(&news, upcoming, locale)
        }
        EmailContent::InstalmentFailed {
            news,
            retry_on,
            needs_shopper,
            pay_link,
        } => super::instalment_emails::failed(&news, retry_on, needs_shopper, pay_link, locale),
        EmailContent::OrderRejected {
            name,
            reference,
            amount,
            currency,
        } => {
            let a = format_amount(amount, currency, locale);
            let (subject, body, end) = if fr {
                (
                    format!("Commande {reference} non acceptée"),
                    format!(
                        "Après vérification, nous ne pouvons pas accepter votre commande                          {reference}. Le montant de {a} réservé sur votre carte a été libéré :                          rien ne vous sera débité."
                    ),
                    "Pour toute question, répondez simplement à cet email.",
                )
            } else {
                (
                    format!("Order {reference} not accepted"),
                    format!(
                        "After checking it, we cannot accept your order {reference}. The                          {a} held on your card has been released: nothing will be charged."
                    ),
                    "If you have any question, just reply to this email.",
                )
            };
            assemble(subject, &[hello(name), body, end.to_string()], "")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Reference {
        Reference::parse("ORD-10042").unwrap()
    }

    #[test]
    fn amounts_follow_the_locale() {
        let a = Decimal::new(292200, 2);
        assert_eq!(
            format_amount(a, Currency::EUR, Locale::Fr),
            "2\u{202f}922,00\u{a0}€"
        );
        assert_eq!(format_amount(a, Currency::EUR, Locale::En), "€2,922.00");
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(
            format_amount(Decimal::from(1500000), jpy, Locale::En),
            "JPY 1,500,000"
        );
        assert_eq!(
            format_amount(Decimal::new(5, 1), Currency::EUR, Locale::En),
            "€0.50"
        );
    }

    #[test]
    fn french_by_default_english_on_request() {
        let r = reference();
        let content = EmailContent::AmountDebited {
            name: "Jeanne",
            reference: &r,
            amount: Decimal::new(292200, 2),
            currency: Currency::EUR,
        };
        let fr = render(&content, Locale::default());
        assert!(fr.subject.starts_with("Votre carte a été débitée"));
        assert!(fr.text.contains("2\u{202f}922,00\u{a0}€"));
        let en = render(&content, Locale::En);
        assert!(en.subject.starts_with("Your card has been charged"));
        assert!(en.html.contains("€2,922.00"));
    }

    #[test]
    fn reauthorisation_email_carries_the_pay_link() {
        let r = reference();
        let content = EmailContent::ReauthorisationNeeded {
            name: "Jeanne",
            reference: &r,
            amount: Decimal::new(6000, 2),
            currency: Currency::EUR,
            pay_link: "https://shop.example/pay?ref=ORD-10042&x=<1>",
        };
        let fr = render(&content, Locale::Fr);
        assert_eq!(fr.subject, "Action requise – commande ORD-10042");
        assert!(fr.text.contains("60,00\u{a0}€"));
        assert!(fr
            .text
            .contains("restants :\nhttps://shop.example/pay?ref=ORD-10042&x=<1>\n"));
        assert!(fr
            .html
            .contains("<a href=\"https://shop.example/pay?ref=ORD-10042&amp;x=&lt;1&gt;\">"));
        let en = render(&content, Locale::En);
        assert!(en.text.contains("the remaining €60.00:"));
        assert!(en.html.contains(">Pay now</a>"));
    }

    #[test]
    fn names_are_escaped_in_html() {
        let r = reference();
        let content = EmailContent::RefundIssued {
            name: "<script>alert('x')</script> & co",
            reference: &r,
            amount: Decimal::ONE,
            currency: Currency::EUR,
            credit_note: None,
        };
        let email = render(&content, Locale::En);
        assert!(!email.html.contains("<script>"));
        assert!(email
            .html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(email.text.contains("<script>"), "plain text stays as typed");
    }
}
