//! Configuration read from the environment at init, with errors that name the variable.

use std::env;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {0} is invalid: {1}")]
    Invalid(&'static str, String),
    #[error("secret parameter {0}: {1}")]
    Secret(String, String),
}

pub fn require(name: &'static str) -> Result<String, ConfigError> {
    match env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// The secret that signs shoppers' order access tokens: at least 32 bytes.
pub fn access_token_secret() -> Result<Vec<u8>, ConfigError> {
    access_token_secret_from(|name| env::var(name).ok())
}

/// `access_token_secret` read through `var` (e.g. `Secrets::var`).
pub fn access_token_secret_from(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, ConfigError> {
    let secret = var("ACCESS_TOKEN_SECRET")
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing("ACCESS_TOKEN_SECRET"))?;
    if secret.len() < 32 {
        return Err(ConfigError::Invalid(
            "ACCESS_TOKEN_SECRET",
            "must be at least 32 bytes".into(),
        ));
    }
    Ok(secret.into_bytes())
}

/// The key sold vouchers' codes derive from: the access-token secret under its own label
/// (an HMAC of the label), so no second secret is needed and neither use reveals the other.
pub fn sold_voucher_key(access_token_secret: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(access_token_secret)
        .expect("HMAC takes any key length");
    mac.update(b"encaisse/sold-voucher-codes/v1");
    mac.finalize().into_bytes().to_vec()
}

/// `ADMIN_ALLOWED_PRINCIPALS` (optional): comma-separated IAM principal ARNs (a trailing `*`
/// matches any rest) allowed on the back office; unset, any principal API Gateway
/// authenticated with IAM (and allowed to invoke the route) is.
pub fn admin_auth() -> crate::http::AdminAuth {
    let listed: Vec<String> = env::var("ADMIN_ALLOWED_PRINCIPALS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    match listed.is_empty() {
        true => crate::http::AdminAuth::ApiGatewayIam,
        false => crate::http::AdminAuth::ApiGatewayIamAllowing(listed.into()),
    }
}

pub fn table_name() -> Result<String, ConfigError> {
    require("TABLE_NAME")
}

/// `ALLOWED_RETURN_ORIGINS`: where shoppers may be sent back after paying (no open redirects).
pub fn allowed_return_origins() -> Result<crate::app::return_url::ReturnOrigins, ConfigError> {
    let list = require("ALLOWED_RETURN_ORIGINS")?;
    crate::app::return_url::ReturnOrigins::parse(&list)
        .map_err(|e| ConfigError::Invalid("ALLOWED_RETURN_ORIGINS", e))
}

/// `EVENTS_QUEUE_URL`: the domain-events queue the outbox relay publishes to.
pub fn events_queue_url() -> Result<String, ConfigError> {
    require("EVENTS_QUEUE_URL")
}

/// `EINVOICING_QUEUE_URL`: where `invoice_issued` events go, for the e-invoicing platform's
/// connector to read.
pub fn einvoicing_queue_url() -> Result<String, ConfigError> {
    require("EINVOICING_QUEUE_URL")
}

/// `PAYMENT_ATTEMPT_MINUTES` (optional, 30 to 1440, default 30): how long a started card payment
/// stays payable. Stripe Checkout pages live 30 minutes to 24 hours.
pub fn payment_attempt_lifetime() -> Result<time::Duration, ConfigError> {
    let Ok(raw) = env::var("PAYMENT_ATTEMPT_MINUTES") else {
        return Ok(crate::app::start_payment::DEFAULT_ATTEMPT_LIFETIME);
    };
    match raw.trim().parse::<i64>() {
        Ok(minutes) if (30..=1440).contains(&minutes) => Ok(time::Duration::minutes(minutes)),
        _ => Err(ConfigError::Invalid(
            "PAYMENT_ATTEMPT_MINUTES",
            "must be a whole number of minutes from 30 to 1440".into(),
        )),
    }
}

/// The seller's legal identity printed on invoices: `SELLER_LEGAL_NAME`, `SELLER_ADDRESS`
/// (street lines separated by `|`), `SELLER_POSTCODE`, `SELLER_CITY`, `SELLER_COUNTRY` (ISO
/// alpha-2, `FR` by default), `SELLER_SIREN`, `SELLER_SIRET` (optional), `SELLER_VAT_NUMBER`,
/// `SELLER_RCS`, `SELLER_SHARE_CAPITAL`.
pub fn seller() -> Result<crate::domain::SellerIdentity, ConfigError> {
    let country = match env::var("SELLER_COUNTRY") {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => "FR".to_string(),
    };
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ConfigError::Invalid(
            "SELLER_COUNTRY",
            "must be an ISO 3166-1 alpha-2 code such as FR".into(),
        ));
    }
    Ok(crate::domain::SellerIdentity {
        postcode: require("SELLER_POSTCODE")?.trim().to_string(),
        city: require("SELLER_CITY")?.trim().to_string(),
        country,
        legal_name: require("SELLER_LEGAL_NAME")?,
        address_lines: require("SELLER_ADDRESS")?
            .split('|')
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        siren: require("SELLER_SIREN")?,
        siret: require("SELLER_SIRET").ok(),
        vat_number: require("SELLER_VAT_NUMBER")?,
        rcs: require("SELLER_RCS")?,
        share_capital: require("SELLER_SHARE_CAPITAL")?,
    })
}

/// `SELLER_EMAIL`: the seller's inbox for dispute and deleted-order emails (None when unset or
/// empty: the customer emails still go out, and those events are dead-lettered, so the DLQ
/// alarm says so); `SELLER_LOCALE` (`fr` by default, or `en`) their language. Set but not an
/// address stops the function at init.
pub fn seller_inbox() -> Result<Option<crate::domain::seller_emails::SellerInbox>, ConfigError> {
    let address = match require("SELLER_EMAIL") {
        Ok(address) => address.trim().to_string(),
        Err(ConfigError::Missing(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    let at = address.find('@');
    if !at.is_some_and(|i| i > 0 && i + 1 < address.len()) || address.contains(char::is_whitespace)
    {
        return Err(ConfigError::Invalid(
            "SELLER_EMAIL",
            "must be an email address".into(),
        ));
    }
    let locale = match std::env::var("SELLER_LOCALE")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("") | Some("fr") => crate::domain::Locale::Fr,
        Some("en") => crate::domain::Locale::En,
        Some(_) => {
            return Err(ConfigError::Invalid(
                "SELLER_LOCALE",
                "must be fr or en".into(),
            ))
        }
    };
    Ok(Some(crate::domain::seller_emails::SellerInbox {
        address,
        locale,
    }))
}

/// `THREE_D_SECURE_POLICY`: `always`, `never`, `automatic` (unset: the default) or
/// `event-within:<days>` (see `domain::three_d_secure`).
pub fn three_d_secure_policy(
) -> Result<crate::domain::three_d_secure::ThreeDSecurePolicy, ConfigError> {
    let text = std::env::var("THREE_D_SECURE_POLICY").unwrap_or_default();
    crate::domain::three_d_secure::ThreeDSecurePolicy::parse(&text)
        .map_err(|e| ConfigError::Invalid("THREE_D_SECURE_POLICY", e))
}

/// `PAYMENT_WALLETS`: the wallets the checkout offers (`apple_pay`, `google_pay`, `paypal`,
/// `alipay`, comma-separated); unset or `none`: none.
pub fn payment_wallets() -> Result<Vec<crate::domain::Wallet>, ConfigError> {
    let text = std::env::var("PAYMENT_WALLETS").unwrap_or_default();
    crate::domain::Wallet::parse_list(&text).map_err(|e| ConfigError::Invalid("PAYMENT_WALLETS", e))
}

/// Bank transfer and cheque: `BANK_TRANSFER_HOLDER`, `BANK_TRANSFER_IBAN` and
/// `BANK_TRANSFER_BIC` (all three, or none: not offered); `CHEQUE_PAYEE` and `CHEQUE_ADDRESS`
/// (lines separated by `|`; both or none). A set but wrong value stops the function at init.
pub fn offline_instructions(
) -> Result<crate::domain::offline_instructions::OfflineInstructions, ConfigError> {
    offline_instructions_from(|name| env::var(name).ok())
}

pub fn offline_instructions_from(
    var: impl Fn(&str) -> Option<String>,
) -> Result<crate::domain::offline_instructions::OfflineInstructions, ConfigError> {
    use crate::domain::offline_instructions::{bank_details, cheque_details};
    let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let bank = [
        "BANK_TRANSFER_HOLDER",
        "BANK_TRANSFER_IBAN",
        "BANK_TRANSFER_BIC",
    ];
    let cheque = ["CHEQUE_PAYEE", "CHEQUE_ADDRESS"];
    let all_or_none = |names: &[&'static str]| -> Result<Option<Vec<String>>, ConfigError> {
        let values: Vec<Option<String>> = names.iter().map(|n| set(n)).collect();
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        match names.iter().zip(&values).find(|(_, v)| v.is_none()) {
            Some((missing, _)) => Err(ConfigError::Invalid(
                missing,
                format!("must be set with {}", names.join(", ")),
            )),
            None => Ok(Some(values.into_iter().flatten().collect())),
        }
    };
    Ok(crate::domain::offline_instructions::OfflineInstructions {
        bank_transfer: all_or_none(&bank)?
            .map(|v| bank_details(&v[0], &v[1], &v[2]))
            .transpose()
            .map_err(|e| ConfigError::Invalid("BANK_TRANSFER_IBAN", e))?,
        cheque: all_or_none(&cheque)?
            .map(|v| cheque_details(&v[0], &v[1]))
            .transpose()
            .map_err(|e| ConfigError::Invalid("CHEQUE_PAYEE", e))?,
    })
}

/// `INSTALMENT_PLANS`: the instalment plans the checkout offers (see
/// `InstalmentPolicy::parse`, e.g. `counts:3|4,minimum:100`); unset or `none`: none.
pub fn instalment_plans(
) -> Result<Option<crate::domain::instalments::InstalmentPolicy>, ConfigError> {
    let text = std::env::var("INSTALMENT_PLANS").unwrap_or_default();
    crate::domain::instalments::InstalmentPolicy::parse(&text)
        .map_err(|e| ConfigError::Invalid("INSTALMENT_PLANS", e))
}

/// `SEPA_DEBIT`: `on` offers SEPA direct debit (collected monthly), `off` (unset: the
/// default) does not; with it `SEPA_CAP_RULE` (see `CapRule::parse`; unset: 250 EUR, × 1.5 up
/// to 2,000 EUR after 3 clean months at 80 % usage) and `SEPA_SCORES` (the table-driven
/// score provider, see `TableScores::parse`; unset: everyone 15/20).
pub fn sepa_settings() -> Result<Option<crate::app::start_sepa::SepaSettings>, ConfigError> {
    match std::env::var("SEPA_DEBIT").unwrap_or_default().trim() {
        "" | "off" => return Ok(None),
        "on" => {}
        _ => return Err(ConfigError::Invalid("SEPA_DEBIT", "use on or off".into())),
    }
    let rule =
        crate::domain::sepa::CapRule::parse(&std::env::var("SEPA_CAP_RULE").unwrap_or_default())
            .map_err(|e| ConfigError::Invalid("SEPA_CAP_RULE", e))?;
    let scores = crate::adapters::score_table::TableScores::parse(
        &std::env::var("SEPA_SCORES").unwrap_or_default(),
    )
    .map_err(|e| ConfigError::Invalid("SEPA_SCORES", e))?;
    Ok(Some(crate::app::start_sepa::SepaSettings {
        rule,
        scores: std::sync::Arc::new(scores),
        notice_days: sepa_notice_days()?,
    }))
}

/// `DEBIT_JOBS_QUEUE_URL`: the `direct-debit-jobs` queue the month close fans out to.
pub fn debit_jobs_queue_url() -> Result<String, ConfigError> {
    require("DEBIT_JOBS_QUEUE_URL")
}

/// `SEPA_NOTICE_DAYS`: business days between a month's close and its collection, as agreed in
/// the mandate text (1 to 14; unset: 2).
fn sepa_notice_days() -> Result<u32, ConfigError> {
    match std::env::var("SEPA_NOTICE_DAYS") {
        Err(_) => Ok(crate::app::shopper_account::mandates::DEFAULT_NOTICE_DAYS),
        Ok(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=14).contains(d))
            .ok_or_else(|| {
                ConfigError::Invalid("SEPA_NOTICE_DAYS", "a number of days from 1 to 14".into())
            }),
    }
}

/// `SEPA_CREDITOR_ID` (optional): the seller's SEPA creditor identifier, given in the
/// pre-notification; unset: the PSP's own (shown on the mandate).
pub fn sepa_creditor_id() -> Option<String> {
    std::env::var("SEPA_CREDITOR_ID")
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `FRAUD_REVIEW_RULES`: `none`, or `amount-above:<amount>`, `risk:elevated|highest`,
/// `countries-differ`, comma-separated; unset: `risk:elevated,countries-differ`.
pub fn review_rules() -> Result<crate::domain::fraud_review::ReviewRules, ConfigError> {
    let text = std::env::var("FRAUD_REVIEW_RULES").unwrap_or_default();
    crate::domain::fraud_review::ReviewRules::parse(&text)
        .map_err(|e| ConfigError::Invalid("FRAUD_REVIEW_RULES", e))
}

/// `SAVE_CARD_POLICY`: `offered` (unset: the default) or `not-offered`.
pub fn card_saving_policy() -> Result<crate::domain::card_saving::CardSavingPolicy, ConfigError> {
    let text = std::env::var("SAVE_CARD_POLICY").unwrap_or_default();
    crate::domain::card_saving::CardSavingPolicy::parse(&text)
        .map_err(|e| ConfigError::Invalid("SAVE_CARD_POLICY", e))
}

/// Whether a page exists where a shopper confirms a saved card with its security code
/// (`STRIPE_CONFIRM_PAGE_URL` set: the only PSP today), so the checkout may offer saved cards.
pub fn saved_card_checkout() -> bool {
    std::env::var("STRIPE_CONFIRM_PAGE_URL").is_ok_and(|v| !v.trim().is_empty())
}

/// `PAY_PAGE_URL`: the shopper pages' lookup page, for pay links in emails.
pub fn pay_page() -> Result<crate::app::notify::PayPage, ConfigError> {
    crate::app::notify::PayPage::parse(&require("PAY_PAGE_URL")?)
        .map_err(|e| ConfigError::Invalid("PAY_PAGE_URL", e))
}

/// The seller's brand on the emails (`BRAND_NAME`, `BRAND_LOGO_URL`, `BRAND_COLOUR`, default
/// `#0a4a8f`, the pages' accent); None when `BRAND_NAME` is unset or empty (emails go out unbranded).
pub fn branding() -> Result<Option<crate::domain::branding::Branding>, ConfigError> {
    branding_from(|name| env::var(name).ok())
}

pub fn branding_from(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::domain::branding::Branding>, ConfigError> {
    use crate::domain::branding::{Branding, BrandingError};
    let Some(name) = var("BRAND_NAME").filter(|n| !n.trim().is_empty()) else {
        return Ok(None);
    };
    let colour = var("BRAND_COLOUR")
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_BRAND_COLOUR.into());
    Branding::new(&name, var("BRAND_LOGO_URL").as_deref(), &colour)
        .map(Some)
        .map_err(|e| {
            let variable = match e {
                BrandingError::Name => "BRAND_NAME",
                BrandingError::LogoUrl => "BRAND_LOGO_URL",
                BrandingError::Colour | BrandingError::Contrast => "BRAND_COLOUR",
            };
            ConfigError::Invalid(variable, e.to_string())
        })
}

/// The pages' default accent (web/assets/style.css `--brand`).
pub const DEFAULT_BRAND_COLOUR: &str = "#0a4a8f";

/// `WEB_PAYMENT_MODES`: the web channel's payment modes, a JSON array of `{code, type,
/// internal_name, public_name {fr, en}}` (see `ChannelModes::parse`); unset: every type the
/// deployment can serve, under default names.
pub fn web_payment_modes() -> Result<crate::domain::payment_modes::ChannelModes, ConfigError> {
    let text = env::var("WEB_PAYMENT_MODES").unwrap_or_default();
    crate::domain::payment_modes::ChannelModes::parse(&text)
        .map_err(|e| ConfigError::Invalid("WEB_PAYMENT_MODES", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_brand_needs_a_name_and_names_the_variable_it_refuses() {
        assert_eq!(branding_from(vars(&[])).unwrap(), None);
        assert_eq!(branding_from(vars(&[("BRAND_NAME", "  ")])).unwrap(), None);
        let brand = branding_from(vars(&[("BRAND_NAME", "Atelier Demo")]))
            .unwrap()
            .unwrap();
        assert_eq!(brand.colour, DEFAULT_BRAND_COLOUR);
        let refused = branding_from(vars(&[("BRAND_NAME", "A"), ("BRAND_COLOUR", "#ffff00")]));
        assert!(matches!(
            refused,
            Err(ConfigError::Invalid("BRAND_COLOUR", _))
        ));
        let refused = branding_from(vars(&[("BRAND_NAME", "A"), ("BRAND_LOGO_URL", "ftp://x")]));
        assert!(matches!(
            refused,
            Err(ConfigError::Invalid("BRAND_LOGO_URL", _))
        ));
    }
}
