//! Test modes for the PaymentProvider contract suite (`encaisse::contract::psp`), one per
//! connector run: `stripe_sandbox` (the Stripe connector over HTTP to the sandbox PSP),
//! `mangopay_sandbox` (the MangoPay connector over HTTP to the sandbox's MangoPay dialect) and
//! `sim` (the simulation's in-process PSP model).

pub mod mangopay_sandbox;
pub mod sim;
pub mod stripe_sandbox;
