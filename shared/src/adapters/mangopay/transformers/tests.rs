//! The wire types against MangoPay's published examples (docs `preauthorization-object`,
//! `card-object`), and the mapping into the port's types.

use super::*;
use crate::domain::{Currency, Money};
use crate::ports::ProviderPaymentStatus;

fn eur(amount: &str) -> Money {
    Money::new(amount.parse().unwrap(), Currency::EUR).unwrap()
}

/// The docs' "View a Preauthorization" example, trimmed of fields we do not read.
const DOCS_PREAUTH: &str = r#"{"Id":"156686696","Tag":null,"CreationDate":1669116896,"AuthorId":"156671912",
 "DebitedFunds":{"Currency":"EUR","Amount":500},"RemainingFunds":{"Currency":"EUR","Amount":0},
 "AuthorizationDate":1669116904,"Status":"SUCCEEDED","PaymentStatus":"VALIDATED","ExpirationDate":1669678504,
 "PayInId":"156686722","ResultCode":"000000","ResultMessage":"Success","SecureMode":"FORCE","CardId":"156674899",
 "SecureModeReturnURL":null,"SecureModeRedirectURL":null,"SecureModeNeeded":false,"PaymentType":"CARD",
 "ExecutionType":"DIRECT","MultiCapture":true,"CardInfo":{"BIN":"497010","Brand":"VISA"}}"#;

#[test]
fn a_validated_preauthorisation_reads_as_captured() {
    let preauth: Preauthorization = serde_json::from_str(DOCS_PREAUTH).unwrap();
    let payin: PayIn = serde_json::from_str(
        r#"{"Id":"156686722","AuthorId":"156671912","DebitedFunds":{"Currency":"EUR","Amount":500},
            "Status":"SUCCEEDED","PreauthorizationId":"156686696"}"#,
    )
    .unwrap();
    let payment = preauth.to_provider(&[payin], &[]).unwrap();
    assert_eq!(payment.status, ProviderPaymentStatus::Succeeded);
    assert_eq!(payment.amount, eur("5.00"));
    assert_eq!(payment.amount_received, eur("5.00"));
    assert_eq!(payment.amount_capturable, eur("0"));
    assert_eq!(payment.multicapture, Some(true));
    assert_eq!(
        payment.order_reference, None,
        "a tag that is not ours names no order"
    );
}

#[test]
fn a_preauthorisation_waiting_for_3ds_names_the_page() {
    let preauth: Preauthorization = serde_json::from_str(
        r#"{"Id":"preauth_m_01","CreationDate":1,"AuthorId":"u","DebitedFunds":{"Currency":"EUR","Amount":10000},
            "RemainingFunds":{"Currency":"EUR","Amount":10000},"Status":"CREATED","PaymentStatus":"WAITING",
            "SecureModeRedirectURL":"https://api.sandbox.mangopay.com/mvc/eu/Redirect/ACSWithoutValidation?token=f8",
            "Tag":"encaisse;order=ORD-10042;payment=pay_1"}"#,
    )
    .unwrap();
    let payment = preauth.to_provider(&[], &[]).unwrap();
    assert_eq!(payment.status, ProviderPaymentStatus::RequiresAction);
    assert_eq!(
        payment.amount_capturable,
        eur("0"),
        "nothing is capturable before 3-D Secure"
    );
    assert!(payment
        .next_action_url
        .unwrap()
        .contains("ACSWithoutValidation"));
    assert_eq!(payment.order_reference.as_deref(), Some("ORD-10042"));
    assert_eq!(payment.payment_id.as_deref(), Some("pay_1"));
}

#[test]
fn a_failed_authentication_says_why() {
    let preauth: Preauthorization = serde_json::from_str(
        r#"{"Id":"p","CreationDate":1,"AuthorId":"u","DebitedFunds":{"Currency":"EUR","Amount":100},
            "RemainingFunds":{"Currency":"EUR","Amount":0},"Status":"FAILED","PaymentStatus":"CANCELED",
            "ResultCode":"101301","ResultMessage":"Secure mode: The 3DSecure authentication has failed"}"#,
    )
    .unwrap();
    let payment = preauth.to_provider(&[], &[]).unwrap();
    assert_eq!(payment.status, ProviderPaymentStatus::Failed);
    let failure = payment.failure.unwrap();
    assert_eq!(failure.code, "payment_intent_authentication_failure");
    assert_eq!(failure.decline_code.as_deref(), Some("mangopay_101301"));
}

#[test]
fn tags_round_trip_and_ignore_others() {
    let mut tag = OurTag::new("ORD-10042", "pay_01");
    tag.release_reason = Some(crate::domain::ReleaseReason::LastParcel);
    assert_eq!(
        tag.render(),
        "encaisse;order=ORD-10042;payment=pay_01;release=last_parcel"
    );
    assert_eq!(OurTag::parse(Some(&tag.render())), tag);
    assert_eq!(OurTag::parse(Some("order=ORD-1")), OurTag::default());
    assert_eq!(OurTag::parse(None), OurTag::default());
}

#[test]
fn cards_read_from_the_docs_example() {
    let card: Card = serde_json::from_str(
        r#"{"ExpirationDate":"1229","Alias":"497010XXXXXX8183","CardType":"CB_VISA_MASTERCARD","CardProvider":"VISA",
            "Country":"FRA","Active":true,"Validity":"UNKNOWN","Id":"card_m_01","UserId":"user_m_01"}"#,
    )
    .unwrap();
    let saved = card.saved().unwrap();
    assert_eq!(
        (saved.last4.as_str(), saved.exp_month, saved.exp_year),
        ("8183", 12, 2029)
    );
    assert_eq!(saved.brand, "visa");
}

fn payin(id: &str, cents: i64) -> PayIn {
    PayIn {
        id: id.into(),
        author_id: "u".into(),
        debited_funds: Funds {
            currency: CurrencyCode(Currency::EUR),
            amount: cents,
        },
        status: "SUCCEEDED".into(),
        preauthorization_id: Some("p".into()),
    }
}

fn refund(of: &str, cents: i64, tag: &str) -> Refund {
    Refund {
        id: format!("r-{of}-{cents}"),
        tag: Some(tag.into()),
        debited_funds: Funds {
            currency: CurrencyCode(Currency::EUR),
            amount: cents,
        },
        status: "SUCCEEDED".into(),
        initial_transaction_id: Some(of.into()),
    }
}

#[test]
fn refunds_take_the_newest_captures_first_and_replay_the_same_plan() {
    let payins = [payin("a", 3000), payin("b", 2000)];
    let plan = refund_plan(&payins, &[], "mine", &eur("25.00")).unwrap();
    let parts: Vec<_> = plan.iter().map(|(p, m)| (p.id.as_str(), *m)).collect();
    assert_eq!(parts, vec![("b", eur("20.00")), ("a", eur("5.00"))]);
    // Our own earlier parts do not count: a retry plans the same.
    let made = [refund("b", 2000, "mine"), refund("a", 500, "mine")];
    let again = refund_plan(&payins, &made, "mine", &eur("25.00")).unwrap();
    assert_eq!(
        again
            .iter()
            .map(|(p, m)| (p.id.as_str(), *m))
            .collect::<Vec<_>>(),
        parts
    );
    // Others' refunds do.
    let others = [refund("b", 2000, "other")];
    let plan = refund_plan(&payins, &others, "mine", &eur("25.00")).unwrap();
    assert_eq!(
        plan.iter()
            .map(|(p, m)| (p.id.as_str(), *m))
            .collect::<Vec<_>>(),
        vec![("a", eur("25.00"))]
    );
    assert!(refund_plan(&payins, &others, "mine", &eur("30.01")).is_err());
}
