# Helpers for the integration tests: free ports, bounded waits, and cleanup of every process a
# test started (by pid, on any exit).
set -euo pipefail

BIN=${BIN:?BIN must point at build/bin}
WORK=$(mktemp -d /tmp/sluice-it.XXXXXX)
PIDS=()
FAILURES=0

cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # KEEP_WORK=1 keeps the logs and state of a failing run for a look afterwards.
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
check() {  # check "description" command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# wait_for SECONDS command...: retries until the command succeeds or the time is up.
wait_for() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

# at_least N command...: the command prints a number of at least N. Runs the command on every
# call, so `wait_for 15 at_least 2 count_something` polls; `wait_for 15 test "$(count)" -ge 2`
# would count once, before the first try, and never see the number grow.
at_least() {
  local min=$1; shift
  local n
  n=$("$@") || true
  [ "${n:-0}" -ge "$min" ] 2>/dev/null
}
line_count() { wc -l <"$1"; }

# start_broker PORT [ARGS...]: sluice-broker on a fixed bootstrap port; sets BROKER_PID.
start_broker() {
  local port=$1; shift
  "$BIN/sluice-broker" --port "$port" "$@" >"$WORK/broker.log" 2>&1 &
  BROKER_PID=$!
  PIDS+=("$BROKER_PID")
  wait_for 20 grep -q '^bootstrap.servers=' "$WORK/broker.log" || { cat "$WORK/broker.log"; return 1; }
}

# start_sluiced LOG [VAR=VALUE...]: sluiced with the given environment; sets SLUICED_PID and
# waits until GET /info answers on $HTTP_PORT.
start_sluiced() {
  local log=$1; shift
  # Its own state dir unless the caller gives one: the default (/tmp/kafka-streams/<service id>)
  # is locked by whichever sluiced opened it first, and ctest runs several of these at once.
  env KSQL_KSQL_STREAMS_STATE_DIR="$WORK/state" "$@" KSQL_LISTENERS="http://127.0.0.1:$HTTP_PORT" "$BIN/sluiced" >"$log" 2>&1 &
  SLUICED_PID=$!
  PIDS+=("$SLUICED_PID")
  wait_for 30 curl -sf "http://127.0.0.1:$HTTP_PORT/info" || { cat "$log"; return 1; }
}

stop_sluiced() {  # SIGTERM, bounded wait for a clean exit; returns its exit status
  kill -TERM "$SLUICED_PID"
  local status=0
  for _ in $(seq 1 100); do kill -0 "$SLUICED_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SLUICED_PID" 2>/dev/null; then kill -KILL "$SLUICED_PID"; return 1; fi
  wait "$SLUICED_PID" || status=$?
  return $status
}

# ksql 'SQL' [expected http status]: POST /ksql; body in $WORK/body, status in $HTTP_STATUS.
ksql() {
  local sql=$1
  local payload
  payload=$(python3 -c 'import json,sys; print(json.dumps({"ksql": sys.argv[1], "streamsProperties": {}}))' "$sql")
  HTTP_STATUS=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP_PORT/ksql" \
    -H 'Content-Type: application/vnd.ksql.v1+json' -d "$payload")
}

# json_check 'python expression over b (the parsed body)': true when it holds.
json_check() {
  python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$WORK/body" "$1"
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    echo "$FAILURES check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
