//! The sample events in events/ fed through lambda_http into each function's router, with the
//! DynamoDB store on moto server: what API Gateway would hand the deployed functions.

use std::sync::Arc;

use axum::Router;
use encaisse::adapters::dynamodb::{DynamoStore, RequestCounter};
use encaisse::app::{AccessTokens, OrderLookup};
use encaisse::http::{
    back_office_router, order_lookup_router, with_fallbacks, AdminAuth, BackOffice,
};
use encaisse::ports::{OrderStore, SystemClock};
use integration::{event, fresh_dynamo_store, invoke};

struct Functions {
    order_lookup: Router,
    back_office: Router,
    store: Arc<DynamoStore>,
    counter: RequestCounter,
}

/// Both functions wired as their main.rs does, on one fresh table.
async fn functions() -> Functions {
    functions_with(AdminAuth::ApiGatewayIam).await
}

async fn functions_with(auth: AdminAuth) -> Functions {
    let (store, counter) = fresh_dynamo_store().await;
    let store = Arc::new(store);
    let lookup = OrderLookup::new(
        store.clone(),
        AccessTokens::new(b"integration-test-secret-32-bytes!!"),
        Arc::new(SystemClock),
    );
    // Its amount rules only: nothing here calls the PSP.
    let office = BackOffice {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        auth,
        pay_links: None,
        documents: None,
        providers: Arc::new(encaisse::ports::ProviderRegistry::single(Arc::new(
            encaisse::adapters::stripe::StripeConnector::new(
                encaisse::adapters::stripe::StripeConfig::new(
                    "sk_test_rules",
                    vec!["whsec_rules".into()],
                ),
            )
            .expect("connector"),
        ))),
    };
    Functions {
        order_lookup: with_fallbacks(order_lookup_router(lookup)),
        back_office: with_fallbacks(back_office_router(office)),
        store,
        counter,
    }
}

async fn create_sample_order(f: &Functions) {
    let created = invoke(&f.back_office, &event("back-office/create-order.json")).await;
    assert_eq!(created.status, 201, "{}", created.body);
}

#[tokio::test]
async fn back_office_creates_and_shows_an_order() {
    let f = functions().await;
    let created = invoke(&f.back_office, &event("back-office/create-order.json")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["reference"], "ORD-10042");
    assert_eq!(created.body["totals"]["gross"], "2922.00");
    assert_eq!(created.body["customer"]["email"], "buyer@example.fr");
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        "/v1/admin/orders/ORD-10042"
    );

    let shown = invoke(&f.back_office, &event("back-office/get-order.json")).await;
    assert_eq!(shown.status, 200);
    assert_eq!(
        shown.body["shipping"]["address"]["line1"],
        "9 rue d'Antrechaus"
    );
    assert_eq!(shown.body, created.body);

    // Same reference again: 409, the first order untouched.
    let again = invoke(&f.back_office, &event("back-office/create-order.json")).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["field"], "reference");
}

#[tokio::test]
async fn back_office_refuses_calls_that_api_gateway_did_not_authenticate() {
    let f = functions().await;
    let mut unsigned = event("back-office/create-order.json");
    unsigned["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let answer = invoke(&f.back_office, &unsigned).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.headers["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let reference = encaisse::domain::Reference::parse("ORD-10042").unwrap();
    assert!(f.store.get_order(&reference).await.unwrap().is_none());
}

#[tokio::test]
async fn a_bad_amount_is_refused_with_its_field_and_nothing_is_written() {
    let f = functions().await;
    let answer = invoke(
        &f.back_office,
        &event("back-office/create-order-bad-amount.json"),
    )
    .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.body["field"], "lines[0].unit_price");
    assert_eq!(
        answer.body["type"],
        "https://encaisse.dev/problems/invalid-field"
    );
    let reference = encaisse::domain::Reference::parse("ORD-10042").unwrap();
    assert!(f.store.get_order(&reference).await.unwrap().is_none());
}

#[tokio::test]
async fn shopper_looks_up_with_a_spaced_postcode_and_views_the_order_with_the_token() {
    let f = functions().await;
    create_sample_order(&f).await;

    f.counter.reset();
    let found = invoke(&f.order_lookup, &event("order-lookup/lookup.json")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    // The success path: a BatchGetItem of the order and both failure logs, the attempt
    // reserved on both logs before the postcode is compared (one TransactWriteItems, so
    // concurrent guesses cannot all pass one read), and given back once it matched (another).
    assert_eq!(
        f.counter.snapshot(),
        [
            ("BatchGetItem".to_string(), 1),
            ("TransactWriteItems".to_string(), 2)
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(found.headers["cache-control"].to_str().unwrap(), "no-store");
    assert_eq!(found.body["order"]["reference"], "ORD-10042");
    assert_eq!(
        found.body["order"]["shipping"]["address"],
        serde_json::json!({"name": "J. M.", "postcode": "83000", "city": "Toulon", "country": "FR"})
    );
    assert!(found.body["order"].get("customer").is_none());
    let token = found.body["access_token"].as_str().unwrap().to_string();

    let mut view = event("order-lookup/get-order.json");
    view["headers"]["authorization"] = format!("Bearer {token}").into();
    f.counter.reset();
    let shown = invoke(&f.order_lookup, &view).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(f.counter.total(), 1);
    assert_eq!(shown.body, found.body["order"]);

    // The event as stored (placeholder token) is refused.
    let refused = invoke(&f.order_lookup, &event("order-lookup/get-order.json")).await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn wrong_postcode_and_malformed_body_events() {
    let f = functions().await;
    create_sample_order(&f).await;
    let wrong = invoke(
        &f.order_lookup,
        &event("order-lookup/lookup-wrong-postcode.json"),
    )
    .await;
    assert_eq!(wrong.status, 404);
    assert_eq!(
        wrong.body["type"],
        "https://encaisse.dev/problems/order-not-found"
    );
    let malformed = invoke(
        &f.order_lookup,
        &event("order-lookup/lookup-malformed.json"),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(
        malformed.body["type"],
        "https://encaisse.dev/problems/malformed-json"
    );
}

/// The relay's two schedules: the minute one (no task) publishes, the daily one resends
/// unconfirmed invoices; both sample payloads say so.
#[test]
fn the_relay_schedules_name_their_tasks() {
    use encaisse::app::publish_outbox::RelayTask;
    assert_eq!(
        RelayTask::from_input(&event("outbox-relay/schedule.json")),
        Ok(RelayTask::PublishPending)
    );
    assert_eq!(
        RelayTask::from_input(&event("outbox-relay/daily-invoice-sweep.json")),
        Ok(RelayTask::ResendUndeliveredInvoices)
    );
}

/// `ADMIN_ALLOWED_PRINCIPALS`: an IAM principal API Gateway authenticated but not on the list
/// gets 403 and nothing is written; one matching a pattern gets in.
#[tokio::test]
async fn only_the_allowed_iam_principals_use_the_back_office() {
    let refused = functions_with(AdminAuth::ApiGatewayIamAllowing(
        vec!["arn:aws:sts::123456789012:assumed-role/SellerBackOffice/*".to_string()].into(),
    ))
    .await;
    let answer = invoke(
        &refused.back_office,
        &event("back-office/create-order.json"),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(
        answer.body["type"],
        "https://encaisse.dev/problems/forbidden"
    );
    let reference = encaisse::domain::Reference::parse("ORD-10042").unwrap();
    assert!(refused.store.get_order(&reference).await.unwrap().is_none());

    // The sample event's caller is arn:aws:iam::123456789012:user/encaisse-backoffice.
    let allowed = functions_with(AdminAuth::ApiGatewayIamAllowing(
        vec!["arn:aws:iam::123456789012:user/encaisse-*".to_string()].into(),
    ))
    .await;
    let answer = invoke(
        &allowed.back_office,
        &event("back-office/create-order.json"),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

/// The shopper-account function as its main.rs wires it (the emails kept in memory to read
/// the code), on the same table as the others.
fn shopper_account(
    f: &Functions,
) -> (
    Router,
    Arc<encaisse::adapters::memory::notifications::MemoryMailer>,
) {
    use encaisse::app::shopper_account::ShopperAccount;
    use encaisse::app::start_payment::StartPayment;
    let tokens = AccessTokens::new(b"integration-test-secret-32-bytes!!");
    let providers = Arc::new(encaisse::ports::ProviderRegistry::single(Arc::new(
        encaisse::adapters::stripe::StripeConnector::new(
            encaisse::adapters::stripe::StripeConfig::new("sk_test_rules", vec![]),
        )
        .expect("connector"),
    )));
    let mailer = Arc::new(encaisse::adapters::memory::notifications::MemoryMailer::new());
    let payments = Arc::new(StartPayment::new(
        f.store.clone(),
        providers.clone(),
        tokens.clone(),
        Arc::new(SystemClock),
        encaisse::app::return_url::ReturnOrigins::none(),
    ));
    let account = ShopperAccount::new(
        f.store.clone(),
        mailer.clone(),
        Arc::new(SystemClock),
        tokens,
        payments,
        providers,
    );
    (
        with_fallbacks(encaisse::http::shopper_account_router(Arc::new(account))),
        mailer,
    )
}

#[tokio::test]
async fn a_shopper_signs_in_and_lists_their_orders_in_few_requests() {
    let f = functions().await;
    create_sample_order(&f).await;
    let (account, mailer) = shopper_account(&f);

    f.counter.reset();
    let asked = invoke(&account, &event("shopper-account/sign-in.json")).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    // The code and both limits in one TransactWriteItems; whether the email is a customer's:
    // the profile (GetItem), else one order under it (a Query on GSI1).
    let sign_in_request = f.counter.snapshot();
    assert_eq!(
        sign_in_request,
        [
            ("GetItem".to_string(), 1),
            ("Query".to_string(), 1),
            ("TransactWriteItems".to_string(), 1)
        ]
        .into_iter()
        .collect()
    );
    let sent = mailer.sent();
    let code = sent[0]
        .text
        .split("\n\n")
        .find(|p| p.len() == 6)
        .expect("code")
        .to_string();

    let mut open = event("shopper-account/open-session.json");
    open["body"] = serde_json::json!({"email": "buyer@example.fr", "code": code})
        .to_string()
        .into();
    f.counter.reset();
    let opened = invoke(&account, &open).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    // A try counted (UpdateItem) before comparing; the code used and the session opened in
    // one TransactWriteItems.
    assert_eq!(
        f.counter.snapshot(),
        [
            ("TransactWriteItems".to_string(), 1),
            ("UpdateItem".to_string(), 1)
        ]
        .into_iter()
        .collect()
    );

    let mut page = event("shopper-account/my-orders.json");
    page["headers"]["authorization"] =
        format!("Bearer {}", opened.body["session_token"].as_str().unwrap()).into();
    f.counter.reset();
    let orders = invoke(&account, &page).await;
    assert_eq!(orders.status, 200, "{}", orders.body);
    assert_eq!(orders.body["orders"][0]["reference"], "ORD-10042");
    // The session (GetItem) and one page of orders (a Query on GSI1); an order with an
    // unfinished payment adds the Query of its payments.
    assert_eq!(
        f.counter.snapshot(),
        [("GetItem".to_string(), 1), ("Query".to_string(), 1)]
            .into_iter()
            .collect()
    );
    eprintln!(
        "DynamoDB requests: sign-in request {}, code {}, my orders page 2",
        sign_in_request.values().sum::<u64>(),
        2
    );

    // The event as stored (placeholder token) is refused.
    let refused = invoke(&account, &event("shopper-account/my-orders.json")).await;
    assert_eq!(refused.status, 401);
}
