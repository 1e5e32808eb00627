#!/usr/bin/env bash
# The streaming REST endpoints over HTTP/1.1 and h2c (prior knowledge) on the same port, with
# curl and nghttp: /inserts-stream acks, /query-stream (delimited and JSON) and /query (v1)
# for pull and push queries, one row per HTTP/2 DATA frame, /close-query, a client that hangs
# up ends its push query, a client that stops reading is dropped (its push query stops), /status
# and /clusterStatus.
source "$(dirname "$0")/lib.sh"

HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT"
# A small per-client queue so that the slow-client check below overflows it quickly.
start_sluiced "$WORK/sluiced.log" KSQL_SLUICE_REST_MAX_QUEUED_BYTES=262144
H2=(curl -s --http2-prior-knowledge)

# wait_lines FILE N SECS: until FILE has at least N lines.
wait_lines() {
  local file=$1 n=$2 secs=$3
  wait_for "$secs" bash -c "[ \$(cat '$file' 2>/dev/null | wc -l) -ge $n ]"
}
# wait_exit PID SECS: until the process is gone.
wait_exit() { wait_for "$2" bash -c "! kill -0 $1 2>/dev/null"; }

# ---- one port, two protocols ------------------------------------------------------------
check "GET /info over h2c answers HTTP/2" test "$("${H2[@]}" -o "$WORK/body" -w '%{http_version}' "$URL/info")" = 2
check "... with the server info" json_check '"KsqlServerInfo" in b'
check "GET /info over HTTP/1.1 on the same port" test "$(curl -s -o /dev/null -w '%{http_version}' "$URL/info")" = 1.1
check "an Authorization header is ignored when auth is off" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Basic Og==' "$URL/info")" = 200

"${H2[@]}" -o "$WORK/body" -X POST "$URL/ksql" \
  -d "{\"ksql\":\"CREATE STREAM S (ID INT KEY, NAME STRING, V DOUBLE) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON');\"}"
check "POST /ksql over HTTP/2 creates the stream" json_check 'b[0]["commandId"]=="stream/`S`/create"'

# ---- push queries started before the inserts -------------------------------------------
curl -sN -X POST "$URL/query-stream" \
  -d '{"sql":"SELECT * FROM S EMIT CHANGES LIMIT 3;","properties":{"auto.offset.reset":"earliest"}}' \
  >"$WORK/push_delimited" 2>&1 &
PUSH1=$!; PIDS+=("$PUSH1")
"${H2[@]}" -N -X POST "$URL/query" \
  -d '{"ksql":"SELECT * FROM S EMIT CHANGES LIMIT 3;","streamsProperties":{"auto.offset.reset":"earliest"}}' \
  >"$WORK/push_v1" 2>&1 &
PUSH2=$!; PIDS+=("$PUSH2")
wait_lines "$WORK/push_delimited" 1 20 || fail "push query header (HTTP/1.1)"

# ---- inserts ----------------------------------------------------------------------------
printf '{"target":"s"}\n{"ID":1,"NAME":"a","V":1.5}\n{"id":2,"name":"b"}\n{"ID":3,"NAME":"c","V":3}' >"$WORK/rows"
"${H2[@]}" -X POST "$URL/inserts-stream" --data-binary @"$WORK/rows" >"$WORK/acks"
check "inserts-stream acks every row, the last without its newline" \
  test "$(cat "$WORK/acks")" = $'{"status":"ok","seq":0}\n{"status":"ok","seq":1}\n{"status":"ok","seq":2}'
printf '{"target":"S"}\n{"ID":4,"NAME":"d","V":4}\n{"ID":5,"NAME":"e","V":5}\n{"ID":6,"NAME":"f","V":6}\n' >"$WORK/rows2"
timeout 20 nghttp -v -d "$WORK/rows2" "$URL/inserts-stream" >"$WORK/nghttp_acks" 2>&1
check "nghttp: inserts-stream answers 200" grep -q ':status: 200' "$WORK/nghttp_acks"
check "nghttp: one ack per DATA frame" \
  test "$(grep -c 'recv DATA frame <length=24,' "$WORK/nghttp_acks")" = 3
check "nghttp: acks 0..2" test "$(grep -c '^{"status":"ok","seq":[012]}$' "$WORK/nghttp_acks")" = 3
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "$URL/inserts-stream" --data-binary @"$WORK/rows")
check "inserts-stream over HTTP/1.1 is refused as in ksqlDB (400, 40004)" \
  bash -c "[ $code = 400 ] && python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); sys.exit(0 if b[\"error_code\"]==40004 else 1)' $WORK/body"
printf '{"target":"S"}\n{"ID":7,"NAME":"g","V":7}\n{"ID":"x"}\n{"ID":8}\n' >"$WORK/rows_bad"
"${H2[@]}" -X POST "$URL/inserts-stream" --data-binary @"$WORK/rows_bad" >"$WORK/acks_bad"
check "a row that does not fit the schema gets an error with its seq, and the stream ends" \
  python3 -c 'import json,sys; l=open(sys.argv[1]).read().splitlines(); a=json.loads(l[0]); e=json.loads(l[1]);
sys.exit(0 if len(l)==2 and a=={"status":"ok","seq":0} and e["status"]=="error" and e["seq"]==1 and e["error_code"]==40000 else 1)' "$WORK/acks_bad"

# ---- the push queries saw the first three rows -------------------------------------------
wait_exit "$PUSH1" 30 || fail "push query (HTTP/1.1, LIMIT 3) did not end"
check "push /query-stream: header then one array per row" python3 -c '
import json,sys
l=open(sys.argv[1]).read().splitlines()
h=json.loads(l[0])
ok=h["queryId"].startswith("transient_") and h["columnNames"]==["ID","NAME","V"] and h["columnTypes"]==["INTEGER","STRING","DOUBLE"]
ok=ok and [json.loads(x) for x in l[1:]]==[[1,"a",1.5],[2,"b",None],[3,"c",3.0]]
sys.exit(0 if ok else 1)' "$WORK/push_delimited"
wait_exit "$PUSH2" 30 || fail "push query (/query over HTTP/2, LIMIT 3) did not end"
check "push /query (v1): header, rows, finalMessage Limit Reached" python3 -c '
import json,sys
b=json.load(open(sys.argv[1]))
ok=len(b)==5 and "queryId" in b[0]["header"] and b[0]["header"]["schema"].startswith("`ID` INTEGER")
ok=ok and [r["row"]["columns"] for r in b[1:4]]==[[1,"a",1.5],[2,"b",None],[3,"c",3.0]] and b[4]=={"finalMessage":"Limit Reached"}
sys.exit(0 if ok else 1)' "$WORK/push_v1"

# ---- pull queries -------------------------------------------------------------------------
echo '{"sql":"SELECT * FROM S;"}' >"$WORK/pull.json"
timeout 20 nghttp -v -d "$WORK/pull.json" "$URL/query-stream" >"$WORK/nghttp_pull" 2>&1
check "nghttp pull /query-stream: 8 lines (header + 7 rows), each in its own DATA frame" python3 -c '
import re,sys
t=open(sys.argv[1]).read()
frames=[int(n) for n in re.findall(r"recv DATA frame <length=(\d+),", t)]
ends=re.findall(r"recv DATA frame <length=\d+, flags=0x01,", t)
lines=[l for l in t.splitlines() if l.startswith("{\"queryId\"") or l.startswith("[")and not l.startswith("[ ")]
ok=len([f for f in frames if f>0])==8 and len(lines)==8 and len(ends)==1
if not ok: print("frames", frames, "lines", lines)
sys.exit(0 if ok else 1)' "$WORK/nghttp_pull"
"${H2[@]}" -H 'Accept: application/json' -X POST "$URL/query-stream" -d @"$WORK/pull.json" >"$WORK/body"
check "pull /query-stream with Accept: application/json is one JSON array" \
  json_check 'b[0]["columnNames"]==["ID","NAME","V"] and sorted(r[0] for r in b[1:])==[1,2,3,4,5,6,7]'
curl -s -X POST "$URL/query" -d '{"ksql":"SELECT * FROM S WHERE ID = 5;"}' >"$WORK/body"
check "pull /query (v1) over HTTP/1.1, ending as ksqlDB ends a pull on a stream" \
  json_check '[r["row"]["columns"] for r in b[1:-1]]==[[5,"e",5.0]] and b[-1]=={"finalMessage":"Query Completed"}'
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "$URL/query-stream" -d '{"sql":"SELECT * FROM NOPE;"}')
check "a query on an unknown source: 400 statement_error 40001" \
  bash -c "[ $code = 400 ] && grep -q '\"error_code\":40001' $WORK/body"

# ---- /close-query, and clients that hang up -----------------------------------------------
"${H2[@]}" -N -X POST "$URL/query-stream" -d '{"sql":"SELECT * FROM S EMIT CHANGES;"}' >"$WORK/open_push" 2>&1 &
OPEN=$!; PIDS+=("$OPEN")
wait_lines "$WORK/open_push" 1 20 || fail "open push query header"
QID=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["queryId"])' "$WORK/open_push")
code=$("${H2[@]}" -o /dev/null -w '%{http_code}' -X POST "$URL/close-query" -d "{\"queryId\":\"$QID\"}")
check "/close-query answers 200" test "$code" = 200
check "... and the query's response ends" wait_exit "$OPEN" 15
check "... and the query stopped" wait_for 15 grep -q "Push query $QID closed by /close-query" "$WORK/sluiced.log"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/close-query" -d "{\"queryId\":\"$QID\"}")
check "/close-query of a query no longer running: 400" test "$code" = 400

for proto in http1 h2; do
  args=(curl -sN); [ $proto = h2 ] && args=("${H2[@]}" -N)
  "${args[@]}" -X POST "$URL/query-stream" -d '{"sql":"SELECT * FROM S EMIT CHANGES;"}' >"$WORK/gone_$proto" 2>&1 &
  GONE=$!; PIDS+=("$GONE")
  wait_lines "$WORK/gone_$proto" 1 20 || fail "push query header ($proto)"
  QID=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["queryId"])' "$WORK/gone_$proto")
  kill "$GONE"
  check "a client ($proto) that hangs up stops its push query" \
    wait_for 15 grep -q "Push query $QID stopped: its response ended or its client went away" "$WORK/sluiced.log"
done

# ---- a client that stops reading: dropped once its queue is full, its query stopped -------
ksql "CREATE STREAM BIG (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='big', PARTITIONS=1, VALUE_FORMAT='JSON');"
python3 - "$HTTP_PORT" "$WORK/slow_started" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
body = b'{"sql":"SELECT * FROM BIG EMIT CHANGES;"}'
s.sendall(b"POST /query-stream HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
data = b""
while b"queryId" not in data:
    data += s.recv(1024)
open(sys.argv[2], "w").write(data.decode(errors="replace").split("\r\n\r\n", 1)[1] + "\n")
time.sleep(60)  # never reads again
PY
SLOW=$!; PIDS+=("$SLOW")
wait_for 20 grep -q queryId "$WORK/slow_started" || fail "slow client's push query started"
python3 -c 'import json; print(json.dumps({"target": "BIG"})); [print(json.dumps({"ID": i, "V": "x" * 10000})) for i in range(800)]' \
  >"$WORK/big_rows"
"${H2[@]}" -X POST "$URL/inserts-stream" --data-binary @"$WORK/big_rows" >"$WORK/big_acks"
check "800 rows of 10 KB acknowledged" test "$(grep -c '"status":"ok"' "$WORK/big_acks")" = 800
check "the slow client is dropped when its queue is full" \
  wait_for 20 grep -q "reads slower than rows arrive" "$WORK/sluiced.log"
QID=$(grep -o '"queryId":"[^"]*"' "$WORK/slow_started" | cut -d'"' -f4)
check "... and its push query stopped" \
  wait_for 20 grep -q "Push query $QID stopped: its response ended or its client went away" "$WORK/sluiced.log"
kill "$SLOW" 2>/dev/null || true

# ---- status endpoints ---------------------------------------------------------------------
curl -s "$URL/status" >"$WORK/body"
check "GET /status lists the command" json_check 'b["commandStatuses"]["stream/`S`/create"]=="SUCCESS"'
curl -s "$URL/status/stream/%60S%60/create" >"$WORK/body"
check "GET /status/{commandId}" json_check 'b["status"]=="SUCCESS" and b["message"]=="Stream created"'
curl -s "$URL/clusterStatus" >"$WORK/body"
check "GET /clusterStatus: this host alive" \
  json_check 'b["clusterStatus"]["127.0.0.1:'"$HTTP_PORT"'"]["hostAlive"] is True'
check "sluiced still answers /info" curl -sf -o /dev/null "$URL/info"

# ---- shutdown with push queries running: clean exit, their responses end ------------------
curl -sN -X POST "$URL/query-stream" -d '{"sql":"SELECT * FROM S EMIT CHANGES;"}' >"$WORK/last_h1" 2>&1 &
LAST1=$!; PIDS+=("$LAST1")
"${H2[@]}" -N -X POST "$URL/query-stream" -d '{"sql":"SELECT * FROM S EMIT CHANGES;"}' >"$WORK/last_h2" 2>&1 &
LAST2=$!; PIDS+=("$LAST2")
wait_lines "$WORK/last_h1" 1 20 && wait_lines "$WORK/last_h2" 1 20 || fail "push queries before shutdown"
check "SIGTERM with two push queries running: clean exit" stop_sluiced
check "... and both responses ended" bash -c "$(declare -f wait_for); wait_for 10 bash -c '! kill -0 $LAST1 2>/dev/null && ! kill -0 $LAST2 2>/dev/null'"
finish
