//! The shopper pages (`web/` at the repo root) served at `/`, as S3 + CloudFront serve them
//! when deployed: `/` and `/pay` are the lookup page, every other file keeps its path.
//!
//! Routes are registered one per file found at startup (no wildcard), so the static files can
//! never shadow `/v1`, `/sandbox-psp` or `/dev`, and unknown paths keep the API's 404 problem.
//! Files are read from disk on each request so an edited page shows without a rebuild.

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use encaisse::domain::branding::Branding;
use encaisse::http::Problem;

/// The same policy the CloudFront response-headers policy in template.yaml sets: the pages
/// only talk to their own origin, and card data never reaches them (the PSP's page has it).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

/// `ENCAISSE_WEB_DIR`, else the repo's `web/` next to this crate.
pub fn default_dir() -> PathBuf {
    std::env::var_os("ENCAISSE_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web"))
}

fn content_type(path: &Path) -> Option<&'static str> {
    Some(match path.extension()?.to_str()? {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// Every servable file under `dir` (two levels deep, no hidden files), as URL paths.
fn list_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut pending = vec![(String::new(), dir.to_path_buf(), 0)];
    while let Some((prefix, folder, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !name.bytes().all(safe_byte) {
                continue;
            }
            let path = entry.path();
            let url = format!("{prefix}/{name}");
            if path.is_dir() && depth < 2 {
                pending.push((url, path, depth + 1));
            } else if path.is_file() && content_type(&path).is_some() {
                found.push((url, path));
            }
        }
    }
    found.sort();
    found
}

fn safe_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// The pages' policy, with the brand's logo allowed as an image (as template.yaml's
/// `img-src 'self' data: ${BrandLogoUrl}`).
pub fn content_security_policy(brand: Option<&Branding>) -> HeaderValue {
    let logo = brand.and_then(|b| b.logo_url.as_deref());
    match logo {
        None => HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        Some(url) => {
            let policy = CONTENT_SECURITY_POLICY.replace(
                "img-src 'self' data:;",
                &format!("img-src 'self' data: {url};"),
            );
            // A checked logo address is visible ASCII without quotes: a valid header value.
            HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static(CONTENT_SECURITY_POLICY))
        }
    }
}

async fn serve(path: PathBuf, policy: HeaderValue) -> Response {
    let Some(kind) = content_type(&path) else {
        return Problem::route_not_found().into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            // Revalidate every time: a deploy must reach shoppers at once.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            );
            if kind.starts_with("text/html") {
                headers.insert(header::CONTENT_SECURITY_POLICY, policy);
            }
            response
        }
        Err(_) => Problem::route_not_found().into_response(),
    }
}

/// `web/assets/config.js` as a deployment writes it for `brand` (README, "Deploy"): the API
/// on the same origin, the brand's name, logo and colour as JSON strings.
pub fn branded_config(brand: &Branding) -> String {
    let quoted = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        "export const API_BASE = \"\";\nexport const BRAND = {{ name: {}, logo_url: {}, colour: {} }};\n",
        quoted(&brand.name),
        quoted(brand.logo_url.as_deref().unwrap_or("")),
        quoted(&brand.colour),
    )
}

async fn serve_config(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// GET routes for the pages in `dir`; empty when the folder is missing (the API still runs).
/// With a `brand`, `config.js` is the one a deployment of that brand writes.
pub fn router(dir: &Path, brand: Option<&Branding>) -> Router {
    let mut router = Router::new();
    let policy = content_security_policy(brand);
    let files = list_files(dir);
    for (url, path) in files {
        if let (Some(brand), "/assets/config.js") = (brand, url.as_str()) {
            let body = branded_config(brand);
            router = router.route(&url, get(move || serve_config(body.clone())));
            continue;
        }
        if url == "/index.html" {
            for alias in ["/", "/pay"] {
                let (p, policy) = (path.clone(), policy.clone());
                router = router.route(alias, get(move || serve(p.clone(), policy.clone())));
            }
        }
        let policy = policy.clone();
        router = router.route(&url, get(move || serve(path.clone(), policy.clone())));
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_safe_known_files() {
        let dir = std::env::temp_dir().join(format!("encaisse-web-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dir.join("assets/app.js"), "export {}").unwrap();
        std::fs::write(dir.join(".secret.html"), "no").unwrap();
        std::fs::write(dir.join("notes.md"), "no").unwrap();
        let urls: Vec<String> = list_files(&dir).into_iter().map(|(u, _)| u).collect();
        assert_eq!(urls, vec!["/assets/app.js", "/index.html"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_branded_config_is_javascript_with_the_brand_as_json_strings() {
        let brand = Branding::new(
            "Atelier \"Demo\"",
            Some("https://cdn.example/l.png"),
            "#112233",
        )
        .unwrap();
        assert_eq!(
            branded_config(&brand),
            "export const API_BASE = \"\";\nexport const BRAND = { name: \"Atelier \\\"Demo\\\"\", \
             logo_url: \"https://cdn.example/l.png\", colour: \"#112233\" };\n"
        );
    }

    #[test]
    fn a_branded_logo_is_allowed_by_the_pages_policy() {
        let unbranded = content_security_policy(None);
        assert!(unbranded
            .to_str()
            .unwrap()
            .contains("img-src 'self' data:;"));
        let brand = Branding::new("A", Some("https://cdn.example/l.png"), "#000000").unwrap();
        let policy = content_security_policy(Some(&brand));
        assert!(policy
            .to_str()
            .unwrap()
            .contains("img-src 'self' data: https://cdn.example/l.png;"));
    }
}
