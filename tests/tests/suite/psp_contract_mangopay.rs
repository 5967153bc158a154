//! The PaymentProvider contract on the MangoPay connector, over HTTP to the sandbox PSP's
//! MangoPay dialect served alone on a loopback port (no moto).
//!
//! Not applicable, each for what MangoPay (or this connector) cannot do: a hosted page that
//! authorises for a later capture (our card form takes cards instead: the `card_form_*`
//! contracts); a card whose authorisation cannot be captured twice (MangoPay's sandbox has no
//! such card: `MultiCapture` is the caller's choice); saved-card charges (MangoPay's recurring
//! registrations are not wired, `saved_cards` is false).

encaisse::psp_contract_tests!(
    integration::psp_test_mode::mangopay_sandbox::subject(),
    not_applicable: [
        hosted_page_opens_then_authorises,
        hosted_page_replays_its_key,
        expiring_an_open_page_closes_it,
        expiring_a_paid_page_answers_complete,
        declined_card_fails_with_a_code,
        page_takes_another_card_after_a_decline,
        three_ds_card_authorises_after_the_challenge,
        partial_capture_without_multicapture_is_final,
        saved_card_is_listed_only_when_asked,
        saved_card_charges_off_session,
        three_ds_card_off_session_needs_the_shopper,
    ],
    known_gaps: [],
);
