//! Month summary invoices on moto: the month close's `month_invoice_due` makes ONE invoice for
//! the customer's SEPA orders of the month (DynamoDB numbering and links), kept in S3 as its
//! Factur-X PDF, sent once through SES raw email, listed on each of its orders; the orders'
//! own invoice events later issue nothing.

use std::sync::Arc;

use encaisse::adapters::sqs::SqsEventQueue;
use encaisse::app::direct_debit::month_event;
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::documents::invoice_document;
use encaisse::domain::sepa::{DebitLine, DebitMonth, DebitStatus, MonthId};
use encaisse::domain::{Locale, OutboxKind, PaymentMethod, PaymentStatus};
use encaisse::notification_contract::{outbox_event, seed_paid_order, seller};
use encaisse::ports::prelude::*;
use encaisse::ports::{InvoiceStore, RoutedEventQueue, SepaWrite, Write};
use integration::notifier::{moto_notifier, MotoNotifier};
use time::macros::{date, datetime};

use super::documents_s3::{fresh_bucket, raw_messages_from};

/// ORD-10042 (already seeded as paid by card) turned into a SEPA purchase of November, and
/// ORD-10043 another, shipped on the 21st.
async fn seed_month(store: &dyn Store) -> DebitMonth {
    let now = datetime!(2026-11-20 10:00 UTC);
    let mut month = DebitMonth::new("cus_jeanne", MonthId::parse("2026-11").unwrap(), now);
    let mut writes = Vec::new();
    for (reference, payment_id, shipped) in [
        ("ORD-10042", "pay_1", None),
        ("ORD-10043", "pay_2", Some(datetime!(2026-11-21 09:30 UTC))),
    ] {
        let order = encaisse::contract::order(reference);
        if reference != "ORD-10042" {
            store.insert_order(&order).await.expect("insert order");
        }
        let mut payment = encaisse::contract::payment(reference, payment_id, 0);
        payment.method = PaymentMethod::SepaDebit {
            mandate: "mdt_1".into(),
        };
        payment.psp = None;
        payment.status = PaymentStatus::Authorised;
        payment.captured_amount = rust_decimal::Decimal::ZERO;
        payment.refunded_amount = rust_decimal::Decimal::ZERO;
        payment.shipped_at = shipped;
        let stored = store
            .get_order_with_payments(&order.reference)
            .await
            .expect("read")
            .and_then(|o| o.payments.into_iter().find(|p| p.value.id == payment_id));
        writes.push(Write::PutPayment {
            payment,
            expected_version: stored.map(|p| p.version),
        });
        month.add_line(
            payment_id,
            DebitLine {
                order_reference: order.reference.clone(),
                amount: order.totals().gross,
                at: now,
            },
        );
    }
    month.status = DebitStatus::Notified;
    month.collection_on = Some(date!(2026 - 12 - 03));
    month.mandate_reference = Some("ENCAISSE-UMR-1".into());
    writes.push(Write::Sepa(SepaWrite::PutMonth {
        month: month.clone(),
        expected_version: None,
    }));
    store.transact(writes).await.expect("seed the month");
    month
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_summary_is_numbered_kept_emailed_once_and_listed_on_each_order() {
    let MotoNotifier {
        store,
        notifications,
        sender,
        notifier,
    } = moto_notifier("releves").await;
    seed_paid_order(store.as_ref(), "ORD-10042", "pay_1", Locale::Fr).await;
    let month = seed_month(store.as_ref()).await;
    let files = Arc::new(fresh_bucket().await);
    let notifier = notifier.with_documents(files.clone());

    let event = month_event(
        &month,
        OutboxKind::MonthInvoiceDue,
        datetime!(2026-12-01 01:00 UTC),
    )
    .expect("event");
    let first = notifier.handle(&event).await.expect("first delivery");
    let again = notifier.handle(&event).await.expect("redelivery");
    assert_eq!(first.sent, vec!["invoice"]);
    assert!(again.sent.is_empty(), "{again:?}");
    assert_eq!(first.invoice_number.as_deref(), Some("F-2026-000001"));
    assert_eq!(again.invoice_number, first.invoice_number);

    let invoice = notifications
        .get_invoice("F-2026-000001")
        .await
        .expect("read")
        .expect("issued");
    assert_eq!(invoice.draft.issued_on, date!(2026 - 11 - 30));
    assert_eq!(invoice.draft.gross, month.total);
    let summary = invoice.draft.summary.as_ref().expect("a summary");
    let delivered: Vec<_> = summary
        .orders
        .iter()
        .map(|o| (o.reference.as_str(), o.delivered_on))
        .collect();
    assert_eq!(
        delivered,
        [
            ("ORD-10042", None),
            ("ORD-10043", Some(date!(2026 - 11 - 21)))
        ]
    );
    // Kept once in S3: the PDF it renders to.
    let kept = files
        .get_pdf("invoices/2026/F-2026-000001.pdf")
        .await
        .expect("read S3")
        .expect("kept");
    assert_eq!(kept, invoice_document(&invoice).expect("renders").pdf);
    let raw = raw_messages_from(&sender).await;
    let sent: Vec<&String> = raw
        .iter()
        .filter(|m| m.contains("F-2026-000001.pdf"))
        .collect();
    assert_eq!(sent.len(), 1, "{raw:#?}");
    // Each order lists it.
    for reference in ["ORD-10042", "ORD-10043"] {
        let listed = notifications
            .documents_of(&encaisse::domain::Reference::parse(reference).unwrap())
            .await
            .expect("listed");
        assert_eq!(listed, vec![invoice.clone()], "{reference}");
    }
    // The debit collected: each order's own invoice event issues nothing, sends nothing.
    for (reference, payment) in [("ORD-10042", "pay_1"), ("ORD-10043", "pay_2")] {
        let own = notifier
            .handle(&outbox_event(OutboxKind::InvoiceDue, reference, payment))
            .await
            .expect("its invoice event");
        assert!(own.sent.is_empty(), "{own:?}");
        assert_eq!(own.invoice_number.as_deref(), Some("F-2026-000001"));
    }
    assert_eq!(
        notifications.get_invoice("F-2026-000002").await,
        Ok(None),
        "no other invoice was numbered"
    );

    // `invoice_issued`, queued once however often the event came, reaches the e-invoicing
    // queue (SQS on moto) apart from the notifier's, with what the connector needs.
    let (sqs, domain_events) = super::outbox_relay::fresh_queue().await;
    let (_, einvoicing) = super::outbox_relay::fresh_queue().await;
    let queue = RoutedEventQueue::new(Arc::new(SqsEventQueue::new(sqs.clone(), &domain_events)))
        .route(
            OutboxKind::InvoiceIssued,
            Arc::new(SqsEventQueue::new(sqs.clone(), &einvoicing)),
        );
    OutboxRelay::new(store.clone(), Arc::new(queue))
        .publish_pending(100)
        .await
        .expect("relayed");
    let received = sqs
        .receive_message()
        .queue_url(&einvoicing)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let bodies: Vec<serde_json::Value> = received
        .messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    let issued = &bodies[0];
    assert_eq!(issued["kind"], "invoice_issued");
    assert_eq!(issued["id"], "invoice_issued#F-2026-000001");
    let document = &issued["document"];
    assert_eq!(document["number"], "F-2026-000001");
    assert_eq!(document["type_code"], "380");
    assert_eq!(document["issued_on"], "2026-11-30");
    assert_eq!(document["month"], "2026-11");
    assert_eq!(
        document["orders"],
        serde_json::json!(["ORD-10042", "ORD-10043"])
    );
    assert_eq!(document["gross"], month.total.to_string());
    assert_eq!(document["amount_due"], month.total.to_string());
    assert_eq!(document["payment_means"], "59");
    assert_eq!(document["seller"]["siren"], seller().siren);
    assert_eq!(document["buyer"]["business"], true);
    assert_eq!(document["pdf_key"], "invoices/2026/F-2026-000001.pdf");
    assert_eq!(document["pdf_size"], kept.len());
    use sha2::Digest;
    assert_eq!(
        document["pdf_sha256"],
        hex::encode(sha2::Sha256::digest(&kept))
    );
    let others = sqs
        .receive_message()
        .queue_url(&domain_events)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    assert!(
        others
            .messages()
            .iter()
            .all(|m| !m.body().unwrap_or_default().contains("invoice_issued")),
        "not for the notifier"
    );
}
