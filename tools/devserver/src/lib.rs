//! The devserver's app: every function's router on one axum server, the memory store or
//! DynamoDB (when `AWS_ENDPOINT_URL` is set), and three seeded demo quotes. The binary in
//! main.rs serves it; integration tests serve it too, on a random port.

mod demo;
pub mod direct_debit;
mod documents;
pub mod instalments;
pub mod notifications;
pub mod web;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use encaisse::adapters::dynamodb::notifications::DynamoNotificationStore;
use encaisse::adapters::dynamodb::{client_from_env, schema, DynamoStore, RequestCounter};
use encaisse::adapters::mangopay::{MangopayConfig, MangopayConnector};
use encaisse::adapters::memory::event_queue::MemoryEventQueue;
use encaisse::adapters::memory::notifications::{MemoryMailer, MemoryNotificationStore};
use encaisse::adapters::memory::MemoryStore;
use encaisse::adapters::stripe::{EmbeddedScript, StripeConfig, StripeConnector};
use encaisse::app::capture_on_shipment::CaptureOnShipment;
use encaisse::app::collect_instalments::CollectInstalments;
use encaisse::app::handle_webhook::HandleWebhook;
use encaisse::app::notify::{Notifier, PayPage};
use encaisse::app::pay_token::{PayLinks, PayTokens};
use encaisse::app::publish_outbox::OutboxRelay;
use encaisse::app::refund::RefundPayment;
use encaisse::app::return_url::ReturnOrigins;
use encaisse::app::review::DecideReview;
use encaisse::app::shopper_account::ShopperAccount;
use encaisse::app::start_payment::StartPayment;
use encaisse::app::{AccessTokens, OrderLookup};
use encaisse::http::{
    admin_payments_router, admin_reviews_router, back_office_router, order_lookup_router,
    payments_router, shopper_account_router, webhooks_router, with_fallbacks, AdminAuth,
    AdminPayments, AdminReviews, BackOffice, PaymentsApi,
};
use encaisse::ports::NotificationStore;
use encaisse::ports::{Clock, ProviderRegistry, Store, SystemClock};

pub use demo::{seed_demo_orders, DemoOrder};
/// The sandbox PSP, its own crate (`tools/sandbox-psp`); re-exported for the tests and tools.
pub use encaisse_sandbox_psp as sandbox_psp;
pub use encaisse_sandbox_psp::{SandboxConfig, SandboxPsp};

pub struct Options {
    pub admin_api_key: String,
    pub access_token_secret: Vec<u8>,
    /// DynamoDB table on the emulator; None for the memory store.
    pub dynamodb_table: Option<String>,
    /// The sandbox PSP mounted under `/sandbox-psp` (Stripe-compatible, see
    /// docs/stripe-subset.md).
    pub sandbox: SandboxConfig,
    /// Where shoppers may return after paying; the devserver allows http on 127.0.0.1 and
    /// localhost, any port, unless `ALLOWED_RETURN_ORIGINS` says otherwise.
    pub return_origins: ReturnOrigins,
    /// Counts the DynamoDB requests the app sends (scripts/bench).
    pub dynamodb_request_counter: Option<RequestCounter>,
    /// Runs the notifier and the outbox sweep in the background (off for request counting).
    pub run_notifier: bool,
    /// The seller's 3-D Secure policy (`THREE_D_SECURE_POLICY` for the binary).
    pub three_d_secure: encaisse::domain::three_d_secure::ThreeDSecurePolicy,
    /// Whether shoppers are offered to keep their card (`SAVE_CARD_POLICY` for the binary).
    pub card_saving: encaisse::domain::card_saving::CardSavingPolicy,
    /// The seller's fraud review rules (`FRAUD_REVIEW_RULES` for the binary).
    pub fraud_review: encaisse::domain::fraud_review::ReviewRules,
    /// The wallets the checkout offers (`PAYMENT_WALLETS` for the binary).
    pub wallets: Vec<encaisse::domain::Wallet>,
    /// The instalment plans offered (`INSTALMENT_PLANS` for the binary).
    pub instalments: Option<encaisse::domain::instalments::InstalmentPolicy>,
    /// SEPA direct debit (`SEPA_DEBIT`, `SEPA_CAP_RULE`, `SEPA_SCORES` for the binary).
    pub sepa: Option<encaisse::app::start_sepa::SepaSettings>,
    /// Bank transfer and cheque (none offered by default).
    pub offline: encaisse::domain::offline_instructions::OfflineInstructions,
    /// The web channel's payment modes (`WEB_PAYMENT_MODES` for the binary).
    pub modes: encaisse::domain::payment_modes::ChannelModes,
    /// The connector new card payments go to (`CARD_PROVIDER` for the binary): `stripe` (None)
    /// or `mangopay`. Both run on the sandbox PSP; the other one serves its own payments.
    pub card_provider: Option<String>,
    /// The connector new SEPA mandates go to (`SEPA_PROVIDER` for the binary): the card
    /// provider (None), or `stripe` or `mangopay`.
    pub sepa_provider: Option<String>,
}

/// The devserver's MangoPay client id on the sandbox (any API key is taken).
pub const MANGOPAY_CLIENT_ID: &str = "encaisse-devserver";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Store(#[from] encaisse::ports::StoreError),
    #[error(transparent)]
    Config(#[from] encaisse::config::ConfigError),
}

pub struct DevApp {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub store_name: String,
    pub sandbox: SandboxPsp,
    /// The connector new card payments go to.
    pub card_provider: String,
    /// The connector new SEPA mandates go to.
    pub sepa_provider: String,
}

/// The demo shop's bank details and cheque address (a well-known test IBAN, not a real
/// account).
pub fn demo_offline_instructions() -> encaisse::domain::offline_instructions::OfflineInstructions {
    use encaisse::domain::offline_instructions::{bank_details, cheque_details};
    encaisse::domain::offline_instructions::OfflineInstructions {
        bank_transfer: bank_details(
            "Atelier Lumen SAS",
            "FR7630006000011234567890189",
            "AGRIFRPPXXX",
        )
        .ok(),
        cheque: cheque_details(
            "Atelier Lumen SAS",
            "Service clients|12 rue Paul Bert|69003 Lyon",
        )
        .ok(),
    }
}

/// `BANK_TRANSFER_*` / `CHEQUE_*` when set (`off` for none), else the demo's.
pub fn offline_instructions_or_demo() -> Result<
    encaisse::domain::offline_instructions::OfflineInstructions,
    encaisse::config::ConfigError,
> {
    let demo = demo_offline_instructions();
    let read = encaisse::config::offline_instructions_from(|name| {
        std::env::var(name).ok().filter(|v| v != "off")
    })?;
    let set = |name: &str| std::env::var(name).is_ok();
    Ok(
        encaisse::domain::offline_instructions::OfflineInstructions {
            bank_transfer: if set("BANK_TRANSFER_IBAN") {
                read.bank_transfer
            } else {
                demo.bank_transfer
            },
            cheque: if set("CHEQUE_PAYEE") {
                read.cheque
            } else {
                demo.cheque
            },
        },
    )
}

pub async fn build(options: Options) -> Result<DevApp, BuildError> {
    type Stores = (Arc<dyn Store>, Arc<dyn NotificationStore>, String);
    let (store, notification_store, store_name): Stores = match options.dynamodb_table {
        Some(table) => {
            let client = client_from_env(options.dynamodb_request_counter).await;
            schema::ensure_table(&client, &table).await?;
            let name = format!(
                "DynamoDB table {table} at {}",
                std::env::var("AWS_ENDPOINT_URL").unwrap_or_default()
            );
            let notifications = DynamoNotificationStore::new(client.clone(), &table);
            (
                Arc::new(DynamoStore::new(client, table)),
                Arc::new(notifications),
                name,
            )
        }
        None => (
            Arc::new(MemoryStore::new()),
            Arc::new(MemoryNotificationStore::new()),
            "memory store".into(),
        ),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sold_voucher_key = encaisse::config::sold_voucher_key(&options.access_token_secret);
    let tokens = AccessTokens::new(options.access_token_secret);
    // The shopper pages this server hosts (`PAY_PAGE_URL` in the notifier and back-office
    // Lambdas).
    let pay_page = PayPage::parse(&format!(
        "{}/pay",
        options.sandbox.public_base_url.trim_end_matches('/')
    ))
    .map_err(|e| encaisse::config::ConfigError::Invalid("sandbox.public_base_url", e))?;
    let pay_links = PayLinks {
        tokens: PayTokens::with_key_of(&tokens),
        page: pay_page.clone(),
    };
    // The production connector, pointed at the sandbox PSP this server hosts.
    let mut stripe = StripeConfig::new(
        "sk_test_encaisse_devserver",
        vec![options.sandbox.webhook_secret.clone()],
    );
    stripe.api_base = format!(
        "{}/sandbox-psp",
        options.sandbox.public_base_url.trim_end_matches('/')
    );
    // The sandbox's stand-in for Stripe.js's security-code step (saved cards at checkout).
    stripe.confirm_page = Some(format!("{}/confirm", stripe.api_base));
    // And for Stripe.js's embedded Checkout (the card form inside the checkout page).
    stripe.embedded = Some(EmbeddedScript::sandbox(&stripe.api_base));
    // MangoPay's connector too, on the sandbox's MangoPay dialect, with the seller's wallet.
    let public_base = options
        .sandbox
        .public_base_url
        .trim_end_matches('/')
        .to_owned();
    let sandbox = SandboxPsp::with_mangopay_hooks(
        options.sandbox.clone(),
        options
            .sandbox
            .webhook_url
            .as_ref()
            .map(|_| format!("{public_base}/v1/webhooks/mangopay")),
    );
    let mut mangopay = MangopayConfig::new(
        MANGOPAY_CLIENT_ID,
        "sandbox-api-key",
        &sandbox
            .mangopay()
            .seed_seller("Boutique Encaisse (sandbox)", "EUR"),
    );
    mangopay.api_base = format!("{public_base}/sandbox-psp/mangopay");
    let card_provider = options
        .card_provider
        .clone()
        .unwrap_or_else(|| "stripe".into());
    let mut registry = ProviderRegistry::single(Arc::new(StripeConnector::new(stripe)?))
        .with(Arc::new(MangopayConnector::new(mangopay)?))
        .with_cards_on(&card_provider)
        .map_err(|e| encaisse::config::ConfigError::Invalid("CARD_PROVIDER", e.to_string()))?;
    if let Some(sepa) = &options.sepa_provider {
        registry = registry
            .with_mandates_on(sepa)
            .map_err(|e| encaisse::config::ConfigError::Invalid("SEPA_PROVIDER", e.to_string()))?;
    }
    let providers = Arc::new(registry);
    let sepa_provider = providers.for_mandates().name().to_owned();
    // What the card provider cannot do is not offered: its wallets only, instalments and saved
    // cards at checkout only where it charges saved cards (MangoPay: none of them).
    let caps = providers.for_cards().capabilities().clone();
    let mut wallets = options.wallets.clone();
    wallets.retain(|w| caps.wallet(*w).is_some());
    let instalments = options.instalments.clone().filter(|_| caps.saved_cards);
    let card_saving = match caps.saved_cards {
        true => options.card_saving,
        false => encaisse::domain::card_saving::CardSavingPolicy::NotOffered,
    };
    let lookup = OrderLookup::new(store.clone(), tokens.clone(), clock.clone())
        .with_card_saving(card_saving)
        // The sandbox serves the security-code page (see the connector below).
        .with_saved_card_checkout(caps.saved_card_checkout)
        .with_wallets(wallets.clone())
        .with_instalments(instalments.clone())
        .with_offline(options.offline.clone())
        .with_modes(options.modes.clone());
    let payments = PaymentsApi {
        card_forms: Arc::new(
            encaisse::app::submit_card_form::SubmitCardForm::new(
                store.clone(),
                providers.clone(),
                clock.clone(),
            )
            .with_three_d_secure(options.three_d_secure)
            .with_review_rules(options.fraud_review),
        ),
        start: Arc::new(
            StartPayment::new(
                store.clone(),
                providers.clone(),
                tokens.clone(),
                clock.clone(),
                options.return_origins,
            )
            .with_three_d_secure(options.three_d_secure)
            .with_card_saving(card_saving)
            .with_wallets(wallets.clone())
            .with_instalments(instalments.clone())
            .with_sepa(options.sepa.clone())
            .with_offline(options.offline.clone())
            .with_modes(options.modes.clone()),
        ),
        store: store.clone(),
    };
    let debit_jobs =
        Arc::new(encaisse::adapters::memory::debit_jobs::MemoryDebitJobQueue::default());
    let month_close = options
        .sepa
        .clone()
        .map(|settings| direct_debit::MonthClose {
            run: Arc::new(
                encaisse::app::direct_debit::MonthlyDirectDebit::new(
                    store.clone(),
                    providers.clone(),
                    clock.clone(),
                    debit_jobs.clone(),
                    settings,
                )
                .with_creditor_id(Some("FR00ZZZ000000".into())),
            ),
            queue: debit_jobs,
        });
    let collection = Arc::new(CollectInstalments::new(
        store.clone(),
        providers.clone(),
        clock.clone(),
    ));
    let admin_payments = AdminPayments {
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
    let (queue, queued_events) = MemoryEventQueue::new();
    let relay = OutboxRelay::new(store.clone(), Arc::new(queue));
    let mailer = Arc::new(MemoryMailer::new());
    // Invoice and credit-note PDFs, linked through this server's /dev/documents.
    let document_files = Arc::new(
        encaisse::adapters::memory::documents::MemoryDocumentFiles::new(
            options.sandbox.public_base_url.clone(),
        ),
    );
    let order_documents = encaisse::app::order_documents::OrderDocuments::new(
        notification_store.clone(),
        document_files.clone(),
        clock.clone(),
    );
    let lookup = lookup.with_documents(order_documents.clone());
    // The seller's brand, as a deployment sets it (BRAND_NAME, BRAND_LOGO_URL, BRAND_COLOUR):
    // above every email, and in the pages' config.js (web.rs). Unset: unbranded, as before.
    let branding = encaisse::config::branding()?;
    let sender: Arc<dyn encaisse::ports::Mailer> = Arc::new(
        encaisse::adapters::branded_mailer::BrandedMailer::new(mailer.clone(), branding.clone()),
    );
    let notifier = Arc::new(
        Notifier::new(
            store.clone(),
            notification_store.clone(),
            sender.clone(),
            clock.clone(),
            notifications::demo_seller(),
            pay_page.clone(),
        )
        .with_seller_inbox(Some(notifications::demo_seller_inbox()))
        .with_documents(document_files.clone())
        .with_sold_voucher_key(sold_voucher_key),
    );
    if options.run_notifier {
        notifications::spawn(relay.clone(), notifier, queued_events);
    } else {
        // Accept and drop: publishing still succeeds, so its cost is what AWS would see.
        tokio::spawn(async move {
            let mut events = queued_events;
            while events.recv().await.is_some() {}
        });
    }
    let account = Arc::new(ShopperAccount::new(
        store.clone(),
        sender,
        clock.clone(),
        tokens,
        payments.start.clone(),
        providers.clone(),
    ));
    let webhooks = Arc::new(
        HandleWebhook::new(store.clone(), providers.clone(), clock.clone())
            .with_relay(relay)
            .with_review_rules(options.fraud_review),
    );
    let admin_auth = AdminAuth::ApiKey(options.admin_api_key.into());
    let reviews = AdminReviews {
        reviews: Arc::new(DecideReview::new(
            store.clone(),
            providers.clone(),
            clock.clone(),
        )),
    };
    let office = BackOffice {
        store: store.clone(),
        clock: clock.clone(),
        auth: admin_auth.clone(),
        providers: providers.clone(),
        pay_links: Some(pay_links),
        documents: Some(order_documents.clone()),
    };
    let router = with_fallbacks(
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .merge(order_lookup_router(lookup))
            .merge(back_office_router(office))
            .merge(admin_payments_router(admin_payments, admin_auth.clone()))
            .merge(admin_reviews_router(reviews, admin_auth.clone()))
            .merge(encaisse::http::admin_tenders_router(
                Arc::new(encaisse::app::tender_admin::TenderAdmin::new(
                    store.clone(),
                    clock.clone(),
                )),
                admin_auth.clone(),
            ))
            .merge(encaisse::http::admin_promos_router(
                Arc::new(encaisse::app::promo_admin::PromoAdmin::new(
                    store.clone(),
                    clock.clone(),
                )),
                admin_auth.clone(),
            ))
            .merge(encaisse::http::admin_offline_router(
                Arc::new(encaisse::app::record_offline::OfflinePayments::new(
                    store.clone(),
                    providers.clone(),
                    clock.clone(),
                )),
                admin_auth.clone(),
            ))
            .merge(
                options
                    .sepa
                    .clone()
                    .map(|settings| {
                        encaisse::http::admin_sepa_router(
                            Arc::new(encaisse::app::sepa_admin::SepaAdmin::new(
                                store.clone(),
                                clock.clone(),
                                settings,
                            )),
                            admin_auth,
                        )
                    })
                    .unwrap_or_default(),
            )
            .merge(payments_router(payments))
            .merge(shopper_account_router(account))
            .merge(webhooks_router(webhooks))
            .merge(notifications::outbox_router(mailer))
            .merge(documents::router(document_files))
            .merge(instalments::router(collection))
            .merge(month_close.map(direct_debit::router).unwrap_or_default())
            .nest(sandbox_psp::MOUNT, sandbox.router())
            .merge(web::router(&web::default_dir(), branding.as_ref())),
    );
    Ok(DevApp {
        router,
        store,
        store_name,
        sandbox,
        card_provider,
        sepa_provider,
    })
}
