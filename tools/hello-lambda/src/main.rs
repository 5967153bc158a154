//! The baseline that scripts/bench compares every function against.
use lambda_http::{run, service_fn, Body, Error, Request, Response};

async fn hello(_request: Request) -> Result<Response<Body>, Error> {
    Ok(Response::new(Body::from("hello")))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(hello)).await
}
