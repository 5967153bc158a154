//! back-office: `/v1/admin/orders…` (orders from quotes, shipments, refunds) behind IAM.
//! Wiring only.

use std::sync::Arc;

use encaisse::adapters::dynamodb::{client_from_config, DynamoStore};
use encaisse::adapters::secrets::{secrets_client, Secrets};
use encaisse::app::capture_on_shipment::CaptureOnShipment;
use encaisse::app::pay_token::{PayLinks, PayTokens};
use encaisse::app::refund::RefundPayment;
use encaisse::app::review::DecideReview;
use encaisse::config;
use encaisse::http::{
    admin_payments_router, admin_reviews_router, back_office_router, with_fallbacks, AdminPayments,
    AdminReviews, BackOffice,
};
use encaisse::ports::{Clock, Store, SystemClock};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let metrics = encaisse::adapters::lambda_telemetry::init()?;
    let table = config::table_name()?;
    let aws = encaisse::adapters::aws_config_from_env().await;
    // Its own secrets only, from Secrets Manager (see adapters/secrets.rs).
    let secrets = Secrets::load(
        &secrets_client(&aws),
        &["STRIPE_API_KEY", "MANGOPAY_API_KEY", "ACCESS_TOKEN_SECRET"],
    )
    .await?;
    let providers = Arc::new(encaisse::adapters::payment_providers_from(|n| {
        secrets.var(n)
    })?);
    let store = DynamoStore::new(client_from_config(&aws, None), table);
    if let Err(error) = store.warm_up().await {
        lambda_http::tracing::warn!(%error, "DynamoDB warm-up failed; first request pays for it");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Invoices and credit notes: listed from the table, downloaded from S3 by presigned link.
    let documents = encaisse::adapters::s3::order_documents_from_env(&aws, &store, clock.clone())?;
    let store: Arc<dyn Store> = Arc::new(store);
    let admin_auth = config::admin_auth();
    let office = BackOffice {
        store: store.clone(),
        clock: clock.clone(),
        auth: admin_auth.clone(),
        providers: providers.clone(),
        // The quote's "Pay now" link (`pay_url`): the pay page with the order's pay token.
        pay_links: Some(PayLinks {
            tokens: PayTokens::new(config::access_token_secret_from(|n| secrets.var(n))?),
            page: config::pay_page()?,
        }),
        documents: Some(documents),
    };
    let payments = AdminPayments {
        capture: Arc::new(CaptureOnShipment::new(
            store.clone(),
            providers.clone(),
            clock.clone(),
        )),
        refunds: Arc::new(RefundPayment::new(
            store.clone(),
            providers.clone(),
            clock.clone(),
        )),
    };
    // A customer's SEPA standing (cap, suspension), with the shop's cap rule.
    let sepa = Arc::new(encaisse::app::sepa_admin::SepaAdmin::new(
        store.clone(),
        clock.clone(),
        config::sepa_settings()?.unwrap_or_else(encaisse::app::start_sepa::SepaSettings::local),
    ));
    // Vouchers, credit balances and on account.
    let tenders = Arc::new(encaisse::app::tender_admin::TenderAdmin::new(
        store.clone(),
        clock.clone(),
    ));
    // Promo codes.
    let promos = Arc::new(encaisse::app::promo_admin::PromoAdmin::new(
        store.clone(),
        clock.clone(),
    ));
    // Bank transfers and cheques received for an order.
    let offline = Arc::new(encaisse::app::record_offline::OfflinePayments::new(
        store.clone(),
        providers.clone(),
        clock.clone(),
    ));
    let reviews = AdminReviews {
        reviews: Arc::new(DecideReview::new(store, providers, clock)),
    };
    let router = back_office_router(office)
        .merge(admin_payments_router(payments, admin_auth.clone()))
        .merge(admin_reviews_router(reviews, admin_auth.clone()))
        .merge(encaisse::http::admin_tenders_router(
            tenders,
            admin_auth.clone(),
        ))
        .merge(encaisse::http::admin_offline_router(
            offline,
            admin_auth.clone(),
        ))
        .merge(encaisse::http::admin_promos_router(
            promos,
            admin_auth.clone(),
        ))
        .merge(encaisse::http::admin_sepa_router(sepa, admin_auth));
    encaisse::adapters::lambda_telemetry::run_http(metrics, with_fallbacks(router)).await
}
