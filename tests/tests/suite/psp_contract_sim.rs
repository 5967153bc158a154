//! The PaymentProvider contract on the simulation's PSP model (`SimPsp`), in process.

encaisse::psp_contract_tests!(
    integration::psp_test_mode::sim::subject(),
    // The model has no 3-D Secure card.
    not_applicable: [
        three_ds_card_authorises_after_the_challenge,
        three_ds_card_off_session_needs_the_shopper,
    ],
    known_gaps: [],
);
