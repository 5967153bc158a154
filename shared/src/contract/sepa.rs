//! SEPA items: a customer's standing, mandates and months read in one request; a month's total
//! held under the cap by the store's condition, also under concurrent purchases; the month's
//! customers listed by shard for the close.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::macros::datetime;

use crate::domain::sepa::{
    CapRule, DebitLine, DebitMonth, DebitStatus, Mandate, MandateStatus, MonthId, SepaAccount,
};
use crate::domain::{CustomerProfile, Locale, Reference};
use crate::ports::{month_shard, SepaWrite, Store, StoreError, Write, MONTH_SHARDS};

fn eur(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn november() -> MonthId {
    MonthId::parse("2026-11").unwrap()
}

fn line(reference: &str, amount: &str) -> DebitLine {
    DebitLine {
        order_reference: Reference::parse(reference).unwrap(),
        amount: eur(amount),
        at: datetime!(2026-11-10 09:00 UTC),
    }
}

pub fn sample_mandate(customer: &str, id: &str) -> Mandate {
    let now = datetime!(2026-11-02 09:00 UTC);
    Mandate {
        id: id.into(),
        customer_id: customer.into(),
        provider: "stripe".into(),
        setup_session: format!("cs_{id}"),
        psp_mandate: Some(format!("mandate_{id}")),
        payment_method: Some(format!("pm_{id}")),
        reference: Some("ABCDEF123456".into()),
        iban_last4: Some("3000".into()),
        bank_country: Some("DE".into()),
        accepted_at: Some(now),
        status: MandateStatus::Active,
        created_at: now,
        updated_at: now,
    }
}

/// Adds a purchase as a checkout would: read the month, write on condition, read again when
/// another purchase won the race. `Ok(false)`: refused by the cap.
async fn buy(
    store: &dyn Store,
    customer: &str,
    payment: &str,
    amount: &str,
    cap: Decimal,
) -> Result<bool, StoreError> {
    for _ in 0..50 {
        let month = store.get_debit_month(customer, november()).await?;
        let used = month.as_ref().map_or(Decimal::ZERO, |m| m.value.total);
        if used + eur(amount) > cap {
            return Ok(false);
        }
        let write = SepaWrite::AddLine {
            customer_id: customer.into(),
            month: november(),
            payment_id: payment.into(),
            line: line("ORD-10042", amount),
            room: cap - eur(amount),
            creates: month.is_none(),
        };
        match store.transact(vec![Write::Sepa(write)]).await {
            Ok(()) => return Ok(true),
            Err(
                StoreError::AlreadyExists(_)
                | StoreError::VersionConflict(_)
                | StoreError::Contention,
            ) => {}
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Contention)
}

pub async fn sepa_items_are_read_together_and_versioned(store: Arc<dyn Store>) {
    let now = datetime!(2026-11-02 09:00 UTC);
    let account = SepaAccount::new("cus_sepa1", &CapRule::default(), now);
    let first = sample_mandate("cus_sepa1", "mdt_1");
    let mut second = sample_mandate("cus_sepa1", "mdt_2");
    second.created_at = now + time::Duration::hours(1);
    let profile = CustomerProfile {
        id: "cus_sepa1".into(),
        email: "jeanne@example.fr".into(),
        locale: Locale::Fr,
        billing: None,
        provider_customers: [("stripe".to_string(), "cus_psp1".to_string())].into(),
    };
    let writes = vec![
        Write::PutCustomer {
            customer: profile.clone(),
            expected_version: None,
        },
        Write::Sepa(SepaWrite::PutAccount {
            account: account.clone(),
            expected_version: None,
        }),
        Write::Sepa(SepaWrite::PutMandate {
            mandate: first.clone(),
            expected_version: None,
        }),
        Write::Sepa(SepaWrite::PutMandate {
            mandate: second.clone(),
            expected_version: None,
        }),
    ];
    store.transact(writes).await.unwrap();
    assert!(
        buy(store.as_ref(), "cus_sepa1", "pay_a", "30.10", eur("250"))
            .await
            .unwrap()
    );
    assert!(
        buy(store.as_ref(), "cus_sepa1", "pay_b", "19.90", eur("250"))
            .await
            .unwrap()
    );
    // Someone else's items are not read.
    assert!(buy(store.as_ref(), "cus_other", "pay_c", "5", eur("250"))
        .await
        .unwrap());

    let snapshot = store.load_sepa("cus_sepa1").await.unwrap();
    let read = snapshot
        .profile
        .clone()
        .expect("the profile comes with the SEPA items");
    assert_eq!((read.value, read.version), (profile, 1));
    assert!(store
        .load_sepa("cus_other")
        .await
        .unwrap()
        .profile
        .is_none());
    let stored = snapshot.account.clone().unwrap();
    assert_eq!((stored.value, stored.version), (account.clone(), 1));
    let ids: Vec<&str> = snapshot
        .mandates
        .iter()
        .map(|m| m.value.id.as_str())
        .collect();
    assert_eq!(ids, ["mdt_1", "mdt_2"]);
    assert_eq!(snapshot.mandates[0].value, first);
    assert_eq!(snapshot.active_mandate().unwrap().id, "mdt_2");
    assert_eq!(snapshot.months.len(), 1);
    let month = &snapshot.months[0];
    assert_eq!(month.value.total, eur("50.00"));
    assert_eq!(month.value.lines.len(), 2);
    assert_eq!(month.value.lines["pay_a"], line("ORD-10042", "30.10"));
    assert_eq!(month.value.status, DebitStatus::Open);
    assert_eq!(month.version, 2, "each purchase moves the version");
    assert_eq!(
        store
            .get_debit_month("cus_sepa1", november())
            .await
            .unwrap()
            .as_ref(),
        Some(month)
    );

    // The same payment is never added twice.
    let again = SepaWrite::AddLine {
        customer_id: "cus_sepa1".into(),
        month: november(),
        payment_id: "pay_a".into(),
        line: line("ORD-10042", "30.10"),
        room: eur("219.90"),
        creates: false,
    };
    assert!(matches!(
        store.transact(vec![Write::Sepa(again)]).await,
        Err(StoreError::VersionConflict(_))
    ));

    // The standing as read holds the transaction.
    let confirm = |version| {
        Write::Sepa(SepaWrite::ConfirmAccount {
            customer_id: "cus_sepa1".into(),
            version,
        })
    };
    store.transact(vec![confirm(1)]).await.unwrap();
    assert!(matches!(
        store.transact(vec![confirm(2)]).await,
        Err(StoreError::VersionConflict(_))
    ));

    // A month closed takes no more purchases; the whole month is replaced at its version.
    let mut closed: DebitMonth = month.value.clone();
    closed.status = DebitStatus::Notified;
    closed.collection_on = Some(time::macros::date!(2026 - 12 - 03));
    store
        .transact(vec![Write::Sepa(SepaWrite::PutMonth {
            month: closed.clone(),
            expected_version: Some(2),
        })])
        .await
        .unwrap();
    let read = store
        .get_debit_month("cus_sepa1", november())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((read.value, read.version), (closed, 3));
    assert!(!buy(store.as_ref(), "cus_sepa1", "pay_d", "1", eur("250"))
        .await
        .unwrap_or(false));
    assert_eq!(
        store
            .get_debit_month("cus_sepa1", november())
            .await
            .unwrap()
            .unwrap()
            .value
            .total,
        eur("50.00")
    );
}

pub async fn concurrent_purchases_never_pass_the_cap_together(store: Arc<dyn Store>) {
    let cap = eur("250");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                buy(store.as_ref(), "cus_cap", &format!("pay_{i}"), "30", cap).await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            accepted += 1;
        }
    }
    let month = store
        .get_debit_month("cus_cap", november())
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(accepted, 8, "8 × 30 = 240 fit under 250, a 9th would not");
    assert_eq!(month.lines.len(), 8);
    assert_eq!(month.total, eur("240"));
    assert_eq!(month.total, month.lines_total());
}

pub async fn a_months_customers_are_listed_by_shard(store: Arc<dyn Store>) {
    let customers: Vec<String> = (0..40).map(|i| format!("cus_shard{i:02}")).collect();
    for (i, customer) in customers.iter().enumerate() {
        assert!(buy(
            store.as_ref(),
            customer,
            &format!("pay_{i}"),
            "10",
            eur("250")
        )
        .await
        .unwrap());
    }
    // Another month's customer is not listed.
    let mut december = DebitMonth::new(
        "cus_december",
        november().next(),
        datetime!(2026-12-01 09:00 UTC),
    );
    december.add_line("pay_x", line("ORD-10043", "5"));
    store
        .transact(vec![Write::Sepa(SepaWrite::PutMonth {
            month: december,
            expected_version: None,
        })])
        .await
        .unwrap();
    let mut listed = Vec::new();
    for shard in 0..MONTH_SHARDS {
        let mut after: Option<String> = None;
        loop {
            let page = store
                .month_customers(november(), shard, after.as_deref(), 3)
                .await
                .unwrap();
            assert!(page.len() <= 3);
            assert!(page.iter().all(|c| month_shard(c) == shard));
            if page.is_empty() {
                break;
            }
            after = page.last().cloned();
            listed.extend(page);
        }
    }
    listed.sort();
    assert_eq!(listed, customers);
    // The same index, whole months: each customer's one purchase of 10.
    let mut months = Vec::new();
    for shard in 0..MONTH_SHARDS {
        let mut after: Option<String> = None;
        loop {
            let page = store
                .month_debits(november(), shard, after.as_deref(), 4)
                .await
                .unwrap();
            assert!(page.len() <= 4);
            if page.is_empty() {
                break;
            }
            after = page.last().map(|m| m.customer_id.clone());
            months.extend(page);
        }
    }
    months.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    let ids: Vec<String> = months.iter().map(|m| m.customer_id.clone()).collect();
    assert_eq!(ids, customers);
    assert!(months
        .iter()
        .all(|m| m.month == november() && m.total == eur("10") && m.lines.len() == 1));
}
