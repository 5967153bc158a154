//! The email that hands over the gift vouchers an order sold: each code (the only place it is
//! ever written: we keep its digest), its value and the last day it can be used.

use rust_decimal::Decimal;
use time::Date;

use super::emails::{assemble, format_amount, RenderedEmail};
use super::tenders::VoucherCode;
use super::{Currency, Locale, Reference};

/// Names the template in dedupe keys and logs.
pub const TEMPLATE: &str = "vouchers_sold";

/// One voucher as the email shows it.
#[derive(Debug, Clone)]
pub struct SoldVoucher {
    pub code: VoucherCode,
    pub value: Decimal,
    pub currency: Currency,
    pub expires_on: Date,
}

fn day(date: Date, locale: Locale) -> String {
    let (d, m, y) = (date.day(), u8::from(date.month()), date.year());
    match locale {
        Locale::Fr => format!("{d:02}/{m:02}/{y}"),
        Locale::En => format!("{y}-{m:02}-{d:02}"),
    }
}

pub fn render_vouchers_sold(
    name: &str,
    reference: &Reference,
    vouchers: &[SoldVoucher],
    locale: Locale,
) -> RenderedEmail {
    let fr = locale == Locale::Fr;
    let lines: Vec<String> = vouchers
        .iter()
        .map(|v| {
            let value = format_amount(v.value, v.currency, locale);
            let until = day(v.expires_on, locale);
            if fr {
                format!("{} – {value}, valable jusqu'au {until}", v.code.display())
            } else {
                format!("{} – {value}, valid until {until}", v.code.display())
            }
        })
        .collect();
    let (subject, hello, intro, advice, bye) = if fr {
        (
            format!("Vos bons d'achat – commande {reference}"),
            format!("Bonjour {name},"),
            format!(
                "Voici les bons d'achat de votre commande {reference}. Chaque code se saisit \
                 au paiement, dans « Code de bon d'achat » :"
            ),
            "Un code vaut de l'argent : ne le communiquez qu'à la personne à qui vous l'offrez. \
             Nous ne pouvons pas vous le renvoyer, nous n'en gardons pas de copie."
                .to_string(),
            "Merci de votre confiance.".to_string(),
        )
    } else {
        (
            format!("Your gift vouchers – order {reference}"),
            format!("Hello {name},"),
            format!(
                "Here are the gift vouchers of your order {reference}. Each code is entered at \
                 checkout, under \"Voucher or gift card code\":"
            ),
            "A code is worth money: share it only with the person you give it to. We cannot \
             send it again, as we keep no copy of it."
                .to_string(),
            "Thank you for your order.".to_string(),
        )
    };
    assemble(subject, &[hello, intro, lines.join("\n"), advice, bye], "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn each_code_is_shown_with_its_value_and_last_day_and_escaped() {
        let code = VoucherCode::parse("ABCD-EFGH-JKLM-NPQR-STUV").unwrap();
        let vouchers = [SoldVoucher {
            code,
            value: Decimal::new(5000, 2),
            currency: Currency::EUR,
            expires_on: date!(2027 - 12 - 03),
        }];
        let reference = Reference::parse("ORD-10050").unwrap();
        let email = render_vouchers_sold("Léa <b>", &reference, &vouchers, Locale::Fr);
        assert_eq!(email.subject, "Vos bons d'achat – commande ORD-10050");
        assert!(
            email.text.contains("ABCD-EFGH-JKLM-NPQR-STUV"),
            "{}",
            email.text
        );
        assert!(
            email.text.contains("valable jusqu'au 03/12/2027"),
            "{}",
            email.text
        );
        assert!(email.html.contains("Léa &lt;b&gt;"), "{}", email.html);
        let en = render_vouchers_sold("Lea", &reference, &vouchers, Locale::En);
        assert!(en.text.contains("valid until 2027-12-03"), "{}", en.text);
    }
}
