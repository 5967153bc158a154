//! SEPA mandates (`Capabilities::mandates`): set up (on the PSP's page, or on a bank account we
//! pass on and confirmed on the PSP's page), read back, debited off-session once a month,
//! revoked.

use std::time::Duration;

use super::{money, NotApplicable, Subject, Verdict};
use crate::domain::sepa::MandateStatus;
use crate::domain::{BillingAddress, Locale};
use crate::ports::{
    BankAccountDetails, MandateDebit, MandateSetupRequest, MandateSetupState, ProviderError,
    ProviderMandate, ProviderPayment, ProviderPaymentStatus,
};

/// A test IBAN every PSP's test mode debits successfully (Stripe's and the sandbox's).
pub const IBAN_SUCCEEDS: &str = "DE89370400440532013000";
/// A test IBAN whose debits fail for insufficient funds.
pub const IBAN_INSUFFICIENT_FUNDS: &str = "DE65370400440002222227";

/// The set-up request for a new mandate of `customer`, with the bank account when the
/// connector needs it.
fn setup_request(psp: &Subject, customer: &str, iban: &str) -> MandateSetupRequest {
    let mandate_id = format!("mdt_{}", psp.unique("m").replace('-', "_"));
    let bank_account = psp
        .capabilities()
        .mandate_bank_details
        .then(|| BankAccountDetails {
            iban: iban.to_owned(),
            holder_name: "Jeanne Martin".into(),
            holder_address: BillingAddress {
                line1: "9 rue d'Antrechaus".into(),
                line2: None,
                postcode: "83000".into(),
                city: "Toulon".into(),
                country: "FR".into(),
            },
        });
    MandateSetupRequest {
        success_url: format!("https://shop.example/account?mandate={mandate_id}&outcome=success"),
        cancel_url: format!("https://shop.example/account?mandate={mandate_id}&outcome=cancel"),
        mandate_id,
        customer_id: "cus_contract".into(),
        customer: customer.to_owned(),
        idempotency_key: psp.unique("mandate-setup"),
        locale: Locale::Fr,
        bank_account,
    }
}

/// A mandate of a new customer on `iban`, accepted: the customer and the mandate.
pub async fn accepted_mandate(psp: &Subject, iban: &str) -> (String, ProviderMandate) {
    let customer = psp.customer().await;
    let request = setup_request(psp, &customer, iban);
    let page = psp
        .provider
        .open_mandate_setup(&request)
        .await
        .expect("mandate set-up opened");
    assert!(page.url.starts_with("http"), "{page:?}");
    let before = psp
        .provider
        .mandate_setup_status(&page.setup_id)
        .await
        .expect("set-up status");
    assert_eq!(
        (before.state, before.mandate.is_none()),
        (MandateSetupState::Open, true)
    );
    psp.mode.accept_mandate(&page, iban).await;
    let after = psp
        .provider
        .mandate_setup_status(&page.setup_id)
        .await
        .expect("set-up status");
    assert_eq!(after.state, MandateSetupState::Complete, "{after:?}");
    let mandate = after.mandate.expect("an accepted set-up names its mandate");
    (customer, mandate)
}

fn debit(psp: &Subject, customer: &str, mandate: &ProviderMandate, amount: &str) -> MandateDebit {
    MandateDebit {
        debit_id: "cus_contract#2026-11".into(),
        customer: customer.to_owned(),
        payment_method: mandate.payment_method.clone(),
        mandate: mandate.id.clone(),
        amount: money(amount),
        description: "Prélèvement 2026-11".into(),
        idempotency_key: psp.unique("debit"),
    }
}

/// The debit once the bank answered (the test PSPs answer within seconds).
async fn settled(psp: &Subject, id: &str) -> ProviderPayment {
    for _ in 0..100 {
        let payment = psp.fetch(id).await;
        if payment.status != ProviderPaymentStatus::Processing {
            return payment;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("the debit {id} never settled")
}

fn needs_mandates(psp: &Subject) -> Verdict {
    psp.require(psp.capabilities().mandates, "no SEPA mandates")
}

pub async fn mandate_is_accepted_then_debited(psp: Subject) -> Verdict {
    needs_mandates(&psp)?;
    let (customer, mandate) = accepted_mandate(&psp, IBAN_SUCCEEDS).await;
    assert_eq!(mandate.status, MandateStatus::Active, "{mandate:?}");
    assert_eq!(
        (
            mandate.iban_last4.as_deref(),
            mandate.bank_country.as_deref()
        ),
        (Some("3000"), Some("DE"))
    );
    assert!(mandate.reference.as_deref().is_some_and(|r| !r.is_empty()));
    let again = psp
        .provider
        .fetch_mandate(&mandate.id)
        .await
        .expect("mandate read");
    assert_eq!(again.status, MandateStatus::Active);
    let asked = debit(&psp, &customer, &mandate, "81.96");
    let submitted = psp.provider.debit_mandate(&asked).await.expect("debit");
    assert!(
        matches!(
            submitted.status,
            ProviderPaymentStatus::Processing | ProviderPaymentStatus::Succeeded
        ),
        "{submitted:?}"
    );
    assert_eq!(submitted.amount, money("81.96"));
    assert_eq!(
        submitted.direct_debit.as_deref(),
        Some("cus_contract#2026-11")
    );
    // The same key: the same debit, not a second one.
    let replayed = psp.provider.debit_mandate(&asked).await.expect("replayed");
    assert_eq!(replayed.id, submitted.id);
    let paid = settled(&psp, &submitted.id).await;
    assert_eq!(paid.status, ProviderPaymentStatus::Succeeded, "{paid:?}");
    assert_eq!(paid.amount_received, money("81.96"));
    assert_eq!(paid.direct_debit.as_deref(), Some("cus_contract#2026-11"));
    Ok(())
}

pub async fn debit_without_funds_fails_with_a_code(psp: Subject) -> Verdict {
    needs_mandates(&psp)?;
    let (customer, mandate) = accepted_mandate(&psp, IBAN_INSUFFICIENT_FUNDS).await;
    let submitted = psp
        .provider
        .debit_mandate(&debit(&psp, &customer, &mandate, "25.68"))
        .await
        .expect("debit submitted");
    let returned = settled(&psp, &submitted.id).await;
    // Stripe leaves the PaymentIntent waiting for another method; MangoPay's pay-in fails.
    assert!(
        matches!(
            returned.status,
            ProviderPaymentStatus::RequiresPaymentMethod | ProviderPaymentStatus::Failed
        ),
        "{returned:?}"
    );
    let failure = returned.failure.expect("a failed debit says why");
    assert_eq!(
        failure.decline_code.unwrap_or(failure.code),
        "insufficient_funds"
    );
    Ok(())
}

pub async fn revoked_mandate_takes_no_debit(psp: Subject) -> Verdict {
    needs_mandates(&psp)?;
    let (customer, mandate) = accepted_mandate(&psp, IBAN_SUCCEEDS).await;
    for key in ["revoke-1", "revoke-2"] {
        psp.provider
            .revoke_mandate(&mandate.payment_method, &psp.unique(key))
            .await
            .expect("revoked (again: still what was asked)");
    }
    let read = psp
        .provider
        .fetch_mandate(&mandate.id)
        .await
        .expect("mandate read");
    assert_eq!(read.status, MandateStatus::Inactive, "{read:?}");
    // Refused outright (Stripe) or taken and failed at once (MangoPay: 001833).
    match psp
        .provider
        .debit_mandate(&debit(&psp, &customer, &mandate, "10.00"))
        .await
    {
        Err(ProviderError::InvalidRequest(_)) => Ok(()),
        Ok(payment) if payment.status == ProviderPaymentStatus::Failed => Ok(()),
        other => panic!("a debit on a revoked mandate: {other:?}"),
    }
}

/// Not applicable where the PSP's page takes the IBAN itself.
pub async fn bank_details_are_required_where_the_psp_asks_for_them(psp: Subject) -> Verdict {
    needs_mandates(&psp)?;
    if !psp.capabilities().mandate_bank_details {
        return Err(NotApplicable("the IBAN is typed on the PSP's page".into()));
    }
    let customer = psp.customer().await;
    let mut request = setup_request(&psp, &customer, IBAN_SUCCEEDS);
    request.bank_account = None;
    assert!(matches!(
        psp.provider.open_mandate_setup(&request).await,
        Err(ProviderError::InvalidRequest(_))
    ));
    Ok(())
}
