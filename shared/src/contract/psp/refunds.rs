//! Refunds: partial then full, bounded by what was captured, replayed by key, fetched by id.

use super::{money, Subject, TestCard, Verdict};
use crate::ports::{AfterCapture, ProviderError, ProviderRefund, RefundState};

fn settled(refund: &ProviderRefund) -> bool {
    refund.state == RefundState::Succeeded
}

/// Nothing is refunded before a capture; then a partial refund, then the rest; one cent more,
/// or nothing, is refused. Each refund is fetched by id, and
/// the payment counts what succeeded.
pub async fn refunds_partial_then_full(psp: Subject) -> Verdict {
    let authorised = psp.authorised("120.00", TestCard::Success).await;
    let early = psp
        .provider
        .refund(&authorised.id, money("20.00"), &psp.unique("refund"))
        .await;
    assert!(
        matches!(early, Err(ProviderError::InvalidRequest(_))),
        "nothing captured, nothing to refund: {early:?}"
    );
    let payment = psp
        .provider
        .capture(
            &authorised.id,
            None,
            AfterCapture::FINAL,
            &psp.unique("capture"),
        )
        .await
        .unwrap();
    assert_eq!(payment.amount_received, money("120.00"));
    assert_eq!(payment.amount_refunded, money("0"));
    let part = psp
        .provider
        .refund(&payment.id, money("20.00"), &psp.unique("refund"))
        .await
        .unwrap();
    assert!(!part.id.is_empty());
    assert_eq!(part.payment, payment.id);
    assert_eq!(part.amount, money("20.00"));
    assert!(
        matches!(part.state, RefundState::Pending | RefundState::Succeeded),
        "{part:?}"
    );
    let fetched = psp.provider.fetch_refund(&part.id).await.unwrap();
    assert_eq!(
        (&fetched.id, &fetched.payment, fetched.amount),
        (&part.id, &part.payment, part.amount)
    );
    if settled(&fetched) {
        assert_eq!(psp.fetch(&payment.id).await.amount_refunded, money("20.00"));
    }

    let rest = psp
        .provider
        .refund(&payment.id, money("100.00"), &psp.unique("refund"))
        .await
        .unwrap();
    assert_ne!(rest.id, part.id);
    assert_eq!(rest.amount, money("100.00"));
    let fetched_rest = psp.provider.fetch_refund(&rest.id).await.unwrap();
    if settled(&fetched) && settled(&fetched_rest) {
        let after = psp.fetch(&payment.id).await;
        assert_eq!(after.amount_refunded, money("120.00"));
        assert_eq!(after.amount_received, money("120.00"), "refunds keep it");
    }

    let nothing = psp
        .provider
        .refund(&payment.id, money("0"), &psp.unique("refund"))
        .await;
    assert!(
        matches!(nothing, Err(ProviderError::InvalidRequest(_))),
        "a refund of nothing must be refused, got {nothing:?}"
    );
    let over = psp
        .provider
        .refund(&payment.id, money("0.01"), &psp.unique("refund"))
        .await;
    assert!(
        matches!(over, Err(ProviderError::InvalidRequest(_))),
        "a refund beyond what was captured must be refused, got {over:?}"
    );
    Ok(())
}

/// A refund retried with its key answers the same refund and refunds once, even after the rest
/// was refunded; the key with another amount is refused.
pub async fn refund_replays_its_key(psp: Subject) -> Verdict {
    let payment = psp.captured("80.00").await;
    let key = psp.unique("refund");
    let first = psp
        .provider
        .refund(&payment.id, money("30.00"), &key)
        .await
        .unwrap();
    let replay = psp
        .provider
        .refund(&payment.id, money("30.00"), &key)
        .await
        .expect("the same refund retried is answered, not refused");
    assert_eq!(replay.id, first.id);
    assert_eq!(replay.amount, money("30.00"));
    assert_eq!(
        psp.provider.refund(&payment.id, money("40.00"), &key).await,
        Err(ProviderError::IdempotencyConflict)
    );
    if settled(&psp.provider.fetch_refund(&first.id).await.unwrap()) {
        assert_eq!(
            psp.fetch(&payment.id).await.amount_refunded,
            money("30.00"),
            "refunded once"
        );
    }
    // What is left can still be refunded under a new key: the replay took nothing more.
    let rest = psp
        .provider
        .refund(&payment.id, money("50.00"), &psp.unique("refund"))
        .await
        .unwrap();
    assert_eq!(rest.amount, money("50.00"));
    // Retried once nothing is left (our retry after a lost answer): still the same refund,
    // neither refused nor refunded again.
    let late = psp
        .provider
        .refund(&payment.id, money("30.00"), &key)
        .await
        .expect("a recorded refund retried is answered, not refused");
    assert_eq!(late.id, first.id);
    let rest_settled = settled(&psp.provider.fetch_refund(&rest.id).await.unwrap());
    if rest_settled && settled(&psp.provider.fetch_refund(&first.id).await.unwrap()) {
        assert_eq!(psp.fetch(&payment.id).await.amount_refunded, money("80.00"));
    }
    Ok(())
}
