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
    iam_caller(parts).is_some()
}

/// The IAM principal API Gateway authenticated (its `userArn`, else its account and caller
/// ids), when it did.
pub fn iam_caller(parts: &Parts) -> Option<String> {
    #[allow(irrefutable_let_patterns)]
    if let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>() {
        let iam = context.authorizer.as_ref()?.iam.as_ref()?;
        return Some(iam.user_arn.clone().unwrap_or_else(|| {
            format!(
                "account:{} caller:{}",
                iam.account_id.as_deref().unwrap_or("?"),
                iam.caller_id.as_deref().unwrap_or("?")
            )
        }));
    }
    None
}
