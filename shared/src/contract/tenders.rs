//! Vouchers and balances: read together; a balance moves only by the store's conditional
//! adjustments, so concurrent reservations never spend more than there is, and on account
//! never passes its maximum; the seller's changes are versioned and audited.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::macros::{date, datetime};

use crate::domain::tenders::{AuditEntry, CustomerBalance, OnAccount, Voucher, VoucherStatus};
use crate::domain::Currency;
use crate::ports::{Store, StoreError, TenderWrite, Write};

fn eur(text: &str) -> Decimal {
    text.parse().unwrap()
}

pub fn sample_voucher(id: &str, balance: &str) -> Voucher {
    Voucher {
        id: id.into(),
        code_hint: "WXYZ".into(),
        currency: Currency::EUR,
        initial_amount: eur(balance),
        balance: eur(balance),
        expires_on: date!(2027 - 12 - 31),
        status: VoucherStatus::Active,
        issued_at: datetime!(2026-11-02 09:00 UTC),
        issued_by: "arn:aws:iam::123456789012:user/seller".into(),
        issued_to: None,
        sold_with: None,
    }
}

fn draw(voucher: &str, amount: &str) -> Write {
    Write::Tender(TenderWrite::AdjustVoucher {
        voucher: voucher.into(),
        delta: -eur(amount),
        usable_on: Some(date!(2026 - 12 - 01)),
    })
}

async fn balance_of(store: &Arc<dyn Store>, voucher: &str) -> Decimal {
    let read = store
        .load_tenders(&[voucher.to_string()], "cus_none", Currency::EUR)
        .await
        .unwrap();
    read.vouchers[0].value.balance
}

pub async fn vouchers_and_balance_are_read_together_and_drawn_conditionally(store: Arc<dyn Store>) {
    let voucher = sample_voucher("vch_a1", "50.00");
    store
        .transact(vec![Write::Tender(TenderWrite::PutVoucher {
            voucher: voucher.clone(),
            expected_version: None,
        })])
        .await
        .unwrap();
    // Issuing the same id twice is refused.
    assert!(matches!(
        store
            .transact(vec![Write::Tender(TenderWrite::PutVoucher {
                voucher: voucher.clone(),
                expected_version: None,
            })])
            .await,
        Err(StoreError::AlreadyExists(_))
    ));
    let read = store
        .load_tenders(
            &["vch_unknown".into(), "vch_a1".into()],
            "cus_a",
            Currency::EUR,
        )
        .await
        .unwrap();
    assert_eq!(read.vouchers.len(), 1);
    assert_eq!(read.vouchers[0].value, voucher);
    assert_eq!(read.vouchers[0].version, 1);
    assert_eq!(read.balance, None);

    store.transact(vec![draw("vch_a1", "30.00")]).await.unwrap();
    assert_eq!(balance_of(&store, "vch_a1").await, eur("20"));
    // More than is left: refused, nothing moves.
    assert!(matches!(
        store.transact(vec![draw("vch_a1", "20.01")]).await,
        Err(StoreError::VersionConflict(_))
    ));
    assert_eq!(balance_of(&store, "vch_a1").await, eur("20"));
    // Given back (a release) without conditions.
    store
        .transact(vec![Write::Tender(TenderWrite::AdjustVoucher {
            voucher: "vch_a1".into(),
            delta: eur("30.00"),
            usable_on: None,
        })])
        .await
        .unwrap();
    assert_eq!(balance_of(&store, "vch_a1").await, eur("50"));
    // Expired on the day asked, or void: refused.
    let expired = Write::Tender(TenderWrite::AdjustVoucher {
        voucher: "vch_a1".into(),
        delta: -eur("1"),
        usable_on: Some(date!(2028 - 01 - 01)),
    });
    assert!(store.transact(vec![expired]).await.is_err());
    let mut void = voucher.clone();
    void.status = VoucherStatus::Void;
    void.balance = eur("50");
    store
        .transact(vec![Write::Tender(TenderWrite::PutVoucher {
            voucher: void,
            expected_version: Some(3),
        })])
        .await
        .unwrap();
    assert!(store.transact(vec![draw("vch_a1", "1")]).await.is_err());
    // An unknown voucher cannot be drawn on.
    assert!(store.transact(vec![draw("vch_nobody", "1")]).await.is_err());
}

pub async fn concurrent_draws_never_spend_more_than_the_balance(store: Arc<dyn Store>) {
    store
        .transact(vec![Write::Tender(TenderWrite::PutVoucher {
            voucher: sample_voucher("vch_c1", "100.00"),
            expected_version: None,
        })])
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Each retries on contention, never on a failed condition.
            loop {
                match store.transact(vec![draw("vch_c1", "15.00")]).await {
                    Err(StoreError::Contention) => continue,
                    other => return other.is_ok(),
                }
            }
        }));
    }
    let mut won = 0;
    for task in tasks {
        if task.await.unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 6, "100.00 pays six draws of 15.00");
    assert_eq!(balance_of(&store, "vch_c1").await, eur("10"));
}

pub async fn credit_never_goes_negative_and_on_account_never_past_its_maximum(
    store: Arc<dyn Store>,
) {
    let adjust = |credit: &str, outstanding: &str, maximum_seen: Option<&str>| {
        Write::Tender(TenderWrite::AdjustBalance {
            customer_id: "cus_b".into(),
            currency: Currency::EUR,
            credit: eur(credit),
            outstanding: eur(outstanding),
            maximum_seen: maximum_seen.map(eur),
        })
    };
    // Nothing on file: no credit to draw, no on account.
    assert!(store.transact(vec![adjust("-1", "0", None)]).await.is_err());
    assert!(store
        .transact(vec![adjust("0", "1", Some("0"))])
        .await
        .is_err());
    // A refund to credit creates the balance.
    store
        .transact(vec![adjust("25.00", "0", None)])
        .await
        .unwrap();
    let read = store
        .load_tenders(&[], "cus_b", Currency::EUR)
        .await
        .unwrap()
        .balance
        .unwrap();
    assert_eq!(read.value.credit, eur("25"));
    assert!(!read.value.on_account.allowed);
    // The seller allows on account up to 300.
    let mut allowed = read.value.clone();
    allowed.on_account = OnAccount {
        allowed: true,
        maximum: eur("300"),
        outstanding: Decimal::ZERO,
    };
    store
        .transact(vec![Write::Tender(TenderWrite::PutBalance {
            balance: allowed,
            expected_version: Some(read.version),
        })])
        .await
        .unwrap();
    store
        .transact(vec![adjust("-25.00", "250", Some("300"))])
        .await
        .unwrap();
    // 50.01 more would pass the maximum; a stale maximum is refused too.
    assert!(store
        .transact(vec![adjust("0", "50.01", Some("300"))])
        .await
        .is_err());
    assert!(store
        .transact(vec![adjust("0", "10", Some("400"))])
        .await
        .is_err());
    assert!(store
        .transact(vec![adjust("-0.01", "0", None)])
        .await
        .is_err());
    store
        .transact(vec![adjust("0", "50", Some("300"))])
        .await
        .unwrap();
    let read: CustomerBalance = store
        .load_tenders(&[], "cus_b", Currency::EUR)
        .await
        .unwrap()
        .balance
        .unwrap()
        .value;
    assert_eq!(read.credit, Decimal::ZERO);
    assert_eq!(read.on_account.outstanding, eur("300"));
    assert_eq!(read.on_account.available(), Decimal::ZERO);
}

pub async fn audit_entries_are_listed_newest_first(store: Arc<dyn Store>) {
    for (i, action) in ["voucher_issued", "voucher_voided"].iter().enumerate() {
        store
            .transact(vec![Write::Tender(TenderWrite::Audit(AuditEntry {
                subject: "voucher vch_d1".into(),
                at: datetime!(2026-11-02 09:00 UTC) + time::Duration::minutes(i as i64),
                by: "admin-key".into(),
                action: action.to_string(),
                before: (i > 0).then(|| serde_json::json!({"status": "active"})),
                after: serde_json::json!({"status": if i == 0 { "active" } else { "void" }}),
            }))])
            .await
            .unwrap();
    }
    let trail = store.audit_trail("voucher vch_d1", 10).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["voucher_voided", "voucher_issued"]);
    assert_eq!(
        trail[0].before,
        Some(serde_json::json!({"status": "active"}))
    );
    assert!(store
        .audit_trail("voucher vch_other", 10)
        .await
        .unwrap()
        .is_empty());
}
