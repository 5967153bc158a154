//! Encaisse: the domain, its ports, the adapters behind them and the HTTP routers that every
//! Lambda function and the devserver share.
//!
//! `domain` is pure (no AWS, no HTTP); `app` holds one module per use case; `adapters` talk to
//! DynamoDB or memory; `http` turns requests into use-case calls and errors into problem+json.

pub mod adapters;
pub mod app;
pub mod config;
pub mod consumers;
pub mod domain;
pub mod http;
pub mod ports;

#[cfg(any(test, feature = "contract-tests"))]
pub mod contract;

#[cfg(any(test, feature = "contract-tests"))]
pub mod notification_contract;
