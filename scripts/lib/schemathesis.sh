# Sourced by scripts/test: the API checked against openapi.yaml by schemathesis (pinned in
# scripts/requirements.txt) on a devserver started here on a free port (scripts/lib/devserver.sh),
# stopped whatever happens. Every operation of the spec, every check, every phase (examples,
# coverage, fuzzing, stateful over the spec's `links`), a fixed seed and a bounded number of
# examples; credentials are real (scripts/lib/schemathesis_hooks.py).
#
# Left out: `/sandbox-psp/{path}`, the devserver's stand-in for Stripe, which speaks Stripe's
# shapes and errors, not this API's (docs/stripe-subset.md; its own tests check it against
# Stripe's schemas). `/healthz` and `/dev/outbox` (devserver only) are in: they are cheap.

source "$(dirname "${BASH_SOURCE[0]}")/devserver.sh"

SCHEMATHESIS_CASES=0
SCHEMATHESIS_FAILURES=0
SCHEMATHESIS_SEED=${SCHEMATHESIS_SEED:-20260317}
# 200 examples an operation: ~9,000 cases, 2 to 3 minutes on two cores shared with builds.
SCHEMATHESIS_EXAMPLES=${SCHEMATHESIS_EXAMPLES:-200}

# Runs schemathesis; the counts land in SCHEMATHESIS_CASES / SCHEMATHESIS_FAILURES and the
# return code says whether it was clean. Called as `run_schemathesis || rc=$?`.
run_schemathesis() {
  local admin_key="schemathesis-admin-key-0123456789abcdef" out="$ROOT/target/schemathesis"
  local secret="whsec_schemathesis0123456789abcdef" rc=0 started demo
  SCHEMATHESIS_FAILURES=1 # until the run's own report says otherwise
  STRIPE_WEBHOOK_SECRET="$secret" start_devserver "$admin_key" devserver-schemathesis.log || return 1
  # First, a deployment's smoke test (README, "Deploy") on this devserver: API and pages on
  # one origin here.
  echo "== scripts/smoke-test $BASE_URL"
  bash "$ROOT/scripts/smoke-test" "$BASE_URL" "$BASE_URL" || { stop_devserver; return 1; }
  # The seeded demo quotes, as printed: "  ORD-10042  83000   2922.00 EUR".
  demo=$(awk '/^  ORD-[0-9]+ / { printf "%s:%s ", $1, $2 }' "$ROOT/target/devserver-schemathesis.log")
  rm -rf "$out"
  mkdir -p "$out"
  started=$(date +%s)
  (cd "$ROOT" && SCHEMATHESIS_HOOKS=scripts.lib.schemathesis_hooks PYTHONPATH="$ROOT" \
    ST_BASE_URL="$BASE_URL" ST_ADMIN_KEY="$admin_key" ST_WEBHOOK_SECRET="$secret" \
    ST_DEMO_ORDERS="$demo" \
    "$VENV/bin/st" run openapi.yaml --url "$BASE_URL" \
      --exclude-path '/sandbox-psp/{path}' \
      --checks all \
      --phases examples,coverage,fuzzing,stateful \
      --mode all \
      --max-examples "$SCHEMATHESIS_EXAMPLES" \
      --seed "$SCHEMATHESIS_SEED" \
      --generation-database none \
      --workers 1 \
      --request-timeout 30 \
      --no-color \
      --report junit,ndjson --report-dir "$out") 2>&1 | tee "$out/output.txt" || rc=$?
  stop_devserver
  SCHEMATHESIS_CASES=$(awk '/^Test cases:/ { getline; print $1 }' "$out/output.txt" | tail -1)
  SCHEMATHESIS_CASES=${SCHEMATHESIS_CASES:-0}
  if [ "$rc" -eq 0 ]; then SCHEMATHESIS_FAILURES=0; fi
  echo "== schemathesis: $SCHEMATHESIS_CASES cases in $(( $(date +%s) - started )) s (report: target/schemathesis/)"
  return "$rc"
}
