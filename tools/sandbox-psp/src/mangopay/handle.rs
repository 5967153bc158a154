//! The MangoPay dialect's handle: its objects, the public base URL and the shared faults.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::state::{Hook, State};
use super::{debits, hooks};
use crate::clock::SharedClock;
use crate::faults::{self, FaultState, Faults, SharedFaults};

struct Shared {
    base: String,
    state: Mutex<State>,
    faults: SharedFaults,
    tokens_issued: AtomicU64,
}

#[derive(Clone)]
pub struct MangopaySandbox(Arc<Shared>);

/// How often direct debits are looked at, as Stripe's dialect does: immediate ones settle
/// about 2 s after creation without anyone touching the clock (the devserver's case).
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// Settles due direct debits until the sandbox is dropped (a weak handle does not keep it).
fn spawn_ticker(shared: Weak<Shared>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            debits::settle_due(&mut st);
        }
    });
}

impl MangopaySandbox {
    /// Starts the hook delivery and debit settling tasks, so it must run inside a tokio runtime.
    pub fn new(
        public_base_url: &str,
        hook_url: Option<String>,
        faults: SharedFaults,
        clock: SharedClock,
    ) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        hooks::spawn_worker(hook_url, faults.clone(), rx);
        let shared = Arc::new(Shared {
            base: public_base_url.trim_end_matches('/').to_owned(),
            state: Mutex::new(State::new(tx, clock)),
            faults,
            tokens_issued: AtomicU64::new(0),
        });
        spawn_ticker(Arc::downgrade(&shared));
        Self(shared)
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn faults_lock(&self) -> MutexGuard<'_, FaultState> {
        faults::lock(&self.0.faults)
    }

    pub fn faults(&self) -> Faults {
        faults::current(&self.0.faults)
    }

    pub fn base(&self) -> &str {
        &self.0.base
    }

    pub fn count_token(&self) {
        self.0.tokens_issued.fetch_add(1, Ordering::Relaxed);
    }

    /// Access tokens issued so far (a connector caching its token asks once an hour).
    pub fn tokens_issued(&self) -> u64 {
        self.0.tokens_issued.load(Ordering::Relaxed)
    }

    /// The seller as a shop's setup makes it: a legal user and its wallet in `currency`, whose
    /// id is answered (pay-ins credit it). For a server that starts with its sandbox.
    pub fn seed_seller(&self, name: &str, currency: &str) -> String {
        let (user, wallet) = (super::state::new_id("user"), super::state::new_id("wlt"));
        let now = crate::ids::now();
        let mut st = self.lock();
        st.users.insert(
            user.clone(),
            serde_json::json!({"Id": user, "Tag": null, "CreationDate": now, "PersonType": "LEGAL",
                "UserCategory": "OWNER", "KYCLevel": "LIGHT", "TermsAndConditionsAccepted": true,
                "UserStatus": "ACTIVE", "Name": name, "LegalPersonType": "BUSINESS",
                "Email": "seller@example.fr"}),
        );
        st.wallets.insert(
            wallet.clone(),
            serde_json::json!({"Id": wallet, "Tag": null, "CreationDate": now, "Owners": [user],
                "Description": "Sales", "Balance": {"Currency": currency, "Amount": 0},
                "Currency": currency, "FundsType": "DEFAULT"}),
        );
        wallet
    }

    /// Every hook so far, oldest first.
    pub fn hooks(&self) -> Vec<Hook> {
        self.lock().hooks.clone()
    }
}
