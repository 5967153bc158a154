//! Emails to the seller (their `SELLER_EMAIL` inbox): a payment disputed, and how the dispute
//! ended. French by default, English on request (`SELLER_LOCALE`). Like the customer emails
//! they name the order, amounts and the bank's reason category only: the seller opens the
//! dispute in the PSP's dashboard to answer it.

use time::OffsetDateTime;

use super::emails::RenderedEmail;
use super::paris_time::paris_date;
use super::text_format::{escape_html, format_amount};
use super::{Currency, Dispute, DisputeKind, DisputeStatus, Locale, Reference};

/// Where the seller's emails go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerInbox {
    pub address: String,
    pub locale: Locale,
}

#[derive(Debug, Clone, Copy)]
pub enum SellerEmail<'a> {
    DisputeOpened {
        reference: &'a Reference,
        currency: Currency,
        dispute: &'a Dispute,
    },
    DisputeClosed {
        reference: &'a Reference,
        currency: Currency,
        dispute: &'a Dispute,
    },
    /// The shopper deleted an order nothing was paid on, from their account.
    OrderDeleted {
        reference: &'a Reference,
        currency: Currency,
        gross: rust_decimal::Decimal,
    },
}

impl SellerEmail<'_> {
    /// Names the template in dedupe keys and logs.
    pub fn template(&self) -> &'static str {
        match self {
            SellerEmail::DisputeOpened { .. } => "dispute_opened",
            SellerEmail::DisputeClosed { .. } => "dispute_closed",
            SellerEmail::OrderDeleted { .. } => "order_deleted",
        }
    }
}

/// The bank's reason category in words (Stripe's codes; anything else is "other").
fn reason_words(code: &str, fr: bool) -> &'static str {
    let (fr_words, en_words) = match code {
        "fraudulent" => ("paiement frauduleux", "fraudulent payment"),
        "unrecognized" => ("paiement non reconnu", "unrecognised payment"),
        "product_not_received" => ("produit non reçu", "product not received"),
        "product_unacceptable" => ("produit non conforme", "product unacceptable"),
        "duplicate" => ("paiement en double", "duplicate payment"),
        "credit_not_processed" => ("remboursement non reçu", "refund not received"),
        "subscription_canceled" => ("abonnement résilié", "subscription cancelled"),
        _ => ("autre motif", "other reason"),
    };
    if fr {
        fr_words
    } else {
        en_words
    }
}

fn day(instant: OffsetDateTime, fr: bool) -> String {
    let date = paris_date(instant);
    let (d, m, y) = (date.day(), u8::from(date.month()), date.year());
    if fr {
        format!("{d:02}/{m:02}/{y}")
    } else {
        format!("{y}-{m:02}-{d:02}")
    }
}

fn assemble(subject: String, paragraphs: &[String]) -> RenderedEmail {
    let text = paragraphs.join("\n\n");
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape_html(p)))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body>{body}</body></html>",
        escape_html(&subject)
    );
    RenderedEmail {
        subject,
        text,
        html,
    }
}

pub fn render_for_seller(email: &SellerEmail<'_>, locale: Locale) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    match *email {
        SellerEmail::DisputeOpened {
            reference,
            currency,
            dispute,
        } => opened(reference, currency, dispute, fr, locale),
        SellerEmail::DisputeClosed {
            reference,
            currency,
            dispute,
        } => closed(reference, currency, dispute, fr, locale),
        SellerEmail::OrderDeleted {
            reference,
            currency,
            gross,
        } => {
            let a = format_amount(gross, currency, locale);
            if fr {
                assemble(
                    format!("Commande supprimée par le client – {reference}"),
                    &[format!(
                        "Le client a supprimé la commande {reference} ({a}) depuis son compte : \
                         elle ne peut plus être payée. Aucun paiement n'avait abouti."
                    )],
                )
            } else {
                assemble(
                    format!("Order deleted by the customer – {reference}"),
                    &[format!(
                        "The customer deleted order {reference} ({a}) from their account: it \
                         can no longer be paid. No payment had gone through."
                    )],
                )
            }
        }
    }
}

fn opened(
    reference: &Reference,
    currency: Currency,
    dispute: &Dispute,
    fr: bool,
    locale: Locale,
) -> RenderedEmail {
    let a = format_amount(dispute.amount, currency, locale);
    let reason = reason_words(&dispute.reason, fr);
    let inquiry = dispute.kind == DisputeKind::Inquiry;
    let (subject, what, held) = match (fr, inquiry) {
        (true, false) => (
            format!("Litige ouvert – commande {reference}"),
            format!(
                "La banque du client conteste le paiement de {a} de la commande {reference} \
                 (motif : {reason})."
            ),
            format!("Le prestataire de paiement retient {a} jusqu'à la décision de la banque."),
        ),
        (true, true) => (
            format!("Demande d'information de la banque – commande {reference}"),
            format!(
                "La banque du client demande des informations sur le paiement de {a} de la \
                 commande {reference} (motif : {reason})."
            ),
            "Aucun montant n'est retenu à ce stade ; sans réponse, la demande peut devenir un \
             litige."
                .to_string(),
        ),
        (false, false) => (
            format!("Payment disputed – order {reference}"),
            format!(
                "The customer's bank disputes the payment of {a} for order {reference} \
                 (reason: {reason})."
            ),
            format!("The payment provider holds back {a} until the bank decides."),
        ),
        (false, true) => (
            format!("Bank inquiry – order {reference}"),
            format!(
                "The customer's bank asks about the payment of {a} for order {reference} \
                 (reason: {reason})."
            ),
            "Nothing is held back yet; left unanswered, the inquiry can become a dispute."
                .to_string(),
        ),
    };
    let answer = match (dispute.respond_by, fr) {
        (Some(due), true) => format!(
            "Répondez avant le {} dans le tableau de bord de votre prestataire de paiement \
             (preuve d'expédition et de livraison, échanges avec le client), ou acceptez le \
             litige.",
            day(due, true)
        ),
        (None, true) => "Répondez dans le tableau de bord de votre prestataire de paiement \
                         (preuve d'expédition et de livraison, échanges avec le client)."
            .to_string(),
        (Some(due), false) => format!(
            "Answer by {} in your payment provider's dashboard (proof of shipping and \
             delivery, messages with the customer), or accept the dispute.",
            day(due, false)
        ),
        (None, false) => "Answer in your payment provider's dashboard (proof of shipping and \
                          delivery, messages with the customer)."
            .to_string(),
    };
    assemble(subject, &[what, held, answer])
}

fn closed(
    reference: &Reference,
    currency: Currency,
    dispute: &Dispute,
    fr: bool,
    locale: Locale,
) -> RenderedEmail {
    let a = format_amount(dispute.amount, currency, locale);
    let (subject, body) = match (dispute.status, fr) {
        (DisputeStatus::Won, true) => (
            format!("Litige gagné – commande {reference}"),
            format!(
                "Le litige sur le paiement de {a} de la commande {reference} a été tranché en \
                 votre faveur : le montant retenu vous est restitué."
            ),
        ),
        (DisputeStatus::Won, false) => (
            format!("Dispute won – order {reference}"),
            format!(
                "The dispute over the payment of {a} for order {reference} was decided in your \
                 favour: the amount held back is returned to you."
            ),
        ),
        (DisputeStatus::Lost, true) => (
            format!("Litige perdu – commande {reference}"),
            format!(
                "Le litige sur le paiement de {a} de la commande {reference} a été tranché en \
                 faveur du client : ce montant vous est définitivement retiré."
            ),
        ),
        (DisputeStatus::Lost, false) => (
            format!("Dispute lost – order {reference}"),
            format!(
                "The dispute over the payment of {a} for order {reference} was decided for the \
                 customer: this amount is withdrawn for good."
            ),
        ),
        (DisputeStatus::Closed, true) => (
            format!("Demande de la banque close – commande {reference}"),
            format!(
                "La demande d'information sur le paiement de {a} de la commande {reference} \
                 est close sans litige."
            ),
        ),
        (DisputeStatus::Closed, false) => (
            format!("Bank inquiry closed – order {reference}"),
            format!(
                "The inquiry about the payment of {a} for order {reference} closed without a \
                 dispute."
            ),
        ),
        // A new dispute took its place before this email went out: say only that it goes on.
        (DisputeStatus::NeedsResponse | DisputeStatus::UnderReview, true) => (
            format!("Litige en cours – commande {reference}"),
            format!(
                "Le litige sur le paiement de {a} de la commande {reference} n'est pas tranché : \
                 suivez-le dans le tableau de bord de votre prestataire de paiement."
            ),
        ),
        (DisputeStatus::NeedsResponse | DisputeStatus::UnderReview, false) => (
            format!("Dispute ongoing – order {reference}"),
            format!(
                "The dispute over the payment of {a} for order {reference} is not decided: \
                 follow it in your payment provider's dashboard."
            ),
        ),
    };
    assemble(subject, &[body])
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn dispute(kind: DisputeKind, status: DisputeStatus) -> Dispute {
        Dispute {
            id: "dp_1".into(),
            kind,
            status,
            amount: Decimal::new(4_990, 2),
            withdrawn: Decimal::new(4_990, 2),
            reason: "product_not_received".into(),
            // 2027-03-31 23:30 UTC is 1 April in Paris (summer time).
            respond_by: Some(OffsetDateTime::from_unix_timestamp(1_806_535_800).unwrap()),
            opened_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            movements: 1,
        }
    }

    #[test]
    fn the_opening_names_amount_reason_and_answer_date_in_paris() {
        let r = Reference::parse("ORD-10042").unwrap();
        let d = dispute(DisputeKind::Chargeback, DisputeStatus::NeedsResponse);
        let email = SellerEmail::DisputeOpened {
            reference: &r,
            currency: Currency::EUR,
            dispute: &d,
        };
        let fr = render_for_seller(&email, Locale::Fr);
        assert_eq!(fr.subject, "Litige ouvert – commande ORD-10042");
        assert!(fr.text.contains("49,90\u{a0}€"), "{}", fr.text);
        assert!(fr.text.contains("motif : produit non reçu"));
        assert!(fr.text.contains("avant le 01/04/2027"), "{}", fr.text);
        assert!(!fr.text.contains("dp_1"), "no PSP id in the email");
        let en = render_for_seller(&email, Locale::En);
        assert!(en.text.contains("Answer by 2027-04-01"));
    }

    #[test]
    fn inquiries_and_outcomes_say_what_happened_to_the_money() {
        let r = Reference::parse("ORD-10042").unwrap();
        let inquiry = dispute(DisputeKind::Inquiry, DisputeStatus::NeedsResponse);
        let opened = render_for_seller(
            &SellerEmail::DisputeOpened {
                reference: &r,
                currency: Currency::EUR,
                dispute: &inquiry,
            },
            Locale::Fr,
        );
        assert!(opened.text.contains("Aucun montant n'est retenu"));
        for (status, words) in [
            (DisputeStatus::Won, "restitué"),
            (DisputeStatus::Lost, "définitivement retiré"),
            (DisputeStatus::Closed, "close sans litige"),
        ] {
            let d = dispute(DisputeKind::Chargeback, status);
            let email = render_for_seller(
                &SellerEmail::DisputeClosed {
                    reference: &r,
                    currency: Currency::EUR,
                    dispute: &d,
                },
                Locale::Fr,
            );
            assert!(email.text.contains(words), "{status:?}: {}", email.text);
        }
    }
}
