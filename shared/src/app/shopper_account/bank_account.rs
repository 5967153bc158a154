//! The bank account a shopper gives on our page for a PSP that sets mandates up on one
//! (`Capabilities::mandate_bank_details`, MangoPay): the IBAN checked here, the holder and
//! their address defaulting to the billing details. Passed on to the PSP, never kept, never
//! logged (no Debug shows the IBAN).

use serde::Deserialize;

use crate::app::start_payment::{BillingAddressInput, BillingInput};
use crate::app::start_payment_request::checked_billing;
use crate::domain::{Billing, FieldError};
use crate::ports::{BankAccountDetails, Capabilities};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccountInput {
    pub iban: String,
    /// Default: the billing name.
    #[serde(default)]
    pub holder_name: Option<String>,
    /// Default: the billing address.
    #[serde(default)]
    pub address: Option<BillingAddressInput>,
}

impl std::fmt::Debug for BankAccountInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BankAccountInput(<redacted>)")
    }
}

const FIELD: &str = "bank_account";

/// The bank account to pass on: required where the PSP sets mandates up on one, refused where
/// its own page takes the IBAN.
pub fn bank_details_for(
    capabilities: &Capabilities,
    input: Option<&BankAccountInput>,
    billing: Option<&Billing>,
) -> Result<Option<BankAccountDetails>, FieldError> {
    match (capabilities.mandate_bank_details, input) {
        (true, Some(input)) => Ok(Some(checked_bank_account(
            input,
            billing,
            capabilities.mandate_refused_countries,
        )?)),
        (true, None) => Err(FieldError::new(
            FIELD,
            "give the IBAN here: our payment provider asks only for the mandate's confirmation",
        )),
        (false, Some(_)) => Err(FieldError::new(
            FIELD,
            "not taken: the IBAN is typed on our payment provider's page",
        )),
        (false, None) => Ok(None),
    }
}

/// The account checked, or the field that is wrong (under `bank_account.`); `refused`: the
/// IBAN countries the PSP takes no mandate from (`Capabilities::mandate_refused_countries`).
pub fn checked_bank_account(
    input: &BankAccountInput,
    billing: Option<&Billing>,
    refused: &[&str],
) -> Result<BankAccountDetails, FieldError> {
    let iban = checked_iban(&input.iban, refused)?;
    let holder_name = match (&input.holder_name, billing) {
        (Some(name), _) => name.clone(),
        (None, Some(b)) => b.name.clone(),
        (None, None) => {
            return Err(FieldError::new(
                format!("{FIELD}.holder_name"),
                "the account holder's name is needed (no billing details on file)",
            ))
        }
    };
    let address = match (&input.address, billing) {
        (Some(address), _) => address.clone(),
        (None, Some(b)) => BillingAddressInput {
            line1: b.address.line1.clone(),
            line2: b.address.line2.clone(),
            postcode: b.address.postcode.clone(),
            city: b.address.city.clone(),
            country: b.address.country.clone(),
        },
        (None, None) => {
            return Err(FieldError::new(
                format!("{FIELD}.address"),
                "the account holder's address is needed (no billing details on file)",
            ))
        }
    };
    // The same rules as billing details, each error named under `bank_account.`.
    let checked = checked_billing(
        &BillingInput {
            company: None,
            name: holder_name,
            email: "holder@example.invalid".into(),
            phone: None,
            address,
        },
        "",
    )
    .map_err(|e| match e.field.as_str() {
        "name" => FieldError::new(format!("{FIELD}.holder_name"), e.reason),
        _ => e.within(FIELD),
    })?;
    Ok(BankAccountDetails {
        iban,
        holder_name: checked.name,
        holder_address: checked.address,
    })
}

/// An IBAN as people copy it (spaces, lower case), checked: its country's length and check
/// digits, a country of the SEPA area, and one the PSP takes mandates from.
fn checked_iban(input: &str, refused: &[&str]) -> Result<String, FieldError> {
    use iban::IbanLike;
    let field = || format!("{FIELD}.iban");
    let normal: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let parsed: iban::Iban = normal
        .parse()
        .map_err(|_| FieldError::new(field(), "not a valid IBAN (length or check digits)"))?;
    let country = parsed.country_code().to_owned();
    if !crate::domain::sepa::countries::takes_sepa_debits(&country) {
        return Err(FieldError::new(
            field(),
            format!("a {country} IBAN cannot be debited by SEPA direct debit"),
        ));
    }
    if refused.contains(&country.as_str()) {
        return Err(FieldError::new(
            field(),
            format!("our payment provider takes no SEPA mandate on a {country} IBAN"),
        ));
    }
    Ok(parsed.electronic_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BillingAddress;

    fn billing() -> Billing {
        Billing {
            company: None,
            name: "Jeanne Martin".into(),
            email: "jeanne@example.fr".into(),
            phone: None,
            address: BillingAddress {
                line1: "9 rue d'Antrechaus".into(),
                line2: None,
                postcode: "83000".into(),
                city: "Toulon".into(),
                country: "FR".into(),
            },
        }
    }

    fn input(iban: &str) -> BankAccountInput {
        BankAccountInput {
            iban: iban.into(),
            holder_name: None,
            address: None,
        }
    }

    #[test]
    fn an_iban_as_people_copy_it_is_read_and_the_billing_details_fill_the_rest() {
        let details = checked_bank_account(
            &input("fr76 3000 4000 0312 3456 7890 143"),
            Some(&billing()),
            &[],
        )
        .unwrap();
        assert_eq!(details.iban, "FR7630004000031234567890143");
        assert_eq!(details.holder_name, "Jeanne Martin");
        assert_eq!(details.holder_address.city, "Toulon");
        assert!(!format!("{details:?}").contains("3000400003"));
    }

    #[test]
    fn each_mistake_names_its_field() {
        let field = |i: &BankAccountInput, b: Option<&Billing>, refused: &[&str]| {
            checked_bank_account(i, b, refused).unwrap_err().field
        };
        let b = billing();
        assert_eq!(
            field(&input("FR7630004000031234567890144"), Some(&b), &[]),
            "bank_account.iban"
        );
        assert_eq!(
            field(&input("DK5000400440116243"), Some(&b), &["DK", "SE"]),
            "bank_account.iban"
        );
        // A valid Turkish IBAN: outside the SEPA area.
        assert_eq!(
            field(&input("TR330006100519786457841326"), Some(&b), &[]),
            "bank_account.iban"
        );
        assert_eq!(
            field(&input("FR7630004000031234567890143"), None, &[]),
            "bank_account.holder_name"
        );
        let mut no_city = input("FR7630004000031234567890143");
        no_city.holder_name = Some("Jeanne".into());
        no_city.address = Some(BillingAddressInput {
            line1: "1 rue".into(),
            line2: None,
            postcode: "83000".into(),
            city: " ".into(),
            country: "FR".into(),
        });
        assert_eq!(field(&no_city, None, &[]), "bank_account.address.city");
    }
}
