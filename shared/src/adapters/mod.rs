//! Implementations of the ports: DynamoDB for AWS, memory for the devserver and fast tests.

pub mod dynamodb;
pub mod memory;
pub mod ses;
pub mod sqs;
pub mod stripe;
