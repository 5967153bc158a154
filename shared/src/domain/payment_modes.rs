//! The payment modes a sales channel offers (SecuTix's "modes de règlement" tied to the web
//! point of sale): each with a code, an internal name, public names in French and English and
//! its type. The checkout offers a method only when the web channel has a mode of its type;
//! with no configuration, every method the deployment can serve is offered under default names.

use serde::{Deserialize, Serialize};

use super::FieldError;

/// What a payment mode is, as the checkout knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeKind {
    Card,
    SavedCard,
    Wallet,
    SepaDebit,
    Instalments,
    Voucher,
    PromoCode,
    CreditBalance,
    OnAccount,
    BankTransfer,
    Cheque,
}

impl ModeKind {
    pub const ALL: [ModeKind; 11] = [
        ModeKind::Card,
        ModeKind::SavedCard,
        ModeKind::Wallet,
        ModeKind::SepaDebit,
        ModeKind::Instalments,
        ModeKind::Voucher,
        ModeKind::PromoCode,
        ModeKind::CreditBalance,
        ModeKind::OnAccount,
        ModeKind::BankTransfer,
        ModeKind::Cheque,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ModeKind::Card => "card",
            ModeKind::SavedCard => "saved_card",
            ModeKind::Wallet => "wallet",
            ModeKind::SepaDebit => "sepa_debit",
            ModeKind::Instalments => "instalments",
            ModeKind::Voucher => "voucher",
            ModeKind::PromoCode => "promo_code",
            ModeKind::CreditBalance => "credit_balance",
            ModeKind::OnAccount => "on_account",
            ModeKind::BankTransfer => "bank_transfer",
            ModeKind::Cheque => "cheque",
        }
    }

    /// The default mode of this type: used when the seller configured none.
    fn default_mode(self) -> PaymentMode {
        let (code, fr, en) = match self {
            ModeKind::Card => ("CBWEB", "Carte bancaire", "Card"),
            ModeKind::SavedCard => ("CARTEENREG", "Carte enregistrée", "Saved card"),
            ModeKind::Wallet => ("WALLET", "Portefeuille électronique", "Wallet"),
            ModeKind::SepaDebit => ("SEPA", "Prélèvement SEPA", "SEPA direct debit"),
            ModeKind::Instalments => ("PLUSIEURSFOIS", "Paiement en plusieurs fois", "Instalments"),
            ModeKind::Voucher => ("BON", "Bon d'achat", "Voucher"),
            ModeKind::PromoCode => ("PROMO", "Code promotionnel", "Promo code"),
            ModeKind::CreditBalance => ("AVOIR", "Avoir", "Credit balance"),
            ModeKind::OnAccount => ("COMPTE", "Sur mon compte client", "On my customer account"),
            ModeKind::BankTransfer => ("VIREMENT", "Virement bancaire", "Bank transfer"),
            ModeKind::Cheque => ("CHEQUE", "Chèque", "Cheque"),
        };
        PaymentMode {
            code: code.to_owned(),
            kind: self,
            internal_name: fr.to_owned(),
            public_name: PublicName {
                fr: fr.to_owned(),
                en: en.to_owned(),
            },
        }
    }
}

/// A mode's name as shoppers read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicName {
    pub fr: String,
    pub en: String,
}

/// One payment mode of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMode {
    /// The seller's code for it (`CBWEB`): capitals, digits and `_`, 16 at most.
    pub code: String,
    #[serde(rename = "type")]
    pub kind: ModeKind,
    /// What the seller's staff call it (never shown to shoppers).
    pub internal_name: String,
    pub public_name: PublicName,
}

/// The modes of the web channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelModes {
    modes: Vec<PaymentMode>,
    /// Whether the seller configured them (false: every type, default names).
    configured: bool,
}

impl Default for ChannelModes {
    fn default() -> Self {
        Self {
            modes: ModeKind::ALL.iter().map(|k| k.default_mode()).collect(),
            configured: false,
        }
    }
}

const MAX_CODE: usize = 16;
const MAX_NAME: usize = 80;

impl ChannelModes {
    /// The seller's configuration: a JSON array of modes, at most one per type. Unset or
    /// blank: every type, under default names.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let modes: Vec<PaymentMode> = serde_json::from_str(text).map_err(|e| {
            format!(
                "is not a JSON array of {{code, type, internal_name, public_name {{fr, en}}}}: \
                 {e} (types: {})",
                ModeKind::ALL.map(ModeKind::as_str).join(", ")
            )
        })?;
        Self::new(modes)
    }

    pub fn new(modes: Vec<PaymentMode>) -> Result<Self, String> {
        if modes.is_empty() {
            return Err("lists no mode: the checkout would offer nothing".into());
        }
        for (i, mode) in modes.iter().enumerate() {
            let valid_code = !mode.code.is_empty()
                && mode.code.len() <= MAX_CODE
                && mode
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !valid_code {
                return Err(format!(
                    "mode {}: code {:?} must be 1 to {MAX_CODE} capitals, digits or _",
                    i + 1,
                    mode.code
                ));
            }
            for (what, name) in [
                ("internal_name", &mode.internal_name),
                ("public_name.fr", &mode.public_name.fr),
                ("public_name.en", &mode.public_name.en),
            ] {
                let length = name.trim().chars().count();
                if length == 0 || length > MAX_NAME || name.chars().any(char::is_control) {
                    return Err(format!(
                        "mode {}: {what} must be 1 to {MAX_NAME} characters of text",
                        mode.code
                    ));
                }
            }
            if modes[..i].iter().any(|m| m.code == mode.code) {
                return Err(format!("code {} is given twice", mode.code));
            }
            if modes[..i].iter().any(|m| m.kind == mode.kind) {
                return Err(format!(
                    "type {} is given twice: one mode per type on a channel",
                    mode.kind.as_str()
                ));
            }
        }
        Ok(Self {
            modes,
            configured: true,
        })
    }

    pub fn configured(&self) -> bool {
        self.configured
    }

    pub fn modes(&self) -> &[PaymentMode] {
        &self.modes
    }

    pub fn mode(&self, kind: ModeKind) -> Option<&PaymentMode> {
        self.modes.iter().find(|m| m.kind == kind)
    }

    pub fn offers(&self, kind: ModeKind) -> bool {
        self.mode(kind).is_some()
    }

    /// A 422 naming `field` when the channel has no mode of this type.
    pub fn require(&self, kind: ModeKind, field: &str) -> Result<(), FieldError> {
        if self.offers(kind) {
            return Ok(());
        }
        let offered: Vec<&str> = self.modes.iter().map(|m| m.kind.as_str()).collect();
        Err(FieldError::new(
            field,
            format!(
                "{} is not a payment mode of this shop's web channel (it offers {})",
                kind.as_str(),
                offered.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"[
        {"code": "CBWEB", "type": "card", "internal_name": "FR * CB WEB",
         "public_name": {"fr": "Carte bancaire", "en": "Credit card"}},
        {"code": "BON", "type": "voucher", "internal_name": "Bon cadeau",
         "public_name": {"fr": "Bon cadeau", "en": "Gift voucher"}}
    ]"#;

    #[test]
    fn a_configured_channel_offers_only_its_modes() {
        let modes = ChannelModes::parse(CONFIG).unwrap();
        assert!(modes.configured());
        assert!(modes.offers(ModeKind::Card));
        assert!(modes.offers(ModeKind::Voucher));
        assert!(!modes.offers(ModeKind::BankTransfer));
        assert_eq!(
            modes.mode(ModeKind::Card).unwrap().public_name.en,
            "Credit card"
        );
        let refused = modes.require(ModeKind::Cheque, "method").unwrap_err();
        assert_eq!(refused.field, "method");
        assert!(
            refused.reason.contains("offers card, voucher"),
            "{}",
            refused.reason
        );
    }

    #[test]
    fn nothing_configured_offers_every_type_under_default_names() {
        let modes = ChannelModes::parse("  ").unwrap();
        assert!(!modes.configured());
        for kind in ModeKind::ALL {
            assert!(modes.offers(kind), "{kind:?}");
        }
        assert_eq!(
            modes.mode(ModeKind::Cheque).unwrap().public_name.fr,
            "Chèque"
        );
    }

    #[test]
    fn a_wrong_configuration_is_refused_naming_what_is_wrong() {
        for (text, says) in [
            ("[]", "lists no mode"),
            ("{}", "is not a JSON array"),
            (
                r#"[{"code":"cb","type":"card","internal_name":"a","public_name":{"fr":"a","en":"a"}}]"#,
                "code \"cb\"",
            ),
            (
                r#"[{"code":"CB","type":"cash","internal_name":"a","public_name":{"fr":"a","en":"a"}}]"#,
                "types: card",
            ),
            (
                r#"[{"code":"CB","type":"card","internal_name":" ","public_name":{"fr":"a","en":"a"}}]"#,
                "internal_name",
            ),
            (
                r#"[{"code":"CB","type":"card","internal_name":"a","public_name":{"fr":"a","en":"a"}},
                    {"code":"CB2","type":"card","internal_name":"b","public_name":{"fr":"b","en":"b"}}]"#,
                "type card is given twice",
            ),
            (
                r#"[{"code":"CB","type":"card","internal_name":"a","public_name":{"fr":"a","en":"a"}},
                    {"code":"CB","type":"cheque","internal_name":"b","public_name":{"fr":"b","en":"b"}}]"#,
                "code CB is given twice",
            ),
        ] {
            let error = ChannelModes::parse(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
