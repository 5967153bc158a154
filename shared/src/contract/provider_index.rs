//! Store contract check for the PSP payment index: a PSP's payment id leads back to our order
//! and payment, written in the same transaction as the payment that learnt it.

use std::sync::Arc;

use crate::domain::Reference;
use crate::ports::prelude::*;
use crate::ports::{PaymentRef, StoreError, Write};

pub async fn provider_payment_ids_lead_back_to_our_payment(store: Arc<dyn Store>) {
    assert_eq!(
        store.find_provider_payment("stripe", "pi_1").await.unwrap(),
        None
    );
    let ours = PaymentRef {
        order_reference: Reference::parse("ORD-70").unwrap(),
        payment_id: "pay_70".into(),
    };
    let index = |provider: &str, id: &str| Write::IndexProviderPayment {
        provider: provider.into(),
        provider_payment: id.into(),
        payment: ours.clone(),
    };
    let payment = super::payment("ORD-70", "pay_70", 0);
    store
        .transact(vec![
            Write::PutPayment {
                payment,
                expected_version: None,
            },
            index("stripe", "pi_1"),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.find_provider_payment("stripe", "pi_1").await.unwrap(),
        Some(ours.clone())
    );
    // Per provider: the same id at another PSP is another payment.
    assert_eq!(
        store
            .find_provider_payment("mangopay", "pi_1")
            .await
            .unwrap(),
        None
    );
    // Written again (a retried commit): the same answer, no failure.
    store.transact(vec![index("stripe", "pi_1")]).await.unwrap();
    assert_eq!(
        store.find_provider_payment("stripe", "pi_1").await.unwrap(),
        Some(ours.clone())
    );
    // Nothing of a failed transaction is kept, the index included.
    let failed = store
        .transact(vec![
            index("stripe", "pi_2"),
            Write::PutPayment {
                payment: super::payment("ORD-70", "pay_70", 0),
                expected_version: None,
            },
        ])
        .await;
    assert!(
        matches!(failed, Err(StoreError::AlreadyExists(_))),
        "{failed:?}"
    );
    assert_eq!(
        store.find_provider_payment("stripe", "pi_2").await.unwrap(),
        None
    );
}
