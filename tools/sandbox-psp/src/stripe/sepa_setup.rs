//! A SEPA Direct Debit mandate collected by a setup-mode Checkout Session: the IBAN typed on
//! the hosted page becomes a `sepa_debit` PaymentMethod attached to the customer and an
//! active multi-use Mandate; the SetupIntent succeeds and the session completes. Detaching
//! the PaymentMethod makes its mandate inactive.

use serde_json::json;

use super::iban::BankAccount;
use super::sepa_objects::{method_details, Acceptance, Mandate, SetupIntent};
use super::state::{to_json, Metadata, PaymentMethod, ReqCtx, State};
use crate::ids::new_id;

/// Creates the SetupIntent of a new setup-mode session.
pub fn new_setup_intent(
    st: &mut State,
    customer: Option<String>,
    metadata: Metadata,
    cs_id: &str,
) -> String {
    let mut seti = SetupIntent::sepa(new_id("seti_"), customer, metadata, st.now());
    seti.checkout_session = Some(cs_id.to_owned());
    let id = seti.id.clone();
    st.setup_intents.insert(id.clone(), seti);
    id
}

/// The account holder, as typed on the hosted page.
pub struct Holder {
    pub name: String,
    pub email: String,
}

/// A unique mandate reference: upper-case letters and digits, 16 of them (Stripe's look).
fn mandate_reference() -> String {
    new_id("")[..16].to_ascii_uppercase()
}

/// The hosted page's form was valid: PaymentMethod, Mandate, SetupIntent succeeded, session
/// complete, and their events. None when the session no longer takes a mandate.
pub fn complete(
    st: &mut State,
    base: &str,
    cs_id: &str,
    account: &BankAccount,
    holder: &Holder,
    acceptance: Acceptance,
) -> Option<()> {
    let cs = st.sessions.get(cs_id).filter(|cs| cs.status == "open")?;
    let seti_id = cs.setup_intent.clone()?;
    let customer = cs.customer.clone();
    let req = ReqCtx::default();
    let pm = PaymentMethod {
        id: new_id("pm_"),
        object: "payment_method",
        kind: "sepa_debit",
        customer: customer.clone(),
        card: None,
        details: [("sepa_debit".to_owned(), method_details(account))]
            .into_iter()
            .collect(),
        billing_details: json!({
            "address": null, "email": holder.email, "name": holder.name, "phone": null,
        }),
        metadata: Metadata::new(),
        created: st.now(),
        livemode: false,
        behaviour: super::cards::Behaviour::Authorise,
        sepa: Some(account.scenario),
    };
    let pm_id = pm.id.clone();
    let pm_json = to_json(&pm);
    st.payment_methods.push(pm);
    st.emit("payment_method.attached", pm_json, &req);

    let mandate_id = new_id("mandate_");
    let url = format!("{base}/sandbox-psp/mandates/{mandate_id}");
    let mandate = Mandate::online(
        mandate_id.clone(),
        &pm_id,
        acceptance,
        mandate_reference(),
        url,
    );
    let mandate_json = to_json(&mandate);
    st.mandates.insert(mandate_id.clone(), mandate);
    st.emit("mandate.updated", mandate_json, &req);

    let seti = st.setup_intents.get_mut(&seti_id)?;
    seti.status = "succeeded";
    seti.payment_method = Some(pm_id);
    seti.mandate = Some(mandate_id);
    let seti_json = to_json(&*seti);
    st.emit("setup_intent.succeeded", seti_json, &req);

    let cs = st.sessions.get_mut(cs_id)?;
    cs.status = "complete";
    cs.url = None;
    cs.customer_details = Some(json!({
        "address": null,
        "email": holder.email,
        "name": holder.name,
        "phone": null,
        "tax_exempt": "none",
        "tax_ids": [],
    }));
    let cs_json = st.session_json(cs_id);
    st.emit("checkout.session.completed", cs_json, &req);
    Some(())
}

/// An expired setup-mode session's SetupIntent is cancelled, as Stripe does.
pub fn cancel_setup_intent(st: &mut State, seti_id: &str, req: &ReqCtx) {
    let Some(seti) = st
        .setup_intents
        .get_mut(seti_id)
        .filter(|s| s.status == "requires_payment_method")
    else {
        return;
    };
    seti.status = "canceled";
    seti.cancellation_reason = Some("abandoned");
    let json = to_json(&*seti);
    st.emit("setup_intent.canceled", json, req);
}

/// The active mandate of a SEPA PaymentMethod.
pub fn active_mandate(st: &State, pm_id: &str) -> Option<String> {
    st.mandates
        .values()
        .find(|m| m.payment_method == pm_id && m.status == "active")
        .map(|m| m.id.clone())
}

/// A detached PaymentMethod can no longer be debited: its mandates become inactive.
pub fn deactivate_mandates(st: &mut State, pm_id: &str, req: &ReqCtx) {
    let mut ids: Vec<String> = st
        .mandates
        .values()
        .filter(|m| m.payment_method == pm_id && m.status == "active")
        .map(|m| m.id.clone())
        .collect();
    ids.sort();
    for id in ids {
        if let Some(m) = st.mandates.get_mut(&id) {
            m.status = "inactive";
            let json = to_json(&*m);
            st.emit("mandate.updated", json, req);
        }
    }
}
