//! The PaymentProvider contract on the Stripe connector, over HTTP to the sandbox PSP served
//! alone on a loopback port (no moto). Every contract applies but our card form's (Stripe's
//! hosted page takes the card) and the bank details one (its set-up page takes the IBAN).

encaisse::psp_contract_tests!(
    integration::psp_test_mode::stripe_sandbox::subject(),
    not_applicable: [
        card_form_authorises_with_our_ids,
        card_form_refused_card_needs_a_new_form,
        card_form_three_ds_after_the_challenge,
        card_form_replays_its_key,
        card_form_keeps_a_card_only_when_asked,
        bank_details_are_required_where_the_psp_asks_for_them,
    ],
    known_gaps: [],
);
