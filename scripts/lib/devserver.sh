# Sourced by scripts/test (through browser.sh and schemathesis.sh): a devserver (memory store,
# seeded demo quotes) on a free port for the browser tests and the API's schemathesis run,
# stopped whatever happens. Needs emulator.sh (free_port, ROOT).

DEVSERVER_PID=""

stop_devserver() {
  if [ -n "$DEVSERVER_PID" ] && kill -0 "$DEVSERVER_PID" 2>/dev/null; then
    kill "$DEVSERVER_PID" 2>/dev/null || true
    wait "$DEVSERVER_PID" 2>/dev/null || true
  fi
  DEVSERVER_PID=""
}

# start_devserver ADMIN_KEY LOG_NAME: builds and starts encaisse-dev (memory store) on a free
# port with that admin key, its output in target/LOG_NAME; sets BASE_URL. Variables set on the
# call (e.g. STRIPE_WEBHOOK_SECRET=… start_devserver …) reach the devserver.
start_devserver() {
  local admin_key=$1 log="$ROOT/target/$2" port
  port=$(free_port)
  mkdir -p "$ROOT/target"
  cargo build -p encaisse-dev --quiet || return 1
  # The memory store: each run starts from the seeded quotes, whatever moto holds.
  env -u AWS_ENDPOINT_URL ENCAISSE_LISTEN="127.0.0.1:$port" ADMIN_API_KEY="$admin_key" \
    RUST_LOG=warn "${CARGO_TARGET_DIR:-$ROOT/target}/debug/encaisse-dev" >"$log" 2>&1 &
  DEVSERVER_PID=$!
  for _ in $(seq 1 150); do
    if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      BASE_URL="http://127.0.0.1:$port"
      echo "== devserver on $BASE_URL (pid $DEVSERVER_PID)"
      return 0
    fi
    if ! kill -0 "$DEVSERVER_PID" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "devserver did not start; its log:" >&2
  cat "$log" >&2
  return 1
}
