//! Least privilege on the table, checked against what the code does (`tests/least_privilege*.rs`):
//! every DynamoDB request of a function's flows recorded (`RequestCounter`), and the partition
//! keys each function touched must all be allowed by the `dynamodb:LeadingKeys` condition of
//! that function's statements in template.yaml (reads and writes separately).

use std::collections::{BTreeMap, BTreeSet};

use encaisse::adapters::dynamodb::RequestCounter;
use serde_json::Value;

pub const WRITES: [&str; 5] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "BatchWriteItem",
];

/// "ORDER#" of "ORDER#ORD-10042", "LOOKUP#" of "LOOKUP#REF#…".
pub fn prefix(value: &str) -> Option<String> {
    let (head, _) = value.split_once('#')?;
    (!head.is_empty() && head.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .then(|| format!("{head}#"))
}

/// The partition keys in a request: `PK` in every key and item, and the partition value of a
/// Query (table or index).
pub fn partitions(operation: &str, request: &Value, out: &mut BTreeSet<String>) {
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (name, inner) in map {
                    if name == "PK" {
                        if let Some(value) = inner["S"].as_str() {
                            out.insert(value.to_string());
                        }
                    }
                    walk(inner, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    if operation == "Query" {
        let names = &request["ExpressionAttributeNames"];
        let condition = request["KeyConditionExpression"]
            .as_str()
            .unwrap_or_default();
        for clause in condition.split(" AND ").chain(condition.split(" and ")) {
            let Some((left, right)) = clause.split_once('=') else {
                continue;
            };
            let left = left.trim().trim_start_matches('(');
            let attribute = names[left].as_str().unwrap_or(left);
            if attribute == "PK" || attribute == "GSI1PK" {
                let placeholder = right.trim().trim_end_matches(')');
                if let Some(value) = request["ExpressionAttributeValues"][placeholder]["S"].as_str()
                {
                    out.insert(value.to_string());
                }
            }
        }
    } else {
        walk(request, out);
    }
}

#[derive(Default, Debug)]
pub struct Touched {
    pub reads: BTreeSet<String>,
    pub writes: BTreeSet<String>,
}

pub fn touched(counter: &RequestCounter, into: &mut Touched) {
    for exchange in counter.exchanges() {
        let target = if WRITES.contains(&exchange.operation.as_str()) {
            &mut into.writes
        } else {
            &mut into.reads
        };
        partitions(&exchange.operation, &exchange.request, target);
    }
    counter.reset();
}

/// The LeadingKeys patterns of a function's table statements in template.yaml: (patterns of
/// statements that grant reads, of those that grant writes).
pub fn allowed(template: &str, function: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    // The function's block: from its name to the next resource (a line indented by two).
    let mut lines = template
        .lines()
        .skip_while(|l| *l != format!("  {function}:"));
    assert!(lines.next().is_some(), "{function} not in template.yaml");
    let block: String = lines
        .take_while(|l| l.is_empty() || l.starts_with("   "))
        .map(|l| format!("{l}\n"))
        .collect();
    let (mut reads, mut writes, mut unconditioned) = (Vec::new(), Vec::new(), Vec::new());
    for statement in block.split("            - Sid: ").skip(1) {
        let actions: Vec<&str> = statement
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- dynamodb:"))
            .collect();
        let patterns: Vec<String> = statement
            .split("dynamodb:LeadingKeys:")
            .nth(1)
            .map(|after| {
                after
                    .lines()
                    .skip(1)
                    .map(str::trim)
                    .take_while(|l| l.starts_with("- "))
                    .map(|l| l.trim_start_matches("- ").trim_matches('"').to_string())
                    .collect()
            })
            .unwrap_or_default();
        if actions.is_empty() {
            continue;
        }
        if patterns.is_empty() {
            let sid = statement.lines().next().unwrap_or_default();
            unconditioned.push(format!(
                "{function}: statement {sid} has no dynamodb:LeadingKeys"
            ));
        }
        if actions.iter().any(|a| WRITES.contains(a)) {
            writes.extend(patterns.iter().cloned());
        }
        if actions.iter().any(|a| !WRITES.contains(a)) {
            reads.extend(patterns);
        }
    }
    (reads, writes, unconditioned)
}

/// IAM's StringLike, as the template uses it: a trailing `*`, or the exact value.
pub fn covered(value: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(head) => value.starts_with(head),
        None => value == p,
    })
}

/// The partitions by their prefix ("ORDER#"), for the report.
pub fn prefixes(values: &BTreeSet<String>) -> BTreeSet<String> {
    values
        .iter()
        .map(|v| prefix(v).unwrap_or_else(|| v.clone()))
        .collect()
}

/// Fails with every partition a function touched that its statements in template.yaml do not
/// allow (and every table statement without a LeadingKeys condition).
pub fn assert_allowed(functions: &BTreeMap<&str, Touched>) {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    let mut report = Vec::new();
    for (function, seen) in functions {
        let (reads, writes, unconditioned) = allowed(&template, function);
        report.extend(unconditioned);
        for p in &seen.reads {
            if !covered(p, &reads) {
                report.push(format!("{function} reads {p} but may not ({reads:?})"));
            }
        }
        for p in &seen.writes {
            if !covered(p, &writes) {
                report.push(format!("{function} writes {p} but may not ({writes:?})"));
            }
        }
        eprintln!(
            "{function}: reads {:?}, writes {:?}",
            prefixes(&seen.reads),
            prefixes(&seen.writes)
        );
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// The devserver app on a fresh moto table, every DynamoDB request recorded, served on
/// loopback; the demo orders seeded.
pub struct RecordedShop {
    pub shop: crate::shop::Shop,
    pub counter: RequestCounter,
    pub sandbox: encaisse_dev::SandboxPsp,
    pub table: String,
}

impl RecordedShop {
    pub async fn start() -> Self {
        use encaisse::app::return_url::ReturnOrigins;
        use encaisse_dev::{build, seed_demo_orders, Options, SandboxConfig};
        use std::net::SocketAddr;
        crate::hostile::moto_behind_serialising_proxy();
        let counter = RequestCounter::recording();
        let table = format!("encaisse-lp-{}", uuid::Uuid::new_v4().simple());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = build(Options {
            admin_api_key: "admin".into(),
            access_token_secret: b"least-privilege-secret-at-least-32-bytes".to_vec(),
            dynamodb_table: Some(table.clone()),
            sandbox: SandboxConfig {
                public_base_url: base.clone(),
                webhook_url: None,
                webhook_secret: crate::shop::WEBHOOK_SECRET.into(),
            },
            return_origins: ReturnOrigins::local_development(),
            dynamodb_request_counter: Some(counter.clone()),
            run_notifier: false,
            three_d_secure: Default::default(),
            card_saving: Default::default(),
            fraud_review: Default::default(),
            wallets: Vec::new(),
            offline: encaisse_dev::demo_offline_instructions(),
            card_provider: None,
            sepa_provider: None,
            modes: Default::default(),
            sepa: Some(encaisse::app::start_sepa::SepaSettings::local()),
            instalments: encaisse::domain::instalments::InstalmentPolicy::parse("counts:3")
                .unwrap(),
        })
        .await
        .expect("devserver app on moto");
        seed_demo_orders(app.store.as_ref()).await.unwrap();
        let (store, sandbox, router) = (app.store.clone(), app.sandbox.clone(), app.router);
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap()
        });
        let shop = crate::shop::Shop {
            requests: counter.clone(),
            base: base.clone(),
            store: store.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        Self {
            shop,
            counter,
            sandbox,
            table,
        }
    }
}

/// The notifier on a store of its own over `table`, its requests recorded by `counter`.
pub async fn recorded_notifier(
    counter: &RequestCounter,
    table: &str,
    base: &str,
) -> encaisse::app::notify::Notifier {
    use std::sync::Arc;
    let client = encaisse::adapters::dynamodb::client_from_env(Some(counter.clone())).await;
    encaisse::app::notify::Notifier::new(
        Arc::new(encaisse::adapters::dynamodb::DynamoStore::new(
            client.clone(),
            table,
        )),
        Arc::new(
            encaisse::adapters::dynamodb::notifications::DynamoNotificationStore::new(
                client, table,
            ),
        ),
        Arc::new(encaisse::adapters::memory::notifications::MemoryMailer::new()),
        Arc::new(encaisse::ports::SystemClock),
        encaisse_dev::notifications::demo_seller(),
        encaisse::app::notify::PayPage::parse(&format!("{base}/pay")).unwrap(),
    )
}
