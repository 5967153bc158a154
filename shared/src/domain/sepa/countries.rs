//! Where a SEPA Core debit can be taken from: the IBAN country codes of the SEPA schemes'
//! geographical scope as the European Payments Council lists it (the 27 EU states; Iceland,
//! Liechtenstein and Norway; Switzerland, the United Kingdom, Monaco, San Marino, the Vatican,
//! Andorra; Gibraltar, which has IBANs of its own). The overseas parts of France, Portugal
//! and Spain use their country's IBANs. The countries admitted most recently (Albania,
//! Moldova, Montenegro, North Macedonia) are left out until their banks reach the debit
//! scheme.

const SEPA_IBAN_COUNTRIES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", // EU
    "IS", "LI", "NO", // EEA
    "CH", "GB", "MC", "SM", "VA", "AD", "GI",
];

/// Whether an IBAN of `country` (ISO 3166-1 alpha-2, upper case) can be debited by SEPA.
pub fn takes_sepa_debits(country: &str) -> bool {
    SEPA_IBAN_COUNTRIES.contains(&country)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sepa_area_and_only_it() {
        for inside in ["FR", "DE", "CH", "GB", "NO", "MC", "GI"] {
            assert!(takes_sepa_debits(inside), "{inside}");
        }
        for outside in ["TR", "BR", "SA", "AE", "IL", "US", "fr"] {
            assert!(!takes_sepa_debits(outside), "{outside}");
        }
        assert_eq!(SEPA_IBAN_COUNTRIES.len(), 37);
    }
}
