//! Customers, and cards saved on them: listed when the shopper asked to keep them, charged
//! off-session (manual capture), refused off-session when the card wants the shopper present.

use super::{money, IdKind, NotApplicable, Subject, TestCard, Verdict};
use crate::domain::Reference;
use crate::ports::{
    AfterCapture, ProviderError, ProviderPaymentStatus, SavedCard, SavedCardCharge,
};

/// The same key gives the same customer; another key another one; the key with other details
/// is refused.
pub async fn customers_are_idempotent_per_key(psp: Subject) -> Verdict {
    let key = psp.unique("customer");
    let email = format!("{}@example.fr", psp.unique("shopper"));
    let first = psp
        .provider
        .create_customer(&email, "Jeanne Martin", &key)
        .await
        .unwrap();
    assert!(!first.is_empty());
    let replay = psp
        .provider
        .create_customer(&email, "Jeanne Martin", &key)
        .await
        .unwrap();
    assert_eq!(replay, first, "same key: the same customer");
    let other = psp
        .provider
        .create_customer(&email, "Jeanne Martin", &psp.unique("customer"))
        .await
        .unwrap();
    assert_ne!(other, first, "another key: another customer");
    assert_eq!(
        psp.provider
            .create_customer("someone.else@example.fr", "Jeanne Martin", &key)
            .await,
        Err(ProviderError::IdempotencyConflict)
    );
    Ok(())
}

fn check_card(card: &SavedCard) {
    assert!(!card.payment_method.is_empty(), "{card:?}");
    assert!(!card.brand.is_empty(), "{card:?}");
    assert!(
        card.last4.len() == 4 && card.last4.bytes().all(|b| b.is_ascii_digit()),
        "{card:?}"
    );
    assert!((1..=12).contains(&card.exp_month), "{card:?}");
    assert!(card.exp_year >= 2000, "{card:?}");
}

/// Pays a page for `customer` with `card`, keeping the card or not; answers the payment method
/// the payment used, when the PSP says.
async fn pay_for(psp: &Subject, customer: &str, card: TestCard, save: bool) -> Option<String> {
    let mut request = psp.page_request("35.00");
    request.customer = Some(customer.to_owned());
    request.save_card = save;
    psp.pay(&request, card).await.payment_method
}

/// A payment method for `card` saved on `customer`: from the test mode, or through the hosted
/// page with `save_card`.
async fn saved_card(
    psp: &Subject,
    customer: &str,
    card: TestCard,
) -> Result<String, NotApplicable> {
    if let Some(method) = psp.mode.saved_card_for(customer, card).await {
        return Ok(method);
    }
    psp.require(
        psp.capabilities().hosted_page,
        "its test mode saves no card and capabilities.hosted_page is false",
    )?;
    let used = pay_for(psp, customer, card, true).await;
    let saved = psp.provider.list_saved_cards(customer).await.unwrap();
    let found = saved
        .iter()
        .find(|c| used.is_none() || used.as_ref() == Some(&c.payment_method))
        .unwrap_or_else(|| panic!("the card kept from the page ({used:?}) in {saved:?}"));
    Ok(found.payment_method.clone())
}

/// A page paid without `save_card` keeps no card; with it, the card is listed on the customer.
pub async fn saved_card_is_listed_only_when_asked(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().saved_cards,
        "capabilities.saved_cards is false",
    )?;
    psp.require(
        psp.capabilities().hosted_page,
        "capabilities.hosted_page is false",
    )?;
    let customer = psp.customer().await;
    assert_eq!(psp.provider.list_saved_cards(&customer).await, Ok(vec![]));

    pay_for(&psp, &customer, TestCard::Success, false).await;
    assert_eq!(
        psp.provider.list_saved_cards(&customer).await,
        Ok(vec![]),
        "the shopper did not ask to keep the card"
    );

    let used = pay_for(&psp, &customer, TestCard::Success, true).await;
    let saved = psp.provider.list_saved_cards(&customer).await.unwrap();
    assert_eq!(saved.len(), 1, "{saved:?}");
    check_card(&saved[0]);
    if let Some(method) = used {
        assert_eq!(saved[0].payment_method, method);
    }
    let unknown = psp.mode.unknown_id(IdKind::Customer);
    assert!(
        matches!(
            psp.provider.list_saved_cards(&unknown).await,
            Err(ProviderError::NotFound(_))
        ),
        "the cards of a customer the PSP does not know"
    );
    Ok(())
}

fn charge(psp: &Subject, customer: &str, method: &str, amount: &str) -> SavedCardCharge {
    let payment_id = format!("pay_{}", psp.unique("renew").replace('-', "_"));
    SavedCardCharge {
        capture_at_once: false,
        order_reference: Reference::parse("ORD-10042").expect("reference"),
        payment_id,
        amount: money(amount),
        customer: customer.to_owned(),
        payment_method: method.to_owned(),
        off_session: true,
        return_url: None,
        shopper_confirms: false,
        three_d_secure: crate::domain::three_d_secure::ThreeDSecureRequest::Automatic,
        idempotency_key: psp.unique("charge"),
    }
}

/// A saved card charged off-session: an authorisation to capture, with our ids; replayed by
/// its key, refused with the key and another amount.
pub async fn saved_card_charges_off_session(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().saved_cards,
        "capabilities.saved_cards is false",
    )?;
    let customer = psp.customer().await;
    let method = saved_card(&psp, &customer, TestCard::Success).await?;
    let request = charge(&psp, &customer, &method, "45.00");
    let payment = psp.provider.charge_saved_card(&request).await.unwrap();
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount, money("45.00"));
    assert_eq!(payment.amount_capturable, money("45.00"));
    assert_eq!(payment.amount_received, money("0"));
    assert_eq!(payment.order_reference.as_deref(), Some("ORD-10042"));
    assert_eq!(
        payment.payment_id.as_deref(),
        Some(request.payment_id.as_str())
    );
    if let Some(on) = &payment.customer {
        assert_eq!(on, &customer);
    }
    if let Some(used) = &payment.payment_method {
        assert_eq!(used, &method);
    }

    let replay = psp.provider.charge_saved_card(&request).await.unwrap();
    assert_eq!(replay.id, payment.id, "same key, same charge");
    let mut other = request.clone();
    other.amount = money("46.00");
    assert_eq!(
        psp.provider.charge_saved_card(&other).await,
        Err(ProviderError::IdempotencyConflict)
    );
    assert_eq!(
        psp.fetch(&payment.id).await.amount_capturable,
        money("45.00"),
        "one authorisation"
    );
    let captured = psp
        .provider
        .capture(
            &payment.id,
            None,
            AfterCapture::FINAL,
            &psp.unique("capture"),
        )
        .await
        .unwrap();
    assert_eq!(captured.status, ProviderPaymentStatus::Succeeded);
    assert_eq!(captured.amount_received, money("45.00"));
    Ok(())
}

/// A saved card that wants 3-D Secure cannot be charged with the shopper away: authentication
/// required, a decline, or a payment left waiting for the shopper; never an authorisation.
pub async fn three_ds_card_off_session_needs_the_shopper(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().saved_cards,
        "capabilities.saved_cards is false",
    )?;
    let card = psp.card(TestCard::ThreeDs)?;
    let customer = psp.customer().await;
    let method = saved_card(&psp, &customer, card).await?;
    let request = charge(&psp, &customer, &method, "45.00");
    match psp.provider.charge_saved_card(&request).await {
        Err(ProviderError::AuthenticationRequired(failure) | ProviderError::Declined(failure)) => {
            assert!(!failure.code.is_empty(), "{failure:?}")
        }
        Ok(payment) => {
            assert!(
                matches!(
                    payment.status,
                    ProviderPaymentStatus::RequiresAction
                        | ProviderPaymentStatus::RequiresPaymentMethod
                        | ProviderPaymentStatus::Failed
                ),
                "{payment:?}"
            );
            assert_eq!(payment.amount_capturable, money("0"));
        }
        Err(other) => panic!("off-session 3-D Secure card: {other:?}"),
    }
    Ok(())
}
