#!/usr/bin/env bash
# PRINT against sluiced on its embedded broker: POST /query streams ksqlDB's text lines (the
# "Key format:" / "Value format:" lines, then "rowtime: ..., key: ..., value: ..., partition: N"
# per record) and ends at LIMIT; INTERVAL; from the end without FROM BEGINNING; bytes no
# format reads; an unknown topic's error; a client that hangs up frees the consumer; the
# websocket /ws/query; the CLI.
source "$(dirname "$0")/lib.sh"

HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT"
start_sluiced "$WORK/sluiced.log"
BOOTSTRAP=$(curl -s "$URL/info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["KsqlServerInfo"]["kafkaBootstrapServers"])')

# print 'STATEMENT' OUT: POST /query, body in OUT, HTTP status in $HTTP_STATUS (bounded).
print_query() {
  local payload
  payload=$(python3 -c 'import json,sys; print(json.dumps({"ksql": sys.argv[1], "streamsProperties": {}}))' "$1")
  HTTP_STATUS=$(curl -s --max-time 20 -o "$2" -w '%{http_code}' -X POST "$URL/query" \
    -H 'Content-Type: application/vnd.ksql.v1+json' -d "$payload") || true
}
# The non-empty lines of a file (the server's keep-alive lines are empty).
lines() { grep -v '^$' "$1" || true; }

ksql "CREATE STREAM PEOPLE (ID INT KEY, NAME STRING) WITH (KAFKA_TOPIC='people', PARTITIONS=1, VALUE_FORMAT='JSON');"
check "stream created" test "$HTTP_STATUS" = 200
ksql "INSERT INTO PEOPLE (ROWTIME, ID, NAME) VALUES (1614852672123, 1, 'ann');
      INSERT INTO PEOPLE (ROWTIME, ID, NAME) VALUES (1614852673123, 2, 'bob');
      INSERT INTO PEOPLE (ROWTIME, ID, NAME) VALUES (1614852674123, 3, 'cy');"
check "three rows inserted" test "$HTTP_STATUS" = 200

print_query "PRINT 'people' FROM BEGINNING LIMIT 3;" "$WORK/p1"
check "PRINT ... LIMIT 3 answers 200" test "$HTTP_STATUS" = 200
cat >"$WORK/p1.expected" <<'EOF'
Key format: KAFKA_INT or KAFKA_STRING
Value format: JSON or KAFKA_STRING
rowtime: 2021/03/04 10:11:12.123 Z, key: 1, value: {"NAME":"ann"}, partition: 0
rowtime: 2021/03/04 10:11:13.123 Z, key: 2, value: {"NAME":"bob"}, partition: 0
rowtime: 2021/03/04 10:11:14.123 Z, key: 3, value: {"NAME":"cy"}, partition: 0
EOF
check "the format lines, then one line per record, and the response ends at LIMIT" \
  diff -u "$WORK/p1.expected" <(lines "$WORK/p1")

print_query "PRINT people FROM BEGINNING INTERVAL 2 LIMIT 2;" "$WORK/p2"
check "INTERVAL 2 prints the first and third records" \
  test "$(lines "$WORK/p2" | grep -o 'key: [0-9]' | tr '\n' ' ')" = "key: 1 key: 3 "

# AVRO written by a query (schema in the embedded registry): decoded through the registry.
payload=$(python3 -c 'import json; print(json.dumps({"ksql": "CREATE STREAM PEOPLE_AVRO WITH (KAFKA_TOPIC='"'"'people_avro'"'"', VALUE_FORMAT='"'"'AVRO'"'"') AS SELECT * FROM PEOPLE;", "streamsProperties": {"auto.offset.reset": "earliest"}}))')
check "a CSAS writes the rows as AVRO" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/ksql" -d "$payload")" = 200
print_query "PRINT 'people_avro' FROM BEGINNING LIMIT 3;" "$WORK/avro"
check "AVRO values are detected" grep -q '^Value format: AVRO' "$WORK/avro"
check "... and printed as Avro's GenericData does" grep -qF 'key: 2, value: {"NAME": "bob"}, partition: 0' "$WORK/avro"

# Raw bytes from another producer: text keys, a value no format reads, a null value.
printf 'k1:hello\nk2:\xff\xfe\n' | kcat -b "$BOOTSTRAP" -P -t raw -p 0 -K:
kcat -b "$BOOTSTRAP" -P -t raw -p 0 -K: -Z <<<'k3:'
print_query "PRINT 'raw' FROM BEGINNING LIMIT 3;" "$WORK/p3"
check "PRINT of another producer's records answers 200" test "$HTTP_STATUS" = 200
check "bytes no format reads print as \\xNN" grep -qF 'key: k2, value: \xFF\xFE, partition: 0' "$WORK/p3"
check "a null value prints <null>" grep -qF 'key: k3, value: <null>, partition: 0' "$WORK/p3"
check "the value format narrows to nothing, and says so" \
  grep -qF 'Value format:  does not match any supported format.' "$WORK/p3"

# Unknown topics: ksqlDB's 400 generic_error, suggesting the name in another case.
print_query "PRINT 'nope' LIMIT 1;" "$WORK/body"
check "an unknown topic answers 400" test "$HTTP_STATUS" = 400
check "... with ksqlDB's error" json_check 'b["@type"] == "generic_error" and b["error_code"] == 40000 and b["message"].startswith("Could not find topic '"'"'nope'"'"', or the KSQL user does not have permissions")'
print_query "PRINT 'PEOPLE' LIMIT 1;" "$WORK/body"
check "... and a topic spelled in another case is suggested" json_check '"Did you mean:\n\tprint people;" in b["message"]'

# Without FROM BEGINNING it starts at the end: only records produced after it started.
print_query "PRINT 'raw' LIMIT 1;" "$WORK/p4" &
PRINT_PID=$!
for i in $(seq 1 60); do
  kill -0 "$PRINT_PID" 2>/dev/null || break
  # A 5-byte key: 4 bytes would read as KAFKA_INT.
  echo "later:late-$i" | kcat -b "$BOOTSTRAP" -P -t raw -p 0 -K:
  sleep 0.25
done
wait "$PRINT_PID" || true
check "from the end: one new record, none of the old ones" \
  test "$(lines "$WORK/p4" | grep -c '^rowtime: .*key: later, value: late-')" = 1 -a "$(grep -c 'key: k1' "$WORK/p4")" = 0

# A client that hangs up: its consumer is closed.
curl -sN --max-time 20 -X POST "$URL/query" -d '{"ksql":"PRINT '"'"'raw'"'"' FROM BEGINNING;"}' >"$WORK/p5" &
CURL_PID=$!
check "PRINT without LIMIT streams" wait_for 15 grep -q 'key: k1' "$WORK/p5"
kill "$CURL_PID" 2>/dev/null || true
wait "$CURL_PID" 2>/dev/null || true
check "the PRINT's consumer is closed when its client leaves" wait_for 15 grep -q 'PRINT raw: consumer closed' "$WORK/sluiced.log"

# The websocket: one JSON string frame per record, then close 1000 "done" at LIMIT.
timeout 30 python3 "$(dirname "$0")/ws_client.py" "ws://127.0.0.1:$HTTP_PORT/ws/query" --timeout 20 \
  --request '{"ksql":"PRINT '"'"'people'"'"' FROM BEGINNING LIMIT 2;"}' >"$WORK/ws" || true
check "websocket PRINT: two record frames, then close 1000" python3 -c '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
texts = [json.loads(x["text"]) for x in e if "text" in x]
closes = [x for x in e if "close" in x]
sys.exit(0 if len(texts) == 2 and texts[0].startswith("rowtime: 2021/03/04 10:11:12.123 Z, key: 1,")
         and closes and closes[0]["close"] == 1000 else 1)' "$WORK/ws"
timeout 30 python3 "$(dirname "$0")/ws_client.py" "ws://127.0.0.1:$HTTP_PORT/ws/query" --timeout 20 \
  --request '{"ksql":"PRINT nope;"}' >"$WORK/ws_bad" || true
check "websocket PRINT of an unknown topic: close 1003 with ksqlDB's message" \
  grep -q '"close": 1003, "reason": "Topic does not exist, or KSQL does not have permission to list the topic: nope"' "$WORK/ws_bad"

# The CLI prints the lines as they come, then "Topic printing ceased".
timeout 30 "$BIN/sluice" "$URL" -e "PRINT 'people' FROM BEGINNING LIMIT 2;" >"$WORK/cli" 2>&1 || true
check "the CLI prints PRINT's lines" grep -qF 'rowtime: 2021/03/04 10:11:13.123 Z, key: 2, value: {"NAME":"bob"}, partition: 0' "$WORK/cli"
check "... and ends with 'Topic printing ceased'" test "$(tail -n 1 "$WORK/cli")" = "Topic printing ceased"
check "... with no empty keep-alive lines" test "$(grep -c '^$' "$WORK/cli")" = 0

finish
