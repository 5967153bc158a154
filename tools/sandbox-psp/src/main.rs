//! `encaisse-sandbox-psp`: the sandbox PSP on its own, for a client other than the devserver.
//!
//! ```text
//! cargo run -p encaisse-sandbox-psp -- --listen 127.0.0.1:12111 \
//!     --webhook-url http://127.0.0.1:3000/v1/webhooks/stripe --webhook-secret whsec_…
//! ```
//!
//! Flags win over the environment: `SANDBOX_PSP_LISTEN` (default 127.0.0.1:12111),
//! `SANDBOX_PSP_WEBHOOK_URL` (none: events are only listed at `/sandbox-psp/_events`),
//! `STRIPE_WEBHOOK_SECRET` (default: a random `whsec_…`, printed), `SANDBOX_PSP_PUBLIC_URL`
//! (where browsers reach it, default `http://<listen address>`). Ctrl-C stops it.

use encaisse_sandbox_psp::{SandboxConfig, SandboxPsp, MOUNT, TEST_CARDS};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: encaisse-sandbox-psp [--listen ADDR] [--webhook-url URL] \
[--webhook-secret SECRET] [--public-url URL]";

#[derive(Debug, Default, PartialEq)]
struct Args {
    listen: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    public_url: Option<String>,
}

/// `--name value` or `--name=value`, each flag at most once.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args::default();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Err(USAGE.into());
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            "--listen" => &mut out.listen,
            "--webhook-url" => &mut out.webhook_url,
            "--webhook-secret" => &mut out.webhook_secret,
            "--public-url" => &mut out.public_url,
            _ => return Err(format!("unknown argument {arg}\n{USAGE}")),
        };
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?,
        };
        if slot.replace(value).is_some() {
            return Err(format!("{name} given twice"));
        }
    }
    Ok(out)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = parse_args(std::env::args().skip(1))?;
    let listen = args
        .listen
        .or_else(|| env("SANDBOX_PSP_LISTEN"))
        .unwrap_or_else(|| "127.0.0.1:12111".into());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e} (try --listen 127.0.0.1:0)"))?;
    let public_base_url = args
        .public_url
        .or_else(|| env("SANDBOX_PSP_PUBLIC_URL"))
        .unwrap_or(format!("http://{}", listener.local_addr()?));
    let webhook_url = args.webhook_url.or_else(|| env("SANDBOX_PSP_WEBHOOK_URL"));
    let webhook_secret = args
        .webhook_secret
        .or_else(|| env("STRIPE_WEBHOOK_SECRET"))
        .unwrap_or_else(|| format!("whsec_{}", uuid::Uuid::new_v4().simple()));
    let sandbox = SandboxPsp::new(SandboxConfig {
        public_base_url: public_base_url.clone(),
        webhook_url: webhook_url.clone(),
        webhook_secret: webhook_secret.clone(),
    });

    let base = format!("{}{MOUNT}", public_base_url.trim_end_matches('/'));
    println!("\nSandbox PSP listening on {}", listener.local_addr()?);
    println!("Stripe API subset: STRIPE_API_BASE={base}, any sk_test_… key");
    match &webhook_url {
        Some(url) => println!("Webhooks to {url}, STRIPE_WEBHOOK_SECRET={webhook_secret}"),
        None => println!("No webhook URL (--webhook-url): events are only listed"),
    }
    println!("Events: {base}/_events   faults: {base}/_faults");
    println!("Test cards (any future expiry, any CVC):");
    for (number, outcome) in TEST_CARDS {
        println!("  {number}  {outcome}");
    }
    println!("\nCtrl-C stops the server.\n");

    // The peer address decides who reaches the switches (`loopback`).
    axum::serve(
        listener,
        sandbox
            .app()
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
        println!("\nStopping the sandbox PSP.");
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn flags() {
        assert_eq!(
            parse(&["--listen", "127.0.0.1:1", "--webhook-url=http://x/h"]).unwrap(),
            Args {
                listen: Some("127.0.0.1:1".into()),
                webhook_url: Some("http://x/h".into()),
                ..Args::default()
            }
        );
        assert!(parse(&["--listen"]).is_err());
        assert!(parse(&["--lisen", "x"]).is_err());
        assert!(parse(&["--listen", "a", "--listen", "b"]).is_err());
    }
}
