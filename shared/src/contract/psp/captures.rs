//! Captures (partial, final, replayed, refused), cancellation, and the PSP's own expiry of an
//! authorisation left uncaptured.

use super::{amounts, money, Subject, TestCard, Verdict};
use crate::domain::ReleaseReason;
use crate::ports::{AfterCapture, Multicapture, ProviderError, ProviderPaymentStatus};

fn refused<T: std::fmt::Debug>(result: Result<T, ProviderError>, what: &str) {
    assert!(
        matches!(result, Err(ProviderError::InvalidRequest(_))),
        "{what} must be refused as an invalid request, got {result:?}"
    );
}

/// Where the payment has multicapture: a partial capture with `final_capture` false keeps the
/// rest capturable, and a second capture takes it.
pub async fn partial_capture_keeps_the_rest_with_multicapture(psp: Subject) -> Verdict {
    let caps = psp.capabilities().clone();
    psp.require(
        caps.multicapture != Multicapture::Never,
        "capabilities.multicapture is Never",
    )?;
    let payment = psp.authorised("100.00", TestCard::Success).await;
    psp.require(
        caps.can_capture_twice(payment.multicapture),
        &format!(
            "the success card's payment has no multicapture ({:?})",
            payment.multicapture
        ),
    )?;
    let first = psp
        .provider
        .capture(
            &payment.id,
            Some(money("30.00")),
            AfterCapture::KeepRest,
            &psp.unique("capture"),
        )
        .await
        .unwrap();
    assert_eq!(first.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(first.amount_received, money("30.00"));
    assert_eq!(first.amount_capturable, money("70.00"));
    assert_eq!(amounts(&psp.fetch(&payment.id).await), amounts(&first));

    let rest = psp
        .provider
        .capture(
            &payment.id,
            None,
            AfterCapture::FINAL,
            &psp.unique("capture"),
        )
        .await
        .unwrap();
    assert_eq!(rest.status, ProviderPaymentStatus::Succeeded);
    assert_eq!(rest.amount_received, money("100.00"));
    assert_eq!(rest.amount_capturable, money("0"));
    assert_eq!(amounts(&psp.fetch(&payment.id).await), amounts(&rest));
    Ok(())
}

/// Why a final capture released the rest goes with it and stays on the PSP's payment: the
/// capture's answer and every later read (a notification's fetch) carry it.
pub async fn release_reason_travels_with_the_final_capture(psp: Subject) -> Verdict {
    let payment = psp.authorised("100.00", TestCard::Success).await;
    assert_eq!(payment.release_reason, None);
    let captured = psp
        .provider
        .capture(
            &payment.id,
            Some(money("40.00")),
            AfterCapture::ReleaseRest(Some(ReleaseReason::LastParcel)),
            &psp.unique("capture"),
        )
        .await
        .unwrap();
    assert_eq!(captured.status, ProviderPaymentStatus::Succeeded);
    assert_eq!(captured.amount_received, money("40.00"));
    assert_eq!(captured.release_reason, Some(ReleaseReason::LastParcel));
    let read = psp.fetch(&payment.id).await;
    assert_eq!(read.release_reason, Some(ReleaseReason::LastParcel));
    Ok(())
}

/// Without multicapture on the payment, a partial capture is final whatever was asked: the rest
/// is released and a second capture refused.
pub async fn partial_capture_without_multicapture_is_final(psp: Subject) -> Verdict {
    let caps = psp.capabilities().clone();
    psp.require(
        caps.multicapture != Multicapture::Always,
        "capabilities.multicapture is Always",
    )?;
    let card = match caps.multicapture {
        Multicapture::Never => TestCard::Success,
        _ => psp.card(TestCard::NoMulticapture)?,
    };
    let payment = psp.authorised("100.00", card).await;
    assert!(!caps.can_capture_twice(payment.multicapture), "{payment:?}");
    let captured = psp
        .provider
        .capture(
            &payment.id,
            Some(money("30.00")),
            AfterCapture::KeepRest,
            &psp.unique("capture"),
        )
        .await
        .unwrap();
    assert_eq!(captured.status, ProviderPaymentStatus::Succeeded);
    assert_eq!(captured.amount_received, money("30.00"));
    assert_eq!(captured.amount_capturable, money("0"), "the rest released");
    refused(
        psp.provider
            .capture(
                &payment.id,
                Some(money("10.00")),
                AfterCapture::FINAL,
                &psp.unique("c"),
            )
            .await,
        "a second capture without multicapture",
    );
    assert_eq!(psp.fetch(&payment.id).await.amount_received, money("30.00"));
    Ok(())
}

/// More than is capturable, or nothing, is refused and changes nothing.
pub async fn capture_over_the_capturable_amount_is_refused(psp: Subject) -> Verdict {
    let payment = psp.authorised("50.00", TestCard::Success).await;
    refused(
        psp.provider
            .capture(
                &payment.id,
                Some(money("50.01")),
                AfterCapture::FINAL,
                &psp.unique("c"),
            )
            .await,
        "a capture above the authorisation",
    );
    refused(
        psp.provider
            .capture(
                &payment.id,
                Some(money("0")),
                AfterCapture::FINAL,
                &psp.unique("c"),
            )
            .await,
        "a capture of nothing",
    );
    let after = psp.fetch(&payment.id).await;
    assert_eq!(after.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(amounts(&after), amounts(&payment));
    Ok(())
}

/// A capture retried with its key answers the same state and captures once; the key with
/// another amount is refused.
pub async fn capture_replays_its_key(psp: Subject) -> Verdict {
    let payment = psp.authorised("90.00", TestCard::Success).await;
    let key = psp.unique("capture");
    let first = psp
        .provider
        .capture(&payment.id, Some(money("90.00")), AfterCapture::FINAL, &key)
        .await
        .unwrap();
    assert_eq!(first.status, ProviderPaymentStatus::Succeeded);
    let replay = psp
        .provider
        .capture(&payment.id, Some(money("90.00")), AfterCapture::FINAL, &key)
        .await
        .expect("the same capture retried is answered, not refused");
    assert_eq!(replay.id, first.id);
    assert_eq!(replay.status, first.status);
    assert_eq!(amounts(&replay), amounts(&first));
    assert_eq!(
        psp.fetch(&payment.id).await.amount_received,
        money("90.00"),
        "captured once"
    );
    assert_eq!(
        psp.provider
            .capture(&payment.id, Some(money("45.00")), AfterCapture::FINAL, &key)
            .await,
        Err(ProviderError::IdempotencyConflict)
    );
    Ok(())
}

/// A partial capture retried with its key after later captures took the rest is replayed, not
/// refused and not captured again: our retry after a lost answer. The answer may be the first
/// one again (Stripe) or the payment as it is now (SimPsp); callers treat it as possibly stale.
pub async fn capture_retried_after_later_captures_is_replayed(psp: Subject) -> Verdict {
    let caps = psp.capabilities().clone();
    psp.require(
        caps.multicapture != Multicapture::Never,
        "capabilities.multicapture is Never",
    )?;
    let payment = psp.authorised("100.00", TestCard::Success).await;
    psp.require(
        caps.can_capture_twice(payment.multicapture),
        &format!(
            "the success card's payment has no multicapture ({:?})",
            payment.multicapture
        ),
    )?;
    let key = psp.unique("capture");
    let part = Some(money("30.00"));
    psp.provider
        .capture(&payment.id, part, AfterCapture::KeepRest, &key)
        .await
        .unwrap();
    let rest = psp
        .provider
        .capture(
            &payment.id,
            None,
            AfterCapture::FINAL,
            &psp.unique("capture"),
        )
        .await
        .unwrap();
    assert_eq!(rest.amount_received, money("100.00"));
    let replay = psp
        .provider
        .capture(&payment.id, part, AfterCapture::KeepRest, &key)
        .await
        .expect("a recorded capture retried is answered, not refused");
    assert_eq!(replay.id, payment.id);
    assert!(
        [money("30.00"), money("100.00")].contains(&replay.amount_received),
        "the first answer or the payment now: {replay:?}"
    );
    let now = psp.fetch(&payment.id).await;
    assert_eq!(
        now.amount_received,
        money("100.00"),
        "nothing captured twice"
    );
    assert_eq!(now.status, ProviderPaymentStatus::Succeeded);
    Ok(())
}

/// Cancelling an authorisation releases it: nothing capturable, nothing captured, and a later
/// capture refused; cancelling again (same key or not) answers the cancelled payment.
pub async fn cancel_releases_the_authorisation(psp: Subject) -> Verdict {
    let payment = psp.authorised("75.00", TestCard::Success).await;
    let key = psp.unique("cancel");
    let cancelled = psp.provider.cancel(&payment.id, &key).await.unwrap();
    assert_eq!(cancelled.status, ProviderPaymentStatus::Canceled);
    assert_eq!(cancelled.amount_capturable, money("0"));
    assert_eq!(cancelled.amount_received, money("0"));
    assert_eq!(cancelled.amount, money("75.00"));
    for key in [key, psp.unique("cancel")] {
        let again = psp.provider.cancel(&payment.id, &key).await.unwrap();
        assert_eq!(again.status, ProviderPaymentStatus::Canceled);
    }
    refused(
        psp.provider
            .capture(&payment.id, None, AfterCapture::FINAL, &psp.unique("c"))
            .await,
        "a capture after cancel",
    );
    assert_eq!(
        psp.fetch(&payment.id).await.status,
        ProviderPaymentStatus::Canceled
    );
    Ok(())
}

/// A payment captured in full has nothing left to release: cancelling it is refused, and the
/// money stays captured.
pub async fn cancel_of_a_captured_payment_is_refused(psp: Subject) -> Verdict {
    let payment = psp.captured("65.00").await;
    refused(
        psp.provider
            .cancel(&payment.id, &psp.unique("cancel"))
            .await,
        "a cancel after a full capture",
    );
    let after = psp.fetch(&payment.id).await;
    assert_eq!(after.status, ProviderPaymentStatus::Succeeded);
    assert_eq!(after.amount_received, money("65.00"));
    Ok(())
}

/// An authorisation left uncaptured past `cancels_uncaptured_after` is cancelled by the PSP,
/// which notifies it.
pub async fn uncaptured_authorisation_lapses_at_the_psp(psp: Subject) -> Verdict {
    let caps = psp.capabilities().clone();
    psp.require(
        caps.cancels_uncaptured_after.is_some(),
        "capabilities.cancels_uncaptured_after is None",
    )?;
    let payment = psp.authorised("55.00", TestCard::Success).await;
    psp.mode.expire_uncaptured(&payment.id).await;
    // The PSP tells us: its notification names the payment to re-fetch.
    let about = super::About::Payment(payment.id.clone());
    let told = psp
        .provider
        .parse_notification(
            &psp.mode.notification_for(&about).await,
            time::OffsetDateTime::now_utc(),
        )
        .expect("the PSP's notification of the lapse");
    assert_eq!(
        told.payment.as_deref(),
        Some(payment.id.as_str()),
        "{told:?}"
    );
    let lapsed = psp.fetch(&payment.id).await;
    assert_eq!(lapsed.status, ProviderPaymentStatus::Canceled);
    assert_eq!(lapsed.amount_capturable, money("0"));
    assert_eq!(lapsed.amount_received, money("0"));
    refused(
        psp.provider
            .capture(&payment.id, None, AfterCapture::FINAL, &psp.unique("c"))
            .await,
        "a capture of a lapsed authorisation",
    );
    Ok(())
}
