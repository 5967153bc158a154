//! The caller's address, for counting failed lookups: API Gateway's `sourceIp` in Lambda, the
//! socket peer in the devserver.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        #[allow(irrefutable_let_patterns)]
        if let Some(RequestContext::ApiGatewayV2(context)) =
            parts.extensions.get::<RequestContext>()
        {
            if let Some(ip) = &context.http.source_ip {
                return Ok(ClientIp(ip.clone()));
            }
        }
        if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            return Ok(ClientIp(peer.ip().to_string()));
        }
        // Neither Lambda nor a socket: every such caller shares one budget, which fails safe.
        Ok(ClientIp("unknown".into()))
    }
}

/// True when API Gateway authenticated the caller with IAM (SigV4) before invoking us.
pub fn has_iam_identity(parts: &Parts) -> bool {
    #[allow(irrefutable_let_patterns)]
    if let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>() {
        return context
            .authorizer
            .as_ref()
            .and_then(|a| a.iam.as_ref())
            .is_some();
    }
    false
}
