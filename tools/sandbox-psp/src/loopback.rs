//! The sandbox's switches (`_faults`, `_events`, `_expire_authorisation`, `_clock`, `_sepa`) and the devserver's
//! `/dev/*` change or reveal what a test controls: they answer only a client on this machine.
//! Anyone else gets the 404 an unknown route gets (the server may listen on every interface,
//! e.g. `ENCAISSE_LISTEN=0.0.0.0:3000` for a phone on the LAN).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// Whether a request that came from `peer` may reach a loopback-only route. Without a peer
/// address (a server started without connect info), nobody may.
pub fn is_local(peer: Option<SocketAddr>) -> bool {
    peer.is_some_and(|addr| match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    })
}

async fn guard(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    if is_local(peer) {
        next.run(request).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// `routes`, answering loopback clients only (serve with `into_make_service_with_connect_info`).
pub fn loopback_only<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes.layer(middleware::from_fn(guard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_local() {
        let at = |s: &str| Some(s.parse::<SocketAddr>().unwrap());
        assert!(is_local(at("127.0.0.1:5000")));
        assert!(is_local(at("127.8.9.10:5000")));
        assert!(is_local(at("[::1]:5000")));
        assert!(is_local(at("[::ffff:127.0.0.1]:5000")));
        assert!(!is_local(at("192.168.1.20:5000")));
        assert!(!is_local(at("203.0.113.7:443")));
        assert!(!is_local(at("[2001:db8::1]:443")));
        assert!(!is_local(at("[::ffff:10.0.0.1]:443")));
        assert!(!is_local(None));
    }

    /// The switches answer a loopback peer and 404 anyone else; the PSP's API is not guarded.
    #[tokio::test]
    async fn switches_answer_loopback_clients_only() {
        use tower::ServiceExt;
        let sandbox = crate::SandboxPsp::new(crate::SandboxConfig {
            public_base_url: "http://127.0.0.1:3000".into(),
            webhook_url: None,
            webhook_secret: "whsec_test".into(),
        });
        let call = |path: &str, peer: &str| {
            let mut request = Request::builder()
                .uri(format!("{}{path}", crate::MOUNT))
                .body(axum::body::Body::empty())
                .unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            sandbox.app().oneshot(request)
        };
        for path in ["/_faults", "/_events", "/_clock"] {
            let local = call(path, "127.0.0.1:40000").await.unwrap();
            assert_eq!(local.status(), StatusCode::OK, "{path}");
            let remote = call(path, "192.168.1.20:40000").await.unwrap();
            assert_eq!(remote.status(), StatusCode::NOT_FOUND, "{path}");
        }
        // The Stripe API itself answers (401 without a key), wherever the client is.
        let api = call("/v1/payment_intents/pi_1", "192.168.1.20:40000")
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    }
}
