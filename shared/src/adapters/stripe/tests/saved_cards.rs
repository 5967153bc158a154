//! A saved card renewed and detached: what goes on the wire.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::ports::psp::prelude::*;
use crate::ports::CardUpdate;

const PM: &str = "pm_1QxA0a9B8c7D6e5F";

fn card_json(customer: Option<&str>) -> serde_json::Value {
    serde_json::json!({"id": PM, "object": "payment_method", "type": "card", "customer": customer,
        "billing_details": {"name": "Paul Durand"},
        "card": {"brand": "visa", "last4": "4242", "exp_month": 3, "exp_year": 2031}})
}

#[tokio::test]
async fn a_card_is_renewed_with_its_new_expiry_and_holder() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_methods/{PM}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(card_json(Some("cus_1"))))
        .mount(&server)
        .await;
    let update = CardUpdate {
        exp_month: 3,
        exp_year: 2031,
        holder: Some("Paul Durand".into()),
    };

    let card = connector(&server)
        .update_saved_card(PM, &update, "card-key-1")
        .await
        .unwrap();

    assert_eq!((card.exp_month, card.exp_year), (3, 2031));
    assert_eq!(card.holder.as_deref(), Some("Paul Durand"));
    let requests = received(&server).await;
    assert_post(
        &requests[0],
        &format!("/v1/payment_methods/{PM}"),
        "card-key-1",
    );
    assert_eq!(
        form(&requests[0]),
        pairs(&[
            ("card[exp_month]", "3"),
            ("card[exp_year]", "2031"),
            ("billing_details[name]", "Paul Durand")
        ])
    );
}

#[tokio::test]
async fn a_card_is_detached_from_its_customer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_methods/{PM}/detach")))
        .respond_with(ResponseTemplate::new(200).set_body_json(card_json(None)))
        .mount(&server)
        .await;

    connector(&server)
        .detach_saved_card(PM, "detach-key")
        .await
        .unwrap();

    let requests = received(&server).await;
    assert_post(
        &requests[0],
        &format!("/v1/payment_methods/{PM}/detach"),
        "detach-key",
    );
    // An id that could leave the path is refused before any request.
    assert!(connector(&server)
        .detach_saved_card("pm_1/../../v1/charges", "k")
        .await
        .is_err());
    assert_eq!(received(&server).await.len(), 1);
}
