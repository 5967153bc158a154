//! The PaymentProvider contract on the Stripe connector, over HTTP to the sandbox PSP served
//! alone on a loopback port (no moto). Every contract applies.

encaisse::psp_contract_tests!(
    integration::psp_test_mode::stripe_sandbox::subject(),
    not_applicable: [],
    known_gaps: [],
);
