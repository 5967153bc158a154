//! Notifications (accepted when genuine, naming what to re-fetch; rejected when forged), ids the
//! PSP never issued, and capabilities that agree with each other.

use time::{Duration, OffsetDateTime};

use super::{money, About, IdKind, Subject, TestCard, Verdict};
use crate::ports::{AfterCapture, ProviderError, WebhookEvent};

/// The declared capabilities agree with each other and do not change.
pub async fn capabilities_are_consistent(psp: Subject) -> Verdict {
    let name = psp.provider.name();
    assert!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "{name:?}: a registry key and a webhook path segment"
    );
    let caps = psp.capabilities().clone();
    assert!(
        caps.capture_window > Duration::ZERO,
        "a capture window: {caps:?}"
    );
    if let Some(after) = caps.cancels_uncaptured_after {
        assert!(
            caps.capture_window <= after,
            "a capture inside the window must come before the PSP cancels: {caps:?}"
        );
    }
    assert!(
        caps.hosted_page || caps.card_form || caps.saved_cards || caps.mandates,
        "some way to take a payment: {caps:?}"
    );
    assert_eq!(psp.capabilities(), &caps, "capabilities do not change");
    assert_eq!(psp.provider.name(), name);
    Ok(())
}

fn parse(
    psp: &Subject,
    about: &About,
    request: &crate::ports::NotificationRequest,
) -> WebhookEvent {
    let now = OffsetDateTime::now_utc();
    let event = psp
        .provider
        .parse_notification(request, now)
        .unwrap_or_else(|e| panic!("the PSP's own notification about {about:?}: {e}"));
    assert!(!event.id.is_empty() && !event.kind.is_empty(), "{event:?}");
    // The same delivery twice reads the same: the event id is what deduplicates.
    assert_eq!(
        psp.provider.parse_notification(request, now),
        Ok(event.clone())
    );
    event
}

/// The PSP's notifications about a page, a payment and a refund are accepted and name them.
pub async fn notifications_name_what_they_are_about(psp: Subject) -> Verdict {
    let mut on_page = None;
    let payment = if psp.capabilities().hosted_page {
        let request = psp.page_request("64.00");
        let page = psp.open(&request).await;
        psp.mode.pay_hosted_page(&page, TestCard::Success).await;
        let status = psp
            .provider
            .hosted_payment_status(&page.session_id)
            .await
            .unwrap();
        let about = About::Session(page.session_id.clone());
        let event = parse(&psp, &about, &psp.mode.notification_for(&about).await);
        assert_eq!(
            event.session.as_deref(),
            Some(page.session_id.as_str()),
            "{event:?}"
        );
        on_page = Some(event);
        status.payment.expect("the page's payment")
    } else {
        psp.authorised("64.00", TestCard::Success).await.id
    };

    let about = About::Payment(payment.clone());
    let on_payment = parse(&psp, &about, &psp.mode.notification_for(&about).await);
    assert_eq!(
        on_payment.payment.as_deref(),
        Some(payment.as_str()),
        "{on_payment:?}"
    );
    if let Some(on_page) = &on_page {
        assert_ne!(on_payment.id, on_page.id, "two events, two ids");
    }

    psp.provider
        .capture(&payment, None, AfterCapture::FINAL, &psp.unique("capture"))
        .await
        .unwrap();
    let refund = psp
        .provider
        .refund(&payment, money("14.00"), &psp.unique("refund"))
        .await
        .unwrap();
    let about = About::Refund {
        refund: refund.id.clone(),
        payment: payment.clone(),
    };
    let on_refund = parse(&psp, &about, &psp.mode.notification_for(&about).await);
    assert!(
        on_refund.refund.as_deref() == Some(refund.id.as_str())
            || on_refund.payment.as_deref() == Some(payment.as_str()),
        "a refund's notification names the refund or its payment: {on_refund:?}"
    );
    Ok(())
}

/// Forgeries of a genuine notification are rejected: where the PSP signs, anything the
/// signature does not cover; where it does not (each notification only a hint), any that is
/// not shaped as the PSP sends it.
pub async fn tampered_notifications_are_rejected(psp: Subject) -> Verdict {
    let payment = psp.authorised("33.00", TestCard::Success).await;
    let about = About::Payment(payment.id.clone());
    let genuine = psp.mode.notification_for(&about).await;
    parse(&psp, &about, &genuine);
    let forgeries = psp.mode.tampered(&genuine);
    assert!(!forgeries.is_empty(), "the test mode forges nothing");
    for (what, forged) in forgeries {
        let read = psp
            .provider
            .parse_notification(&forged, OffsetDateTime::now_utc());
        assert!(read.is_err(), "{what}: accepted as {read:?}");
    }
    Ok(())
}

fn not_found<T: std::fmt::Debug>(call: &str, result: Result<T, ProviderError>) {
    assert!(
        matches!(result, Err(ProviderError::NotFound(_))),
        "{call} on an id the PSP never issued: {result:?}"
    );
}

/// Ids the PSP never issued answer NotFound, whatever the call.
pub async fn unknown_ids_are_not_found(psp: Subject) -> Verdict {
    let p = psp.provider.as_ref();
    let payment = psp.mode.unknown_id(IdKind::Payment);
    not_found("fetch_payment", p.fetch_payment(&payment).await);
    not_found(
        "capture",
        p.capture(&payment, None, AfterCapture::FINAL, &psp.unique("c"))
            .await,
    );
    not_found("cancel", p.cancel(&payment, &psp.unique("c")).await);
    not_found(
        "refund",
        p.refund(&payment, money("1.00"), &psp.unique("r")).await,
    );
    let refund = psp.mode.unknown_id(IdKind::Refund);
    not_found("fetch_refund", p.fetch_refund(&refund).await);
    if psp.capabilities().hosted_page {
        let session = psp.mode.unknown_id(IdKind::Session);
        not_found(
            "hosted_payment_status",
            p.hosted_payment_status(&session).await,
        );
        not_found(
            "expire_hosted_payment",
            p.expire_hosted_payment(&session, &psp.unique("e")).await,
        );
    }
    Ok(())
}
