//! Stripe's official Python library (pinned in scripts/requirements.txt, installed in .venv by
//! scripts/test) drives the devserver's sandbox PSP: if Stripe's own client is happy with its
//! answers, so is any Stripe integration.

use std::process::Command;

use integration::shop::shop;

#[tokio::test]
async fn the_official_stripe_library_drives_the_sandbox() {
    let shop = shop().await;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let python = format!("{root}/.venv/bin/python");
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run the tests with scripts/test, which installs the test tools"
    );
    let script = format!("{root}/tests/stripe_sdk/drive_sandbox.py");
    let base = format!("{}/sandbox-psp", shop.base);
    let output =
        tokio::task::spawn_blocking(move || Command::new(python).arg(script).arg(base).output())
            .await
            .unwrap()
            .expect("run python");
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("drove the sandbox: OK"));
}
