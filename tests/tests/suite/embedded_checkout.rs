//! The card form inside our checkout page (embedded Checkout) over real HTTP: devserver app on
//! moto, sandbox PSP with its Stripe.js stand-in. The API answers what the page mounts; the
//! form is the PSP's (card data never reaches us); the whole window goes back to the return
//! URL; the webhook authorises as for the hosted page.

use integration::shop::{first_order_body, shop};
use serde_json::json;

#[tokio::test]
async fn an_embedded_page_is_paid_inside_the_checkout_and_authorises_the_order() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = first_order_body(&shop.base);
    body["ui"] = "embedded".into();
    let (status, started) = shop.start("ORD-10042", &token, "pay-1", &body).await;
    assert_eq!(status, 201, "{started}");
    let action = &started["next_action"];
    assert_eq!(action["type"], "embedded");
    assert_eq!(action.get("url"), None, "nothing to redirect to");
    assert_eq!(
        action["script_url"],
        format!("{}/sandbox-psp/js/v3.js", shop.base)
    );
    assert_eq!(action["publishable_key"], "pk_test_sandbox");
    let secret = action["client_secret"].as_str().unwrap();
    let session = secret.split("_secret_").next().unwrap();
    assert!(session.starts_with("cs_test_"), "{secret}");

    // The script the page loads, then the frame it mounts (its own client secret only).
    let script = shop
        .http
        .get(action["script_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script
        .text()
        .await
        .unwrap()
        .contains("initEmbeddedCheckout"));
    let frame = format!("{}/sandbox-psp/embedded/{session}", shop.base);
    let wrong = shop
        .http
        .get(format!("{frame}?client_secret={session}_secret_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let form = shop
        .http
        .get(format!("{frame}?client_secret={secret}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("autocomplete=\"cc-number\""), "{form}");

    // American Express: its 4-digit code.
    let paid = shop
        .http
        .post(&frame)
        .form(&[
            ("client_secret", secret),
            ("name", "Jeanne Martin"),
            ("number", "3782 822463 10005"),
            ("exp", "12/40"),
            ("cvc", "1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);
    let page = paid.text().await.unwrap();
    let payment = started["payment"]["id"].as_str().unwrap();
    assert!(
        page.contains("window.top.location.href")
            && page.contains(&format!(
                "{}/return?reference=ORD-10042&amp;payment={payment}&amp;outcome=returned",
                shop.base
            )),
        "{page}"
    );
    shop.payment_reaches("ORD-10042", payment, &token, "authorised")
        .await;
}

#[tokio::test]
async fn embedded_goes_with_a_new_card_only() {
    let shop = shop().await;
    let token = shop.token("ORD-10042", "83000").await;
    let mut body = first_order_body(&shop.base);
    for (ui, method, field) in [
        (json!("popup"), "card", "ui"),
        (json!("embedded"), "saved_card", "ui"),
    ] {
        body["ui"] = ui;
        body["method"] = method.into();
        if method == "saved_card" {
            body["save_card"] = false.into();
            body["saved_card_id"] = "pm_123".into();
        }
        let (status, refused) = shop.start("ORD-10042", &token, "k", &body).await;
        assert_eq!(
            (status, refused["field"].as_str()),
            (422, Some(field)),
            "{refused}"
        );
    }
    let order = shop.get("/v1/orders/ORD-10042", &token).await;
    assert_eq!(order["payments"], json!([]));
}
