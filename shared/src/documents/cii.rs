//! The UN/CEFACT Cross Industry Invoice (CII D16B) of an invoice or credit note, in the Factur-X
//! EN 16931 profile: what an accountant's software or an e-invoicing platform reads instead of
//! the printed page. Every amount comes from the issued document as it is (already checked to add
//! up by `InvoiceDraft::check`); nothing is recomputed here.

use rust_decimal::Decimal;
use time::Date;

use super::xml_tree::{el, leaf, Element};
use crate::domain::invoice::{DocumentKind, PaidBy};
use crate::domain::invoice_text::date as invoice_date;
use crate::domain::{Invoice, Locale};

/// The EN 16931 guideline (BT-24) Factur-X uses for its EN 16931 profile.
pub const EN16931_GUIDELINE: &str = "urn:cen.eu:en16931:2017";

/// UNTDID 1001: commercial invoice and credit note.
const INVOICE_TYPE: &str = "380";
const CREDIT_NOTE_TYPE: &str = "381";

/// The French B2B mentions (Code de commerce L441-9 and D441-5) every invoice carries, as
/// UNTDID 4451 subject-coded notes: late-payment penalties (PMD), the fixed recovery indemnity
/// (PMT), no discount for early payment (AAB).
pub const LATE_PAYMENT_PENALTIES: &str = "En cas de retard de paiement, pénalités au taux de \
     trois fois le taux d'intérêt légal (art. L441-10 du Code de commerce).";
pub const RECOVERY_INDEMNITY: &str = "Indemnité forfaitaire pour frais de recouvrement en cas \
     de retard de paiement : 40 € (art. D441-5 du Code de commerce).";
pub const NO_EARLY_DISCOUNT: &str = "Pas d'escompte pour paiement anticipé.";

/// The document as Factur-X XML (`factur-x.xml`).
pub fn cii_xml(invoice: &Invoice) -> Vec<u8> {
    el("rsm:CrossIndustryInvoice")
        .attr(
            "xmlns:rsm",
            "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        )
        .attr(
            "xmlns:qdt",
            "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
        )
        .attr(
            "xmlns:ram",
            "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        )
        .attr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
        .attr(
            "xmlns:udt",
            "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
        )
        .child(
            el("rsm:ExchangedDocumentContext").child(
                el("ram:GuidelineSpecifiedDocumentContextParameter")
                    .child(leaf("ram:ID", EN16931_GUIDELINE)),
            ),
        )
        .child(exchanged_document(invoice))
        .child(
            el("rsm:SupplyChainTradeTransaction")
                .children(line_items(invoice))
                .child(header_agreement(invoice))
                .child(header_delivery(invoice))
                .child(header_settlement(invoice)),
        )
        .to_document()
}

fn exchanged_document(invoice: &Invoice) -> Element {
    let draft = &invoice.draft;
    let type_code = match draft.kind {
        DocumentKind::Invoice => INVOICE_TYPE,
        DocumentKind::CreditNote { .. } => CREDIT_NOTE_TYPE,
    };
    let seller = &draft.seller;
    el("rsm:ExchangedDocument")
        .child(leaf("ram:ID", &invoice.number))
        .child(leaf("ram:TypeCode", type_code))
        .child(el("ram:IssueDateTime").child(date_time(draft.issued_on)))
        .child(note(
            &format!(
                "{} – {} – {}",
                seller.legal_name, seller.share_capital, seller.rcs
            ),
            "ABL",
        ))
        .child(note(LATE_PAYMENT_PENALTIES, "PMD"))
        .child(note(RECOVERY_INDEMNITY, "PMT"))
        .child(note(NO_EARLY_DISCOUNT, "AAB"))
}

fn note(content: &str, subject: &str) -> Element {
    el("ram:IncludedNote")
        .child(leaf("ram:Content", content))
        .child(leaf("ram:SubjectCode", subject))
}

fn date_time(date: Date) -> Element {
    leaf(
        "udt:DateTimeString",
        format!(
            "{:04}{:02}{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
    )
    .attr("format", "102")
}

fn line_items(invoice: &Invoice) -> Vec<Element> {
    let currency = invoice.draft.currency;
    invoice
        .draft
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            el("ram:IncludedSupplyChainTradeLineItem")
                .child(
                    el("ram:AssociatedDocumentLineDocument")
                        .child(leaf("ram:LineID", (i + 1).to_string())),
                )
                .child(el("ram:SpecifiedTradeProduct").child(leaf("ram:Name", &line.description)))
                .child(
                    el("ram:SpecifiedLineTradeAgreement").child(
                        el("ram:NetPriceProductTradePrice")
                            .child(leaf("ram:ChargeAmount", price(line.unit_price))),
                    ),
                )
                .child(el("ram:SpecifiedLineTradeDelivery").child(
                    leaf("ram:BilledQuantity", line.quantity.to_string()).attr("unitCode", "C62"),
                ))
                .child(
                    el("ram:SpecifiedLineTradeSettlement")
                        .child(trade_tax(line.tax_rate))
                        .child(
                            el("ram:SpecifiedTradeSettlementLineMonetarySummation").child(leaf(
                                "ram:LineTotalAmount",
                                amount(line.net, currency.minor_units()),
                            )),
                        ),
                )
        })
        .collect()
}

/// A VAT category without amounts (on a line or an allowance / charge).
fn trade_tax(rate: Decimal) -> Element {
    el("ram:ApplicableTradeTax")
        .child(leaf("ram:TypeCode", "VAT"))
        .child(leaf("ram:CategoryCode", vat_category(rate)))
        .child(leaf("ram:RateApplicablePercent", percent(rate)))
}

/// Standard rate above zero; zero-rated otherwise (no exemption is invoiced here).
fn vat_category(rate: Decimal) -> &'static str {
    if rate > Decimal::ZERO {
        "S"
    } else {
        "Z"
    }
}

fn header_agreement(invoice: &Invoice) -> Element {
    let draft = &invoice.draft;
    let seller = &draft.seller;
    let customer = &draft.customer;
    let seller_party = el("ram:SellerTradeParty")
        .child_if(
            seller
                .siret
                .as_ref()
                .map(|siret| leaf("ram:GlobalID", siret).attr("schemeID", "0009")),
        )
        .child(leaf("ram:Name", &seller.legal_name))
        .child(
            el("ram:SpecifiedLegalOrganization")
                .child(leaf("ram:ID", &seller.siren).attr("schemeID", "0002")),
        )
        .child(
            el("ram:PostalTradeAddress")
                .child_if(non_empty(&seller.postcode).map(|p| leaf("ram:PostcodeCode", p)))
                .child_if(seller.address_lines.first().map(|l| leaf("ram:LineOne", l)))
                .child_if(seller.address_lines.get(1).map(|l| leaf("ram:LineTwo", l)))
                .child_if(
                    seller
                        .address_lines
                        .get(2)
                        .map(|l| leaf("ram:LineThree", l)),
                )
                .child_if(non_empty(&seller.city).map(|c| leaf("ram:CityName", c)))
                .child(leaf("ram:CountryID", &seller.country)),
        )
        .child(
            el("ram:SpecifiedTaxRegistration")
                .child(leaf("ram:ID", &seller.vat_number).attr("schemeID", "VA")),
        );
    let buyer_name = customer.company.as_deref().unwrap_or(&customer.name);
    let address = &customer.address;
    let buyer_party =
        el("ram:BuyerTradeParty")
            .child(leaf("ram:Name", buyer_name))
            .child_if(customer.company.is_some().then(|| {
                el("ram:DefinedTradeContact").child(leaf("ram:PersonName", &customer.name))
            }))
            .child(
                el("ram:PostalTradeAddress")
                    .child(leaf("ram:PostcodeCode", &address.postcode))
                    .child(leaf("ram:LineOne", &address.line1))
                    .child_if(address.line2.as_ref().map(|l| leaf("ram:LineTwo", l)))
                    .child(leaf("ram:CityName", &address.city))
                    .child(leaf("ram:CountryID", &address.country)),
            )
            .child(
                el("ram:URIUniversalCommunication")
                    .child(leaf("ram:URIID", &customer.email).attr("schemeID", "EM")),
            );
    // A month summary bills several orders: each line names its own.
    let order = draft.summary.is_none().then(|| {
        el("ram:BuyerOrderReferencedDocument")
            .child(leaf("ram:IssuerAssignedID", draft.order_reference.as_str()))
    });
    el("ram:ApplicableHeaderTradeAgreement")
        .child(seller_party)
        .child(buyer_party)
        .child_if(order)
}

fn header_delivery(invoice: &Invoice) -> Element {
    el("ram:ApplicableHeaderTradeDelivery").child_if(invoice.draft.delivered_on.map(|date| {
        el("ram:ActualDeliverySupplyChainEvent")
            .child(el("ram:OccurrenceDateTime").child(date_time(date)))
    }))
}

fn header_settlement(invoice: &Invoice) -> Element {
    let draft = &invoice.draft;
    let units = draft.currency.minor_units();
    let money = |value: Decimal| amount(value, units);
    let line_total: Decimal = draft.lines.iter().map(|l| l.net).sum();
    let charge_total = draft.shipping.net.max(Decimal::ZERO);
    let allowance_total: Decimal = draft.adjustments.iter().map(|a| -a.net).sum();
    let means = draft.paid_by.map(|paid_by| {
        el("ram:SpecifiedTradeSettlementPaymentMeans")
            .child(leaf("ram:TypeCode", paid_by.means_code()))
            .child(leaf("ram:Information", means_label(paid_by)))
    });
    let taxes = draft.tax_bands.iter().map(|band| {
        el("ram:ApplicableTradeTax")
            .child(leaf("ram:CalculatedAmount", money(band.tax)))
            .child(leaf("ram:TypeCode", "VAT"))
            .child(leaf("ram:BasisAmount", money(band.base)))
            .child(leaf("ram:CategoryCode", vat_category(band.rate)))
            .child(leaf("ram:RateApplicablePercent", percent(band.rate)))
    });
    let shipping_charge = (charge_total > Decimal::ZERO).then(|| {
        allowance_charge(
            true,
            money(charge_total),
            format!("Livraison {}", draft.shipping.method).trim_end(),
            draft.shipping.tax_rate,
        )
    });
    let allowances = draft.adjustments.iter().map(|a| {
        let reason = a.label.as_deref().unwrap_or("Non livré (non facturé)");
        allowance_charge(false, money(-a.net), reason, a.tax_rate)
    });
    let prepaid = draft.gross - draft.amount_due;
    let mut summation = el("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
        .child(leaf("ram:LineTotalAmount", money(line_total)));
    if charge_total > Decimal::ZERO {
        summation = summation.child(leaf("ram:ChargeTotalAmount", money(charge_total)));
    }
    if allowance_total > Decimal::ZERO {
        summation = summation.child(leaf("ram:AllowanceTotalAmount", money(allowance_total)));
    }
    let summation = summation
        .child(leaf("ram:TaxBasisTotalAmount", money(draft.net)))
        .child(
            leaf("ram:TaxTotalAmount", money(draft.tax)).attr("currencyID", draft.currency.code()),
        )
        .child(leaf("ram:GrandTotalAmount", money(draft.gross)))
        .child(leaf("ram:TotalPrepaidAmount", money(prepaid)))
        .child(leaf("ram:DuePayableAmount", money(draft.amount_due)));
    let referenced = match &draft.kind {
        DocumentKind::CreditNote { invoice } => {
            Some(el("ram:InvoiceReferencedDocument").child(leaf("ram:IssuerAssignedID", invoice)))
        }
        DocumentKind::Invoice => None,
    };
    let summary = draft.summary.as_ref();
    // A summary's debit is announced for a day, under a mandate (BT-89) and creditor (BT-90).
    let creditor = summary
        .and_then(|s| s.creditor_id.as_ref())
        .map(|id| leaf("ram:CreditorReferenceID", id));
    let payment_reference = match summary {
        Some(_) => invoice.number.as_str(),
        None => draft.order_reference.as_str(),
    };
    let period = summary.map(|s| {
        el("ram:BillingSpecifiedPeriod")
            .child(el("ram:StartDateTime").child(date_time(s.month.first_day())))
            .child(el("ram:EndDateTime").child(date_time(draft.issued_on)))
    });
    let terms = el("ram:SpecifiedTradePaymentTerms")
        .child(leaf("ram:Description", payment_terms(invoice)))
        .child_if(
            summary
                .and_then(|s| s.collection_on)
                .map(|day| el("ram:DueDateDateTime").child(date_time(day))),
        )
        .child_if(
            summary
                .and_then(|s| s.mandate_reference.as_ref())
                .map(|umr| leaf("ram:DirectDebitMandateID", umr)),
        );
    el("ram:ApplicableHeaderTradeSettlement")
        .child_if(creditor)
        .child(leaf("ram:PaymentReference", payment_reference))
        .child(leaf("ram:InvoiceCurrencyCode", draft.currency.code()))
        .child_if(means)
        .children(taxes)
        .child_if(period)
        .child_if(shipping_charge)
        .children(allowances)
        .child(terms)
        .child(summation)
        .child_if(referenced)
}

fn allowance_charge(is_charge: bool, value: String, reason: &str, rate: Decimal) -> Element {
    el("ram:SpecifiedTradeAllowanceCharge")
        .child(el("ram:ChargeIndicator").child(leaf(
            "udt:Indicator",
            if is_charge { "true" } else { "false" },
        )))
        .child(leaf("ram:ActualAmount", value))
        .child(leaf("ram:Reason", reason))
        .child(
            el("ram:CategoryTradeTax")
                .child(leaf("ram:TypeCode", "VAT"))
                .child(leaf("ram:CategoryCode", vat_category(rate)))
                .child(leaf("ram:RateApplicablePercent", percent(rate))),
        )
}

/// What the page says under the totals: paid (how and when), or what is due.
pub fn payment_terms(invoice: &Invoice) -> String {
    let draft = &invoice.draft;
    let how = draft.paid_by.map(means_label);
    match (&draft.kind, draft.amount_due.is_zero()) {
        (DocumentKind::CreditNote { invoice }, _) => format!(
            "Avoir sur la facture {invoice}, remboursé{}.",
            how.map(|h| format!(" ({h})")).unwrap_or_default()
        ),
        (DocumentKind::Invoice, true) => format!(
            "Facture acquittée le {}{}.",
            invoice_date(draft.issued_on, Locale::Fr),
            how.map(|h| format!(" ({h})")).unwrap_or_default()
        ),
        (DocumentKind::Invoice, false) => {
            let debit = draft
                .summary
                .as_ref()
                .and_then(|s| s.collection_on.map(|day| (s, day)));
            match debit {
                Some((summary, day)) => {
                    let mut how = vec!["prélèvement SEPA".to_string()];
                    how.extend(
                        summary
                            .mandate_reference
                            .iter()
                            .map(|m| format!("mandat {m}")),
                    );
                    how.extend(summary.creditor_id.iter().map(|c| format!("créancier {c}")));
                    format!(
                        "Sera prélevé le {} ({}).",
                        invoice_date(day, Locale::Fr),
                        how.join(", ")
                    )
                }
                None => "Payable à réception.".to_string(),
            }
        }
    }
}

pub fn means_label(paid_by: PaidBy) -> &'static str {
    match paid_by {
        PaidBy::Card => "carte bancaire",
        PaidBy::SepaDebit => "prélèvement SEPA",
        PaidBy::BankTransfer => "virement",
        PaidBy::Cheque => "chèque",
        PaidBy::Voucher => "bon d'achat",
        PaidBy::CreditBalance => "solde avoir",
        PaidBy::OnAccount => "compte client",
    }
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.trim().is_empty()).then_some(text)
}

/// An amount with exactly the currency's decimals (BR-DEC: at most two).
fn amount(value: Decimal, minor_units: u32) -> String {
    let mut value = value.round_dp(minor_units.min(2));
    value.rescale(minor_units.min(2));
    value.to_string()
}

/// A unit price as precise as it was quoted.
fn price(value: Decimal) -> String {
    let mut value = value.normalize();
    if value.scale() < 2 {
        value.rescale(2);
    }
    value.to_string()
}

fn percent(rate: Decimal) -> String {
    let mut rate = rate.normalize();
    if rate.scale() < 2 {
        rate.rescale(2);
    }
    rate.to_string()
}
