#!/usr/bin/env bash
# A few hundred malformed requests (rest_bad_input.py: bad JSON, wrong types, unknown endpoints,
# oversized and truncated bodies, garbage request lines, HTTP/2 garbage) while two push queries
# run (HTTP/1.1 and HTTP/2): every answer is a ksqlDB error body, the server still answers
# /info, and the push queries receive every row inserted afterwards.
source "$(dirname "$0")/lib.sh"

HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT"
start_sluiced "$WORK/sluiced.log"
H2=(curl -s --http2-prior-knowledge)
wait_lines() { wait_for "$3" bash -c "[ \$(cat '$1' 2>/dev/null | wc -l) -ge $2 ]"; }

ksql "CREATE STREAM S (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON');"
check "stream created" test "$HTTP_STATUS" = 200

curl -sN -X POST "$URL/query-stream" -d '{"sql":"SELECT * FROM S EMIT CHANGES;"}' >"$WORK/push_h1" 2>&1 &
PIDS+=($!)
"${H2[@]}" -N -X POST "$URL/query-stream" -d '{"sql":"SELECT * FROM S EMIT CHANGES;"}' >"$WORK/push_h2" 2>&1 &
PIDS+=($!)
wait_lines "$WORK/push_h1" 1 20 || fail "push query (HTTP/1.1) started"
wait_lines "$WORK/push_h2" 1 20 || fail "push query (HTTP/2) started"
# The queries' consumers start at the end of the topic: let them get their partition first.
wait_for 20 bash -c "[ \$(grep -c 'assigned 1 partitions' '$WORK/sluiced.log') -ge 2 ]" || true

if timeout 150 python3 "$(dirname "$0")/rest_bad_input.py" "$HTTP_PORT"; then
  pass "malformed requests answered with ksqlDB error bodies"
else
  fail "malformed requests"
fi

# HTTP/2 inserts with bad arguments: error bodies too.
for args in '{"target":5}' 'not json' '{"target":"NO_SUCH_STREAM"}' '{}'; do
  printf '%s\n{"ID":1}\n' "$args" >"$WORK/bad_args"
  code=$("${H2[@]}" -o "$WORK/body" -w '%{http_code}' -X POST "$URL/inserts-stream" --data-binary @"$WORK/bad_args")
  check "inserts-stream with arguments $args: 400 and an error body" \
    bash -c "[ $code = 400 ] && grep -q '\"error_code\":40000' $WORK/body"
done

check "sluiced still answers /info" curl -sf -o /dev/null "$URL/info"
check "... over HTTP/2 too" "${H2[@]}" -f -o /dev/null "$URL/info"

python3 -c 'import json; print(json.dumps({"target": "S"})); [print(json.dumps({"ID": i, "V": "v%d" % i})) for i in range(200)]' \
  >"$WORK/rows"
"${H2[@]}" -X POST "$URL/inserts-stream" --data-binary @"$WORK/rows" >"$WORK/acks"
check "200 rows acknowledged" test "$(grep -c '"status":"ok"' "$WORK/acks")" = 200
for p in h1 h2; do
  wait_lines "$WORK/push_$p" 201 30 || true
  check "the push query over $p received all 200 rows, in order" python3 -c '
import json,sys
l=open(sys.argv[1]).read().splitlines()
sys.exit(0 if [json.loads(x) for x in l[1:]]==[[i,"v%d"%i] for i in range(200)] else 1)' "$WORK/push_$p"
done
check "the server did not crash" kill -0 "$SLUICED_PID"
finish
