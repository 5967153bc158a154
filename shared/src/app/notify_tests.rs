use std::sync::Arc;

use super::*;
use crate::adapters::memory::notifications::{MemoryMailer, MemoryNotificationStore};
use crate::adapters::memory::MemoryStore;
use crate::domain::{Locale, OutboxKind};
use crate::notification_contract::{outbox_event, seed_paid_order, seller};
use crate::ports::{InvoiceStore, MailError, SystemClock};

struct Fixture {
    store: Arc<MemoryStore>,
    notifier: Notifier,
    notifications: Arc<MemoryNotificationStore>,
    mailer: Arc<MemoryMailer>,
}

async fn fixture(locale: Locale) -> Fixture {
    let store = Arc::new(MemoryStore::new());
    seed_paid_order(store.as_ref(), "ORD-10042", "pay_1", locale).await;
    let notifications = Arc::new(MemoryNotificationStore::new());
    let mailer = Arc::new(MemoryMailer::new());
    let notifier = Notifier::new(
        store.clone(),
        notifications.clone(),
        mailer.clone(),
        Arc::new(SystemClock),
        seller(),
        PayPage::parse("https://shop.example/pay").unwrap(),
    );
    Fixture {
        store,
        notifier,
        notifications,
        mailer,
    }
}

#[tokio::test]
async fn payment_received_is_sent_once_across_redeliveries() {
    let f = fixture(Locale::Fr).await;
    let event = outbox_event(OutboxKind::PaymentReceived, "ORD-10042", "pay_1");
    let first = f.notifier.handle(&event).await.unwrap();
    assert_eq!(first.sent, vec!["payment_received"]);
    let second = f.notifier.handle(&event).await.unwrap();
    assert_eq!(second.already_sent, vec!["payment_received"]);
    let sent = f.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "buyer@example.fr");
    assert!(sent[0].subject.starts_with("Paiement reçu"));
}

#[tokio::test]
async fn amount_debited_names_the_amount_in_english() {
    let f = fixture(Locale::En).await;
    let event = outbox_event(OutboxKind::AmountDebited, "ORD-10042", "pay_1");
    f.notifier.handle(&event).await.unwrap();
    let sent = f.mailer.sent();
    assert!(sent[0].subject.starts_with("Your card has been charged"));
    assert!(sent[0].text.contains(&crate::domain::emails::format_amount(
        event.amount,
        event.currency,
        Locale::En
    )));
}

#[tokio::test]
async fn invoice_due_issues_one_invoice_and_one_email() {
    let f = fixture(Locale::Fr).await;
    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    let first = f.notifier.handle(&event).await.unwrap();
    assert_eq!(first.invoice_number.as_deref(), Some("F-2026-000001"));
    let again = f.notifier.handle(&event).await.unwrap();
    assert_eq!(again.invoice_number.as_deref(), Some("F-2026-000001"));
    assert!(again.sent.is_empty());
    let sent = f.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].text.contains("Facture F-2026-000001"));
    assert!(sent[0].html.contains("F-2026-000001"));
    let stored = f
        .notifications
        .get_invoice("F-2026-000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.draft.customer.company.as_deref(),
        Some("Atelier Martin")
    );
}

#[tokio::test]
async fn a_failed_send_is_retried_and_then_sent_once() {
    let f = fixture(Locale::Fr).await;
    let event = outbox_event(OutboxKind::RefundIssued, "ORD-10042", "pay_1");
    f.mailer.fail_next(MailError::Throttled);
    let err = f.notifier.handle(&event).await.unwrap_err();
    assert!(err.is_transient());
    assert!(f.mailer.sent().is_empty());
    f.notifier.handle(&event).await.unwrap();
    f.notifier.handle(&event).await.unwrap();
    assert_eq!(f.mailer.sent().len(), 1);
}

#[tokio::test]
async fn rejected_addresses_and_missing_orders_are_permanent() {
    let f = fixture(Locale::Fr).await;
    f.mailer
        .fail_next(MailError::Rejected("bad address".into()));
    let event = outbox_event(OutboxKind::PaymentReceived, "ORD-10042", "pay_1");
    assert!(!f.notifier.handle(&event).await.unwrap_err().is_transient());
    let missing = outbox_event(OutboxKind::PaymentReceived, "ORD-999", "pay_1");
    assert!(!f
        .notifier
        .handle(&missing)
        .await
        .unwrap_err()
        .is_transient());
    let wrong_payment = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_other");
    assert!(!f
        .notifier
        .handle(&wrong_payment)
        .await
        .unwrap_err()
        .is_transient());
}

#[tokio::test]
async fn released_authorisations_send_nothing() {
    let f = fixture(Locale::Fr).await;
    let event = outbox_event(OutboxKind::AuthorisationReleased, "ORD-10042", "pay_1");
    assert_eq!(f.notifier.handle(&event).await.unwrap(), Handled::default());
    assert!(f.mailer.sent().is_empty());
}

/// Longest run of digits, ignoring spaces and dashes (how card numbers and IBANs are written).
fn longest_digit_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        match c {
            '0'..='9' => run += 1,
            ' ' | '-' | '\u{a0}' | '\u{202f}' => {}
            _ => run = 0,
        }
        best = best.max(run);
    }
    best
}

#[tokio::test]
async fn no_email_carries_a_card_or_account_number() {
    let f = fixture(Locale::Fr).await;
    for kind in [
        OutboxKind::PaymentReceived,
        OutboxKind::AmountDebited,
        OutboxKind::RefundIssued,
        OutboxKind::InvoiceDue,
    ] {
        f.notifier
            .handle(&outbox_event(kind, "ORD-10042", "pay_1"))
            .await
            .unwrap();
    }
    let sent = f.mailer.sent();
    assert_eq!(sent.len(), 4);
    for email in sent {
        // SIRET (14 digits) is the longest number an email may show; cards have 15 to 19.
        for part in [&email.subject, &email.text, &email.html] {
            let stripped = part.replace("SIRET 12345678900012", "");
            assert!(longest_digit_run(&stripped) < 15, "{}", email.subject);
        }
    }
}

#[test]
fn outbox_messages_parse_or_fail_permanently() {
    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    let body = serde_json::to_string(&event).unwrap();
    assert_eq!(parse_outbox_message(&body).unwrap(), event);
    assert!(!parse_outbox_message("{\"id\":1}")
        .unwrap_err()
        .is_transient());
}

#[test]
fn store_errors_split_into_retry_and_give_up() {
    assert!(NotifyError::from(StoreError::Throttled).is_transient());
    assert!(NotifyError::from(StoreError::Contention).is_transient());
    assert!(!NotifyError::from(StoreError::Corrupt("x".into())).is_transient());
}

#[tokio::test]
async fn the_daily_sweep_resends_an_invoice_whose_message_was_lost() {
    use crate::adapters::memory::event_queue::MemoryEventQueue;
    use crate::app::publish_outbox::{OutboxRelay, INVOICE_GRACE};
    use crate::ports::prelude::*;
    use crate::ports::Write;
    use time::Duration;

    let f = fixture(Locale::Fr).await;
    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    f.store
        .transact(vec![Write::PutOutbox(event.clone())])
        .await
        .unwrap();
    let (queue, mut published) = MemoryEventQueue::new();
    let relay = OutboxRelay::new(f.store.clone(), Arc::new(queue));
    assert_eq!(relay.publish_pending(10).await.unwrap(), 1);
    // That message is lost (dead-lettered): nobody handles it.
    assert_eq!(published.try_recv().unwrap().id, event.id);

    // Within the grace period the sweep waits; after it, the event is published again.
    let sweep = |minutes: i64| {
        let relay = relay.clone();
        async move {
            relay
                .resend_undelivered_invoices(
                    event.created_at + Duration::minutes(minutes),
                    INVOICE_GRACE,
                    10,
                )
                .await
                .unwrap()
        }
    };
    assert!(sweep(30).await.is_empty());
    assert_eq!(sweep(24 * 60).await.len(), 1);
    let again = published.try_recv().unwrap();
    assert_eq!(again, event);
    let handled = f.notifier.handle(&again).await.unwrap();
    assert_eq!(handled.sent, vec!["invoice"]);
    // Confirmed: later sweeps leave it alone, and the customer got one email.
    assert!(sweep(3 * 24 * 60).await.is_empty());
    assert!(published.try_recv().is_err());
    assert_eq!(f.mailer.sent().len(), 1);
}

#[tokio::test]
async fn reauthorisation_email_links_to_the_pay_page() {
    let f = fixture(Locale::En).await;
    let event = outbox_event(OutboxKind::ReauthorisationRequired, "ORD-10042", "pay_1");
    assert_eq!(
        f.notifier.handle(&event).await.unwrap().sent,
        vec!["reauthorisation_needed"]
    );
    let sent = f.mailer.sent();
    assert!(sent[0].subject.starts_with("Action needed"));
    assert!(sent[0]
        .text
        .contains("https://shop.example/pay?ref=ORD-10042"));
}

/// Puts a chargeback on the seeded order's payment.
async fn dispute_pay_1(store: &MemoryStore) {
    use crate::ports::store::{OrderStore, Transactions};
    let reference = crate::domain::Reference::parse("ORD-10042").unwrap();
    let snapshot = store
        .get_order_with_payments(&reference)
        .await
        .unwrap()
        .unwrap();
    let stored = &snapshot.payments[0];
    let mut payment = stored.value.clone();
    payment.dispute = Some(crate::domain::Dispute {
        id: "dp_1".into(),
        kind: crate::domain::DisputeKind::Chargeback,
        status: crate::domain::DisputeStatus::NeedsResponse,
        amount: payment.captured_amount,
        withdrawn: payment.captured_amount,
        reason: "fraudulent".into(),
        respond_by: None,
        opened_at: payment.created_at,
        movements: 1,
    });
    store
        .transact(vec![crate::ports::Write::PutPayment {
            payment,
            expected_version: Some(stored.version),
        }])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_dispute_is_emailed_to_the_seller_once_and_never_to_the_shopper() {
    let f = fixture(Locale::En).await;
    dispute_pay_1(&f.store).await;
    let inbox = crate::domain::seller_emails::SellerInbox {
        address: "seller@shop.example".into(),
        locale: Locale::Fr,
    };
    let without_inbox = f
        .notifier
        .handle(&outbox_event(
            OutboxKind::DisputeOpened,
            "ORD-10042",
            "pay_1",
        ))
        .await;
    assert!(
        matches!(without_inbox, Err(NotifyError::Permanent(_))),
        "no SELLER_EMAIL: dead-lettered, not dropped"
    );
    let notifier = f.notifier.with_seller_inbox(Some(inbox));
    let event = outbox_event(OutboxKind::DisputeOpened, "ORD-10042", "pay_1");
    assert_eq!(
        notifier.handle(&event).await.unwrap().sent,
        vec!["dispute_opened"]
    );
    assert_eq!(
        notifier.handle(&event).await.unwrap().already_sent,
        vec!["dispute_opened"]
    );
    let sent = f.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "seller@shop.example");
    // The seller's language, not the shopper's.
    assert!(
        sent[0].subject.starts_with("Litige ouvert"),
        "{}",
        sent[0].subject
    );
}

/// The seeded order with its first line sold as gift vouchers.
async fn selling_vouchers(f: &Fixture) -> crate::domain::Order {
    use crate::ports::store::{OrderStore, Transactions};
    let reference = crate::domain::Reference::parse("ORD-10042").unwrap();
    let stored = f.store.get_order(&reference).await.unwrap().unwrap();
    let mut order = stored.value.clone();
    order.lines[0].kind = crate::domain::order::LineKind::Voucher;
    f.store
        .transact(vec![crate::ports::Write::UpdateOrder {
            order: order.clone(),
            expected_version: stored.version,
        }])
        .await
        .unwrap();
    order
}

#[tokio::test]
async fn sold_vouchers_are_created_and_emailed_once_across_redeliveries() {
    let mut f = fixture(Locale::Fr).await;
    f.notifier = f.notifier.with_sold_voucher_key(b"k".repeat(32));
    let order = selling_vouchers(&f).await;
    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    let first = f.notifier.handle(&event).await.unwrap();
    assert_eq!(first.sent, vec!["invoice", "vouchers_sold"]);
    let again = f.notifier.handle(&event).await.unwrap();
    assert!(again.sent.is_empty(), "{again:?}");
    let sent = f.mailer.sent();
    let vouchers: Vec<_> = sent
        .iter()
        .filter(|m| m.subject.starts_with("Vos bons d'achat"))
        .collect();
    assert_eq!(vouchers.len(), 1);
    let count = order.lines[0].quantity;
    let key = b"k".repeat(32);
    let ids: Vec<String> = (0..count)
        .map(|i| {
            let code = crate::domain::tenders::VoucherCode::derived(&key, &order.reference, i);
            assert!(vouchers[0].text.contains(&code.display()));
            code.voucher_id()
        })
        .collect();
    let found =
        crate::ports::TenderStore::load_tenders(f.store.as_ref(), &ids, "cus_none", order.currency)
            .await
            .unwrap()
            .vouchers;
    assert_eq!(found.len(), count as usize);
    for voucher in found {
        assert_eq!(voucher.value.balance, order.lines[0].unit_price);
        assert_eq!(voucher.value.sold_with.as_ref(), Some(&order.reference));
    }
}

#[tokio::test]
async fn sold_vouchers_without_a_key_are_dead_lettered() {
    let f = fixture(Locale::Fr).await;
    selling_vouchers(&f).await;
    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    let refused = f.notifier.handle(&event).await.unwrap_err();
    assert!(!refused.is_transient(), "{refused:?}");
}

#[tokio::test]
async fn sold_vouchers_are_not_issued_for_an_order_not_paid_in_full() {
    use crate::ports::store::{OrderStore, Transactions};
    let mut f = fixture(Locale::Fr).await;
    f.notifier = f.notifier.with_sold_voucher_key(b"k".repeat(32));
    let mut order = selling_vouchers(&f).await;
    // One more voucher than was paid for (a short shipment released the rest, say).
    let stored = f.store.get_order(&order.reference).await.unwrap().unwrap();
    order.lines[0].quantity += 1;
    f.store
        .transact(vec![crate::ports::Write::UpdateOrder {
            order,
            expected_version: stored.version,
        }])
        .await
        .unwrap();
    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    let handled = f.notifier.handle(&event).await.unwrap();
    assert_eq!(handled.sent, vec!["invoice"]);
}
