//! Our card form (`Capabilities::card_form`): a form per card, the card posted by the browser
//! to the PSP's tokenisation server, the token made into an authorisation, 3-D Secure on the
//! PSP's page.

use super::{money, Subject, TestCard, Verdict};
use crate::domain::three_d_secure::ThreeDSecureRequest;
use crate::ports::{
    BrowserDetails, CardForm, CardFormRequest, CardFormSubmission, HostedPaymentRequest,
    ProviderError, ProviderPayment, ProviderPaymentStatus,
};

/// A desktop browser's details, as a checkout page reads them.
pub fn browser() -> BrowserDetails {
    BrowserDetails {
        accept_header: "text/html,application/xhtml+xml".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0".into(),
        language: "fr-FR".into(),
        color_depth: 24,
        screen_height: 1080,
        screen_width: 1920,
        time_zone_offset: -60,
        java_enabled: false,
        javascript_enabled: true,
    }
}

fn form_request(psp: &Subject, page: &HostedPaymentRequest) -> CardFormRequest {
    CardFormRequest {
        order_reference: page.order_reference.clone(),
        payment_id: page.payment_id.clone(),
        currency: page.amount.currency(),
        customer: page.customer.clone(),
        customer_email: page.customer_email.clone(),
        save_card: page.save_card,
        idempotency_key: psp.unique("form"),
    }
}

fn submission(
    psp: &Subject,
    page: &HostedPaymentRequest,
    form: &CardForm,
    token: String,
) -> CardFormSubmission {
    CardFormSubmission {
        form_id: form.form_id.clone(),
        token_data: token,
        order_reference: page.order_reference.clone(),
        payment_id: page.payment_id.clone(),
        amount: page.amount,
        return_url: page.success_url.clone(),
        browser: browser(),
        ip_address: "203.0.113.7".into(),
        three_d_secure: page.three_d_secure,
        idempotency_key: psp.unique("authorise"),
    }
}

async fn open(psp: &Subject, page: &HostedPaymentRequest) -> CardForm {
    let form = psp
        .provider
        .open_card_form(&form_request(psp, page))
        .await
        .expect("card form opened");
    assert!(form.post_url.starts_with("http"), "{form:?}");
    form
}

/// The shopper passes 3-D Secure: back on the return URL, which names the payment.
async fn through_three_ds(
    psp: &Subject,
    page: &HostedPaymentRequest,
    payment: ProviderPayment,
) -> ProviderPayment {
    if payment.status != ProviderPaymentStatus::RequiresAction {
        return payment;
    }
    let url = payment
        .next_action_url
        .clone()
        .expect("3-D Secure names its page");
    let back = psp.mode.pass_three_ds(&url).await;
    assert!(back.starts_with(&page.success_url), "back to {back}");
    assert!(
        back.contains(&payment.id),
        "the return names the payment: {back}"
    );
    psp.fetch(&payment.id).await
}

/// Pays `page`'s amount through our card form with `card`: the payment it made.
pub async fn pay_by_card_form(
    psp: &Subject,
    page: &HostedPaymentRequest,
    card: TestCard,
) -> ProviderPayment {
    let form = open(psp, page).await;
    let token = psp.mode.tokenise_card(&form, card).await;
    let payment = psp
        .provider
        .authorise_card_form(&submission(psp, page, &form, token))
        .await
        .expect("the card form's payment");
    through_three_ds(psp, page, payment).await
}

/// A card through our form: an authorisation of exactly the amount, with our ids.
pub async fn card_form_authorises_with_our_ids(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().card_form,
        "capabilities.card_form is false",
    )?;
    let mut page = psp.page_request("125.40");
    page.customer = Some(psp.customer().await);
    let payment = pay_by_card_form(&psp, &page, TestCard::Success).await;
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount, money("125.40"));
    assert_eq!(payment.amount_capturable, money("125.40"));
    assert_eq!(payment.amount_received, money("0"));
    assert_eq!(payment.failure, None);
    assert_eq!(payment.next_action_url, None);
    assert_eq!(payment.order_reference.as_deref(), Some("ORD-10042"));
    assert_eq!(
        payment.payment_id.as_deref(),
        Some(page.payment_id.as_str())
    );
    assert!(payment.payment_method.is_some(), "the card it used");
    Ok(())
}

/// A refused card: the attempt fails with a code; the form takes no other card, a new form
/// does.
pub async fn card_form_refused_card_needs_a_new_form(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().card_form,
        "capabilities.card_form is false",
    )?;
    let card = psp.card(TestCard::Declined)?;
    let page = psp.page_request("60.00");
    let form = open(&psp, &page).await;
    let token = psp.mode.tokenise_card(&form, card).await;
    let first = submission(&psp, &page, &form, token);
    match psp.provider.authorise_card_form(&first).await {
        Ok(attempt) => {
            assert_eq!(attempt.status, ProviderPaymentStatus::Failed, "{attempt:?}");
            let failure = attempt.failure.expect("a refusal says why");
            assert!(!failure.code.is_empty());
            assert_eq!(attempt.amount_capturable, money("0"));
            assert_eq!(
                attempt.payment_id.as_deref(),
                Some(page.payment_id.as_str())
            );
        }
        Err(ProviderError::Declined(failure)) => assert!(!failure.code.is_empty()),
        Err(other) => panic!("a refused card: {other:?}"),
    }
    // The same form again, with another card's token: it is used up.
    let token = psp.mode.tokenise_card(&form, TestCard::Success).await;
    let mut again = submission(&psp, &page, &form, token);
    again.idempotency_key = psp.unique("authorise");
    assert!(
        !matches!(
            psp.provider.authorise_card_form(&again).await,
            Ok(ProviderPayment {
                status: ProviderPaymentStatus::RequiresCapture,
                ..
            })
        ),
        "a used form authorises nothing more"
    );
    let payment = pay_by_card_form(&psp, &page, TestCard::Success).await;
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount_capturable, money("60.00"));
    Ok(())
}

/// A card that asks for 3-D Secure waits for the shopper, then authorises.
pub async fn card_form_three_ds_after_the_challenge(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().card_form,
        "capabilities.card_form is false",
    )?;
    let card = psp.card(TestCard::ThreeDs)?;
    let page = psp.page_request("70.00");
    let form = open(&psp, &page).await;
    let token = psp.mode.tokenise_card(&form, card).await;
    let waiting = psp
        .provider
        .authorise_card_form(&submission(&psp, &page, &form, token))
        .await
        .unwrap();
    assert_eq!(
        waiting.status,
        ProviderPaymentStatus::RequiresAction,
        "{waiting:?}"
    );
    assert_eq!(waiting.amount_capturable, money("0"));
    let payment = through_three_ds(&psp, &page, waiting).await;
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresCapture);
    assert_eq!(payment.amount_capturable, money("70.00"));
    assert_eq!(payment.next_action_url, None);
    // Asked for by the seller's policy, even a card that would not have asked.
    let mut page = psp.page_request("71.00");
    page.three_d_secure = ThreeDSecureRequest::Request;
    if psp.capabilities().three_ds.can_request {
        let form = open(&psp, &page).await;
        let token = psp.mode.tokenise_card(&form, TestCard::Success).await;
        let asked = psp
            .provider
            .authorise_card_form(&submission(&psp, &page, &form, token))
            .await
            .unwrap();
        assert_eq!(
            asked.status,
            ProviderPaymentStatus::RequiresAction,
            "{asked:?}"
        );
    }
    Ok(())
}

/// The same submission twice makes one payment; the same key with another amount is refused.
pub async fn card_form_replays_its_key(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().card_form,
        "capabilities.card_form is false",
    )?;
    let page = psp.page_request("80.00");
    let form = open(&psp, &page).await;
    let token = psp.mode.tokenise_card(&form, TestCard::Success).await;
    let submitted = submission(&psp, &page, &form, token);
    let first = psp.provider.authorise_card_form(&submitted).await.unwrap();
    let replay = psp.provider.authorise_card_form(&submitted).await.unwrap();
    assert_eq!(replay.id, first.id, "same key, same payment");
    let mut other = submitted.clone();
    other.amount = money("81.00");
    assert_eq!(
        psp.provider.authorise_card_form(&other).await,
        Err(ProviderError::IdempotencyConflict)
    );
    assert_eq!(
        psp.fetch(&first.id).await.amount_capturable,
        money("80.00"),
        "one authorisation"
    );
    Ok(())
}

/// A card is listed on the customer only when the shopper asked to keep it.
pub async fn card_form_keeps_a_card_only_when_asked(psp: Subject) -> Verdict {
    psp.require(
        psp.capabilities().card_form,
        "capabilities.card_form is false",
    )?;
    let customer = psp.customer().await;
    let mut page = psp.page_request("35.00");
    page.customer = Some(customer.clone());
    pay_by_card_form(&psp, &page, TestCard::Success).await;
    assert_eq!(
        psp.provider.list_saved_cards(&customer).await,
        Ok(vec![]),
        "the shopper did not ask to keep the card"
    );
    let mut page = psp.page_request("36.00");
    page.customer = Some(customer.clone());
    page.save_card = true;
    let payment = pay_by_card_form(&psp, &page, TestCard::Success).await;
    let saved = psp.provider.list_saved_cards(&customer).await.unwrap();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(
        Some(&saved[0].payment_method),
        payment.payment_method.as_ref()
    );
    assert_eq!(saved[0].last4.len(), 4);
    psp.provider
        .detach_saved_card(&saved[0].payment_method, &psp.unique("detach"))
        .await
        .unwrap();
    assert_eq!(
        psp.provider.list_saved_cards(&customer).await,
        Ok(vec![]),
        "detached"
    );
    Ok(())
}
