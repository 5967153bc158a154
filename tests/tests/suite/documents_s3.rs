//! Invoices as documents on moto: the notifier keeps the Factur-X PDF in S3 (once, however often
//! the event comes) and sends it attached through SES raw email; the order's documents are
//! listed from DynamoDB with presigned links that download exactly that PDF, and a shopper's
//! order token opens its own order's documents only.

use std::sync::Arc;

use encaisse::adapters::s3::{self, S3DocumentFiles};
use encaisse::app::order_documents::OrderDocuments;
use encaisse::app::{AccessTokens, OrderLookup};
use encaisse::documents::invoice_document;
use encaisse::domain::{Locale, OutboxKind, Reference};
use encaisse::notification_contract::{outbox_event, seed_paid_order};
use encaisse::ports::prelude::*;
use encaisse::ports::{InvoiceStore, SystemClock};
use integration::notifier::{moto_notifier, MotoNotifier};

pub(crate) async fn fresh_bucket() -> S3DocumentFiles {
    integration::emulator_endpoint();
    let config = aws_config::load_from_env().await;
    let files = S3DocumentFiles::new(
        s3::client_from_config(&config),
        format!("encaisse-docs-{}", uuid::Uuid::new_v4().simple()),
    );
    files.create_bucket().await.expect("bucket on moto");
    files
}

/// Raw messages moto's SES recorded from `sender`.
pub(crate) async fn raw_messages_from(sender: &str) -> Vec<String> {
    let url = format!("{}/moto-api/data.json", integration::emulator_endpoint());
    let data: serde_json::Value = reqwest::get(url)
        .await
        .expect("moto data")
        .json()
        .await
        .expect("json");
    let mut found = Vec::new();
    collect(&data["ses"], sender, &mut found);
    found
}

fn collect(value: &serde_json::Value, sender: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, sender, found)),
        serde_json::Value::Object(map)
            if map.get("source").and_then(|s| s.as_str()) == Some(sender) =>
        {
            found.push(value.to_string())
        }
        serde_json::Value::Object(map) => map.values().for_each(|v| collect(v, sender, found)),
        _ => {}
    }
}

/// Another paid order of the same customer (whose profile exists already).
async fn seed_second_order(store: &dyn Store) {
    let order = encaisse::contract::order("ORD-10043");
    store.insert_order(&order).await.expect("insert order");
    let mut payment = encaisse::contract::payment("ORD-10043", "pay_2", 0);
    payment.status = encaisse::domain::PaymentStatus::Captured;
    payment.captured_amount = order.totals().gross;
    store
        .transact(vec![encaisse::ports::Write::PutPayment {
            payment,
            expected_version: None,
        }])
        .await
        .expect("seed payment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invoice_pdf_is_kept_once_emailed_attached_and_downloadable_by_its_owner() {
    let MotoNotifier {
        store,
        notifications,
        sender,
        notifier,
    } = moto_notifier("factures").await;
    seed_paid_order(store.as_ref(), "ORD-10042", "pay_1", Locale::Fr).await;
    seed_second_order(store.as_ref()).await;
    let files = Arc::new(fresh_bucket().await);
    let notifier = notifier.with_documents(files.clone());

    let event = outbox_event(OutboxKind::InvoiceDue, "ORD-10042", "pay_1");
    let first = notifier.handle(&event).await.expect("first delivery");
    let again = notifier.handle(&event).await.expect("redelivery");
    assert_eq!(first.sent, vec!["invoice"]);
    assert!(again.sent.is_empty());
    notifier
        .handle(&outbox_event(OutboxKind::InvoiceDue, "ORD-10043", "pay_2"))
        .await
        .expect("the other order's invoice");

    // Kept in S3, exactly the document the invoice renders to.
    let invoice = notifications
        .get_invoice("F-2026-000001")
        .await
        .expect("read")
        .expect("issued");
    let pdf = invoice_document(&invoice).expect("renders").pdf;
    let kept = files
        .get_pdf("invoices/2026/F-2026-000001.pdf")
        .await
        .expect("read S3")
        .expect("kept");
    assert_eq!(kept, pdf);
    let config = aws_config::load_from_env().await;
    let versions = s3::client_from_config(&config)
        .list_object_versions()
        .bucket(files.bucket())
        .prefix("invoices/2026/F-2026-000001.pdf")
        .send()
        .await
        .expect("versions");
    assert_eq!(
        versions.versions().len(),
        1,
        "the redelivery kept no second copy"
    );

    // Sent once, as a MIME message with the PDF attached.
    let raw = raw_messages_from(&sender).await;
    let with_invoice: Vec<&String> = raw
        .iter()
        .filter(|m| m.contains("F-2026-000001.pdf"))
        .collect();
    assert_eq!(with_invoice.len(), 1, "{raw:#?}");
    assert!(with_invoice[0].contains("application/pdf"));

    // Listed from the table and downloadable through the presigned link.
    let tokens = AccessTokens::new([7u8; 32]);
    let lookup =
        OrderLookup::new(store.clone(), tokens.clone(), Arc::new(SystemClock)).with_documents(
            OrderDocuments::new(notifications.clone(), files.clone(), Arc::new(SystemClock)),
        );
    let mine = Reference::parse("ORD-10042").unwrap();
    let (token, _) = tokens.issue(&mine, time::OffsetDateTime::now_utc());
    let listed = lookup
        .documents("ORD-10042", Some(&token))
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].number, "F-2026-000001");
    let response = reqwest::get(&listed[0].download_url)
        .await
        .expect("GET link");
    assert_eq!(response.status(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(disposition.contains("F-2026-000001.pdf"), "{disposition}");
    assert_eq!(response.bytes().await.expect("body").to_vec(), pdf);

    // A SigV4 presigned GET for five minutes (moto does not check signatures, S3 does: the
    // memory store's links are checked in its own tests).
    let url = &listed[0].download_url;
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    assert!(url.contains("/invoices/2026/F-2026-000001.pdf?"), "{url}");
    // This order's token opens no other order's documents.
    assert!(matches!(
        lookup.documents("ORD-10043", Some(&token)).await,
        Err(encaisse::app::LookupError::Unauthorized(_))
    ));
}
