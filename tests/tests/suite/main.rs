//! Every integration test but `security` (which installs a process-wide log capture) in one
//! binary: one link instead of ~30, about 2 GB less on disk for a fresh build. Run one file's
//! tests with `cargo test -p integration --test suite sepa_debit::`.

mod card_failures;
mod card_journey;
mod card_saving_policy;
mod code_guesses;
mod disputes;
mod documents_s3;
mod embedded_checkout;
mod fraud_review;
mod hostile_bodies;
mod hostile_faults;
mod hostile_simulation;
mod hostile_storms;
mod http_api;
mod instalments;
mod lambda_events;
mod least_privilege;
mod least_privilege_sepa;
mod money_on_the_wire;
mod month_invoices;
mod monthly_direct_debit_events;
mod notifications_dynamodb;
mod notifier_events;
mod offline_payments;
mod outbox_relay;
mod payment_model;
mod payment_modes;
mod payment_requests;
mod promo_codes;
mod psp_contract_mangopay;
mod psp_contract_sim;
mod psp_contract_stripe;
mod reauthorisation;
mod refunds_to_tenders;
mod saved_card_payments;
mod secrets_manager;
mod sepa_debit;
mod shopper_account;
mod sold_vouchers;
mod store_contract_dynamodb;
mod stripe_sdk;
mod tenders;
mod three_d_secure_policy;
mod unfinished_payments;
mod wallets;
