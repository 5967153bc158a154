//! What the shopper is told when paying by bank transfer or by cheque: the seller's bank
//! details or the cheque's payee and postal address, and the reference to quote (the order's
//! own). The seller's IBAN is public on every invoice; the shopper's is never asked here.

use serde::Serialize;

use super::{OfflineKind, Reference};

/// The seller's account a transfer goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankDetails {
    pub account_holder: String,
    /// Printed in groups of four (`FR76 3000 …`), as banks print it.
    pub iban: String,
    pub bic: String,
}

/// Where a cheque is sent and to whose order it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChequeDetails {
    pub payee: String,
    pub address_lines: Vec<String>,
}

/// The offline methods the seller takes; `None` is not offered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfflineInstructions {
    pub bank_transfer: Option<BankDetails>,
    pub cheque: Option<ChequeDetails>,
}

/// One method's instructions for one order: what to quote and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayInstructions {
    /// `bank_transfer` or `cheque`.
    pub method: &'static str,
    /// The order's reference: the transfer's label, or written on the back of the cheque.
    pub reference: String,
    /// What to send, a decimal string in the currency's minor units.
    pub amount: String,
    pub currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_transfer: Option<BankDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cheque: Option<ChequeDetails>,
}

impl OfflineInstructions {
    pub fn offers(&self, kind: OfflineKind) -> bool {
        match kind {
            OfflineKind::BankTransfer => self.bank_transfer.is_some(),
            OfflineKind::Cheque => self.cheque.is_some(),
        }
    }

    /// The methods offered, by their API names.
    pub fn offered(&self) -> Vec<&'static str> {
        [OfflineKind::BankTransfer, OfflineKind::Cheque]
            .into_iter()
            .filter(|k| self.offers(*k))
            .map(kind_name)
            .collect()
    }

    /// The instructions for paying `amount` of `reference` by `kind`, if offered.
    pub fn for_order(
        &self,
        kind: OfflineKind,
        reference: &Reference,
        amount: super::Money,
    ) -> Option<PayInstructions> {
        self.offers(kind).then(|| PayInstructions {
            method: kind_name(kind),
            reference: reference.as_str().to_string(),
            amount: amount.currency().format(amount.amount()),
            currency: amount.currency().code(),
            bank_transfer: match kind {
                OfflineKind::BankTransfer => self.bank_transfer.clone(),
                OfflineKind::Cheque => None,
            },
            cheque: match kind {
                OfflineKind::Cheque => self.cheque.clone(),
                OfflineKind::BankTransfer => None,
            },
        })
    }
}

pub fn kind_name(kind: OfflineKind) -> &'static str {
    match kind {
        OfflineKind::BankTransfer => "bank_transfer",
        OfflineKind::Cheque => "cheque",
    }
}

pub fn parse_kind(text: &str) -> Option<OfflineKind> {
    match text {
        "bank_transfer" => Some(OfflineKind::BankTransfer),
        "cheque" => Some(OfflineKind::Cheque),
        _ => None,
    }
}

/// The seller's bank details, checked: an IBAN of its country's length with valid check
/// digits, a BIC of 8 or 11 characters, a holder's name.
pub fn bank_details(holder: &str, iban: &str, bic: &str) -> Result<BankDetails, String> {
    let holder = holder.trim();
    if holder.is_empty() || holder.chars().count() > 70 {
        return Err("the account holder must be 1 to 70 characters".into());
    }
    // As people copy it: spaces and lower case allowed.
    let iban: iban::Iban = iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
        .parse()
        .map_err(|e| format!("the IBAN is not valid: {e}"))?;
    let bic = bic.trim().to_ascii_uppercase();
    let bic_ok = matches!(bic.len(), 8 | 11)
        && bic[..6].bytes().all(|b| b.is_ascii_uppercase())
        && bic[6..].bytes().all(|b| b.is_ascii_alphanumeric());
    if !bic_ok {
        return Err("the BIC must be 8 or 11 letters and digits (e.g. BNPAFRPPXXX)".into());
    }
    Ok(BankDetails {
        account_holder: holder.to_string(),
        iban: iban.to_string(),
        bic,
    })
}

/// The cheque's payee and the address lines (separated by `|`) it is posted to.
pub fn cheque_details(payee: &str, address: &str) -> Result<ChequeDetails, String> {
    let payee = payee.trim();
    if payee.is_empty() || payee.chars().count() > 70 {
        return Err("the cheque's payee must be 1 to 70 characters".into());
    }
    let address_lines: Vec<String> = address
        .split('|')
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if address_lines.is_empty() || address_lines.len() > 6 {
        return Err("the cheque's address must be 1 to 6 lines separated by |".into());
    }
    Ok(ChequeDetails {
        payee: payee.to_string(),
        address_lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Money};

    #[test]
    fn an_iban_is_checked_and_printed_in_groups_of_four() {
        let ok = bank_details(
            "Atelier Lumen SAS",
            "fr7630006000011234567890189",
            "agrifrpp",
        )
        .unwrap();
        assert_eq!(ok.iban, "FR76 3000 6000 0112 3456 7890 189");
        assert_eq!(ok.bic, "AGRIFRPP");
        // One digit changed: the check digits no longer match.
        assert!(bank_details("A", "FR7630006000011234567890188", "AGRIFRPP").is_err());
        assert!(bank_details("A", "FR7630006000011234567890189", "AGRI").is_err());
        assert!(bank_details(" ", "FR7630006000011234567890189", "AGRIFRPP").is_err());
    }

    #[test]
    fn instructions_name_the_order_and_the_amount() {
        let offline = OfflineInstructions {
            bank_transfer: None,
            cheque: Some(cheque_details("Atelier Lumen", "12 rue Paul Bert|69003 Lyon").unwrap()),
        };
        assert_eq!(offline.offered(), vec!["cheque"]);
        let reference = Reference::parse("ORD-10042").unwrap();
        let amount = Money::new(rust_decimal::Decimal::new(4250, 2), Currency::EUR).unwrap();
        assert!(offline
            .for_order(OfflineKind::BankTransfer, &reference, amount)
            .is_none());
        let told = offline
            .for_order(OfflineKind::Cheque, &reference, amount)
            .unwrap();
        assert_eq!(told.reference, "ORD-10042");
        assert_eq!(told.amount, "42.50");
        assert_eq!(told.cheque.unwrap().address_lines.len(), 2);
    }
}
