#!/usr/bin/env bash
# The API contract check: Schemathesis (all checks, stateful phase included) against
# `listbridge demo` (a fake Infor CRM with seeded leads and contacts, a connector,
# imported and uploaded lists, a sync setup, runs and a web form), with a fixed seed and
# a bounded number of examples. Exits non-zero when Schemathesis finds any failure.
#
# Everything runs in a network namespace of its own that has only loopback: whatever
# URL Schemathesis makes up (a connector's base_url, a preview link), nothing can leave
# this machine.
#
#   bash .ci/schemathesis.sh            # builds the binary, installs Schemathesis
#   LISTBRIDGE_BIN=target/debug/listbridge bash .ci/schemathesis.sh
#
# Settings (environment): ST_SEED (default 20), ST_MAX_EXAMPLES (default 40),
# ST_VENV (default /opt/st), ST_VERSION (the pinned Schemathesis), ST_REPORT_DIR,
# ST_READY_SECONDS (default 120: how long the demo may take to get ready).
set -euo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$SELF")/.."

ST_VERSION="${ST_VERSION:-4.32.5}"
ST_VENV="${ST_VENV:-/opt/st}"
ST_SEED="${ST_SEED:-20}"
ST_MAX_EXAMPLES="${ST_MAX_EXAMPLES:-40}"
ST_REPORT_DIR="${ST_REPORT_DIR:-$(pwd)/target/schemathesis}"
ST_READY_SECONDS="${ST_READY_SECONDS:-120}"
ST_CONFIG="$(pwd)/.ci/schemathesis.toml"
API_ADDR="127.0.0.1:8080"

log() { printf '\n==> %s\n' "$*"; }

if [[ "${LISTBRIDGE_ST_INSIDE:-}" != 1 ]]; then
  # --- outside the namespace: install, build, then re-run this script inside it ---
  if ! command -v unshare >/dev/null 2>&1; then
    echo "unshare (util-linux) is needed to keep the run on loopback" >&2
    exit 1
  fi
  # `ip` brings loopback up inside the namespace.
  if ! command -v ip >/dev/null 2>&1; then
    log "iproute2 (ip)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y iproute2
  fi
  # A network namespace needs privileges (root, or user namespaces allowed): find out
  # before installing or building anything.
  if ! unshare --net true 2>/dev/null; then
    echo "cannot create a network namespace ('unshare --net true' failed): run as root," >&2
    echo "or in a container allowed to create namespaces (e.g. --cap-add SYS_ADMIN)." >&2
    echo "The Schemathesis run needs one to keep every request on loopback." >&2
    exit 1
  fi

  log "Schemathesis $ST_VERSION"
  if [[ "$("$ST_VENV/bin/st" --version 2>/dev/null || true)" != *"$ST_VERSION"* ]]; then
    if ! python3 -m venv "$ST_VENV" 2>/dev/null; then
      apt-get update
      DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
      python3 -m venv "$ST_VENV"
    fi
    "$ST_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
  fi
  "$ST_VENV/bin/st" --version

  if [[ -z "${LISTBRIDGE_BIN:-}" ]]; then
    log "cargo build --bin listbridge"
    cargo build --bin listbridge
    LISTBRIDGE_BIN="$(pwd)/target/debug/listbridge"
  fi
  export LISTBRIDGE_BIN ST_VENV ST_SEED ST_MAX_EXAMPLES ST_REPORT_DIR ST_READY_SECONDS LISTBRIDGE_ST_INSIDE=1
  exec unshare --net -- bash "$SELF"
fi

# --- inside the loopback-only namespace ---
ip link set lo up

WORK="$(mktemp -d /tmp/listbridge-st.XXXXXX)"
DEMO_PID=""
cleanup() {
  if [[ -n "$DEMO_PID" ]]; then
    kill -TERM "$DEMO_PID" 2>/dev/null || true
    wait "$DEMO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log "listbridge demo (the seeded target)"
"$LISTBRIDGE_BIN" demo --bind "$API_ADDR" --crm-port 8181 \
  --database "sqlite://$WORK/demo.db?mode=rwc" --leads 300 --contacts 100 \
  >"$WORK/demo.out" 2>"$WORK/demo.err" &
DEMO_PID=$!
ready_by=$((SECONDS + ST_READY_SECONDS))
until grep -q "listbridge demo is ready" "$WORK/demo.out" 2>/dev/null; do
  if ! kill -0 "$DEMO_PID" 2>/dev/null; then
    echo "the demo stopped before it was ready:" >&2
    cat "$WORK/demo.out" "$WORK/demo.err" >&2
    exit 1
  fi
  if ((SECONDS >= ready_by)); then
    echo "the demo was not ready after ${ST_READY_SECONDS}s; the end of its log:" >&2
    tail -n 50 "$WORK/demo.out" >&2 || true
    tail -n 50 "$WORK/demo.err" >&2 || true
    exit 1
  fi
  sleep 0.5
done
API_KEY="$(awk '$1 == "API" && $2 == "key" { print $3 }' "$WORK/demo.out")"
if [[ -z "$API_KEY" ]]; then
  echo "no API key in the demo's output:" >&2
  cat "$WORK/demo.out" >&2
  exit 1
fi
echo "demo ready at http://$API_ADDR"

log "seeding (a segment, a campaign, a form submission) and the run's settings"
"$ST_VENV/bin/python" .ci/schemathesis_seed.py "http://$API_ADDR" "$API_KEY" \
  "$ST_CONFIG" "$WORK/schemathesis.toml"

log "st run (all checks; examples, coverage, fuzzing and stateful phases)"
mkdir -p "$ST_REPORT_DIR"
status=0
# One worker: Hypothesis parses lambda sources with `ast`, which CPython 3.11 (this
# machine's) gets wrong from two threads at once ("AST constructor recursion depth
# mismatch"); one worker also keeps the run reproducible for a seed.
"$ST_VENV/bin/st" --config-file "$WORK/schemathesis.toml" run "http://$API_ADDR/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$ST_MAX_EXAMPLES" \
  --seed "$ST_SEED" \
  --header "Authorization: Bearer $API_KEY" \
  --workers 1 \
  --no-color \
  --report junit,ndjson --report-dir "$ST_REPORT_DIR" \
  | tee "$WORK/st.out" || status=$?

# The figures, on one line: operations tested, test cases generated, failures.
tested="$(awk '$1 == "Tested:" { print $2 }' "$WORK/st.out")"
cases="$(grep -Eo '[0-9]+ generated' "$WORK/st.out" | grep -Eo '[0-9]+' || true)"
failures="$(grep -Eo '[0-9]+ (unique )?failures?' "$WORK/st.out" | tail -n 1 | grep -Eo '^[0-9]+' || true)"
echo "schemathesis: ${tested:-?} operations tested, ${cases:-?} test cases, ${failures:-0} failures (seed $ST_SEED, at most $ST_MAX_EXAMPLES examples per operation)"

if [[ "$status" != 0 ]]; then
  echo "Schemathesis found failures (exit $status); the demo's log:" >&2
  tail -n 50 "$WORK/demo.err" >&2 || true
fi
exit "$status"
