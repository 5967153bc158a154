//! The PaymentProvider contract on the simulation's PSP model (`SimPsp`), in process.

encaisse::psp_contract_tests!(
    integration::psp_test_mode::sim::subject(),
    // The model has no 3-D Secure card and no card without multicapture.
    not_applicable: [
        three_ds_card_authorises_after_the_challenge,
        partial_capture_without_multicapture_is_final,
        three_ds_card_off_session_needs_the_shopper,
    ],
    known_gaps: [
        // The model declares saved_cards but lists none and refuses saved-card charges.
        saved_card_is_listed_only_when_asked,
        saved_card_charges_off_session,
        // It answers a cancel of a captured payment with the payment (Stripe refuses it).
        cancel_of_a_captured_payment_is_refused,
    ],
);
