# Sourced by scripts/test: the shopper pages' browser tests (tests/browser) in headless
# Chromium against a devserver started here on a free port, stopped whatever happens.
# Installs what a fresh Debian machine lacks: Debian's chromium (apt, as root) and the pinned
# npm packages (npm ci). The devserver: scripts/lib/devserver.sh.

source "$(dirname "${BASH_SOURCE[0]}")/devserver.sh"

BROWSER_PASSED=0
BROWSER_FAILED=0

ensure_browser_tools() {
  if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing Debian's chromium"
    apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || return 1
  fi
  echo "== npm ci (tests/browser)"
  (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) || return 1
}

# Runs the browser tests; their counts land in BROWSER_PASSED / BROWSER_FAILED, and the
# return code says whether they all passed. Called as `run_browser_tests || rc=$?`, where
# `set -e` does not apply, so every step checks its own failure.
run_browser_tests() {
  local tap="$ROOT/target/browser-tests.tap" rc=0 started
  BROWSER_ADMIN_KEY="browser-tests-admin-key-0123456789abcdef"
  BROWSER_FAILED=1 # until the run's own counts say otherwise
  ensure_browser_tools || return 1
  start_devserver "$BROWSER_ADMIN_KEY" devserver-browser.log || return 1
  # Only this run's screenshots and results.
  rm -rf "$ROOT/test-output/browser"
  started=$(date +%s)
  # mangopay.test.js starts a devserver of its own (cards on MangoPay) from the same binary.
  (cd "$ROOT/tests/browser" && BASE_URL="$BASE_URL" ADMIN_API_KEY="$BROWSER_ADMIN_KEY" \
    BROWSER_OUTPUT="$ROOT/test-output/browser" \
    DEVSERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/encaisse-dev" \
    node --test --test-concurrency=1 --test-timeout=120000 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$tap" tests/) || rc=$?
  stop_devserver
  BROWSER_PASSED=$(awk '/^# pass / { print $3 }' "$tap" | tail -1)
  BROWSER_FAILED=$(awk '/^# fail / { print $3 }' "$tap" | tail -1)
  BROWSER_PASSED=${BROWSER_PASSED:-0}
  BROWSER_FAILED=${BROWSER_FAILED:-0}
  if [ "$rc" -ne 0 ] && [ "$BROWSER_FAILED" -eq 0 ]; then BROWSER_FAILED=1; fi
  echo "== browser tests: $BROWSER_PASSED passed, $BROWSER_FAILED failed in $(( $(date +%s) - started )) s (screenshots: test-output/browser/)"
  return "$rc"
}
