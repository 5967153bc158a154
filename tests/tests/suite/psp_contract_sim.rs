//! The PaymentProvider contract on the simulation's PSP model (`SimPsp`), in process.

encaisse::psp_contract_tests!(
    integration::psp_test_mode::sim::subject(),
    // The model has no 3-D Secure card, and a hosted page rather than our card form.
    not_applicable: [
        three_ds_card_authorises_after_the_challenge,
        three_ds_card_off_session_needs_the_shopper,
        card_form_authorises_with_our_ids,
        card_form_refused_card_needs_a_new_form,
        card_form_three_ds_after_the_challenge,
        card_form_replays_its_key,
        card_form_keeps_a_card_only_when_asked,
        mandate_is_accepted_then_debited,
        debit_without_funds_fails_with_a_code,
        revoked_mandate_takes_no_debit,
        bank_details_are_required_where_the_psp_asks_for_them,
    ],
    known_gaps: [],
);
