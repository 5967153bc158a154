//! The PaymentProvider contract: what every connector must do, checked through the neutral port
//! types only, so a new connector (MangoPay) has a bar to pass. Run against the Stripe connector
//! on the sandbox PSP and against the simulation's PSP model in the integration package
//! (`tests/tests/suite/psp_contract_*.rs`); `psp_contract_tests!` expands to one test per contract.
//!
//! A contract takes a [`Subject`]: the connector under test and a [`PspTestMode`], which plays
//! what the port cannot: the shopper on the hosted page, the PSP's clock, the PSP's own
//! notifications. A contract that does not apply (a capability the connector does not declare,
//! a test card its test mode cannot play) answers [`NotApplicable`] with the reason; each run
//! lists the contracts it expects not to apply, and those it expects to fail (known gaps), so
//! nothing passes silently.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use crate::domain::{Currency, Money, Reference};
use crate::ports::{
    AfterCapture, Capabilities, CardForm, HostedPayment, HostedPaymentRequest, HostedPaymentState,
    NotificationRequest, PaymentProvider, ProviderPayment, ProviderPaymentStatus,
};

mod captures;
mod card_forms;
mod mandates;
mod notifications;
mod pages;
mod refunds;
mod saved_cards;

pub use captures::*;
pub use card_forms::*;
pub use mandates::*;
pub use notifications::*;
pub use pages::*;
pub use refunds::*;
pub use saved_cards::*;

/// A card the shopper can use, by what it does (each test mode maps them to its PSP's test
/// cards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCard {
    /// Authorised without a challenge; multicapture where the PSP has it.
    Success,
    /// Refused by the issuer.
    Declined,
    /// Asks for 3-D Secure on every payment (the shopper passes it on the hosted page);
    /// saved, it cannot be charged off-session.
    ThreeDs,
    /// Authorised, but its authorisation can be captured only once.
    NoMulticapture,
}

/// What the hosted page did with the card the shopper entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAnswer {
    /// Taken (after 3-D Secure if the card asked for it): the shopper is sent back to us.
    Accepted,
    /// Refused: the page asks for another card.
    Refused,
    /// The page no longer takes cards (expired or already paid).
    Closed,
}

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    Payment(String),
    Session(String),
    /// A refund of `payment`.
    Refund {
        refund: String,
        payment: String,
    },
}

/// The kinds of ids a contract asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Payment,
    Session,
    Refund,
    Customer,
}

/// What the suite needs from a PSP's test mode to play the shopper and the PSP itself.
#[async_trait]
pub trait PspTestMode: Send + Sync {
    /// Whether this test mode can play `card`; contracts needing one it cannot are not
    /// applicable.
    fn plays(&self, card: TestCard) -> bool;

    /// The shopper enters `card` on the hosted page (and passes 3-D Secure when asked).
    async fn pay_hosted_page(&self, page: &HostedPayment, card: TestCard) -> PageAnswer;

    /// A payment method for `card` saved on `customer`, where the PSP saves cards some other
    /// way than a hosted page with `save_card`. None (the default): the suite saves one
    /// through the hosted page.
    async fn saved_card_for(&self, _customer: &str, _card: TestCard) -> Option<String> {
        None
    }

    /// The shopper's browser posts `card` to the PSP's tokenisation server (our card form,
    /// `Capabilities::card_form`) and gets its answer, untouched.
    async fn tokenise_card(&self, _form: &CardForm, _card: TestCard) -> String {
        panic!("this test mode plays no card form")
    }

    /// The shopper passes 3-D Secure on the PSP's page at `url` (our card form); where the
    /// page sends them back.
    async fn pass_three_ds(&self, _url: &str) -> String {
        panic!("this test mode plays no card form")
    }

    /// The customer accepts the mandate on the PSP's page: types `iban` there (Stripe) or
    /// confirms the mandate on the account already given (MangoPay).
    async fn accept_mandate(&self, _page: &crate::ports::MandateSetupPage, _iban: &str) {
        panic!("this test mode plays no mandate page")
    }

    /// The PSP's clock: the authorisation of `payment` is left uncaptured for as long as the
    /// PSP keeps it (`Capabilities::cancels_uncaptured_after`).
    async fn expire_uncaptured(&self, payment: &str);

    /// The PSP's latest notification about `about`, as our webhook route receives it: signed
    /// and shaped as the PSP does, so the connector must accept it.
    async fn notification_for(&self, about: &About) -> NotificationRequest;

    /// Forgeries of `genuine` the connector must reject, each with what was done to it.
    fn tampered(&self, genuine: &NotificationRequest) -> Vec<(String, NotificationRequest)>;

    /// An id of `kind` in the PSP's format that the PSP never issued.
    fn unknown_id(&self, kind: IdKind) -> String;
}

/// Why a contract does not apply to this connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicable(pub String);

/// What a contract answers: Ok when it held (a failure panics).
pub type Verdict = Result<(), NotApplicable>;

/// The connector under test and its test mode; cheap to clone.
#[derive(Clone)]
pub struct Subject {
    pub provider: Arc<dyn PaymentProvider>,
    pub mode: Arc<dyn PspTestMode>,
    /// Makes keys and our ids unique per run, so a PSP shared between runs never replays one.
    nonce: String,
    counter: Arc<AtomicU64>,
}

pub const CURRENCY: Currency = Currency::EUR;

/// `"12.50"` in the suite's currency.
pub fn money(amount: &str) -> Money {
    let amount: Decimal = amount.parse().expect("an amount");
    Money::new(amount, CURRENCY).expect("valid money")
}

impl Subject {
    pub fn new(provider: Arc<dyn PaymentProvider>, mode: Arc<dyn PspTestMode>) -> Self {
        Self {
            provider,
            mode,
            nonce: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn capabilities(&self) -> &Capabilities {
        self.provider.capabilities()
    }

    /// Not applicable unless `holds`.
    pub fn require(&self, holds: bool, why: &str) -> Verdict {
        match holds {
            true => Ok(()),
            false => Err(NotApplicable(why.to_owned())),
        }
    }

    /// Not applicable unless the test mode can play `card`.
    pub fn card(&self, card: TestCard) -> Result<TestCard, NotApplicable> {
        self.require(
            self.mode.plays(card),
            &format!("its test mode cannot play the {card:?} card"),
        )?;
        Ok(card)
    }

    /// A fresh unique token (`<nonce>-<n>`), for idempotency keys and our ids.
    pub fn unique(&self, what: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{what}-{}-{n}", self.nonce)
    }

    pub async fn customer(&self) -> String {
        let email = format!("{}@example.fr", self.unique("shopper"));
        self.provider
            .create_customer(&email, "Jeanne Martin", &self.unique("customer"))
            .await
            .expect("customer created")
    }

    /// A hosted page request for `amount` (manual capture, one hour to pay).
    pub fn page_request(&self, amount: &str) -> HostedPaymentRequest {
        let payment_id = format!("pay_{}", self.unique("p").replace('-', "_"));
        HostedPaymentRequest {
            order_reference: Reference::parse("ORD-10042").expect("reference"),
            description: "Order ORD-10042".into(),
            amount: money(amount),
            customer: None,
            customer_email: "jeanne.martin@example.fr".into(),
            success_url: format!("https://shop.example/return?payment={payment_id}&outcome=ok"),
            cancel_url: format!("https://shop.example/return?payment={payment_id}&outcome=no"),
            payment_id,
            save_card: false,
            expires_at: OffsetDateTime::now_utc() + Duration::hours(1),
            three_d_secure: Default::default(),
            embedded: false,
            wallet: None,
            capture_at_once: false,
            idempotency_key: self.unique("page"),
        }
    }

    pub async fn open(&self, request: &HostedPaymentRequest) -> HostedPayment {
        self.provider
            .open_hosted_payment(request)
            .await
            .expect("hosted page opened")
    }

    /// Opens a page for `request` (our card form where the PSP has no page), pays it with
    /// `card` and answers the payment it authorised.
    pub async fn pay(&self, request: &HostedPaymentRequest, card: TestCard) -> ProviderPayment {
        if !self.capabilities().hosted_page && self.capabilities().card_form {
            let payment = card_forms::pay_by_card_form(self, request, card).await;
            assert_eq!(
                payment.status,
                ProviderPaymentStatus::RequiresCapture,
                "{payment:?}"
            );
            return payment;
        }
        let page = self.open(request).await;
        let answer = self.mode.pay_hosted_page(&page, card).await;
        assert_eq!(
            answer,
            PageAnswer::Accepted,
            "the {card:?} card on the page"
        );
        let status = self
            .provider
            .hosted_payment_status(&page.session_id)
            .await
            .expect("page status");
        assert_eq!(status.state, HostedPaymentState::Complete, "{status:?}");
        let id = status.payment.expect("a paid page names its payment");
        let payment = self.provider.fetch_payment(&id).await.expect("payment");
        assert_eq!(
            payment.status,
            ProviderPaymentStatus::RequiresCapture,
            "{payment:?}"
        );
        payment
    }

    /// An authorisation of `amount` with `card` through the hosted page.
    pub async fn authorised(&self, amount: &str, card: TestCard) -> ProviderPayment {
        self.pay(&self.page_request(amount), card).await
    }

    /// An authorisation of `amount`, captured in full.
    pub async fn captured(&self, amount: &str) -> ProviderPayment {
        let payment = self.authorised(amount, TestCard::Success).await;
        let captured = self
            .provider
            .capture(
                &payment.id,
                None,
                AfterCapture::FINAL,
                &self.unique("capture"),
            )
            .await
            .expect("captured");
        assert_eq!(captured.status, ProviderPaymentStatus::Succeeded);
        assert_eq!(captured.amount_received, money(amount));
        captured
    }

    pub async fn fetch(&self, id: &str) -> ProviderPayment {
        self.provider.fetch_payment(id).await.expect("payment")
    }
}

/// The money fields of a payment, for comparing states.
pub fn amounts(p: &ProviderPayment) -> [Money; 4] {
    [
        p.amount,
        p.amount_capturable,
        p.amount_received,
        p.amount_refunded,
    ]
}

/// Decides one generated test: `verdict` is the contract's answer (Err: it panicked).
/// `not_applicable` and `known_gaps` are the run's lists, as `stringify!` wrote them.
pub fn judge(
    contract: &str,
    not_applicable: &str,
    known_gaps: &str,
    verdict: Result<Verdict, tokio::task::JoinError>,
) {
    let listed = |list: &str| list.split(',').any(|name| name.trim() == contract);
    let (expect_skip, expect_gap) = (listed(not_applicable), listed(known_gaps));
    match verdict {
        Ok(Ok(())) if expect_gap => {
            panic!("{contract} holds now: take it off this run's known_gaps")
        }
        Ok(Ok(())) if expect_skip => {
            panic!("{contract} applies after all: take it off this run's not_applicable")
        }
        Ok(Ok(())) => {}
        Ok(Err(NotApplicable(why))) if expect_skip => {
            eprintln!("{contract}: not applicable ({why})");
        }
        Ok(Err(NotApplicable(why))) => panic!(
            "{contract} is not applicable ({why}) but this run does not list it in not_applicable"
        ),
        Err(failed) if expect_gap && failed.is_panic() => {
            eprintln!("{contract}: fails, a known gap of this connector");
        }
        Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        Err(other) => panic!("{contract} did not finish: {other}"),
    }
}

/// Every name in `lists` must be a contract of `all` (a typo would hide a failure).
pub fn check_lists(all: &str, lists: &[&str]) {
    let contracts: Vec<&str> = all.split(',').map(str::trim).collect();
    for name in lists
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        assert!(contracts.contains(&name), "{name} is not a PSP contract");
    }
}

/// One test per contract. `$subject` is an async expression yielding a fresh [`Subject`];
/// `not_applicable` lists the contracts expected to answer [`NotApplicable`], `known_gaps`
/// those expected to fail; both are checked, so a list that goes stale fails the run.
#[macro_export]
macro_rules! psp_contract_tests {
    ($subject:expr,
     not_applicable: [$($skip:ident),* $(,)?],
     known_gaps: [$($gap:ident),* $(,)?] $(,)?) => {
        $crate::psp_contract_tests!(@each $subject; ($($skip),*); ($($gap),*);
            capabilities_are_consistent,
            customers_are_idempotent_per_key,
            hosted_page_opens_then_authorises,
            hosted_page_replays_its_key,
            expiring_an_open_page_closes_it,
            expiring_a_paid_page_answers_complete,
            declined_card_fails_with_a_code,
            page_takes_another_card_after_a_decline,
            three_ds_card_authorises_after_the_challenge,
            card_form_authorises_with_our_ids,
            card_form_refused_card_needs_a_new_form,
            card_form_three_ds_after_the_challenge,
            card_form_replays_its_key,
            card_form_keeps_a_card_only_when_asked,
            partial_capture_keeps_the_rest_with_multicapture,
            partial_capture_without_multicapture_is_final,
            release_reason_travels_with_the_final_capture,
            capture_over_the_capturable_amount_is_refused,
            capture_replays_its_key,
            capture_retried_after_later_captures_is_replayed,
            cancel_releases_the_authorisation,
            cancel_of_a_captured_payment_is_refused,
            uncaptured_authorisation_lapses_at_the_psp,
            refunds_partial_then_full,
            refund_replays_its_key,
            saved_card_is_listed_only_when_asked,
            saved_card_charges_off_session,
            three_ds_card_off_session_needs_the_shopper,
            notifications_name_what_they_are_about,
            mandate_is_accepted_then_debited,
            debit_without_funds_fails_with_a_code,
            revoked_mandate_takes_no_debit,
            bank_details_are_required_where_the_psp_asks_for_them,
            tampered_notifications_are_rejected,
            unknown_ids_are_not_found);
    };
    (@each $subject:expr; $skips:tt; $gaps:tt; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let subject: $crate::contract::psp::Subject = $subject.await;
                let verdict = ::tokio::spawn($crate::contract::psp::$check(subject)).await;
                $crate::contract::psp::judge(
                    stringify!($check), stringify!$skips, stringify!$gaps, verdict);
            }
        )*

        #[test]
        fn psp_contract_lists_name_contracts() {
            $crate::contract::psp::check_lists(
                stringify!($($check),*), &[stringify!$skips, stringify!$gaps]);
        }
    };
}
