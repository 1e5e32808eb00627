#!/bin/bash
# Headless mode, as a deployment runs it: `sluiced --queries-file conf/queries.sql` (the sample
# file itself) runs its statements at start-up; POST /ksql is refused with ksqlDB's message and
# changes nothing; payments produced with kcat come out as balances in the sink topic and answer
# a pull query.
source "$(dirname "$0")/lib.sh"

QUERIES="$(cd "$(dirname "$0")/../.." && pwd)/conf/queries.sql"
HTTP_PORT=$(free_port)
# start_sluiced takes environment only: the flag needs its own command line.
env KSQL_KSQL_STREAMS_STATE_DIR="$WORK/state" KSQL_LISTENERS="http://127.0.0.1:$HTTP_PORT" \
  "$BIN/sluiced" --queries-file "$QUERIES" >"$WORK/sluiced.log" 2>&1 &
SLUICED_PID=$!
PIDS+=("$SLUICED_PID")
check "sluiced starts in headless mode" wait_for 30 curl -sf "http://127.0.0.1:$HTTP_PORT/info"
check "it says it ran the queries file" grep -q "Headless mode: ran the statements of $QUERIES" "$WORK/sluiced.log"

ksql "CREATE STREAM sneaky (id STRING KEY, v INT) WITH (kafka_topic='sneaky', value_format='JSON', partitions=1);"
check "POST /ksql is refused with 400" test "$HTTP_STATUS" = 400
check "... with ksqlDB's headless message" json_check '"headless mode" in b["message"]'
ksql "SHOW STREAMS;"
check "even SHOW STREAMS is refused (interactive use is off)" test "$HTTP_STATUS" = 400

BOOTSTRAP=$(curl -s "http://127.0.0.1:$HTTP_PORT/info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["KsqlServerInfo"]["kafkaBootstrapServers"])')
cat >"$WORK/payments.txt" <<'EOF'
p1:{"USER_ID":"bob","AMOUNT":10.50}
p2:{"USER_ID":"alice","AMOUNT":7}
p3:{"USER_ID":"bob","AMOUNT":150}
p4:{"USER_ID":"carol","AMOUNT":1.25}
EOF
check "kcat produces 4 payments" kcat -b "$BOOTSTRAP" -P -t payments -K: -X partitioner=murmur2_random -l "$WORK/payments.txt"

# The balances table's sink topic: bob's latest balance 160.50 over 2 payments.
bob_balance() {
  kcat -b "$BOOTSTRAP" -C -t BALANCES -o beginning -e -q -f '%k %s\n' 2>/dev/null |
    grep '^bob ' | tail -1 | grep -q '"BALANCE":160.50,"PAYMENTS":2'
}
check "the BALANCES topic holds bob's balance of 160.50 over 2 payments" wait_for 60 bob_balance
large() { kcat -b "$BOOTSTRAP" -C -t LARGE_PAYMENTS -o beginning -e -q -f '%k\n' 2>/dev/null | grep -qx p3; }
check "LARGE_PAYMENTS holds the one payment over 100" wait_for 30 large

curl -s -o "$WORK/body" -X POST "http://127.0.0.1:$HTTP_PORT/query" -H 'Content-Type: application/vnd.ksql.v1+json' \
  -d "{\"ksql\":\"SELECT USER_ID, BALANCE FROM BALANCES WHERE USER_ID='alice';\"}"
check "a pull query answers alice's balance" json_check 'any("row" in r and r["row"]["columns"] == ["alice", 7] for r in b)'

stop_sluiced || fail "sluiced did not stop cleanly"
finish
