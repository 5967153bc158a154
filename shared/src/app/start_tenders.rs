//! The tenders of a checkout: the vouchers given, the credit balance when asked, on account
//! when it is the method; what each pays (`tenders::allocate`), as payments and as the
//! conditional draws that reserve them in the checkout's own transaction. The PSP takes only
//! the remainder; with none, nothing is asked of a PSP.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::start_payment::hex_digest;
use super::start_payment_error::StartPaymentError;
use super::start_payment_request::{wrong_code, TenderRequest};
use super::start_promo::apply_promo;
use crate::domain::paris_time::paris_date;
use crate::domain::tenders::{
    allocate, tender_of, AllocationError, CodeGuessBucket, Tender, VoucherOffer,
    MAX_CODE_FAILURES_PER_CLIENT,
};
use crate::domain::{
    customer_id, Billing, FieldError, Order, Payment, PaymentMethod, PaymentStatus,
};
use crate::ports::{CheckoutReads, TenderStore, TenderWrite, Write};

/// Wrong voucher codes an order takes before codes are no longer tried on it.
pub const MAX_CODE_FAILURES: u32 = 10;

/// The tenders reserved for a checkout.
#[derive(Debug, Default)]
pub(super) struct Reserved {
    /// One payment per tender: `processing` with `reserved_for` the payment that takes the
    /// rest, or `captured` when nothing is left for a PSP.
    pub(super) payments: Vec<Payment>,
    /// The draws that reserve them (conditional: never below zero, never past a maximum).
    pub(super) draws: Vec<Write>,
    /// What is left for the PSP (or the SEPA month).
    pub(super) remainder: Decimal,
    /// The promo code applied, held for the remainder's payment (kept at once when nothing
    /// is left for it); its use is counted in `draws`.
    pub(super) discount: Option<crate::domain::promo::AppliedDiscount>,
}

/// Why the tenders cannot be reserved.
pub(super) enum TenderRefusal {
    /// A code is unknown, expired, used up or in another currency: counted against the order,
    /// then this uniform refusal.
    WrongCode(FieldError),
    Invalid(FieldError),
    Failed(StartPaymentError),
}

impl From<FieldError> for TenderRefusal {
    fn from(e: FieldError) -> Self {
        TenderRefusal::Invalid(e)
    }
}

impl From<crate::ports::StoreError> for TenderRefusal {
    fn from(e: crate::ports::StoreError) -> Self {
        TenderRefusal::Failed(e.into())
    }
}

/// What the tenders are reserved against: `due`, the id the remainder's payment gets (tender
/// ids derive from it, so a retry names the same payments), and the tenders the attempt being
/// replaced holds (given back in the same transaction).
pub(super) struct Rest<'a> {
    pub(super) due: Decimal,
    pub(super) payment: &'a str,
    pub(super) held: &'a [Payment],
    /// What the order has paid besides what `held` holds (a promo code needs nothing yet).
    pub(super) paid_besides: Decimal,
    /// The promo code the attempt being replaced holds (given back in the same transaction:
    /// its use counts as free again).
    pub(super) released_promo: Option<&'a str>,
}

/// The checkout's tenders for `due` on `order`: `rest_payment` is the id the remainder's
/// payment gets (tender ids derive from it, so a retry names the same payments).
pub(super) async fn reserve_tenders(
    store: &dyn TenderStore,
    order: &Order,
    request: &TenderRequest,
    on_account: bool,
    rest: Rest<'_>,
    now: OffsetDateTime,
) -> Result<Reserved, TenderRefusal> {
    let Rest {
        due,
        payment: rest_payment,
        held,
        paid_besides,
        released_promo,
    } = rest;
    if request.codes.is_empty() && !request.use_credit && !on_account && request.promo.is_none() {
        return Ok(Reserved {
            remainder: due,
            ..Reserved::default()
        });
    }
    let codes_given = !request.codes.is_empty() || request.promo.is_some();
    if codes_given && order.code_failures >= MAX_CODE_FAILURES {
        return Err(TenderRefusal::Failed(
            StartPaymentError::TooManyCodeAttempts,
        ));
    }
    let customer = customer_id(&order.customer.email);
    let ids: Vec<String> = request.codes.iter().map(|c| c.voucher_id()).collect();
    let guesses = request
        .client
        .as_ref()
        .filter(|_| codes_given)
        .map(|client| CodeGuessBucket::at(client.clone(), now));
    let reads = CheckoutReads {
        promo: request.promo.as_deref(),
        guesses: guesses.as_ref(),
    };
    let read = store
        .load_checkout_tenders(&ids, &customer, order.currency, reads)
        .await?;
    if let Some(bucket) = &guesses {
        if read.client_code_failures >= MAX_CODE_FAILURES_PER_CLIENT {
            return Err(TenderRefusal::Failed(
                StartPaymentError::TooManyCodeAttemptsFromClient {
                    retry_after_seconds: bucket.retry_after(now),
                },
            ));
        }
    }
    let today = paris_date(now);
    // The promo code first: it lowers what the tenders and the rest share.
    let promo = request
        .promo
        .as_deref()
        .map(|code| {
            let ask = super::start_promo::PromoAsk {
                code,
                released: released_promo == Some(code),
                paid_besides,
                rest_payment,
                today,
            };
            apply_promo(&ask, &read, order)
        })
        .transpose()?;
    let due = promo.as_ref().map_or(due, |p| p.due);
    let mut offers = Vec::with_capacity(ids.len());
    // What the attempt being replaced holds is given back in the same transaction: it counts
    // as available again (the merged write's condition checks the net change).
    let held_by = |tender: &Tender| -> Decimal {
        held.iter()
            .filter(|p| tender_of(p).as_ref() == Some(tender))
            .map(|p| p.amount)
            .sum()
    };
    for id in &ids {
        let usable = read
            .vouchers
            .iter()
            .find(|v| &v.value.id == id)
            .map_or(Decimal::ZERO, |v| {
                let mut voucher = v.value.clone();
                voucher.balance += held_by(&Tender::Voucher(id.clone()));
                voucher.usable(order.currency, today)
            });
        if usable <= Decimal::ZERO {
            return Err(TenderRefusal::WrongCode(wrong_code()));
        }
        offers.push(VoucherOffer {
            voucher: id.clone(),
            usable,
        });
    }
    let balance = read.balance.map(|b| {
        let mut balance = b.value;
        balance.credit += held_by(&Tender::CreditBalance);
        balance.on_account.outstanding -= held_by(&Tender::OnAccount);
        balance
    });
    let credit = match (&balance, request.use_credit) {
        (_, false) => Decimal::ZERO,
        (Some(b), true) if b.credit > Decimal::ZERO => b.credit,
        _ => {
            return Err(FieldError::new(
                "use_credit_balance",
                "there is no credit balance to use: leave it false",
            )
            .into())
        }
    };
    if on_account && order.lines.iter().any(|l| l.is_voucher()) {
        return Err(FieldError::new(
            "method",
            "on_account cannot pay for gift vouchers: choose another method",
        )
        .into());
    }
    let on_account_room = match (&balance, on_account) {
        (_, false) => None,
        (Some(b), true) if b.on_account.allowed => Some(b.on_account.available()),
        _ => {
            return Err(FieldError::new(
                "method",
                "on_account is not open to this customer: choose another method",
            )
            .into())
        }
    };
    let split = allocate(due, &offers, credit, on_account_room).map_err(|e| match e {
        AllocationError::OnAccountExceeded { available, needed } => FieldError::new(
            "method",
            format!(
                "on_account has {} {} available and {} is due on it: pay part by another method",
                order.currency.format(available),
                order.currency.code(),
                order.currency.format(needed),
            ),
        ),
    })?;
    let settled_now = split.remainder.is_zero();
    let maximum = balance.as_ref().map(|b| b.on_account.maximum);
    let mut reserved = Reserved {
        remainder: split.remainder,
        ..Reserved::default()
    };
    // Right codes commit only while the client's wrong codes are within their limit: of
    // many guesses sent at once, no more are answered than the limit allows.
    if let Some(bucket) = guesses {
        reserved
            .draws
            .push(Write::Tender(TenderWrite::CheckCodeRoom {
                bucket,
                limit: MAX_CODE_FAILURES_PER_CLIENT,
            }));
    }
    if let Some(applied) = promo {
        let mut discount = applied.discount;
        discount.reserved_for = (!settled_now).then(|| rest_payment.to_string());
        reserved.discount = Some(discount);
        reserved.draws.extend(applied.draws);
    }
    for (index, part) in split.parts.into_iter().enumerate() {
        let id = format!(
            "pay_{}",
            &hex_digest(&[rest_payment.as_bytes(), b"tender", &index.to_be_bytes()])[..32]
        );
        let (method, draw) = match part.tender {
            Tender::Voucher(voucher) => (
                PaymentMethod::Voucher {
                    voucher: voucher.clone(),
                },
                TenderWrite::AdjustVoucher {
                    voucher,
                    delta: -part.amount,
                    usable_on: Some(today),
                },
            ),
            Tender::CreditBalance => (
                PaymentMethod::CreditBalance,
                TenderWrite::AdjustBalance {
                    customer_id: customer.clone(),
                    currency: order.currency,
                    credit: -part.amount,
                    outstanding: Decimal::ZERO,
                    maximum_seen: None,
                },
            ),
            Tender::OnAccount => (
                PaymentMethod::OnAccount,
                TenderWrite::AdjustBalance {
                    customer_id: customer.clone(),
                    currency: order.currency,
                    credit: Decimal::ZERO,
                    outstanding: part.amount,
                    maximum_seen: maximum,
                },
            ),
        };
        reserved.draws.push(Write::Tender(draw));
        reserved.payments.push(tender_payment(
            id,
            order,
            method,
            part.amount,
            (!settled_now).then(|| rest_payment.to_string()),
            now,
        ));
    }
    Ok(reserved)
}

/// A tender's payment: taken at once when it settles the order with the others, else
/// reserved until the payment that takes the rest has an outcome.
fn tender_payment(
    id: String,
    order: &Order,
    method: PaymentMethod,
    amount: Decimal,
    reserved_for: Option<String>,
    now: OffsetDateTime,
) -> Payment {
    let taken = reserved_for.is_none();
    Payment {
        id,
        order_reference: order.reference.clone(),
        method,
        status: if taken {
            PaymentStatus::Captured
        } else {
            PaymentStatus::Processing
        },
        amount,
        currency: order.currency,
        psp: None,
        captured_amount: if taken { amount } else { Decimal::ZERO },
        refunded_amount: Decimal::ZERO,
        shipped_amount: Decimal::ZERO,
        shipped_at: None,
        released: None,
        failure_code: None,
        billing: None,
        created_at: now,
        updated_at: now,
        expires_at: now,
        authorised_at: taken.then_some(now),
        dispute: None,
        review: None,
        capture: crate::domain::CaptureTiming::AtOnce,
        due_on: None,
        reserved_for,
        credited_amount: Decimal::ZERO,
    }
}

impl Reserved {
    /// Every tender payment made with `billing` (its invoice uses it).
    pub(super) fn with_billing(mut self, billing: &Billing) -> Self {
        for payment in &mut self.payments {
            payment.billing = Some(billing.clone());
        }
        self
    }
}
