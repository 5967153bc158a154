//! What every Lambda function's `main` starts with and runs under: logs as JSON when Lambda's
//! log format is JSON (`LoggingConfig: LogFormat: JSON` in the template; each line carries the
//! invocation's `requestId` span and, where known, the order reference and payment id), and the
//! metrics of [`crate::telemetry`] written as CloudWatch Embedded Metric Format to stdout after
//! each invocation by `metrics_cloudwatch_embedded`, with the function's name as dimension.

use std::future::Future;

use lambda_runtime::{Diagnostic, LambdaEvent};
use metrics_cloudwatch_embedded::Collector;
use serde::{Deserialize, Serialize};

use crate::telemetry::{describe, NAMESPACE};

/// Installs the log subscriber and the metrics recorder; call once, first thing in `main`.
pub fn init() -> Result<&'static Collector, lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into());
    let collector = collector_builder(function).init()?;
    describe();
    Ok(collector)
}

/// The collector's settings, shared with the tests that read its output.
pub fn collector_builder(function: String) -> metrics_cloudwatch_embedded::Builder {
    metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension("Function", function)
        .with_lambda_request_id("RequestId")
        .lambda_cold_start_metric("ColdStart")
}

/// `lambda_http::run` with the metrics flushed after each invocation.
pub async fn run_http<S, R, E>(
    collector: &'static Collector,
    router: S,
) -> Result<(), lambda_runtime::Error>
where
    S: tower::Service<lambda_http::Request, Response = R, Error = E> + Send,
    S::Future: Send + 'static,
    R: lambda_http::IntoResponse,
    E: std::fmt::Debug + Into<Diagnostic>,
{
    metrics_cloudwatch_embedded::lambda::service::run_http(collector, router).await
}

/// `lambda_runtime::run(service_fn(handler))` with the metrics flushed after each invocation.
pub async fn run<T, F, Request, Response>(
    collector: &'static Collector,
    handler: T,
) -> Result<(), lambda_runtime::Error>
where
    T: FnMut(LambdaEvent<Request>) -> F,
    F: Future<Output = Result<Response, lambda_runtime::Error>>,
    Request: for<'de> Deserialize<'de>,
    Response: Serialize,
{
    metrics_cloudwatch_embedded::lambda::handler::run(collector, handler).await
}
