//! The notifier's gift vouchers sold as order lines (a child of `notify`): once the order is
//! fully captured (its invoice is due), each voucher it sold is created and its code emailed
//! to the buyer. The codes derive from the seller's key, the order and the voucher's rank,
//! so a redelivered event finds the same vouchers (nothing created twice) and the email is
//! claimed and sent once like any other; no code is ever stored.

use rust_decimal::Decimal;
use time::Duration;

use super::{Handled, Notifier, NotifyError};
use crate::domain::paris_time::paris_date;
use crate::domain::tenders::{AuditEntry, Voucher, VoucherCode, VoucherStatus};
use crate::domain::voucher_emails::{render_vouchers_sold, SoldVoucher, TEMPLATE};
use crate::domain::{customer_id, OutboxEvent, PaymentMethod};
use crate::ports::{OrderWithPayments, StoreError, TenderWrite, Write};

/// How long a sold voucher can be used: a year from the day it is issued.
pub const SOLD_VOUCHER_VALIDITY: Duration = Duration::days(365);

impl Notifier {
    pub(super) async fn issue_sold_vouchers(
        &self,
        loaded: &OrderWithPayments,
        event: &OutboxEvent,
        handled: &mut Handled,
    ) -> Result<(), NotifyError> {
        let order = &loaded.order.value;
        let mut sold = Vec::new();
        for (value, count) in order.vouchers_sold() {
            sold.extend(std::iter::repeat_n(value, count as usize));
        }
        if sold.is_empty() {
            return Ok(());
        }
        // Only for money received in full: a short shipment releases the rest and still counts
        // as fully captured, and on account is credit, not money.
        let received: Decimal = loaded
            .payments
            .iter()
            .map(|p| &p.value)
            .filter(|p| !matches!(p.method, PaymentMethod::OnAccount))
            .map(|p| p.captured_amount - p.returned_amount())
            .sum();
        if received < order.totals().gross {
            tracing::error!(
                reference = %order.reference,
                "order sells gift vouchers but was not paid in full: none issued, the seller \
                 issues them by hand"
            );
            return Ok(());
        }
        let key = self.sold_voucher_key.as_deref().ok_or_else(|| {
            NotifyError::Permanent(format!(
                "order {} sold vouchers but no key to derive their codes is configured",
                order.reference
            ))
        })?;
        let now = self.clock.now();
        let expires_on = paris_date(now + SOLD_VOUCHER_VALIDITY);
        let codes: Vec<VoucherCode> = (0..sold.len())
            .map(|i| VoucherCode::derived(key, &order.reference, i as u32))
            .collect();
        let ids: Vec<String> = codes.iter().map(VoucherCode::voucher_id).collect();
        // One read: those a first delivery created are kept as they are (maybe spent since).
        let found = self
            .store
            .load_tenders(&ids, "cus_none", order.currency)
            .await?
            .vouchers;
        let by = format!("order {}", order.reference);
        let mut writes = Vec::new();
        let mut emailed = Vec::with_capacity(codes.len());
        for (code, value) in codes.into_iter().zip(sold) {
            let id = code.voucher_id();
            let stored = found.iter().find(|v| v.value.id == id).map(|v| &v.value);
            let voucher = match stored {
                Some(voucher) => voucher.clone(),
                None => {
                    let voucher = Voucher {
                        id,
                        code_hint: code.hint(),
                        currency: order.currency,
                        initial_amount: value,
                        balance: value,
                        expires_on,
                        status: VoucherStatus::Active,
                        issued_at: now,
                        issued_by: by.clone(),
                        issued_to: Some(customer_id(&order.customer.email)),
                        sold_with: Some(order.reference.clone()),
                    };
                    writes.push(Write::Tender(TenderWrite::Audit(AuditEntry {
                        subject: AuditEntry::voucher_subject(&voucher.id),
                        at: now,
                        by: by.clone(),
                        action: "voucher_sold".into(),
                        before: None,
                        after: serde_json::to_value(&voucher)
                            .map_err(|e| NotifyError::Permanent(e.to_string()))?,
                    })));
                    writes.push(Write::Tender(TenderWrite::PutVoucher {
                        voucher: voucher.clone(),
                        expected_version: None,
                    }));
                    voucher
                }
            };
            emailed.push(SoldVoucher {
                code,
                value: voucher.initial_amount,
                currency: voucher.currency,
                expires_on: voucher.expires_on,
            });
        }
        if !writes.is_empty() {
            match self.store.transact(writes).await {
                Ok(()) => {}
                // Another delivery created them meanwhile: the next one emails them.
                Err(StoreError::AlreadyExists(_) | StoreError::VersionConflict(_)) => {
                    return Err(NotifyError::Transient(
                        "sold vouchers created concurrently".into(),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        let rendered = render_vouchers_sold(
            &order.customer.name,
            &order.reference,
            &emailed,
            order.customer.locale,
        );
        self.deliver(event, TEMPLATE, &order.customer.email, rendered, handled)
            .await
    }
}
