//! The MangoPay dialect's handle: its objects, the public base URL and the shared faults.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::hooks;
use super::state::{Hook, State};
use crate::faults::{self, FaultState, Faults, SharedFaults};

struct Shared {
    base: String,
    state: Mutex<State>,
    faults: SharedFaults,
    tokens_issued: AtomicU64,
}

#[derive(Clone)]
pub struct MangopaySandbox(Arc<Shared>);

impl MangopaySandbox {
    /// Starts the hook delivery task, so it must run inside a tokio runtime.
    pub fn new(public_base_url: &str, hook_url: Option<String>, faults: SharedFaults) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        hooks::spawn_worker(hook_url, faults.clone(), rx);
        Self(Arc::new(Shared {
            base: public_base_url.trim_end_matches('/').to_owned(),
            state: Mutex::new(State::new(tx)),
            faults,
            tokens_issued: AtomicU64::new(0),
        }))
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
