//! Store contract checks for the shopper account: a code's tries and the code limits held by
//! conditional writes under concurrency, a code used once to open a session, sessions closed
//! by signing out, and a customer's orders paged newest first.

use std::sync::Arc;

use time::Duration;

use super::{now, order};
use crate::domain::customer_id;
use crate::ports::{CodeIssue, Session, SignInLimits, Store, StoreError, StoredSignInCode};

fn code(customer: &str, digest: &str) -> StoredSignInCode {
    StoredSignInCode {
        customer_id: customer.into(),
        digest: digest.into(),
        expires_at: now() + Duration::minutes(10),
        tries: 0,
    }
}

fn limits(email: &str, client: &str, per_email: u32, per_client: u32) -> SignInLimits {
    SignInLimits {
        email_key: format!("EMAIL#{email}"),
        per_email,
        client_key: format!("CLIENT#{client}"),
        per_client,
        window: 500_000,
        window_ends_at: now() + Duration::minutes(30),
        email_day_key: format!("EMAILDAY#{email}"),
        per_email_day: 7,
        day: 20_000,
        day_ends_at: now() + Duration::hours(10),
    }
}

fn session(id: &str, customer: &str) -> Session {
    Session {
        id: id.into(),
        customer_id: customer.into(),
        email: "buyer@example.fr".into(),
        expires_at: now() + Duration::days(7),
    }
}

pub async fn concurrent_tries_of_a_code_never_exceed_its_limit(store: Arc<dyn Store>) {
    let issued = store
        .issue_sign_in_code(&code("cus_a", "d1"), &limits("a", "c", 5, 20))
        .await
        .unwrap();
    assert_eq!(issued, CodeIssue::Issued);
    let tries = (0..20).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.count_sign_in_try("cus_a", 5, now()).await })
    });
    let mut counted = Vec::new();
    for attempt in tries {
        if let Some(code) = attempt.await.unwrap().unwrap() {
            counted.push(code.tries);
        }
    }
    counted.sort_unstable();
    assert_eq!(counted, vec![1, 2, 3, 4, 5], "exactly five tries counted");
    // Another customer's code is untouched; an expired code counts nothing.
    assert_eq!(store.count_sign_in_try("cus_b", 5, now()).await, Ok(None));
    store
        .issue_sign_in_code(&code("cus_b", "d2"), &limits("b", "c", 5, 20))
        .await
        .unwrap();
    let later = now() + Duration::minutes(11);
    assert_eq!(store.count_sign_in_try("cus_b", 5, later).await, Ok(None));
    // A new code starts its tries again.
    store
        .issue_sign_in_code(&code("cus_a", "d3"), &limits("a", "c", 5, 20))
        .await
        .unwrap();
    let fresh = store.count_sign_in_try("cus_a", 5, now()).await.unwrap();
    assert_eq!(fresh.map(|c| (c.digest, c.tries)), Some(("d3".into(), 1)));
}

pub async fn code_limits_hold_under_concurrent_requests(store: Arc<dyn Store>) {
    let requests = (0..12).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                match store
                    .issue_sign_in_code(&code("cus_a", &format!("d{i}")), &limits("a", "ip", 5, 8))
                    .await
                {
                    // moto and DynamoDB may cancel concurrent transactions: the caller retries.
                    Err(StoreError::Contention) => continue,
                    other => return other.unwrap(),
                }
            }
        })
    });
    let mut issued = 0;
    for request in requests {
        if request.await.unwrap() == CodeIssue::Issued {
            issued += 1;
        }
    }
    assert_eq!(issued, 5, "five codes per email");
    // The same address, other emails: three more fit under its limit of eight.
    let mut more = 0;
    for email in ["b", "c", "d", "e"] {
        let issue = store
            .issue_sign_in_code(
                &code(&format!("cus_{email}"), "x"),
                &limits(email, "ip", 5, 8),
            )
            .await
            .unwrap();
        if issue == CodeIssue::Issued {
            more += 1;
        } else {
            assert_eq!(
                issue,
                CodeIssue::Limited {
                    retry_at: now() + Duration::minutes(30)
                }
            );
        }
    }
    assert_eq!(more, 3, "eight codes per address");
    // The daily cap (7 here) holds across hours, and says when the day ends.
    for hour in 0..8 {
        let mut hourly = limits("z", &format!("ip-{hour}"), 5, 20);
        hourly.window += hour;
        let issue = store
            .issue_sign_in_code(&code("cus_z", "d"), &hourly)
            .await
            .unwrap();
        let expected = if hour < 7 {
            CodeIssue::Issued
        } else {
            CodeIssue::Limited {
                retry_at: now() + Duration::hours(10),
            }
        };
        assert_eq!(issue, expected, "code {}", hour + 1);
    }
}

pub async fn a_code_opens_one_session_and_signing_out_closes_it(store: Arc<dyn Store>) {
    store
        .issue_sign_in_code(&code("cus_a", "d1"), &limits("a", "c", 5, 20))
        .await
        .unwrap();
    let tried = store
        .count_sign_in_try("cus_a", 5, now())
        .await
        .unwrap()
        .unwrap();
    store
        .open_session(&tried, &session("ses_1", "cus_a"))
        .await
        .unwrap();
    // Used up: the same code cannot open a second session, nor be tried again.
    assert!(matches!(
        store.open_session(&tried, &session("ses_2", "cus_a")).await,
        Err(StoreError::Missing(_))
    ));
    assert_eq!(store.count_sign_in_try("cus_a", 5, now()).await, Ok(None));
    assert_eq!(
        store.get_session("ses_1").await.unwrap(),
        Some(session("ses_1", "cus_a"))
    );
    assert_eq!(store.get_session("ses_2").await.unwrap(), None);
    store.delete_session("ses_1").await.unwrap();
    store.delete_session("ses_1").await.unwrap();
    assert_eq!(store.get_session("ses_1").await.unwrap(), None);
    // A code replaced since it was tried opens nothing.
    store
        .issue_sign_in_code(&code("cus_a", "d2"), &limits("a", "c", 5, 20))
        .await
        .unwrap();
    let old = store
        .count_sign_in_try("cus_a", 5, now())
        .await
        .unwrap()
        .unwrap();
    store
        .issue_sign_in_code(&code("cus_a", "d3"), &limits("a", "c", 5, 20))
        .await
        .unwrap();
    assert!(matches!(
        store.open_session(&old, &session("ses_3", "cus_a")).await,
        Err(StoreError::Missing(_))
    ));
}

pub async fn a_customers_orders_are_paged_newest_first(store: Arc<dyn Store>) {
    let mut references = Vec::new();
    for i in 0..5 {
        let mut o = order(&format!("ORD-{}", 700 + i));
        o.customer.email = "Paged.Buyer@example.fr".into();
        o.created_at = now() + Duration::minutes(i);
        store.insert_order(&o).await.unwrap();
        references.push(o.reference.to_string());
    }
    let mut other = order("ORD-799");
    other.customer.email = "someone.else@example.fr".into();
    store.insert_order(&other).await.unwrap();
    references.reverse();

    let customer = customer_id("paged.buyer@example.fr");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .customer_orders(&customer, cursor.as_deref(), 2)
            .await
            .unwrap();
        pages += 1;
        assert!(page.orders.len() <= 2);
        seen.extend(page.orders.iter().map(|o| o.reference.to_string()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, references, "newest first, each once, nobody else's");
    assert_eq!(pages, 3, "2 + 2 + 1, no empty last page");
    assert!(matches!(
        store.customer_orders(&customer, Some("not-a-cursor"), 2).await,
        Err(StoreError::Missing(what)) if what == "cursor"
    ));
    // An order its shopper deleted leaves the listing: pages stay full.
    let first = crate::domain::Reference::parse(&references[0]).unwrap();
    let stored = store.get_order(&first).await.unwrap().unwrap();
    let mut deleted = stored.value.clone();
    deleted.closure = Some(crate::domain::OrderClosure::DeletedByShopper);
    store.update_order(&deleted, stored.version).await.unwrap();
    let page = store.customer_orders(&customer, None, 2).await.unwrap();
    let listed: Vec<String> = page
        .orders
        .iter()
        .map(|o| o.reference.to_string())
        .collect();
    assert_eq!(listed, references[1..3].to_vec());
    let nobody = store.customer_orders("cus_nobody", None, 10).await.unwrap();
    assert!(nobody.orders.is_empty() && nobody.next.is_none());
}
