//! How a checkout splits what is due among the tenders the shopper chose: the vouchers in the
//! order given, then the credit balance, then on account when the rest goes there; what is
//! left is the remainder a PSP takes (card, saved card, SEPA…). Only what is needed is taken
//! from each (a voucher the order no longer needs is left whole). Exact: the parts and the
//! remainder always add up to what is due.

use rust_decimal::Decimal;

/// A voucher the shopper gave, with what it can pay today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherOffer {
    pub voucher: String,
    pub usable: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tender {
    Voucher(String),
    CreditBalance,
    OnAccount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderPart {
    pub tender: Tender,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allocation {
    /// Each tender's part, in the order taken; none is zero.
    pub parts: Vec<TenderPart>,
    /// What is left for the PSP.
    pub remainder: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// The rest goes on account and is more than the account has room for.
    #[error("on account has {available} available, {needed} is needed")]
    OnAccountExceeded { available: Decimal, needed: Decimal },
}

/// Splits `due` among `vouchers` (in order), `credit` (what the shopper may use of the credit
/// balance, zero when not asked) and, when `on_account` is given (what the account still has
/// room for), on account for the rest.
pub fn allocate(
    due: Decimal,
    vouchers: &[VoucherOffer],
    credit: Decimal,
    on_account: Option<Decimal>,
) -> Result<Allocation, AllocationError> {
    let mut left = due.max(Decimal::ZERO);
    let mut parts = Vec::new();
    let mut take = |tender: Tender, available: Decimal, left: &mut Decimal| {
        let amount = available.max(Decimal::ZERO).min(*left);
        if amount > Decimal::ZERO {
            *left -= amount;
            parts.push(TenderPart { tender, amount });
        }
    };
    for offer in vouchers {
        take(
            Tender::Voucher(offer.voucher.clone()),
            offer.usable,
            &mut left,
        );
    }
    take(Tender::CreditBalance, credit, &mut left);
    if let Some(available) = on_account {
        if left > available {
            return Err(AllocationError::OnAccountExceeded {
                available: available.max(Decimal::ZERO),
                needed: left,
            });
        }
        take(Tender::OnAccount, available, &mut left);
    }
    Ok(Allocation {
        parts,
        remainder: left,
    })
}
