//! Whether the seller offers shoppers to keep their card for future purchases
//! (`SAVE_CARD_POLICY`). Opt-in either way: a card is kept only when the shopper asks.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardSavingPolicy {
    /// The checkout offers "save this card" (unticked); the card is kept when ticked.
    #[default]
    Offered,
    /// The checkout offers nothing; a request to save a card is refused (422 `save_card`).
    NotOffered,
}

impl CardSavingPolicy {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "offered" | "" => Ok(Self::Offered),
            "not-offered" => Ok(Self::NotOffered),
            other => Err(format!("{other:?} is not offered or not-offered")),
        }
    }

    pub fn is_offered(self) -> bool {
        self == Self::Offered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_unless_the_seller_says_not() {
        assert_eq!(CardSavingPolicy::parse(""), Ok(CardSavingPolicy::Offered));
        assert_eq!(
            CardSavingPolicy::parse("not-offered"),
            Ok(CardSavingPolicy::NotOffered)
        );
        assert!(CardSavingPolicy::parse("never").is_err());
        assert!(!CardSavingPolicy::NotOffered.is_offered());
    }
}
