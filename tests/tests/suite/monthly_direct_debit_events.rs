//! `monthly-direct-debit` fed its sample events (`events/monthly-direct-debit/*.json`) as the
//! Lambda runtime would hand them over, on moto: the schedule's payload fans the month out (one
//! job per customer, from the sharded index), the SQS batch of jobs closes and announces the
//! customer's month, and the same batch delivered again changes nothing.

use std::sync::Arc;

use encaisse::adapters::memory::debit_jobs::MemoryDebitJobQueue;
use encaisse::adapters::stripe::{StripeConfig, StripeConnector};
use encaisse::app::direct_debit::MonthlyDirectDebit;
use encaisse::app::start_sepa::SepaSettings;
use encaisse::consumers::debit_jobs::handle_invocation;
use encaisse::domain::sepa::{DebitLine, DebitMonth, DebitStatus, Mandate, MandateStatus, MonthId};
use encaisse::domain::Reference;
use encaisse::ports::{ProviderRegistry, SepaWrite, Store, SystemClock, Write};
use integration::event;
use rust_decimal::Decimal;
use serde_json::json;

/// The customer the sample batch names.
const CUSTOMER: &str = "cus_0a1b2c3d4e5f60718293";

async fn seed(store: &dyn Store) {
    let month = MonthId::parse("2026-11").unwrap();
    let at = time::macros::datetime!(2026-11-14 10:00 UTC);
    let mut debit = DebitMonth::new(CUSTOMER, month, at);
    debit.add_line(
        "pay_0001",
        DebitLine {
            order_reference: Reference::parse("ORD-31001").unwrap(),
            amount: Decimal::new(8196, 2),
            at,
        },
    );
    let mandate = Mandate {
        id: Mandate::new_id(),
        customer_id: CUSTOMER.into(),
        provider: "stripe".into(),
        setup_session: "cs_test_setup".into(),
        psp_mandate: Some("mandate_1".into()),
        payment_method: Some("pm_1".into()),
        reference: Some("UMR-0001".into()),
        iban_last4: Some("3000".into()),
        bank_country: Some("DE".into()),
        accepted_at: Some(at),
        status: MandateStatus::Active,
        created_at: at,
        updated_at: at,
    };
    store
        .transact(vec![
            Write::Sepa(SepaWrite::PutMandate {
                mandate,
                expected_version: None,
            }),
            Write::Sepa(SepaWrite::PutMonth {
                month: debit,
                expected_version: None,
            }),
        ])
        .await
        .unwrap();
}

#[tokio::test]
async fn the_schedule_fans_out_and_a_job_batch_announces_the_month_once() {
    let store = integration::fresh_store().await;
    seed(store.as_ref()).await;
    // Never called: an announcement takes no PSP request (the debit is submitted later).
    let connector = StripeConnector::new(StripeConfig::new(
        "sk_test_unused",
        vec!["whsec_unused".into()],
    ))
    .unwrap();
    let queue = Arc::new(MemoryDebitJobQueue::default());
    let run = MonthlyDirectDebit::new(
        store.clone(),
        Arc::new(ProviderRegistry::single(Arc::new(connector))),
        Arc::new(SystemClock),
        queue.clone(),
        SepaSettings::local(),
    );

    let fanned = handle_invocation(&run, event("monthly-direct-debit/schedule.json"))
        .await
        .unwrap();
    assert_eq!(
        fanned,
        json!({"month": "2026-11", "customers": 1, "queued": 1})
    );
    let jobs = queue.drain();
    assert_eq!(
        (jobs.len(), jobs[0].customer_id.as_str()),
        (1, CUSTOMER),
        "the job the sample batch carries"
    );

    let batch = event("monthly-direct-debit/jobs-batch.json");
    let answer = handle_invocation(&run, batch.clone()).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let month = store
        .get_debit_month(CUSTOMER, MonthId::parse("2026-11").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(month.value.status, DebitStatus::Notified);
    assert_eq!(month.value.mandate_reference.as_deref(), Some("UMR-0001"));
    assert!(month.value.collection_on.is_some());

    // Delivered again (SQS is at least once): nothing moves.
    let again = handle_invocation(&run, batch).await.unwrap();
    assert_eq!(again, json!({"batchItemFailures": []}));
    let after = store
        .get_debit_month(CUSTOMER, MonthId::parse("2026-11").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, month, "unchanged, same version");

    // A schedule payload with a month that is not one is refused, nothing queued.
    let refused = handle_invocation(&run, json!({"month": "2026-13"})).await;
    assert!(refused.is_err());
    let refused = handle_invocation(&run, json!({"month": 202611})).await;
    assert!(refused.is_err());
    assert!(queue.drain().is_empty());
}
