//! The simulation's PSP model (`SimPsp`) and its test mode: direct calls on the model for the
//! shopper and the PSP's clock, its events delivered with the simulation's signature.

use std::sync::Arc;

use async_trait::async_trait;
use encaisse::contract::psp::{About, IdKind, PageAnswer, PspTestMode, Subject, TestCard};
use encaisse::ports::{HostedPayment, NotificationRequest};

use crate::sim_psp::{signed, Card, CardProfile, OffSession, SimPsp};

pub struct SimMode {
    psp: Arc<SimPsp>,
}

/// A fresh model, as the connector and behind its test mode.
pub async fn subject() -> Subject {
    let psp = Arc::new(SimPsp::new());
    Subject::new(psp.clone(), Arc::new(SimMode { psp }))
}

#[async_trait]
impl PspTestMode for SimMode {
    /// The model knows cards that authorise (with multicapture or without), and cards that are
    /// declined; no 3-D Secure on its page.
    fn plays(&self, card: TestCard) -> bool {
        matches!(
            card,
            TestCard::Success | TestCard::Declined | TestCard::NoMulticapture
        )
    }

    async fn pay_hosted_page(&self, page: &HostedPayment, card: TestCard) -> PageAnswer {
        let authorised = |multicapture| {
            Card::Authorised(CardProfile {
                multicapture,
                off_session: OffSession::Accept,
            })
        };
        let sim_card = match card {
            TestCard::Success => authorised(true),
            TestCard::NoMulticapture => authorised(false),
            TestCard::Declined => Card::Declined,
            other => panic!("the model has no {other:?} card"),
        };
        match (self.psp.pay(&page.session_id, sim_card), card) {
            (false, _) => PageAnswer::Closed,
            (true, TestCard::Declined) => PageAnswer::Refused,
            (true, _) => PageAnswer::Accepted,
        }
    }

    async fn expire_uncaptured(&self, payment: &str) {
        assert!(
            self.psp.cancel_by_psp(payment),
            "{payment} holds no authorisation to lapse"
        );
    }

    async fn notification_for(&self, about: &About) -> NotificationRequest {
        let events = self.psp.events();
        let event = events
            .iter()
            .rev()
            .find(|e| match about {
                About::Payment(id) => e.payment.as_ref() == Some(id),
                About::Session(id) => e.session.as_ref() == Some(id),
                About::Refund { payment, .. } => {
                    e.kind == "charge.refunded" && e.payment.as_ref() == Some(payment)
                }
            })
            .unwrap_or_else(|| panic!("no model event about {about:?} in {events:?}"));
        signed(&event.payload())
    }

    /// The model's "signature" is a fixed header: only its absence or another value is a
    /// forgery it can see.
    fn tampered(&self, genuine: &NotificationRequest) -> Vec<(String, NotificationRequest)> {
        let mut unsigned = genuine.clone();
        unsigned
            .headers
            .retain(|(name, _)| name != "stripe-signature");
        let mut wrong = unsigned.clone();
        wrong
            .headers
            .push(("stripe-signature".into(), "t=1,v1=00".into()));
        vec![
            ("no signature header".into(), unsigned),
            ("another signature".into(), wrong),
        ]
    }

    fn unknown_id(&self, kind: IdKind) -> String {
        let prefix = match kind {
            IdKind::Payment => "pi_sim_",
            IdKind::Session => "cs_sim_",
            IdKind::Refund => "re_sim_",
            IdKind::Customer => "cus_sim_",
        };
        format!("{prefix}never_issued")
    }
}
