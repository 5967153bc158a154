//! Capacity per flow from the requests `RequestCounter` recorded.
//!
//! Two numbers, never mixed: what moto *returned* as `ConsumedCapacity` (it answers constants,
//! e.g. 1.0 per PutItem and nothing for TransactWriteItems, so it is shown but not used), and
//! request units *computed* with AWS's published rules from item sizes:
//! - reads: ceil(size / 4 KB) per item (GetItem, BatchGetItem), or of the summed size for a
//!   Query; half for eventually consistent reads; an absent item still costs the minimum;
//! - writes: ceil(size / 1 KB) per item, twice that inside TransactWriteItems; a failed
//!   condition still costs the write.
//!
//! Read sizes come from the items returned (exact). Write sizes come from the request: the full
//! item for a Put (exact when no larger item is replaced); keys plus the values written for an
//! Update, keys only for a Delete or ConditionCheck: lower bounds, since AWS charges the larger
//! of the stored item before and after.

use encaisse::adapters::dynamodb::Exchange;
use serde_json::Value;

#[derive(Debug, Default, Clone, Copy)]
pub struct Capacity {
    /// Read request units, computed.
    pub reads: f64,
    /// Write request units, computed.
    pub writes: f64,
    /// Write operations (items written, transactions counted per item).
    pub items_written: u64,
    /// Sum of the `ConsumedCapacity` moto returned.
    pub moto_reported: f64,
    /// Requests without any `ConsumedCapacity` in moto's answer.
    pub moto_silent: u64,
    /// Some write size is a lower bound (Update, Delete, ConditionCheck).
    pub writes_lower_bound: bool,
}

/// DynamoDB's item size: attribute names plus values (strings and binaries by length, numbers
/// about one byte per two significant digits plus one, containers 3 bytes plus one per
/// element).
pub fn item_size(item: &Value) -> usize {
    item.as_object()
        .map(|attrs| attrs.iter().map(|(k, v)| k.len() + value_size(v)).sum())
        .unwrap_or(0)
}

fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "B" => inner.as_str().map_or(0, |b| b.len() * 3 / 4),
        "N" => inner.as_str().map_or(1, number_size),
        "BOOL" | "NULL" => 1,
        "SS" | "BS" => inner.as_array().map_or(0, |a| {
            a.iter().filter_map(Value::as_str).map(str::len).sum()
        }),
        "NS" => inner.as_array().map_or(0, |a| {
            a.iter().filter_map(Value::as_str).map(number_size).sum()
        }),
        "M" => {
            3 + inner.as_object().map_or(0, |m| {
                m.iter().map(|(k, v)| k.len() + value_size(v) + 1).sum()
            })
        }
        "L" => {
            3 + inner
                .as_array()
                .map_or(0, |l| l.iter().map(|v| value_size(v) + 1).sum())
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

fn units(size: usize, per: usize) -> f64 {
    size.div_ceil(per).max(1) as f64
}

fn read_factor(request: &Value) -> f64 {
    if request["ConsistentRead"].as_bool() == Some(true) {
        1.0
    } else {
        0.5
    }
}

/// The key attributes and the values an Update sets: what the request shows of the item.
fn update_size(update: &Value) -> usize {
    let values: usize = update["ExpressionAttributeValues"]
        .as_object()
        .map_or(0, |v| v.values().map(value_size).sum());
    item_size(&update["Key"]) + values
}

fn moto_capacity(response: &Value) -> Option<f64> {
    let consumed = response.get("ConsumedCapacity")?;
    let one = |c: &Value| c["CapacityUnits"].as_f64().unwrap_or(0.0);
    match consumed {
        Value::Array(all) if all.is_empty() => None,
        Value::Array(all) => Some(all.iter().map(one).sum()),
        c => Some(one(c)),
    }
}

/// The header matching [`row`].
pub const HEADER: &str = "| flow | HTTP status | DynamoDB requests | by operation | items written | RRU (computed) | WRU (computed) | moto's ConsumedCapacity |\n|---|---|---|---|---|---|---|---|";

/// One markdown row: requests by operation and capacity, from what `counter` saw.
pub fn row(
    name: &str,
    status: u16,
    counter: &encaisse::adapters::dynamodb::RequestCounter,
) -> String {
    let ops: Vec<String> = counter
        .snapshot()
        .iter()
        .map(|(op, n)| format!("{op} × {n}"))
        .collect();
    let c = of(&counter.exchanges());
    let moto = if c.moto_silent > 0 {
        format!("{} ({} requests without)", c.moto_reported, c.moto_silent)
    } else {
        c.moto_reported.to_string()
    };
    format!(
        "| {name} | {status} | {} | {} | {} | {} | {}{} | {moto} |",
        counter.total(),
        ops.join(", "),
        c.items_written,
        c.reads,
        if c.writes_lower_bound { "≥ " } else { "" },
        c.writes,
    )
}

pub fn of(exchanges: &[Exchange]) -> Capacity {
    let mut c = Capacity::default();
    for e in exchanges {
        match moto_capacity(&e.response) {
            Some(units) => c.moto_reported += units,
            None => c.moto_silent += 1,
        }
        let (req, resp) = (&e.request, &e.response);
        match e.operation.as_str() {
            "GetItem" => {
                c.reads += units(item_size(&resp["Item"]), 4096) * read_factor(req);
            }
            "BatchGetItem" => {
                for (table, ask) in req["RequestItems"].as_object().into_iter().flatten() {
                    let factor = read_factor(ask);
                    let found = resp["Responses"][table]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    let asked = ask["Keys"].as_array().map_or(0, Vec::len);
                    for item in &found {
                        c.reads += units(item_size(item), 4096) * factor;
                    }
                    c.reads += asked.saturating_sub(found.len()) as f64 * factor;
                }
            }
            "Query" | "Scan" => {
                let size: usize = resp["Items"]
                    .as_array()
                    .map_or(0, |items| items.iter().map(item_size).sum());
                c.reads += units(size, 4096) * read_factor(req);
            }
            "PutItem" => {
                c.writes += units(item_size(&req["Item"]), 1024);
                c.items_written += 1;
            }
            "UpdateItem" => {
                c.writes += units(update_size(req), 1024);
                c.items_written += 1;
                c.writes_lower_bound = true;
            }
            "DeleteItem" => {
                c.writes += units(item_size(&req["Key"]), 1024);
                c.items_written += 1;
                c.writes_lower_bound = true;
            }
            "TransactWriteItems" => {
                for item in req["TransactItems"].as_array().into_iter().flatten() {
                    let size = if let Some(put) = item.get("Put") {
                        item_size(&put["Item"])
                    } else if let Some(update) = item.get("Update") {
                        c.writes_lower_bound = true;
                        update_size(update)
                    } else {
                        c.writes_lower_bound = true;
                        let op = item.get("Delete").or_else(|| item.get("ConditionCheck"));
                        op.map_or(0, |o| item_size(&o["Key"]))
                    };
                    c.writes += 2.0 * units(size, 1024);
                    c.items_written += 1;
                }
            }
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_size_follows_the_published_rules() {
        // "PK"(2) + "ORDER#A"(7) + "n"(1) + 12345 → 3 significant pairs + 1 = 4.
        let item = json!({"PK": {"S": "ORDER#A"}, "n": {"N": "12345"}});
        assert_eq!(item_size(&item), 2 + 7 + 1 + 4);
        // Map: 3 + ("a"(1) + "xy"(2) + 1).
        assert_eq!(value_size(&json!({"M": {"a": {"S": "xy"}}})), 7);
    }

    #[test]
    fn a_transaction_costs_two_units_per_kilobyte_per_item() {
        let big = "x".repeat(1500);
        let exchange = Exchange {
            operation: "TransactWriteItems".into(),
            request: json!({"TransactItems": [
                {"Put": {"Item": {"PK": {"S": big}}}},
                {"Put": {"Item": {"PK": {"S": "small"}}}}
            ]}),
            response: json!({}),
            http_status: 200,
        };
        let c = of(&[exchange]);
        assert_eq!(c.writes, 2.0 * 2.0 + 2.0);
        assert_eq!(c.items_written, 2);
        assert!(!c.writes_lower_bound);
        assert_eq!(c.moto_silent, 1);
    }

    #[test]
    fn an_eventually_consistent_query_costs_half_per_4_kb() {
        let exchange = Exchange {
            operation: "Query".into(),
            request: json!({}),
            response: json!({"Items": [{"a": {"S": "x".repeat(5000)}}],
                             "ConsumedCapacity": {"CapacityUnits": 1.0}}),
            http_status: 200,
        };
        let c = of(&[exchange]);
        assert_eq!(c.reads, 1.0);
        assert_eq!(c.moto_reported, 1.0);
    }
}
