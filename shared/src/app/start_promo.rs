//! The promo code of a checkout: checked against the order as it stands (its window, limits
//! and minimum, read with the tenders in one request), applied to the VAT bands, and its use
//! held by conditional counters in the checkout's own transaction. The use is kept when the
//! payment for the rest goes through, given back (and the discount dropped) when it fails or
//! is dropped (`settle`'s follow-ups).

use rust_decimal::Decimal;
use time::Date;

use super::start_tenders::TenderRefusal;
use crate::domain::promo::{discount_bands, AppliedDiscount, PromoRefusal};
use crate::domain::{customer_id, FieldError, Order};
use crate::ports::{TenderSnapshot, TenderWrite, Write};

/// The refusal every code that cannot be used gets, whatever the reason: trying codes tells
/// nothing about which exist.
pub(super) fn wrong_promo() -> FieldError {
    FieldError::new(
        "promo_code",
        "is not valid here: unknown, expired, used up or in another currency",
    )
}

/// A promo code applied: the discount (held for `reserved_for`), the writes that count its
/// use, and what the order then owes.
pub(super) struct PromoApplied {
    pub(super) discount: AppliedDiscount,
    pub(super) draws: Vec<Write>,
    pub(super) due: Decimal,
}

/// A promo code asked at checkout.
pub(super) struct PromoAsk<'a> {
    pub(super) code: &'a str,
    /// The attempt being replaced holds this code: its use is given back in the same
    /// transaction, so it counts as free.
    pub(super) released: bool,
    /// What the order has paid already.
    pub(super) paid_besides: Decimal,
    pub(super) rest_payment: &'a str,
    pub(super) today: Date,
}

/// The code applied to `base` (the order once the attempt being replaced gives back what it
/// held).
pub(super) fn apply_promo(
    ask: &PromoAsk<'_>,
    read: &TenderSnapshot,
    base: &Order,
) -> Result<PromoApplied, TenderRefusal> {
    let PromoAsk {
        code,
        released,
        paid_besides,
        rest_payment,
        today,
    } = *ask;
    if base.discount.is_some() {
        return Err(FieldError::new(
            "promo_code",
            "a promo code is applied to this order already",
        )
        .into());
    }
    if paid_besides > Decimal::ZERO {
        return Err(FieldError::new(
            "promo_code",
            "can only be used before anything is paid on the order",
        )
        .into());
    }
    // A discount on a gift voucher would sell money below its value.
    if base.lines.iter().any(|l| l.is_voucher()) {
        return Err(FieldError::new(
            "promo_code",
            "does not apply to an order that sells gift vouchers",
        )
        .into());
    }
    let Some(promo) = read
        .promo
        .as_ref()
        .map(|p| &p.value)
        .filter(|p| p.code == code)
    else {
        return Err(TenderRefusal::WrongCode(wrong_promo()));
    };
    let gross = base.totals().gross;
    let given_back = u32::from(released);
    let mut counted = promo.clone();
    counted.uses = counted.uses.saturating_sub(given_back);
    let customer_uses = read.promo_customer_uses.saturating_sub(given_back);
    match counted.check(gross, base.currency, today, customer_uses) {
        Ok(()) => {}
        Err(PromoRefusal::NotValid) => return Err(TenderRefusal::WrongCode(wrong_promo())),
        Err(PromoRefusal::BelowMinimum(minimum)) => {
            return Err(FieldError::new(
                "promo_code",
                format!(
                    "needs an order of at least {} {}",
                    base.currency.format(minimum),
                    base.currency.code()
                ),
            )
            .into())
        }
    }
    let discount = AppliedDiscount {
        code: promo.code.clone(),
        label: promo.label.clone(),
        off: promo.off,
        reductions: discount_bands(&base.bands_before_discount(), promo.off, base.currency),
        reserved_for: Some(rest_payment.to_string()),
    };
    let mut discounted = base.clone();
    discounted.discount = Some(discount.clone());
    // Nothing left to pay is not an order anyone pays: the seller gives those away otherwise.
    if discounted.totals().gross <= Decimal::ZERO {
        return Err(FieldError::new(
            "promo_code",
            "would leave nothing to pay on this order: ask the seller",
        )
        .into());
    }
    let customer = customer_id(&base.customer.email);
    Ok(PromoApplied {
        due: (discounted.totals().gross - paid_besides).max(Decimal::ZERO),
        discount,
        draws: uses(&promo.code, &customer, 1, promo.per_customer_limit, today),
    })
}

/// The writes moving a code's uses, in all and the customer's, by `delta`.
pub fn uses(
    code: &str,
    customer: &str,
    delta: i32,
    per_customer_limit: Option<u32>,
    on: Date,
) -> Vec<Write> {
    vec![
        Write::Tender(TenderWrite::AdjustPromoUses {
            code: code.to_string(),
            delta,
            on,
        }),
        Write::Tender(TenderWrite::AdjustPromoCustomerUses {
            code: code.to_string(),
            customer_id: customer.to_string(),
            delta,
            limit: per_customer_limit,
        }),
    ]
}
