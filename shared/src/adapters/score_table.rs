//! A deterministic, table-driven `ScoreProvider` for local runs and tests (`SEPA_SCORES`):
//! `default:<0-20>` and entries for a customer id (`cus_…:<score>`) or an email domain
//! (`@example.org:<score>`); the customer id wins over the domain, the domain over the default.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::ports::{ScoreProvider, ScoreUnavailable};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableScores {
    default: u8,
    customers: HashMap<String, u8>,
    domains: HashMap<String, u8>,
}

impl Default for TableScores {
    /// Everyone scores 15/20.
    fn default() -> Self {
        Self {
            default: 15,
            customers: HashMap::new(),
            domains: HashMap::new(),
        }
    }
}

impl TableScores {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut table = TableScores::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (key, value) = entry
                .rsplit_once(':')
                .ok_or_else(|| format!("{entry:?}: expected <key>:<score>"))?;
            let score: u8 = value
                .trim()
                .parse()
                .ok()
                .filter(|s| *s <= 20)
                .ok_or_else(|| format!("{key}: score {value:?} is not 0 to 20"))?;
            let key = key.trim();
            if key == "default" {
                table.default = score;
            } else if let Some(domain) = key.strip_prefix('@') {
                table.domains.insert(domain.to_ascii_lowercase(), score);
            } else if key.starts_with("cus_") {
                table.customers.insert(key.to_string(), score);
            } else {
                return Err(format!("{key:?}: use default, cus_<id> or @<domain>"));
            }
        }
        Ok(table)
    }
}

#[async_trait]
impl ScoreProvider for TableScores {
    async fn score(&self, customer_id: &str, email: &str) -> Result<u8, ScoreUnavailable> {
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_ascii_lowercase());
        Ok(self
            .customers
            .get(customer_id)
            .or_else(|| domain.and_then(|d| self.domains.get(&d)))
            .copied()
            .unwrap_or(self.default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn customer_beats_domain_beats_default() {
        let table = TableScores::parse("default:12, @risky.example:6, cus_vip:19").unwrap();
        assert_eq!(table.score("cus_vip", "a@risky.example").await.unwrap(), 19);
        assert_eq!(table.score("cus_x", "b@Risky.Example").await.unwrap(), 6);
        assert_eq!(table.score("cus_x", "c@ok.example").await.unwrap(), 12);
        assert_eq!(TableScores::parse("").unwrap(), TableScores::default());
        for bad in ["default:21", "nobody:5", "cus_x", "@d:-1"] {
            assert!(TableScores::parse(bad).is_err(), "{bad}");
        }
    }
}
