//! `GET /dev/documents/{key}?expires=…&signature=…`: what the download links of the memory
//! document store point to (S3's presigned URLs in AWS). The link's signature and expiry are
//! checked before the PDF is served; anything else is a 404.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use encaisse::adapters::memory::documents::MemoryDocumentFiles;
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Debug, Deserialize)]
struct LinkQuery {
    expires: i64,
    signature: String,
}

async fn download(
    State(files): State<Arc<MemoryDocumentFiles>>,
    Path(key): Path<String>,
    Query(link): Query<LinkQuery>,
) -> Response {
    let Some(pdf) = files.open(
        &key,
        link.expires,
        &link.signature,
        OffsetDateTime::now_utc(),
    ) else {
        return (
            StatusCode::NOT_FOUND,
            "no such document, or the link has expired",
        )
            .into_response();
    };
    let name = key.rsplit('/').next().unwrap_or("document.pdf").to_string();
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

pub fn router(files: Arc<MemoryDocumentFiles>) -> Router {
    Router::new()
        .route("/dev/documents/{*key}", get(download))
        .with_state(files)
}
