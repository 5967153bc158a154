//! Counts the HTTP requests a DynamoDB client sends, per operation, retries included: the
//! honest "round trips per flow" number that scripts/bench reports. A `recording` counter also
//! asks every request for `ReturnConsumedCapacity=TOTAL` and keeps each request and response
//! body, so the bench can sum capacity per flow; it buffers bodies, so only the bench uses it.
//! Neither is attached in the functions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::body::SdkBody;

/// One request as sent (after `ReturnConsumedCapacity` was added) and the response to it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub operation: String,
    pub request: serde_json::Value,
    /// Null when no JSON response was read (e.g. a connection error).
    pub response: serde_json::Value,
    pub http_status: u16,
}

#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    recording: bool,
}

impl RequestCounter {
    /// Counts requests only; requests go out unchanged.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts, asks for consumed capacity and keeps every request and response (`exchanges`).
    pub fn recording() -> Self {
        Self {
            recording: true,
            ..Self::default()
        }
    }

    /// Requests sent so far, by operation name (e.g. "BatchGetItem").
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    /// Every request since the last reset, in order, with its response.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().map(|e| e.clone()).unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut c) = self.counts.lock() {
            c.clear();
        }
        if let Ok(mut e) = self.exchanges.lock() {
            e.clear();
        }
    }
}

fn operation_name(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| m.name().to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    /// Before signing, so the signature covers the changed body.
    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.recording {
            return Ok(());
        }
        let request = context.request_mut();
        let Some(mut body) = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        else {
            return Ok(());
        };
        let Some(fields) = body.as_object_mut() else {
            return Ok(());
        };
        fields.insert("ReturnConsumedCapacity".into(), "TOTAL".into());
        let bytes = serde_json::to_vec(&body)?;
        request
            .headers_mut()
            .insert("content-length", bytes.len().to_string());
        *request.body_mut() = SdkBody::from(bytes);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = operation_name(cfg);
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(operation.clone()).or_default() += 1;
        }
        if !self.recording {
            return Ok(());
        }
        let request = context
            .request()
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        if let Ok(mut exchanges) = self.exchanges.lock() {
            exchanges.push(Exchange {
                operation,
                request,
                response: serde_json::Value::Null,
                http_status: 0,
            });
        }
        Ok(())
    }

    /// The response body is buffered by then (DynamoDB responses are not streamed).
    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.recording {
            return Ok(());
        }
        let response = context.response();
        let json = response
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        if let Ok(mut exchanges) = self.exchanges.lock() {
            // Requests on one client may interleave; the bench measures one flow at a time.
            if let Some(last) = exchanges.iter_mut().rev().find(|e| e.http_status == 0) {
                last.response = json;
                last.http_status = response.status().as_u16();
            }
        }
        Ok(())
    }
}
