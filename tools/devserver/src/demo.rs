//! Demo quotes for the devserver, inserted once (re-seeding an existing table is a no-op).

use encaisse::domain::order::{Address, Customer, Locale, OrderLine, Shipping};
use encaisse::domain::{Currency, Order, OrderStatus, Reference};
use encaisse::ports::{Store, StoreError};
use rust_decimal::Decimal;
use time::OffsetDateTime;

pub struct DemoOrder {
    pub reference: String,
    pub postcode: String,
    pub gross: String,
}

fn line(sku: &str, description: &str, quantity: u32, cents: i64, rate_tenths: i64) -> OrderLine {
    OrderLine {
        sku: sku.into(),
        description: description.into(),
        quantity,
        unit_price: Decimal::new(cents, 2),
        tax_rate: Decimal::new(rate_tenths, 1),
        kind: Default::default(),
    }
}

#[allow(clippy::too_many_arguments)]
fn demo(
    reference: &str,
    email: &str,
    name: &str,
    company: Option<&str>,
    locale: Locale,
    lines: Vec<OrderLine>,
    shipping_cents: i64,
    (line1, postcode, city): (&str, &str, &str),
) -> Order {
    Order {
        reference: Reference::parse(reference).expect("demo reference"),
        status: OrderStatus::AwaitingPayment,
        currency: Currency::EUR,
        customer: Customer {
            email: email.into(),
            name: name.into(),
            company: company.map(Into::into),
            locale,
        },
        lines,
        shipping: Shipping {
            method: "carrier".into(),
            amount: Decimal::new(shipping_cents, 2),
            tax_rate: Decimal::from(20),
            address: Address {
                name: name.into(),
                line1: line1.into(),
                line2: None,
                postcode: postcode.into(),
                city: city.into(),
                country: "FR".into(),
            },
        },
        amounts: Default::default(),
        closure: None,
        invoiced: None,
        payment_attempts: 0,
        code_failures: 0,
        discount: None,
        event_date: None,
        expires_at: None,
        created_at: OffsetDateTime::now_utc(),
    }
}

pub fn demo_orders() -> Vec<Order> {
    vec![
        demo(
            "ORD-10042",
            "jeanne.martin@example.fr",
            "Jeanne Martin",
            Some("Atelier Martin"),
            Locale::Fr,
            vec![line("FUS-40", "Fusion laser 40 W", 2, 120000, 200)],
            3500,
            ("9 rue d'Antrechaus", "83000", "Toulon"),
        ),
        demo(
            "ORD-10043",
            "paul.durand@example.fr",
            "Paul Durand",
            None,
            Locale::Fr,
            vec![
                line("LIV-01", "Livre « La gravure laser »", 3, 2990, 55),
                line("GAN-02", "Gants de protection", 2, 1450, 200),
            ],
            690,
            ("12 boulevard Voltaire", "75011", "Paris"),
        ),
        demo(
            "ORD-10044",
            "emma.smith@example.com",
            "Emma Smith",
            Some("Smith & Co"),
            Locale::En,
            vec![line("CUT-90", "Cutting head 90 mm", 1, 45900, 200)],
            0,
            ("3 quai Claude Bernard", "69007", "Lyon"),
        ),
    ]
}

pub async fn seed_demo_orders(store: &dyn Store) -> Result<Vec<DemoOrder>, StoreError> {
    let mut seeded = Vec::new();
    for order in demo_orders() {
        match store.insert_order(&order).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        seeded.push(DemoOrder {
            reference: order.reference.to_string(),
            postcode: order.shipping.address.postcode.clone(),
            gross: order.currency.format(order.totals().gross),
        });
    }
    Ok(seeded)
}
