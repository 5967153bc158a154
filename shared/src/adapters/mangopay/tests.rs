//! The connector's configuration checks (its calls are tested over HTTP against the sandbox's
//! MangoPay dialect, in the integration package's PSP contract run).

use super::*;

#[test]
fn configuration_is_checked_at_start() {
    let good = MangopayConfig::new("encaisse-shop", "key", "wlt_m_01");
    assert!(MangopayConnector::new(good.clone()).is_ok());
    let mut bad = good.clone();
    bad.client_id = "shop/../x".into();
    assert!(MangopayConnector::new(bad).is_err());
    let mut bad = good.clone();
    bad.api_key = " ".into();
    assert!(MangopayConnector::new(bad).is_err());
    let mut bad = good;
    bad.api_base = "ftp://x".into();
    assert!(MangopayConnector::new(bad).is_err());
}

#[test]
fn the_key_never_shows_in_debug() {
    let text = format!("{:?}", MangopayConfig::new("c", "secret-passphrase", "w"));
    assert!(!text.contains("secret-passphrase"), "{text}");
}
