#!/bin/bash
# Scale-out across processes: two sluiced with the same service id over one sluice-broker share
# a GROUP BY query's partitions; the state follows the partitions (restored from the changelog
# on the new owner), and when one server is killed (kill -9) the other takes all partitions
# back; no input is lost. At-least-once: a server that is fenced during a rebalance (it did not
# rejoin in time, so its last commit is refused) or killed has its processed-but-uncommitted
# inputs counted again by the next owner, so counts may exceed the inputs, never fall short;
# the script prints whether a handoff was exact.
source "$(dirname "$0")/lib.sh"

BROKER_PORT=$(free_port)
start_broker "$BROKER_PORT"
BOOTSTRAP=127.0.0.1:$BROKER_PORT
A_PORT=$(free_port)
B_PORT=$(free_port)

# start_server NAME PORT: sluiced on the shared broker, its own state dir and log.
start_server() {
  HTTP_PORT=$2
  start_sluiced "$WORK/$1.log" KSQL_BOOTSTRAP_SERVERS="$BOOTSTRAP" KSQL_KSQL_STREAMS_STATE_DIR="$WORK/state-$1" \
    KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET=earliest KSQL_KSQL_STREAMS_COMMIT_INTERVAL_MS=500
}

# produce FIRST COUNT: COUNT payments (8 accounts round robin, amount = 1) keyed by a unique id.
produce() {
  python3 -c 'import sys
first, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(first, first + count):
    print("p%d:{\"ACCOUNT\":\"a%d\",\"AMOUNT\":1}" % (i, i % 8))' "$1" "$2" >"$WORK/batch.txt"
  kcat -b "$BOOTSTRAP" -P -t payments -K: -X partitioner=murmur2_random -l "$WORK/batch.txt"
}

# totals PORT: "account=count/sum ..." from a pull query (table scan) on that server.
totals() {
  curl -s -X POST "http://127.0.0.1:$1/query" -H 'Content-Type: application/vnd.ksql.v1+json' \
    -d '{"ksql":"SELECT ACCOUNT, N, TOTAL FROM BALANCES;"}' |
    python3 -c 'import json,sys
rows = [r["row"]["columns"] for r in json.load(sys.stdin) if "row" in r]
print(" ".join("%s=%d/%d" % (a, n, t) for a, n, t in sorted(rows)))'
}

# Every account's count and sum equal to PER_ACCOUNT (exact) or at least it (at_least).
totals_are() {
  local port=$1 per_account=$2 mode=$3
  totals "$port" | python3 -c 'import sys
per, mode = int(sys.argv[1]), sys.argv[2]
pairs = [p.split("=") for p in sys.stdin.read().split()]
ok = len(pairs) == 8
for _, v in pairs:
    n, t = map(int, v.split("/"))
    ok = ok and n == t and (n == per if mode == "exact" else n >= per)
sys.exit(0 if ok else 1)' "$per_account" "$mode"
}

# assigned SERVER N [TIMES]: the server's log shows an assignment of N partitions TIMES times.
assigned() {
  test "$(grep -c "CTAS_BALANCES_0 thread 0: assigned $2 partitions" "$WORK/$1.log")" -ge "${3:-1}"
}

start_server a "$A_PORT"
ksql "CREATE STREAM PAYMENTS (ID STRING KEY, ACCOUNT STRING, AMOUNT INT) WITH (KAFKA_TOPIC='payments', VALUE_FORMAT='JSON', PARTITIONS=4);"
check "stream created" test "$HTTP_STATUS" = 200
ksql "CREATE TABLE BALANCES AS SELECT ACCOUNT, COUNT(*) AS N, SUM(AMOUNT) AS TOTAL FROM PAYMENTS GROUP BY ACCOUNT;"
check "CTAS started" test "$HTTP_STATUS" = 200

produce 0 800
check "server a alone counts the first 800 payments exactly" wait_for 60 totals_are "$A_PORT" 100 exact

# Server b joins: the group splits the source and repartition partitions between them.
start_server b "$B_PORT"
check "b replays the query from the command topic and gets half the partitions" \
  wait_for 60 assigned b 4
check "a keeps the other half" wait_for 30 assigned a 4
# The restore is logged when it ends, after the assignment: waited for, as the assignment is.
check "b restored the aggregation state of its partitions from the changelog" \
  wait_for 30 grep -q "restored [0-9]* records of store" "$WORK/b.log"

produce 800 800
check "after the handoff no payment is lost (a)" wait_for 60 totals_are "$A_PORT" 200 at_least
check "after the handoff no payment is lost (b)" wait_for 30 totals_are "$B_PORT" 200 at_least
echo "totals after the handoff: $(totals "$A_PORT") (exact: 200 each)"

# Server b dies without a word; the mock broker notices after the session timeout.
kill -KILL "$SLUICED_PID"
produce 1600 800
check "a takes all 8 partitions back" wait_for 60 assigned a 8 2
check "no payment is lost after b is killed" wait_for 60 totals_are "$A_PORT" 300 at_least
echo "totals on a: $(totals "$A_PORT")"
finish
