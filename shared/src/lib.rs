//! Encaisse: the domain, its ports, the adapters behind them and the HTTP routers that every
//! Lambda function and the devserver share.
//!
//! `domain` is pure (no AWS, no HTTP); `app` holds one module per use case; `adapters` talk to
//! DynamoDB or memory; `http` turns requests into use-case calls and errors into problem+json; `telemetry` names the
//! business and health metrics.

pub mod adapters;
pub mod app;
pub mod config;
pub mod consumers;
pub mod documents;
pub mod domain;
pub mod http;
pub mod ports;
pub mod telemetry;

#[cfg(any(test, feature = "contract-tests"))]
pub mod contract;

#[cfg(any(test, feature = "contract-tests"))]
pub mod notification_contract;
