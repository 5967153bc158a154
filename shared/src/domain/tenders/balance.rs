//! A customer's balances with the seller in one currency: the credit balance ("solde avoir",
//! a refund or a goodwill gesture the customer may spend) and on account ("compte
//! d'attente": orders taken now and paid later, up to a maximum outstanding).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Currency;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OnAccount {
    /// Whether the seller lets this customer buy on account.
    pub allowed: bool,
    /// The most the customer may owe on account at any time.
    pub maximum: Decimal,
    /// What the customer owes on account now (orders taken on account, less the payments the
    /// seller recorded against it).
    pub outstanding: Decimal,
}

impl OnAccount {
    /// What more can go on account now.
    pub fn available(&self) -> Decimal {
        if self.allowed {
            (self.maximum - self.outstanding).max(Decimal::ZERO)
        } else {
            Decimal::ZERO
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerBalance {
    pub customer_id: String,
    pub currency: Currency,
    /// The credit balance the customer may spend.
    pub credit: Decimal,
    pub on_account: OnAccount,
}

impl CustomerBalance {
    /// A customer the seller never changed anything for: nothing to spend, no on account.
    pub fn empty(customer_id: &str, currency: Currency) -> Self {
        Self {
            customer_id: customer_id.to_string(),
            currency,
            credit: Decimal::ZERO,
            on_account: OnAccount::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn on_account_available_is_the_room_under_the_maximum_when_allowed() {
        let mut account = OnAccount {
            allowed: true,
            maximum: dec("500"),
            outstanding: dec("120.50"),
        };
        assert_eq!(account.available(), dec("379.50"));
        account.outstanding = dec("600");
        assert_eq!(account.available(), Decimal::ZERO);
        account.allowed = false;
        account.outstanding = Decimal::ZERO;
        assert_eq!(account.available(), Decimal::ZERO);
    }
}
