//! The notifier's month-end summary invoices (a child of `notify`): a customer who pays by SEPA
//! gets one invoice per month, issued when the month close queues `month_invoice_due`, listing
//! the month's orders; those orders get no invoice of their own, whatever later pays them (the
//! debit, or another payment after it came back).

use super::{Handled, Notifier, NotifyError};
use crate::domain::emails::{render, EmailContent};
use crate::domain::month_invoice::MonthOrder;
use crate::domain::paris_time::paris_date;
use crate::domain::{Invoice, InvoiceDraft, OutboxEvent, Payment, PaymentMethod};
use crate::ports::OrderWithPayments;

/// A SEPA purchase collected with its month (not a one-off debit at a PSP).
fn collected_monthly(payment: &Payment) -> bool {
    matches!(payment.method, PaymentMethod::SepaDebit { .. }) && payment.psp.is_none()
}

impl Notifier {
    pub(super) async fn issue_month_invoice(
        &self,
        event: &OutboxEvent,
    ) -> Result<Handled, NotifyError> {
        let month = self.month_of(event).await?;
        let mut orders = Vec::new();
        for reference in month.orders() {
            let loaded = self
                .store
                .get_order_with_payments(&reference)
                .await?
                .ok_or_else(|| NotifyError::Permanent(format!("order {reference} not found")))?;
            let paid_with = loaded
                .payments
                .iter()
                .find(|p| month.lines.contains_key(&p.value.id))
                .ok_or_else(|| {
                    NotifyError::Permanent(format!("no payment of the month on {reference}"))
                })?;
            let billing = self.billing_for(&loaded, &paid_with.value).await?;
            orders.push(MonthOrder {
                delivered_on: paid_with.value.shipped_at.map(paris_date),
                order: loaded.order.value.clone(),
                billing,
            });
        }
        let draft = InvoiceDraft::month_summary(&month, &orders, &self.seller)
            .map_err(|e| NotifyError::Permanent(format!("{}: {e}", event.payment_id)))?;
        let invoice = self.notifications.issue_invoice(&draft).await?;
        let mut handled = Handled {
            invoice_number: Some(invoice.number.clone()),
            ..Handled::default()
        };
        let attachments = self.keep_document(&invoice).await?;
        // The customer the month belongs to: every order of it has the same email.
        let customer = &orders[0].order.customer;
        let content = EmailContent::Invoice {
            name: &customer.name,
            invoice: &invoice,
        };
        let rendered = render(&content, customer.locale);
        self.deliver_with(
            event,
            content.template(),
            &customer.email,
            rendered,
            attachments,
            &mut handled,
        )
        .await?;
        self.store.confirm_invoice_delivered(&event.id).await?;
        Ok(handled)
    }

    /// The month summary an order with a SEPA purchase is billed by. Such an order is only
    /// ever invoiced by its month's summary, whatever pays it in the end (the debit, or a
    /// transfer or card after the debit failed): until the summary is issued (its month's
    /// close queues it), this waits.
    pub(super) async fn summary_of(
        &self,
        loaded: &OrderWithPayments,
    ) -> Result<Option<Invoice>, NotifyError> {
        if !loaded.payments.iter().any(|p| collected_monthly(&p.value)) {
            return Ok(None);
        }
        let order = &loaded.order.value.reference;
        let documents = self.notifications.documents_of(order).await?;
        match documents.into_iter().find(|d| d.draft.summary.is_some()) {
            Some(summary) => Ok(Some(summary)),
            None => Err(NotifyError::Transient(format!(
                "order {order} waits for its month summary"
            ))),
        }
    }
}
