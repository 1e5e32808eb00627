#!/usr/bin/env bash
# A restart of sluiced in the middle of a 100k-record stream, against the same sluice-broker
# (which keeps its data): the queries come back from the command topic and
#  - at_least_once, kill -9: every input that passes the filter is in the CSAS sink (duplicates
#    allowed) and no aggregate falls short of its exact count/sum (reprocessing may add, never
#    lose);
#  - exactly_once_v2, SIGTERM: the CTAS sink's latest SUM/COUNT per key are exact and the CSAS
#    sink, read read_committed, holds each expected record exactly once (the source offsets
#    come back from the query's offsets topic: the mock's TxnOffsetCommit stores nothing);
#  - exactly_once_v2, kill -9: no loss, as at_least_once. Not exactness: librdkafka's mock
#    cluster answers every Fetch with LastStableOffset = high watermark and no aborted
#    transactions, so the records of the transaction the kill left open stay visible to
#    read_committed readers (the sink and the repartition topic) after the restart fences it.
# Usage: restart_test.sh MODE SIGNAL ...   e.g. at_least_once KILL exactly_once_v2 TERM
source "$(dirname "$0")/lib.sh"

N=100000       # input records, ~60 bytes each over 4 partitions: far below the mock's ~5 MB each
GROUPS_N=50    # GROUP BY keys
KILL_IN=40000  # kill -9 once this much input is in and the CSAS sink has output (input: ~10 s)

BOOT_PORT=$(free_port)
HTTP_PORT=$(free_port)
start_broker "$BOOT_PORT"
B="127.0.0.1:$BOOT_PORT"

# Record i: key k<i>, group g<i % GROUPS_N>, amount i % 97; the CSAS keeps amount >= 10.
# Written in chunks of 1000 every 80 ms so that the kill lands while input is still arriving.
# produce_paced TOPIC: N records, 1000 every 80 ms. At HOLD_AT it waits (at most 90 s) for
# $WORK/stopped, so that the stop always comes in the middle of the input, however slow a
# loaded machine makes the server's stop.
HOLD_AT=60000
produce_paced() {
  python3 -c '
import os, sys, time
n, groups, hold_at, marker = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
out = sys.stdout
for start in range(0, n, 1000):
    if start == hold_at:
        deadline = time.time() + 90
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.1)
    out.write("".join("k%d|{\"GRP\":\"g%d\",\"AMOUNT\":%d}\n" % (i, i % groups, i % 97)
                      for i in range(start, min(n, start + 1000))))
    out.flush()
    time.sleep(0.08)' "$N" "$GROUPS_N" "$HOLD_AT" "$WORK/stopped" | kcat -b "$B" -P -t "$1" -K'|' -z none
}

# read_topic TOPIC ISOLATION: every record, key|value per line, from the start to the end.
read_topic() {
  kcat -b "$B" -C -t "$1" -o beginning -e -q -X isolation.level="$2" -f '%k|%s\n' 2>/dev/null
}
high_watermarks() {  # high_watermarks TOPIC: the sum over its 4 partitions (progress, cheap)
  kcat -b "$B" -Q -t "$1:0:-1" -t "$1:1:-1" -t "$1:2:-1" -t "$1:3:-1" 2>/dev/null |
    awk '/offset/ { n += $NF } END { print n + 0 }'
}
mid_stream() {  # mid_stream SRC SINK: KILL_IN inputs are in and the query has written output
  [ "$(high_watermarks "$1")" -ge "$KILL_IN" ] && [ "$(high_watermarks "$2")" -gt 0 ]
}

# verify EXPECT CSAS_TOPIC CTAS_TOPIC ISOLATION: exit 0 when the sinks hold what EXPECT (exact or
# no_loss) says;
# prints what is missing or wrong on stderr (the last attempt's message is kept for the report).
verify() {
  python3 - "$@" "$N" "$GROUPS_N" "$WORK/csas.txt" "$WORK/ctas.txt" <<'EOF'
import json, sys
mode, csas_topic, ctas_topic, iso, n, groups, csas_file, ctas_file = sys.argv[1:]
n, groups = int(n), int(groups)
expected_keys = {"k%d" % i for i in range(n) if i % 97 >= 10}
sums, counts = [0] * groups, [0] * groups
for i in range(n):
    sums[i % groups] += i % 97
    counts[i % groups] += 1
csas = [l.split("|", 1)[0] for l in open(csas_file).read().splitlines()]
latest = {}
for line in open(ctas_file).read().splitlines():  # one key lives in one partition: last wins
    k, v = line.split("|", 1)
    latest[k] = json.loads(v) if v else None
problems = []
missing = expected_keys - set(csas)
if missing:
    problems.append("%d of %d expected keys missing from %s (e.g. %s)"
                    % (len(missing), len(expected_keys), csas_topic, sorted(missing)[:3]))
extra = set(csas) - expected_keys
if extra:
    problems.append("%d keys in %s the filter drops (e.g. %s)" % (len(extra), csas_topic, sorted(extra)[:3]))
if mode == "exact" and len(csas) != len(set(csas)):
    problems.append("%d duplicate records in %s" % (len(csas) - len(set(csas)), csas_topic))
for g in range(groups):
    v = latest.get("g%d" % g)
    if v is None:
        problems.append("no value for g%d in %s" % (g, ctas_topic))
        continue
    want = (sums[g], counts[g])
    got = (v.get("TOTAL"), v.get("N"))
    ok = got == want if mode == "exact" else got[0] >= want[0] and got[1] >= want[1]
    if not ok:
        problems.append("g%d: (TOTAL, N) = %s, exact %s" % (g, got, want))
if problems:
    print("; ".join(problems[:5]), file=sys.stderr)
    sys.exit(1)
print("%s: %d CSAS records for %d keys; CTAS latest %s exact sums"
      % (csas_topic, len(csas), len(set(csas)),
         "==" if all((latest["g%d" % g]["TOTAL"], latest["g%d" % g]["N"]) == (sums[g], counts[g])
                      for g in range(groups)) else ">="))
EOF
}

snapshot_and_verify() {  # snapshot_and_verify EXPECT CSAS CTAS ISOLATION
  read_topic "$2" "$4" >"$WORK/csas.txt"
  read_topic "$3" "$4" >"$WORK/ctas.txt"
  verify "$@" 2>"$WORK/verify.err" >"$WORK/verify.out"
}

run_scenario() {  # run_scenario MODE KILL|TERM
  local mode=$1 sig=$2 sid="rt_${1}_${2,,}_" up=${1^^}_$2
  local src="SRC_$up" csas="KEPT_$up" ctas="SUMS_$up"  # unquoted names: the sink topics are upper case
  local iso=read_uncommitted
  local expect=no_loss what="$mode, kill -9"
  [ "$mode" = exactly_once_v2 ] && iso=read_committed
  [ "$sig" = TERM ] && what="$mode, SIGTERM"
  [ "$mode:$sig" = exactly_once_v2:TERM ] && expect=exact
  local started=$SECONDS
  local -a conf=(KSQL_BOOTSTRAP_SERVERS="$B" KSQL_KSQL_SERVICE_ID="$sid"
    KSQL_PROCESSING_GUARANTEE="$mode"
    KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET=earliest
    KSQL_KSQL_STREAMS_STATE_DIR="$WORK/state_$up"
    KSQL_KSQL_STREAMS_NUM_STREAM_THREADS=2
    KSQL_KSQL_STREAMS_COMMIT_INTERVAL_MS=500
    # The mock ignores LeaveGroup: the killed server's members hold their partitions until
    # their session times out, so keep that short (librdkafka's default is 45 s).
    KSQL_KSQL_STREAMS_CONSUMER_SESSION_TIMEOUT_MS=6000
    KSQL_KSQL_STREAMS_CONSUMER_HEARTBEAT_INTERVAL_MS=1000)
  echo "---- $what (service id $sid)"

  start_sluiced "$WORK/$up-1.log" "${conf[@]}" || { fail "$what: sluiced did not start"; return; }
  ksql "CREATE STREAM $src (k STRING KEY, grp STRING, amount INT) WITH (kafka_topic='$src', value_format='JSON', partitions=4);
        CREATE STREAM $csas AS SELECT * FROM $src WHERE amount >= 10;
        CREATE TABLE $ctas AS SELECT grp, SUM(amount) AS total, COUNT(*) AS n FROM $src GROUP BY grp;"
  check "$what: stream, CSAS and CTAS created" json_check \
    'len(b)==3 and all(e["commandStatus"]["status"]=="SUCCESS" for e in b) and b[2]["commandStatus"]["queryId"] is not None'
  [ "$HTTP_STATUS" = 200 ] || { cat "$WORK/body"; return; }

  rm -f "$WORK/stopped"
  produce_paced "$src" &
  local producer=$!
  PIDS+=("$producer")
  if ! wait_for 60 mid_stream "$src" "$csas"; then
    fail "$what: no output in $csas after $KILL_IN inputs"
    tail -20 "$WORK/$up-1.log"
  fi
  if [ "$sig" = KILL ]; then
    kill -KILL "$SLUICED_PID"
    wait "$SLUICED_PID" 2>/dev/null || true
  else
    check "$what: sluiced stops cleanly in the middle of the stream" stop_sluiced
  fi
  local at_stop_in at_stop_out
  at_stop_in=$(high_watermarks "$src")
  at_stop_out=$(high_watermarks "$csas")
  echo "stopped ($sig) with $at_stop_in inputs produced and $at_stop_out CSAS sink offsets"
  check "$what: the stop came in the middle of the input" test "$at_stop_in" -lt "$N"
  touch "$WORK/stopped"

  start_sluiced "$WORK/$up-2.log" "${conf[@]}" || { fail "$what: sluiced did not restart"; return; }
  check "$what: the restart replayed the three commands" grep -q "Replayed 3 of 3 commands" "$WORK/$up-2.log"
  ksql "CREATE STREAM $csas AS SELECT * FROM $src;"
  check "$what: the replayed CSAS sink is known again (re-creating it is refused)" test "$HTTP_STATUS" = 400
  if ! wait "$producer"; then fail "$what: kcat failed to produce the input"; fi
  check "$what: all $N inputs in $src" test "$(read_topic "$src" read_uncommitted | wc -l)" -eq "$N"

  # Settled = the sinks hold what the guarantee promises; bounded, then the last verdict stands.
  if wait_for 60 snapshot_and_verify "$expect" "$csas" "$ctas" "$iso"; then
    pass "$what: $(cat "$WORK/verify.out")"
  else
    fail "$what: sinks after the restart: $(cat "$WORK/verify.err")"
    tail -30 "$WORK/$up-2.log"
  fi
  if [ "$expect" = exact ]; then
    # Nothing more may arrive once settled: wait a commit interval and look again.
    sleep 1
    check "$what: still exact and duplicate-free a moment later" \
      snapshot_and_verify "$expect" "$csas" "$ctas" "$iso"
  fi
  stop_sluiced || fail "$what: sluiced did not stop cleanly after the restart"
  echo "$what took $((SECONDS - started)) s"
}

[ $# -ge 2 ] || { echo "usage: $0 MODE KILL|TERM ..."; exit 2; }
while [ $# -ge 2 ]; do run_scenario "$1" "$2"; shift 2; done
finish
