//! Promo codes: the seller's discounts, applied at checkout to the whole order, lowering its
//! taxable amounts per VAT rate (the VAT recomputed), within their window and usage limits.

pub mod code;
pub mod discount;

#[cfg(test)]
mod discount_tests;

pub use code::{normalise, PromoCode, PromoOff, PromoRefusal, PromoStatus};
pub use discount::{discount_bands, AppliedDiscount};
