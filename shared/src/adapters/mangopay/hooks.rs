//! MangoPay's hooks: `GET <our url>?EventType=…&RessourceId=…&Date=…`, signed by nothing. Each
//! is only a hint of what to re-fetch (MangoPay: "doing a GET call on the RessourceId allows
//! you to check that the event is still relevant and ensure that the hook is authentic"), so
//! parsing is strict about the shape and trusts nothing else.

use crate::ports::{NotificationRequest, WebhookError, WebhookEvent};
use time::OffsetDateTime;

/// What a hook names, by the prefix of its event type.
enum About {
    Preauthorization,
    Refund,
    PayIn,
    Dispute,
    Mandate,
    Other,
}

fn about(event_type: &str) -> About {
    if event_type.starts_with("PREAUTHORIZATION_") {
        About::Preauthorization
    } else if event_type.starts_with("PAYIN_REFUND_") {
        About::Refund
    } else if event_type.starts_with("PAYIN_NORMAL_") {
        About::PayIn
    } else if event_type.starts_with("DISPUTE_") {
        About::Dispute
    } else if event_type.starts_with("MANDATE_") {
        About::Mandate
    } else {
        About::Other
    }
}

pub fn parse(request: &NotificationRequest) -> Result<WebhookEvent, WebhookError> {
    if !request.method.eq_ignore_ascii_case("GET") {
        return Err(WebhookError::InvalidPayload(
            "MangoPay calls hooks with GET".into(),
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&request.query)
        .map_err(|_| WebhookError::InvalidPayload("unreadable query".into()))?;
    let field = |name: &str| -> Result<&str, WebhookError> {
        let mut values = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (Some(v), None) if !v.is_empty() && v.len() <= 128 => Ok(v),
            _ => Err(WebhookError::InvalidPayload(format!(
                "{name} must be given once"
            ))),
        }
    };
    let event_type = field("EventType")?;
    if !event_type
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b == b'_')
    {
        return Err(WebhookError::InvalidPayload(
            "EventType is not MangoPay's".into(),
        ));
    }
    let ressource = field("RessourceId")?;
    if !super::client::is_safe_segment(ressource) {
        return Err(WebhookError::InvalidPayload(
            "RessourceId is not an id".into(),
        ));
    }
    let date: i64 = field("Date")?
        .parse()
        .map_err(|_| WebhookError::InvalidPayload("Date is not unix seconds".into()))?;
    let created_at = OffsetDateTime::from_unix_timestamp(date)
        .map_err(|_| WebhookError::InvalidPayload("Date is out of range".into()))?;
    let mandate = matches!(about(event_type), About::Mandate).then(|| ressource.to_owned());
    let (payment, refund) = match about(event_type) {
        About::Preauthorization => (Some(ressource.to_owned()), None),
        About::Refund => (None, Some(ressource.to_owned())),
        // A pay-in: a month's direct debit, or a card capture (read as its pre-authorisation).
        About::PayIn => (
            Some(format!(
                "{}{ressource}",
                super::transformers::DIRECT_DEBIT_PREFIX
            )),
            None,
        ),
        // A dispute: read with its pay-in's payment.
        About::Dispute => (
            Some(format!(
                "{}{ressource}",
                super::transformers::DISPUTE_PREFIX
            )),
            None,
        ),
        About::Mandate | About::Other => (None, None),
    };
    Ok(WebhookEvent {
        // MangoPay gives hooks no id: the three values together name this one.
        id: format!("{event_type}:{ressource}:{date}"),
        kind: event_type.to_owned(),
        created_at,
        payment,
        session: None,
        refund,
        mandate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(query: &str) -> NotificationRequest {
        NotificationRequest {
            method: "GET".into(),
            path: "/v1/webhooks/mangopay".into(),
            query: query.into(),
            headers: vec![],
            body: vec![],
        }
    }

    #[test]
    fn a_hook_names_what_to_fetch_again() {
        let event = parse(&get(
            "EventType=PREAUTHORIZATION_SUCCEEDED&RessourceId=preauth_m_01HYG88W1QWJ&Date=1700000000",
        ))
        .unwrap();
        assert_eq!(event.payment.as_deref(), Some("preauth_m_01HYG88W1QWJ"));
        assert_eq!(
            event.id,
            "PREAUTHORIZATION_SUCCEEDED:preauth_m_01HYG88W1QWJ:1700000000"
        );
        let refund = parse(&get(
            "EventType=PAYIN_REFUND_SUCCEEDED&RessourceId=123&Date=1700000000",
        ))
        .unwrap();
        assert_eq!(
            (refund.refund.as_deref(), refund.payment),
            (Some("123"), None)
        );
        let debit = parse(&get(
            "EventType=PAYIN_NORMAL_SUCCEEDED&RessourceId=payin_m_1&Date=1",
        ))
        .unwrap();
        assert_eq!(debit.payment.as_deref(), Some("payin:payin_m_1"));
        let dispute = parse(&get(
            "EventType=DISPUTE_CREATED&RessourceId=dispute_m_1&Date=1",
        ))
        .unwrap();
        assert_eq!(dispute.payment.as_deref(), Some("dispute:dispute_m_1"));
        let mandate = parse(&get(
            "EventType=MANDATE_SUBMITTED&RessourceId=mdt_m_1&Date=1",
        ))
        .unwrap();
        assert_eq!(
            (mandate.payment, mandate.refund, mandate.mandate.as_deref()),
            (None, None, Some("mdt_m_1"))
        );
    }

    #[test]
    fn malformed_hooks_are_refused() {
        for query in [
            "",
            "EventType=PREAUTHORIZATION_SUCCEEDED&Date=1",
            "EventType=preauth&RessourceId=1&Date=1",
            "EventType=PREAUTHORIZATION_SUCCEEDED&RessourceId=1/../x&Date=1",
            "EventType=PREAUTHORIZATION_SUCCEEDED&RessourceId=1&Date=yesterday",
            "EventType=A&EventType=B&RessourceId=1&Date=1",
        ] {
            assert!(parse(&get(query)).is_err(), "{query}");
        }
        let mut post = get("EventType=PREAUTHORIZATION_SUCCEEDED&RessourceId=1&Date=1");
        post.method = "POST".into();
        assert!(parse(&post).is_err());
    }
}
