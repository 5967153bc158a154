//! The notifier with a document store: invoices and credit notes kept as Factur-X PDFs and
//! attached to their emails, once.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::Duration;

use super::*;
use crate::adapters::memory::documents::MemoryDocumentFiles;
use crate::adapters::memory::notifications::{MemoryMailer, MemoryNotificationStore};
use crate::adapters::memory::MemoryStore;
use crate::documents::invoice_document;
use crate::domain::invoice::PaidBy;
use crate::domain::order::InvoiceCue;
use crate::domain::{Locale, OutboxKind, Reference};
use crate::notification_contract::{outbox_event, seed_paid_order, seller};
use crate::ports::prelude::*;
use crate::ports::{InvoiceStore, SystemClock};

struct Fixture {
    store: Arc<MemoryStore>,
    notifier: Notifier,
    notifications: Arc<MemoryNotificationStore>,
    mailer: Arc<MemoryMailer>,
    files: Arc<MemoryDocumentFiles>,
}

async fn fixture() -> Fixture {
    let store = Arc::new(MemoryStore::new());
    seed_paid_order(store.as_ref(), "ORD-10042", "pay_1", Locale::Fr).await;
    let notifications = Arc::new(MemoryNotificationStore::new());
    let mailer = Arc::new(MemoryMailer::new());
    let files = Arc::new(MemoryDocumentFiles::new("http://127.0.0.1:8080"));
    let notifier = Notifier::new(
        store.clone(),
        notifications.clone(),
        mailer.clone(),
        Arc::new(SystemClock),
        seller(),
        PayPage::parse("https://shop.example/pay").unwrap(),
    )
    .with_documents(files.clone());
    Fixture {
        store,
        notifier,
        notifications,
        mailer,
        files,
    }
}

#[tokio::test]
async fn the_invoice_is_kept_as_its_pdf_and_attached_once() {
    let f = fixture().await;
    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    f.notifier.handle(&event).await.unwrap();
    f.notifier.handle(&event).await.unwrap();
    let sent = f.mailer.sent();
    assert_eq!(sent.len(), 1);
    let attachment = &sent[0].attachments[0];
    assert_eq!(attachment.file_name, "F-2026-000001.pdf");
    assert_eq!(attachment.content_type, "application/pdf");
    let invoice = f
        .notifications
        .get_invoice("F-2026-000001")
        .await
        .unwrap()
        .expect("issued");
    // How it was paid and when the goods left, from the payment (captured at shipment).
    assert_eq!(invoice.draft.paid_by, Some(PaidBy::Card));
    assert_eq!(invoice.draft.delivered_on, Some(invoice.draft.issued_on));
    let expected = invoice_document(&invoice).unwrap().pdf;
    assert_eq!(attachment.bytes, expected);
    assert_eq!(
        f.files.get_pdf("invoices/2026/F-2026-000001.pdf"),
        Some(expected)
    );
}

#[tokio::test]
async fn a_refund_after_the_invoice_gets_its_credit_note_pdf() {
    let f = fixture().await;
    f.notifier
        .handle(&outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1"))
        .await
        .unwrap();
    let reference = Reference::parse("ORD-10042").unwrap();
    let loaded = f.store.get_order(&reference).await.unwrap().unwrap();
    let mut order = loaded.value;
    let invoice_event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    order.invoiced = Some(InvoiceCue {
        payment_id: "pay_1".into(),
        at: invoice_event.created_at,
    });
    f.store.update_order(&order, loaded.version).await.unwrap();
    let mut refund = outbox_event(OutboxKind::RefundIssued, "ORD-10042", "pay_1");
    refund.amount = Decimal::new(5000, 2);
    refund.created_at = invoice_event.created_at + Duration::days(2);
    let handled = f.notifier.handle(&refund).await.unwrap();
    assert_eq!(handled.invoice_number.as_deref(), Some("A-2026-000001"));
    let sent = f.mailer.sent();
    let email = sent.last().expect("refund email");
    assert_eq!(email.attachments[0].file_name, "A-2026-000001.pdf");
    assert!(f
        .files
        .get_pdf("credit-notes/2026/A-2026-000001.pdf")
        .is_some());
    let listed = f.notifications.documents_of(&reference).await.unwrap();
    let numbers: Vec<&str> = listed.iter().map(|d| d.number.as_str()).collect();
    assert_eq!(numbers, vec!["F-2026-000001", "A-2026-000001"]);
}

#[tokio::test]
async fn without_a_document_store_the_email_goes_without_attachment() {
    let store = Arc::new(MemoryStore::new());
    seed_paid_order(store.as_ref(), "ORD-10042", "pay_1", Locale::Fr).await;
    let mailer = Arc::new(MemoryMailer::new());
    let notifier = Notifier::new(
        store,
        Arc::new(MemoryNotificationStore::new()),
        mailer.clone(),
        Arc::new(SystemClock),
        seller(),
        PayPage::parse("https://shop.example/pay").unwrap(),
    );
    notifier
        .handle(&outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1"))
        .await
        .unwrap();
    assert!(mailer.sent()[0].attachments.is_empty());
}
