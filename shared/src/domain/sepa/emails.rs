//! The SEPA month's emails: the pre-notification (amount, collection date, mandate reference,
//! creditor identifier, as the SEPA rulebook asks) and the return, to the customer and to the
//! seller. Amounts per locale; never the IBAN (only its last four digits are known anyway).

use super::DebitMonth;
use crate::domain::emails::{assemble, RenderedEmail};
use crate::domain::text_format::format_amount as amount_for;
use crate::domain::{Currency, Locale};

fn date(day: Option<time::Date>, fr: bool) -> String {
    match day {
        Some(d) if fr => format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()),
        Some(d) => d.to_string(),
        None => "-".into(),
    }
}

fn orders(month: &DebitMonth) -> String {
    month
        .orders()
        .iter()
        .map(|r| r.as_str().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pre-notification of the month's debit.
pub fn render_announced(name: &str, month: &DebitMonth, locale: Locale) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    let total = amount_for(month.total, Currency::EUR, locale);
    let on = date(month.collection_on, fr);
    let umr = month.mandate_reference.as_deref().unwrap_or("-");
    let creditor = month.creditor_id.as_deref();
    if fr {
        let mut details = format!(
            "Montant : {total}\nDate de prélèvement : {on}\nRéférence unique de mandat : {umr}\nCommandes : {}",
            orders(month)
        );
        if let Some(ci) = creditor {
            details.push_str(&format!("\nIdentifiant créancier SEPA : {ci}"));
        }
        assemble(
            format!("Prélèvement SEPA du {on} : {total}"),
            &[
                format!("Bonjour {name},"),
                format!("Vos achats de {} seront prélevés en une fois sur votre compte, au titre de votre mandat SEPA.", month.month),
                details,
                "Merci de votre confiance.".into(),
            ],
            "",
        )
    } else {
        let mut details = format!(
            "Amount: {total}\nCollection date: {on}\nMandate reference: {umr}\nOrders: {}",
            orders(month)
        );
        if let Some(ci) = creditor {
            details.push_str(&format!("\nSEPA creditor identifier: {ci}"));
        }
        assemble(
            format!("SEPA direct debit on {on}: {total}"),
            &[
                format!("Hello {name},"),
                format!("Your purchases of {} will be debited from your account in one direct debit, under your SEPA mandate.", month.month),
                details,
                "Thank you for your order.".into(),
            ],
            "",
        )
    }
}

/// The month's debit came back: the customer hears it is unpaid and SEPA is suspended.
pub fn render_returned(name: &str, month: &DebitMonth, locale: Locale) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    let total = amount_for(month.total, Currency::EUR, locale);
    if fr {
        assemble(
            format!("Prélèvement SEPA impayé : {total}"),
            &[
                format!("Bonjour {name},"),
                format!("Le prélèvement de {total} pour vos achats de {} n'a pas abouti ou a été contesté. Il reste dû, et le paiement par prélèvement est suspendu sur votre compte.", month.month),
                format!("Commandes concernées : {}. Contactez-nous pour le régler.", orders(month)),
            ],
            "",
        )
    } else {
        assemble(
            format!("Unpaid SEPA direct debit: {total}"),
            &[
                format!("Hello {name},"),
                format!("The direct debit of {total} for your purchases of {} was refused or disputed. It is still due, and paying by direct debit is suspended on your account.", month.month),
                format!("Orders: {}. Please contact us to settle it.", orders(month)),
            ],
            "",
        )
    }
}

/// The seller's copy: which customer's month, how much, why, which orders.
pub fn render_returned_for_seller(month: &DebitMonth, locale: Locale) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    let total = amount_for(month.total, Currency::EUR, locale);
    let reason = month.failure_code.as_deref().unwrap_or("-");
    if fr {
        assemble(
            format!("Prélèvement SEPA impayé ({}) : {total}", month.month),
            &[
                format!("Le prélèvement du mois {} du client {} ({total}) est revenu impayé (motif : {reason}). Le prélèvement SEPA est suspendu pour ce client jusqu'à sa réactivation.", month.month, month.customer_id),
                format!("Commandes : {}. Enregistrez un autre règlement pour les solder.", orders(month)),
            ],
            "",
        )
    } else {
        assemble(
            format!("Unpaid SEPA direct debit ({}): {total}", month.month),
            &[
                format!("The {} direct debit of customer {} ({total}) came back unpaid (reason: {reason}). SEPA is suspended for this customer until you reinstate it.", month.month, month.customer_id),
                format!("Orders: {}. Record another settlement for them.", orders(month)),
            ],
            "",
        )
    }
}
