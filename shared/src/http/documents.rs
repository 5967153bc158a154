//! `GET /v1/orders/{reference}/documents` (shopper, order access token) and
//! `GET /v1/admin/orders/{reference}/documents` (back office): an order's invoices and credit
//! notes, each with a download link that works for five minutes.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::views::rfc3339;
use super::{bearer_token, Problem};
use crate::app::order_documents::{DocumentEntry, OrderDocuments};
use crate::app::OrderLookup;
use crate::domain::invoice::DocumentKind;
use crate::domain::Reference;

#[derive(Debug, Serialize)]
pub struct DocumentView {
    pub number: String,
    /// `invoice` or `credit_note`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The invoice a credit note corrects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    /// VAT included, as a decimal string.
    pub total: String,
    pub currency: &'static str,
    pub file_name: String,
    /// A PDF/A-3 with its Factur-X XML embedded; the link stops working at `link_expires_at`.
    pub download_url: String,
    pub link_expires_at: String,
}

#[derive(Debug, Serialize)]
pub struct DocumentsResponse {
    pub documents: Vec<DocumentView>,
}

fn view(entry: DocumentEntry) -> DocumentView {
    let (kind, corrects) = match entry.kind {
        DocumentKind::Invoice => ("invoice", None),
        DocumentKind::CreditNote { invoice } => ("credit_note", Some(invoice)),
    };
    DocumentView {
        number: entry.number,
        kind,
        corrects,
        issued_on: entry.issued_on.to_string(),
        total: entry.currency.format(entry.gross),
        currency: entry.currency.code(),
        file_name: entry.file_name,
        download_url: entry.download_url,
        link_expires_at: rfc3339(entry.link_expires_at),
    }
}

/// Links are credentials for a few minutes: never cached.
fn no_store(documents: Vec<DocumentEntry>) -> Response {
    let body = DocumentsResponse {
        documents: documents.into_iter().map(view).collect(),
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) async fn shopper_documents(
    State(lookup): State<OrderLookup>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let documents = lookup.documents(&reference, bearer_token(&headers)).await?;
    Ok(no_store(documents))
}

/// For the back office router: the order must exist.
pub async fn admin_documents(
    documents: &OrderDocuments,
    store: &dyn crate::ports::Store,
    reference: &str,
) -> Result<Response, Problem> {
    let not_found = Problem::unknown_order;
    let reference = Reference::parse(reference).map_err(|_| not_found())?;
    store
        .get_order(&reference)
        .await
        .map_err(|e| Problem::from_store(&e))?
        .ok_or_else(not_found)?;
    let listed = documents
        .list(&reference)
        .await
        .map_err(|e| Problem::from_store(&e))?;
    Ok(no_store(listed))
}
