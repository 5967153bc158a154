//! Back office: turn a seller's quote into an order the shopper can pay.

use rust_decimal::Decimal;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::validate::{country, email, optional_text, text};
use crate::domain::order::{parse_iso_date, LineKind};
use crate::domain::{
    Address, Currency, Customer, FieldError, Locale, Money, Order, OrderLine, OrderStatus,
    Postcode, Reference, Shipping,
};
use crate::ports::{AmountRefusal, PaymentProvider, Store, StoreError, Write};

const MAX_LINES: usize = 200;
const MAX_QUANTITY: u32 = 1_000_000;
const REFERENCE_COUNTER: &str = "order-reference";
/// Each attempt makes durable progress (an order, or the counter past a taken number), so this
/// only bounds contention and runs of hand-taken references.
const MAX_REFERENCE_ATTEMPTS: u32 = 50;

/// The request body of `POST /v1/admin/orders`, as the seller sends it. Amounts stay strings
/// until validated against the currency.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderCommand {
    #[serde(default)]
    pub reference: Option<String>,
    pub customer: CustomerInput,
    pub currency: String,
    pub lines: Vec<LineInput>,
    pub shipping: ShippingInput,
    #[serde(default)]
    pub event_date: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub sku: String,
    pub description: String,
    #[serde(deserialize_with = "crate::app::validate::whole_number::exact")]
    pub quantity: u32,
    pub unit_price: String,
    pub tax_rate: String,
    /// Optional; when present it must be the order's currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// `goods` (the default) or `voucher`: gift vouchers of `unit_price` each, issued and
    /// emailed when the order is fully captured (tax rate 0: outside the scope of VAT).
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingInput {
    pub method: String,
    pub amount: String,
    pub tax_rate: String,
    #[serde(default)]
    pub currency: Option<String>,
    pub address: AddressInput,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub postcode: String,
    pub city: String,
    pub country: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateOrderError {
    #[error("invalid input: {0}")]
    Invalid(#[from] FieldError),
    #[error("reference {0} is already taken")]
    ReferenceTaken(Reference),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn amount(field: &str, currency: Currency, value: &str) -> Result<Decimal, FieldError> {
    currency
        .parse_amount(value)
        .map_err(|e| FieldError::new(field, e.to_string()))
}

fn line_kind(field: &str, value: Option<&str>) -> Result<LineKind, FieldError> {
    match value {
        None | Some("goods") => Ok(LineKind::Goods),
        Some("voucher") => Ok(LineKind::Voucher),
        Some(_) => Err(FieldError::new(field, "must be goods or voucher")),
    }
}

/// Gift vouchers sold per unit: each a voucher of the unit price, at most
/// `MAX_VOUCHERS_PER_LINE`, outside the scope of VAT.
fn voucher_line(
    at: &dyn Fn(&str) -> String,
    quantity: u32,
    unit_price: Decimal,
    rate: Decimal,
) -> Result<(), FieldError> {
    if quantity > MAX_VOUCHERS_PER_LINE {
        return Err(FieldError::new(
            at("quantity"),
            format!("a voucher line sells {MAX_VOUCHERS_PER_LINE} vouchers at most"),
        ));
    }
    if unit_price <= Decimal::ZERO {
        return Err(FieldError::new(
            at("unit_price"),
            "a voucher's value must be above zero",
        ));
    }
    if !rate.is_zero() {
        return Err(FieldError::new(
            at("tax_rate"),
            "a gift voucher is outside the scope of VAT when sold (its VAT is due when it is \
             spent): use \"0\"",
        ));
    }
    Ok(())
}

/// Vouchers one line may sell (each gets its own code in the email).
pub const MAX_VOUCHERS_PER_LINE: u32 = 20;
/// Vouchers one order may sell: their issue is one BatchGetItem (100 keys at most) and one
/// TransactWriteItems of two items each (100 at most).
pub const MAX_VOUCHERS_PER_ORDER: u32 = 40;

fn tax_rate(field: &str, value: &str) -> Result<Decimal, FieldError> {
    let reason =
        "must be a percentage between 0 and 100 as a decimal string, such as \"20\" or \"5.5\"";
    let bytes_ok = !value.is_empty()
        && value.len() <= 8
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !value.starts_with('.')
        && !value.ends_with('.');
    let rate: Decimal = if bytes_ok {
        value.parse().map_err(|_| FieldError::new(field, reason))?
    } else {
        return Err(FieldError::new(field, reason));
    };
    if rate > Decimal::ONE_HUNDRED || rate.normalize().scale() > 3 {
        return Err(FieldError::new(field, reason));
    }
    Ok(rate)
}

fn same_currency(field: &str, order: Currency, given: Option<&str>) -> Result<(), FieldError> {
    match given {
        Some(code) if code != order.code() => Err(FieldError::new(
            field,
            format!("must be the order's currency, {}", order.code()),
        )),
        _ => Ok(()),
    }
}

impl CreateOrderCommand {
    /// Checks every field and builds the order (reference still to be assigned when absent).
    pub fn validate(self, now: OffsetDateTime) -> Result<(Option<Reference>, Order), FieldError> {
        let reference = self
            .reference
            .as_deref()
            .map(Reference::parse)
            .transpose()?;
        let currency = Currency::from_code(&self.currency)
            .map_err(|e| FieldError::new("currency", e.to_string()))?;
        let locale = match self.customer.locale.as_deref() {
            None | Some("fr") => Locale::Fr,
            Some("en") => Locale::En,
            Some(_) => {
                return Err(FieldError::new(
                    "customer.locale",
                    "must be \"fr\" or \"en\"",
                ))
            }
        };
        let customer = Customer {
            email: email("customer.email", &self.customer.email)?,
            name: text("customer.name", &self.customer.name, 200)?,
            company: optional_text("customer.company", self.customer.company.as_deref(), 200)?,
            locale,
        };
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Err(FieldError::new(
                "lines",
                format!("must hold 1 to {MAX_LINES} lines"),
            ));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, line) in self.lines.iter().enumerate() {
            let at = |name: &str| format!("lines[{i}].{name}");
            same_currency(&at("currency"), currency, line.currency.as_deref())?;
            if line.quantity == 0 || line.quantity > MAX_QUANTITY {
                return Err(FieldError::new(
                    at("quantity"),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
            let kind = line_kind(&at("kind"), line.kind.as_deref())?;
            let unit_price = amount(&at("unit_price"), currency, &line.unit_price)?;
            let rate = tax_rate(&at("tax_rate"), &line.tax_rate)?;
            if kind == LineKind::Voucher {
                voucher_line(&at, line.quantity, unit_price, rate)?;
            }
            lines.push(OrderLine {
                sku: text(&at("sku"), &line.sku, 64)?,
                description: text(&at("description"), &line.description, 500)?,
                quantity: line.quantity,
                unit_price,
                tax_rate: rate,
                kind,
            });
        }
        let vouchers: u32 = lines
            .iter()
            .filter(|l| l.is_voucher())
            .map(|l| l.quantity)
            .sum();
        if vouchers > MAX_VOUCHERS_PER_ORDER {
            return Err(FieldError::new(
                "lines",
                format!("an order sells {MAX_VOUCHERS_PER_ORDER} gift vouchers at most"),
            ));
        }
        let s = &self.shipping;
        same_currency("shipping.currency", currency, s.currency.as_deref())?;
        let a = &s.address;
        let postcode_field = "shipping.address.postcode";
        Postcode::parse_field(&a.postcode, postcode_field)?;
        let country = country("shipping.address.country", &a.country)?;
        let shipping = Shipping {
            method: text("shipping.method", &s.method, 64)?,
            amount: amount("shipping.amount", currency, &s.amount)?,
            tax_rate: tax_rate("shipping.tax_rate", &s.tax_rate)?,
            address: Address {
                name: text("shipping.address.name", &a.name, 200)?,
                line1: text("shipping.address.line1", &a.line1, 200)?,
                line2: optional_text("shipping.address.line2", a.line2.as_deref(), 200)?,
                postcode: text(postcode_field, &a.postcode, 32)?,
                city: text("shipping.address.city", &a.city, 100)?,
                country,
            },
        };
        let event_date = self
            .event_date
            .as_deref()
            .map(|d| {
                parse_iso_date(d)
                    .map_err(|_| FieldError::new("event_date", "must be a date such as 2026-12-24"))
            })
            .transpose()?;
        let expires_at = self
            .expires_at
            .as_deref()
            .map(|t| {
                OffsetDateTime::parse(t, &Rfc3339)
                    .map_err(|_| FieldError::new("expires_at", "must be an RFC 3339 time"))
            })
            .transpose()?;
        let expires_at = expires_at.map(|t| t.to_offset(time::UtcOffset::UTC));
        if expires_at.is_some_and(|t| t <= now) {
            return Err(FieldError::new("expires_at", "must be in the future"));
        }
        let order = Order {
            // Placeholder until a reference is assigned; never stored as is.
            reference: reference.clone().unwrap_or_else(|| Reference::generated(0)),
            status: OrderStatus::AwaitingPayment,
            currency,
            customer,
            lines,
            shipping,
            amounts: Default::default(),
            closure: None,
            invoiced: None,
            payment_attempts: 0,
            code_failures: 0,
            discount: None,
            event_date,
            expires_at,
            created_at: now,
        };
        if order.totals().gross <= Decimal::ZERO {
            return Err(FieldError::new(
                "lines",
                "the order total must be above zero",
            ));
        }
        Ok((reference, order))
    }
}

/// Refuses, naming the field, an order the PSP taking its cards cannot charge by its own
/// rules (minor units on the wire, minimum and maximum charge): at the quote, not when the
/// shopper pays. A currency it does not take names `currency`; an amount, `lines`.
pub fn check_chargeable(
    command: &CreateOrderCommand,
    now: OffsetDateTime,
    provider: &dyn PaymentProvider,
) -> Result<(), FieldError> {
    let (_, draft) = command.clone().validate(now)?;
    let gross = Money::new(draft.totals().gross, draft.currency)
        .map_err(|e| FieldError::new("lines", format!("the order total {e}")))?;
    provider
        .check_amount(&gross)
        .map_err(|refusal| match refusal {
            AmountRefusal::Currency(reason) => FieldError::new("currency", reason),
            AmountRefusal::Amount(reason) => FieldError::new(
                "lines",
                format!(
                    "the order total {} {}: {reason}",
                    draft.currency.format(gross.amount()),
                    draft.currency.code()
                ),
            ),
        })
}

/// Stores the order under the seller's reference, or under the next `ORD-<n>` from a counter
/// advanced in the same transaction as the insert (no gaps, no duplicates).
pub async fn create_order(
    store: &dyn Store,
    command: CreateOrderCommand,
    now: OffsetDateTime,
) -> Result<Order, CreateOrderError> {
    create_order_with(store, command, now, &|_| Vec::new()).await
}

/// `create_order`, committing `extra(order)` in the same transaction as the order (an
/// idempotency completion naming the new reference).
pub async fn create_order_with(
    store: &dyn Store,
    command: CreateOrderCommand,
    now: OffsetDateTime,
    extra: &(dyn Fn(&Order) -> Vec<Write> + Send + Sync),
) -> Result<Order, CreateOrderError> {
    let (reference, mut order) = command.validate(now)?;
    if let Some(reference) = reference {
        order.reference = reference.clone();
        let extra = extra(&order);
        let inserted = if extra.is_empty() {
            store.insert_order(&order).await
        } else {
            let mut writes = vec![Write::InsertOrder(order.clone())];
            writes.extend(extra);
            store.transact(writes).await
        };
        return match inserted {
            Ok(()) => Ok(order),
            Err(StoreError::AlreadyExists(_)) => Err(CreateOrderError::ReferenceTaken(reference)),
            Err(e) => Err(e.into()),
        };
    }
    let mut current = store.read_counter(REFERENCE_COUNTER).await?;
    for _ in 0..MAX_REFERENCE_ATTEMPTS {
        let advance = Write::AdvanceCounter {
            name: REFERENCE_COUNTER.into(),
            from: current,
            to: current + 1,
        };
        order.reference = Reference::generated(current + 1);
        let mut writes = vec![advance.clone(), Write::InsertOrder(order.clone())];
        writes.extend(extra(&order));
        let outcome = store.transact(writes).await;
        let moved_on = match outcome {
            Ok(()) => return Ok(order),
            // A seller took this number by hand: move the counter past it on its own, so the
            // skip is durable and no later call tries it again.
            Err(StoreError::AlreadyExists(_)) => store.transact(vec![advance]).await,
            // The caller's own extra write failed (its idempotency claim was taken over):
            // retrying with another number would not help.
            Err(StoreError::VersionConflict(what))
                if what.kind == crate::ports::ItemKind::Idempotency =>
            {
                return Err(StoreError::VersionConflict(what).into())
            }
            Err(e) => Err(e),
        };
        current = match moved_on {
            Ok(()) => current + 1,
            // Another order took the number first: start again from the counter.
            Err(StoreError::VersionConflict(_) | StoreError::Contention) => {
                store.read_counter(REFERENCE_COUNTER).await?
            }
            Err(e) => return Err(e.into()),
        };
    }
    Err(StoreError::Contention.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;
    use crate::ports::prelude::*;

    fn command(reference: Option<&str>, expires_at: Option<&str>) -> CreateOrderCommand {
        let mut body = serde_json::json!({
            "customer": {"email": "buyer@example.fr", "name": "Jeanne Martin"},
            "currency": "EUR",
            "lines": [{"sku": "A", "description": "a", "quantity": 1, "unit_price": "10.00", "tax_rate": "20"}],
            "shipping": {"method": "carrier", "amount": "0", "tax_rate": "20",
                         "address": {"name": "J", "line1": "1 rue", "postcode": "83000", "city": "Toulon", "country": "FR"}}
        });
        if let Some(r) = reference {
            body["reference"] = r.into();
        }
        if let Some(t) = expires_at {
            body["expires_at"] = t.into();
        }
        serde_json::from_value(body).unwrap()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[tokio::test]
    async fn a_long_run_of_hand_taken_numbers_is_skipped_for_good() {
        let store = MemoryStore::new();
        for n in 1..=12 {
            let reference = Reference::generated(n).to_string();
            create_order(&store, command(Some(&reference), None), now())
                .await
                .unwrap();
        }
        let generated = create_order(&store, command(None, None), now())
            .await
            .unwrap();
        assert_eq!(generated.reference.as_str(), "ORD-10013");
        assert_eq!(store.read_counter(REFERENCE_COUNTER).await.unwrap(), 13);
        let next = create_order(&store, command(None, None), now())
            .await
            .unwrap();
        assert_eq!(next.reference.as_str(), "ORD-10014");
    }

    /// Runs on the memory store. On moto, concurrent TransactWriteItems are not isolated (a
    /// cancelled transaction restores a copy of the whole table taken when it began, see
    /// moto/dynamodb/models/__init__.py), and this test once got a 503 there; DynamoDB's
    /// transactions are serializable. The sequential path runs on moto in http_api.rs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_creations_get_distinct_sequential_references() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    create_order(store.as_ref(), command(None, None), now()).await
                })
            })
            .collect();
        let mut references = Vec::new();
        for task in tasks {
            references.push(task.await.unwrap().unwrap().reference.to_string());
        }
        references.sort();
        let expected: Vec<String> = (1..=20)
            .map(|n| Reference::generated(n).to_string())
            .collect();
        assert_eq!(references, expected);
        assert_eq!(store.read_counter(REFERENCE_COUNTER).await.unwrap(), 20);
    }

    #[tokio::test]
    async fn expiry_is_stored_in_utc() {
        let store = MemoryStore::new();
        let order = create_order(
            &store,
            command(Some("ORD-1"), Some("2030-01-01T12:00:00+02:00")),
            now(),
        )
        .await
        .unwrap();
        let expiry = order.expires_at.unwrap();
        assert_eq!(expiry.offset(), time::UtcOffset::UTC);
        assert_eq!(expiry.hour(), 10);
    }
}
