//! Test modes for the PaymentProvider contract suite (`encaisse::contract::psp`), one per
//! connector run: `stripe_sandbox` (the Stripe connector over HTTP to the sandbox PSP) and
//! `sim` (the simulation's in-process PSP model).

pub mod sim;
pub mod stripe_sandbox;
