//! SQS consumers, shared by the Lambdas and tests: each turns a batch into use-case calls and
//! reports the messages to redeliver (ReportBatchItemFailures), so one bad message never makes
//! the whole batch run again.

pub mod domain_events;
pub mod shipments;
