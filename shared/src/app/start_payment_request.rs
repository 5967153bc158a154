//! The body of `POST /v1/orders/{reference}/payments`, as api.md defines it, and its checks.

use serde::Deserialize;

use super::return_url::ReturnOrigins;
use super::validate::{country, email, optional_text, text};
use crate::domain::{Billing, BillingAddress, FieldError, Postcode};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingInput {
    #[serde(default)]
    pub company: Option<String>,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub address: BillingAddressInput,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingAddressInput {
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub postcode: String,
    pub city: String,
    pub country: String,
}

/// The request body, as api.md defines it. Methods other than `card` arrive with later issues.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartPaymentCommand {
    pub method: String,
    #[serde(default)]
    pub billing: Option<BillingInput>,
    pub return_url: String,
    #[serde(default)]
    pub save_card: bool,
    #[serde(default)]
    pub saved_card_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::app::validate::whole_number::optional"
    )]
    pub instalments: Option<u32>,
    #[serde(default)]
    pub voucher_codes: Vec<String>,
    #[serde(default)]
    pub promo_code: Option<String>,
    #[serde(default)]
    pub use_credit_balance: bool,
    /// `redirect` (the default: the PSP's page) or `embedded` (its form inside our page).
    #[serde(default)]
    pub ui: Option<String>,
    /// With `method: wallet`: `apple_pay`, `google_pay`, `paypal` or `alipay`.
    #[serde(default)]
    pub wallet: Option<String>,
    /// With `method: sepa_debit`: one of the customer's mandates (default: the newest active).
    #[serde(default)]
    pub mandate_id: Option<String>,
}

fn billing(input: &BillingInput) -> Result<Billing, FieldError> {
    checked_billing(input, "billing.")
}

/// Billing details checked, each error naming its field under `prefix` (`billing.` in a
/// payment request, none on the account's own billing route).
pub fn checked_billing(input: &BillingInput, prefix: &str) -> Result<Billing, FieldError> {
    let a = &input.address;
    let f = |name: &str| format!("{prefix}{name}");
    Postcode::parse_field(&a.postcode, &f("address.postcode"))?;
    Ok(Billing {
        company: optional_text(&f("company"), input.company.as_deref(), 200)?,
        name: text(&f("name"), &input.name, 200)?,
        email: email(&f("email"), &input.email)?,
        phone: optional_text(&f("phone"), input.phone.as_deref(), 40)?,
        address: BillingAddress {
            line1: text(&f("address.line1"), &a.line1, 200)?,
            line2: optional_text(&f("address.line2"), a.line2.as_deref(), 200)?,
            postcode: text(&f("address.postcode"), &a.postcode, 32)?,
            city: text(&f("address.city"), &a.city, 100)?,
            country: country(&f("address.country"), &a.country)?,
        },
    })
}

/// How the shopper pays this attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum CheckedMethod {
    /// A card typed on the PSP's page, kept for later when `save_card`.
    Card { save_card: bool },
    /// A card saved at the PSP (its payment-method id), confirmed with its security code on
    /// the PSP's side.
    SavedCard { payment_method: String },
    /// A wallet on the PSP's page (one the shop offers).
    Wallet { wallet: crate::domain::Wallet },
    /// An instalment plan: the first on the PSP's card page (the card kept for the others),
    /// the others charged off-session on their dates.
    Instalments { count: u32 },
    /// A line of the customer's SEPA month, under one of their mandates.
    SepaDebit { mandate_id: Option<String> },
    /// The rest on the customer's account, within its maximum outstanding.
    OnAccount,
    /// The rest by bank transfer or cheque, recorded by the seller when it arrives.
    Offline { kind: crate::domain::OfflineKind },
}

/// The tenders asked besides the method: vouchers (normalised codes) and the credit balance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct TenderRequest {
    pub(super) codes: Vec<crate::domain::tenders::VoucherCode>,
    pub(super) use_credit: bool,
    /// The promo code, normalised.
    pub(super) promo: Option<String>,
    /// The client address's digest, when known: wrong codes are counted against it too.
    pub(super) client: Option<String>,
}

/// Vouchers a checkout may use at once.
pub const MAX_VOUCHER_CODES: usize = 5;

/// The refusal every wrong code gets, whatever is wrong with it: a code is a bearer secret, so
/// the answer does not tell a guesser which codes exist.
pub(super) fn wrong_code() -> FieldError {
    FieldError::new(
        "voucher_codes",
        "holds a code that is not valid here: unknown, expired, used up or in another currency",
    )
}

fn voucher_codes(codes: &[String]) -> Result<Vec<crate::domain::tenders::VoucherCode>, FieldError> {
    if codes.len() > MAX_VOUCHER_CODES {
        return Err(FieldError::new(
            "voucher_codes",
            format!("holds {MAX_VOUCHER_CODES} codes at most"),
        ));
    }
    let mut parsed: Vec<crate::domain::tenders::VoucherCode> = Vec::new();
    for text in codes {
        let code = crate::domain::tenders::VoucherCode::parse(text).ok_or_else(wrong_code)?;
        if parsed.contains(&code) {
            return Err(FieldError::new(
                "voucher_codes",
                "holds the same code twice",
            ));
        }
        parsed.push(code);
    }
    Ok(parsed)
}

/// A checked request: what the use case acts on.
#[derive(Clone)]
pub(super) struct Checked {
    pub(super) billing: Option<Billing>,
    pub(super) return_url: String,
    pub(super) method: CheckedMethod,
    /// The PSP's form shown inside our page.
    pub(super) embedded: bool,
    pub(super) tenders: TenderRequest,
}

/// A PSP payment-method id as the shopper's page sends it back: short, visible ASCII.
fn saved_card_id(id: Option<&str>) -> Result<String, FieldError> {
    match id.map(str::trim) {
        None | Some("") => Err(FieldError::new(
            "saved_card_id",
            "is required with method saved_card: one of the ids your saved cards are listed with",
        )),
        Some(id)
            if id.len() <= 255
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            Ok(id.to_owned())
        }
        Some(_) => Err(FieldError::new(
            "saved_card_id",
            "is not a saved card id (letters, digits, _ and -, 255 at most)",
        )),
    }
}

/// What the seller offers, as `check` reads it.
pub(super) struct Offered<'a> {
    pub(super) origins: &'a ReturnOrigins,
    pub(super) card_saving: crate::domain::card_saving::CardSavingPolicy,
    pub(super) wallets: &'a [crate::domain::Wallet],
    pub(super) instalments: Option<&'a crate::domain::instalments::InstalmentPolicy>,
    pub(super) sepa_offered: bool,
    pub(super) offline: &'a crate::domain::offline_instructions::OfflineInstructions,
    pub(super) modes: &'a crate::domain::payment_modes::ChannelModes,
}

pub(super) fn check(
    command: StartPaymentCommand,
    offered: &Offered<'_>,
) -> Result<Checked, FieldError> {
    let Offered {
        origins,
        card_saving,
        wallets,
        instalments,
        sepa_offered,
        offline,
        modes,
    } = *offered;
    if command.mandate_id.is_some() && command.method != "sepa_debit" {
        return Err(FieldError::new("mandate_id", "goes with method sepa_debit"));
    }
    if command.wallet.is_some() && command.method != "wallet" {
        return Err(FieldError::new("wallet", "goes with method wallet"));
    }
    if command.instalments.is_some() && command.method != "instalments" {
        return Err(FieldError::new(
            "instalments",
            "goes with method instalments",
        ));
    }
    let method =
        match command.method.as_str() {
            "card" => {
                if command.saved_card_id.is_some() {
                    return Err(FieldError::new(
                        "saved_card_id",
                        "goes with method saved_card, not card",
                    ));
                }
                if command.save_card && !card_saving.is_offered() {
                    return Err(FieldError::new(
                        "save_card",
                        "this shop does not keep cards: leave it false",
                    ));
                }
                CheckedMethod::Card {
                    save_card: command.save_card,
                }
            }
            "saved_card" => {
                if command.save_card {
                    return Err(FieldError::new(
                        "save_card",
                        "this card is saved already: leave it false",
                    ));
                }
                CheckedMethod::SavedCard {
                    payment_method: saved_card_id(command.saved_card_id.as_deref())?,
                }
            }
            "wallet" => {
                if command.save_card {
                    return Err(FieldError::new(
                        "save_card",
                        "only a card can be kept: leave it false",
                    ));
                }
                let offered = wallets
                    .iter()
                    .map(|w| w.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let wallet = command
                    .wallet
                    .as_deref()
                    .and_then(crate::domain::Wallet::parse)
                    .filter(|w| wallets.contains(w))
                    .ok_or_else(|| {
                        FieldError::new(
                            "wallet",
                            if offered.is_empty() {
                                "this shop offers no wallet".to_string()
                            } else {
                                format!("must be one of the wallets this shop offers: {offered}")
                            },
                        )
                    })?;
                CheckedMethod::Wallet { wallet }
            }
            "instalments" => instalment_count(&command, instalments)?,
            "sepa_debit" => sepa_method(&command, sepa_offered)?,
            "on_account" => {
                for (field, used) in [
                    ("save_card", command.save_card),
                    ("saved_card_id", command.saved_card_id.is_some()),
                ] {
                    if used {
                        return Err(FieldError::new(field, "does not go with method on_account"));
                    }
                }
                CheckedMethod::OnAccount
            }
            "bank_transfer" | "cheque" => offline_method(&command, offline)?,
            _ => return Err(FieldError::new(
                "method",
                "must be one of card, saved_card, wallet, sepa_debit, on_account, instalments, \
                 bank_transfer, cheque",
            )),
        };
    let promo = match command.promo_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            crate::domain::promo::normalise(text).ok_or_else(super::start_promo::wrong_promo)?,
        ),
    };
    let tenders = TenderRequest {
        codes: voucher_codes(&command.voucher_codes)?,
        use_credit: command.use_credit_balance,
        promo,
        client: None,
    };
    let embedded = match command.ui.as_deref() {
        None | Some("redirect") => false,
        Some("embedded")
            if matches!(
                method,
                CheckedMethod::Card { .. } | CheckedMethod::Instalments { .. }
            ) =>
        {
            true
        }
        Some("embedded") => {
            return Err(FieldError::new(
                "ui",
                "embedded goes with method card or instalments; a saved card is confirmed on \
                 the PSP's page",
            ))
        }
        Some(_) => return Err(FieldError::new("ui", "must be redirect or embedded")),
    };
    origins.check("return_url", &command.return_url)?;
    configured(modes, &method, &tenders)?;
    Ok(Checked {
        tenders,
        embedded,
        billing: command.billing.as_ref().map(billing).transpose()?,
        return_url: command.return_url,
        method,
    })
}

/// The method and each tender asked must be a payment mode of the web channel.
fn configured(
    modes: &crate::domain::payment_modes::ChannelModes,
    method: &CheckedMethod,
    tenders: &TenderRequest,
) -> Result<(), FieldError> {
    use crate::domain::payment_modes::ModeKind;
    let kind = match method {
        CheckedMethod::Card { .. } => ModeKind::Card,
        CheckedMethod::SavedCard { .. } => ModeKind::SavedCard,
        CheckedMethod::Wallet { .. } => ModeKind::Wallet,
        CheckedMethod::Instalments { .. } => ModeKind::Instalments,
        CheckedMethod::SepaDebit { .. } => ModeKind::SepaDebit,
        CheckedMethod::OnAccount => ModeKind::OnAccount,
        CheckedMethod::Offline {
            kind: crate::domain::OfflineKind::BankTransfer,
        } => ModeKind::BankTransfer,
        CheckedMethod::Offline {
            kind: crate::domain::OfflineKind::Cheque,
        } => ModeKind::Cheque,
    };
    modes.require(kind, "method")?;
    if !tenders.codes.is_empty() {
        modes.require(ModeKind::Voucher, "voucher_codes")?;
    }
    if tenders.promo.is_some() {
        modes.require(ModeKind::PromoCode, "promo_code")?;
    }
    if tenders.use_credit {
        modes.require(ModeKind::CreditBalance, "use_credit_balance")?;
    }
    Ok(())
}

/// A bank transfer or cheque, when the shop takes it: no card fields.
fn offline_method(
    command: &StartPaymentCommand,
    offline: &crate::domain::offline_instructions::OfflineInstructions,
) -> Result<CheckedMethod, FieldError> {
    let kind = crate::domain::offline_instructions::parse_kind(&command.method)
        .ok_or_else(|| FieldError::new("method", "must be bank_transfer or cheque"))?;
    if !offline.offers(kind) {
        return Err(FieldError::new(
            "method",
            format!(
                "this shop does not take {}",
                command.method.replace('_', " ")
            ),
        ));
    }
    for (field, used) in [
        ("save_card", command.save_card),
        ("saved_card_id", command.saved_card_id.is_some()),
    ] {
        if used {
            return Err(FieldError::new(
                field,
                format!("does not go with method {}", command.method),
            ));
        }
    }
    Ok(CheckedMethod::Offline { kind })
}

/// SEPA direct debit, when the shop offers it: no card fields, an optional mandate id.
fn sepa_method(command: &StartPaymentCommand, offered: bool) -> Result<CheckedMethod, FieldError> {
    if !offered {
        return Err(FieldError::new(
            "method",
            "this shop does not offer SEPA direct debit",
        ));
    }
    for (field, used) in [
        ("save_card", command.save_card),
        ("saved_card_id", command.saved_card_id.is_some()),
        ("instalments", command.instalments.is_some()),
        ("wallet", command.wallet.is_some()),
    ] {
        if used {
            return Err(FieldError::new(field, "does not go with method sepa_debit"));
        }
    }
    let mandate_id = match command.mandate_id.as_deref().map(str::trim) {
        None => None,
        Some(id)
            if id.starts_with("mdt_")
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Some(id.to_string())
        }
        Some(_) => {
            return Err(FieldError::new(
                "mandate_id",
                "must be one of your mandates' ids (mdt_…)",
            ))
        }
    };
    Ok(CheckedMethod::SepaDebit { mandate_id })
}

/// The number of instalments asked, when the shop offers plans (the schedule itself is
/// checked against the order's amount and dates when the payment starts).
fn instalment_count(
    command: &StartPaymentCommand,
    policy: Option<&crate::domain::instalments::InstalmentPolicy>,
) -> Result<CheckedMethod, FieldError> {
    let policy = policy.ok_or_else(|| {
        FieldError::new("method", "this shop does not offer payment in instalments")
    })?;
    if command.save_card {
        return Err(FieldError::new(
            "save_card",
            "an instalment plan keeps the card until its last instalment: leave it false",
        ));
    }
    if command.saved_card_id.is_some() {
        return Err(FieldError::new(
            "saved_card_id",
            "the first instalment is paid on the payment page: leave it out",
        ));
    }
    let offered = policy
        .counts
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    match command.instalments {
        Some(count) if policy.counts.contains(&count) => Ok(CheckedMethod::Instalments { count }),
        Some(_) => Err(FieldError::new(
            "instalments",
            format!("must be one of the numbers of instalments this shop offers: {offered}"),
        )),
        None => Err(FieldError::new(
            "instalments",
            format!("is required with method instalments: one of {offered}"),
        )),
    }
}
