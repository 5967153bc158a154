//! Hosted payment pages: opening, paying, replaying, expiring; declined and 3-D Secure cards.

use super::{money, PageAnswer, Subject, TestCard, Verdict};
use crate::ports::{HostedPaymentState, ProviderError, ProviderPaymentStatus};

/// Open → paid with the success card → an authorisation of exactly what was asked, with our ids.
pub async fn hosted_page_opens_then_authorises(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let customer = psp.customer().await;
    let mut request = psp.page_request("125.40");
    request.customer = Some(customer.clone());
    let page = psp.open(&request).await;
    assert!(
        !page.session_id.is_empty() && page.url.as_deref().is_some_and(|u| u.starts_with("http")),
        "an id and a URL to send the shopper to: {page:?}"
    );

    let open = psp
        .provider
        .hosted_payment_status(&page.session_id)
        .await
        .unwrap();
    assert_eq!(open.session_id, page.session_id);
    assert_eq!(open.state, HostedPaymentState::Open);
    assert_eq!(open.payment, None, "no card was entered yet");
    assert_eq!(open.order_reference.as_deref(), Some("ORD-10042"));
    assert_eq!(
        open.payment_id.as_deref(),
        Some(request.payment_id.as_str())
    );

    let answer = psp.mode.pay_hosted_page(&page, TestCard::Success).await;
    assert_eq!(answer, PageAnswer::Accepted);
    let paid = psp
        .provider
        .hosted_payment_status(&page.session_id)
        .await
        .unwrap();
    assert_eq!(paid.state, HostedPaymentState::Complete);
    assert_eq!(paid.payment_id, open.payment_id);
    let id = paid.payment.expect("a paid page names its payment");

    let payment = psp.fetch(&id).await;
    assert_eq!(payment.id, id);
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount, money("125.40"));
    assert_eq!(payment.amount_capturable, money("125.40"));
    assert_eq!(payment.amount_received, money("0"));
    assert_eq!(payment.amount_refunded, money("0"));
    assert_eq!(payment.failure, None);
    assert_eq!(payment.next_action_url, None);
    assert_eq!(payment.order_reference.as_deref(), Some("ORD-10042"));
    assert_eq!(
        payment.payment_id.as_deref(),
        Some(request.payment_id.as_str())
    );
    if let Some(on) = &payment.customer {
        assert_eq!(on, &customer, "the payment is on the customer asked for");
    }
    // A page once paid takes no other card.
    let again = psp.mode.pay_hosted_page(&page, TestCard::Success).await;
    assert_eq!(again, PageAnswer::Closed);
    assert_eq!(
        psp.fetch(&id).await.amount_capturable,
        money("125.40"),
        "one authorisation"
    );
    Ok(())
}

/// The same key and request give the same page; the same key with other parameters is refused.
pub async fn hosted_page_replays_its_key(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let request = psp.page_request("80.00");
    let first = psp.open(&request).await;
    let replay = psp.open(&request).await;
    assert_eq!(replay, first, "same key, same request: the same page");

    let mut other = request.clone();
    other.amount = money("81.00");
    assert_eq!(
        psp.provider.open_hosted_payment(&other).await,
        Err(ProviderError::IdempotencyConflict)
    );
    let mut fresh = request.clone();
    fresh.idempotency_key = psp.unique("page");
    let second = psp.open(&fresh).await;
    assert_ne!(second.session_id, first.session_id, "a new key, a new page");
    Ok(())
}

/// An open page, expired: closed for good (expiring it again is not an error, paying it fails).
pub async fn expiring_an_open_page_closes_it(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let request = psp.page_request("42.00");
    let page = psp.open(&request).await;
    let expired = psp
        .provider
        .expire_hosted_payment(&page.session_id, &psp.unique("expire"))
        .await
        .unwrap();
    assert_eq!(expired.session_id, page.session_id);
    assert_eq!(expired.state, HostedPaymentState::Expired);
    assert_eq!(expired.payment, None);
    assert_eq!(
        expired.payment_id.as_deref(),
        Some(request.payment_id.as_str()),
        "an expired page with no payment is still ours"
    );

    let again = psp
        .provider
        .expire_hosted_payment(&page.session_id, &psp.unique("expire"))
        .await
        .unwrap();
    assert_eq!(again.state, HostedPaymentState::Expired);

    let answer = psp.mode.pay_hosted_page(&page, TestCard::Success).await;
    assert_eq!(answer, PageAnswer::Closed);
    let status = psp
        .provider
        .hosted_payment_status(&page.session_id)
        .await
        .unwrap();
    assert_eq!(status.state, HostedPaymentState::Expired);
    assert_eq!(status.payment, None, "nothing was authorised");
    Ok(())
}

/// Expiring a page the shopper already paid answers Complete (not an error) and leaves the
/// authorisation alone.
pub async fn expiring_a_paid_page_answers_complete(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let request = psp.page_request("42.00");
    let page = psp.open(&request).await;
    assert_eq!(
        psp.mode.pay_hosted_page(&page, TestCard::Success).await,
        PageAnswer::Accepted
    );
    let status = psp
        .provider
        .expire_hosted_payment(&page.session_id, &psp.unique("expire"))
        .await
        .expect("a paid page is already closed: not an error");
    assert_eq!(status.state, HostedPaymentState::Complete);
    let id = status.payment.expect("the page's payment");
    let payment = psp.fetch(&id).await;
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount_capturable, money("42.00"));
    Ok(())
}

/// A declined card: refused on the page, which stays open; the attempt carries the PSP's code.
/// Expiring the page then closes it with the attempt uncapturable.
pub async fn declined_card_fails_with_a_code(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let card = psp.card(TestCard::Declined)?;
    let request = psp.page_request("60.00");
    let page = psp.open(&request).await;
    assert_eq!(
        psp.mode.pay_hosted_page(&page, card).await,
        PageAnswer::Refused
    );
    let status = psp
        .provider
        .hosted_payment_status(&page.session_id)
        .await
        .unwrap();
    assert_eq!(
        status.state,
        HostedPaymentState::Open,
        "the shopper may try another card"
    );
    if let Some(id) = status.payment.clone() {
        let attempt = psp.fetch(&id).await;
        assert!(
            matches!(
                attempt.status,
                ProviderPaymentStatus::RequiresPaymentMethod | ProviderPaymentStatus::Failed
            ),
            "{attempt:?}"
        );
        let failure = attempt.failure.expect("a declined attempt says why");
        assert!(!failure.code.is_empty(), "{failure:?}");
        assert_eq!(attempt.amount_capturable, money("0"));
        assert_eq!(attempt.amount_received, money("0"));
        assert_eq!(
            attempt.payment_id.as_deref(),
            Some(request.payment_id.as_str())
        );
    }
    // Given up: the page closes, and the declined attempt can never be captured.
    let expired = psp
        .provider
        .expire_hosted_payment(&page.session_id, &psp.unique("expire"))
        .await
        .unwrap();
    assert_eq!(expired.state, HostedPaymentState::Expired);
    assert_eq!(expired.payment, status.payment, "{expired:?}");
    if let Some(id) = expired.payment {
        let attempt = psp.fetch(&id).await;
        assert_ne!(attempt.status, ProviderPaymentStatus::RequiresCapture);
        assert_eq!(attempt.amount_capturable, money("0"));
    }
    Ok(())
}

/// After a decline, the same page takes another card and authorises.
pub async fn page_takes_another_card_after_a_decline(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let card = psp.card(TestCard::Declined)?;
    let request = psp.page_request("61.00");
    let page = psp.open(&request).await;
    assert_eq!(
        psp.mode.pay_hosted_page(&page, card).await,
        PageAnswer::Refused
    );
    assert_eq!(
        psp.mode.pay_hosted_page(&page, TestCard::Success).await,
        PageAnswer::Accepted
    );
    let status = psp
        .provider
        .hosted_payment_status(&page.session_id)
        .await
        .unwrap();
    assert_eq!(status.state, HostedPaymentState::Complete);
    let payment = psp.fetch(&status.payment.expect("its payment")).await;
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount_capturable, money("61.00"));
    Ok(())
}

/// A card that asks for 3-D Secure authorises once the shopper passed the challenge.
pub async fn three_ds_card_authorises_after_the_challenge(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let card = psp.card(TestCard::ThreeDs)?;
    let payment = psp.authorised("70.00", card).await;
    assert_eq!(payment.amount_capturable, money("70.00"));
    assert_eq!(payment.next_action_url, None, "{payment:?}");
    Ok(())
}
