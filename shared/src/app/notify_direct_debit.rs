//! The notifier's SEPA month emails (a child of `notify`, for its sending machinery): the
//! pre-notification to the customer, and a return to the customer and the seller.

use super::{Handled, Notifier, NotifyError};
use crate::app::direct_debit::parse_month_id;
use crate::domain::sepa::emails::{render_announced, render_returned, render_returned_for_seller};
use crate::domain::sepa::DebitMonth;
use crate::domain::{OutboxEvent, OutboxKind};

impl Notifier {
    /// The SEPA month an event names (its `payment_id`): a month event without one is garbage.
    pub(super) async fn month_of(&self, event: &OutboxEvent) -> Result<DebitMonth, NotifyError> {
        let (customer, month) = parse_month_id(&event.payment_id)
            .ok_or_else(|| NotifyError::Permanent(format!("{} names no SEPA month", event.id)))?;
        Ok(self
            .store
            .get_debit_month(&customer, month)
            .await?
            .ok_or_else(|| NotifyError::Permanent(format!("no SEPA month {}", event.payment_id)))?
            .value)
    }

    pub(super) async fn tell_direct_debit(
        &self,
        event: &OutboxEvent,
    ) -> Result<Handled, NotifyError> {
        let month = self.month_of(event).await?;
        let order = self
            .store
            .get_order(&event.order_reference)
            .await?
            .ok_or_else(|| {
                NotifyError::Permanent(format!("order {} not found", event.order_reference))
            })?
            .value;
        let (name, locale) = (order.customer.name.as_str(), order.customer.locale);
        let (template, rendered) = match event.kind {
            OutboxKind::DirectDebitAnnounced => (
                "direct_debit_announced",
                render_announced(name, &month, locale),
            ),
            _ => (
                "direct_debit_returned",
                render_returned(name, &month, locale),
            ),
        };
        let mut handled = Handled::default();
        let to = order.customer.email.as_str();
        self.deliver(event, template, to, rendered, &mut handled)
            .await?;
        if event.kind == OutboxKind::DirectDebitReturned {
            // The seller is told too, when there is an inbox for it (else logged).
            match &self.seller_inbox {
                Some(inbox) => {
                    let rendered = render_returned_for_seller(&month, inbox.locale);
                    let template = "direct_debit_returned_seller";
                    self.deliver(event, template, &inbox.address, rendered, &mut handled)
                        .await?;
                }
                None => tracing::warn!(
                    alert = "sepa_return_not_told",
                    "a returned SEPA debit and no SELLER_EMAIL to tell"
                ),
            }
        }
        Ok(handled)
    }
}
