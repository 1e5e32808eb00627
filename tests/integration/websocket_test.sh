#!/usr/bin/env bash
# ksqlDB's legacy websocket /ws/query against sluiced (ws_client.py speaks RFC 6455 by hand):
# the schema frame, one {"row":...} frame per row and close 1000 "done" for a push query with
# LIMIT (from earliest, and one started before its row arrives) and a pull query; close 1003
# with ksqlDB's messages for requests that cannot start a query; a client that hangs up ends
# its push query; a plain GET /ws/query without the upgrade is not served.
source "$(dirname "$0")/lib.sh"

HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT"
WS="ws://127.0.0.1:$HTTP_PORT/ws/query"
start_sluiced "$WORK/sluiced.log"
wsq() { timeout 40 python3 "$(dirname "$0")/ws_client.py" "$WS" --timeout 30 "$@"; }
# frames FILE 'python expression over e (the list of events)': true when it holds.
frames() {
  python3 -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}

ksql "CREATE STREAM S (ID INT KEY, NAME STRING, V DOUBLE) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON');"
check "stream created" test "$HTTP_STATUS" = 200
for row in "1, 'a', 1.5" "2, 'b', 2.5" "3, 'c', 3.5"; do
  ksql "INSERT INTO S (ID, NAME, V) VALUES ($row);"
done

# ---- push query with LIMIT, from the earliest offset -------------------------------------------
wsq --request '{"ksql":"SELECT * FROM S EMIT CHANGES LIMIT 2;","streamsProperties":{"auto.offset.reset":"earliest"}}' >"$WORK/push"
check "push: the upgrade is answered 101" frames "$WORK/push" 'e[0]=={"status":101}'
check "push: first frame is the columns as ksqlDB's FieldInfo list" frames "$WORK/push" '
json.loads(e[1]["text"])==[{"name":"ID","schema":{"type":"INTEGER","fields":None,"memberSchema":None}},
 {"name":"NAME","schema":{"type":"STRING","fields":None,"memberSchema":None}},
 {"name":"V","schema":{"type":"DOUBLE","fields":None,"memberSchema":None}}]'
check "push: one row frame per row, in order" frames "$WORK/push" '
[json.loads(x["text"]) for x in e[2:4]]==[{"row":{"columns":[1,"a",1.5]}},{"row":{"columns":[2,"b",2.5]}}]'
check "push: LIMIT reached closes with 1000 done" frames "$WORK/push" 'e[4]=={"close":1000,"reason":"done"} and len(e)==5'

# ---- push query started before its row exists -------------------------------------------------
# (from earliest too: a query reading from latest may be assigned its partition after the insert)
wsq --request '{"ksql":"SELECT ID, NAME FROM S WHERE ID = 9 EMIT CHANGES LIMIT 1;","streamsProperties":{"auto.offset.reset":"earliest"}}' >"$WORK/live" &
LIVE=$!; PIDS+=("$LIVE")
wait_for 20 grep -q '"text"' "$WORK/live" || fail "live push query: no schema frame"
wait_for 20 grep -q "Push query .* started for websocket" "$WORK/sluiced.log" || fail "live push query not started"
ksql "INSERT INTO S (ID, NAME, V) VALUES (9, 'late', 9.0);"
wait_for 30 bash -c "! kill -0 $LIVE 2>/dev/null" || fail "live push query did not end"
check "a row inserted after the query started arrives, then 1000 done" frames "$WORK/live" '
[json.loads(x["text"]) for x in e if "text" in x][1:]==[{"row":{"columns":[9,"late"]}}] and e[-1]["close"]==1000'

# ---- pull query ---------------------------------------------------------------------------------
wsq --request '{"ksql":"SELECT * FROM S WHERE ID = 2;"}' >"$WORK/pull"
check "pull: schema, the one matching row, 1000 done" frames "$WORK/pull" '
len(e)==4 and json.loads(e[1]["text"])[0]["name"]=="ID" and json.loads(e[2]["text"])=={"row":{"columns":[2,"b",2.5]}}
and e[3]=={"close":1000,"reason":"done"}'

# ---- pull query on a table: key columns marked KEY, nested types with memberSchema ---------------
CTAS='CREATE TABLE T AS SELECT ID, COUNT(*) AS C, COLLECT_LIST(NAME) AS NAMES FROM S GROUP BY ID;'
curl -s -o "$WORK/body" -X POST "$URL/ksql" \
  -d "{\"ksql\":\"$CTAS\",\"streamsProperties\":{\"ksql.streams.auto.offset.reset\":\"earliest\"}}"
check "table created" json_check 'b[0]["commandStatus"]["status"]=="SUCCESS"'
table_row() {
  wsq --request '{"ksql":"SELECT * FROM T WHERE ID = 3;"}' >"$WORK/pull_table" && grep -q '"row' "$WORK/pull_table"
}
wait_for 30 table_row || fail "the table's row never showed in a pull query"
check "table pull: ID is KEY, NAMES an ARRAY of STRING, the row, 1000 done" frames "$WORK/pull_table" '
json.loads(e[1]["text"])==[{"name":"ID","schema":{"type":"INTEGER","fields":None,"memberSchema":None},"type":"KEY"},
 {"name":"C","schema":{"type":"BIGINT","fields":None,"memberSchema":None}},
 {"name":"NAMES","schema":{"type":"ARRAY","fields":None,"memberSchema":{"type":"STRING","fields":None,"memberSchema":None}}}]
and json.loads(e[2]["text"])=={"row":{"columns":[3,1,["c"]]}} and e[3]=={"close":1000,"reason":"done"}'

# ---- requests that cannot start a query: 1003 with the reason ------------------------------------
wsq >"$WORK/bad1"
check "no request parameter: 1003" frames "$WORK/bad1" 'e[-1]=={"close":1003,"reason":"Error parsing request: missing request parameter"}'
wsq --request '{"ksql":""}' >"$WORK/bad2"
check "empty ksql: 1003" frames "$WORK/bad2" 'e[-1]["close"]==1003 and "must be populated" in e[-1]["reason"]'
wsq --request '{"ksql":"SELEC * FROM S;"}' >"$WORK/bad3"
check "parse error: 1003 Error parsing query" frames "$WORK/bad3" 'e[-1]["close"]==1003 and e[-1]["reason"].startswith("Error parsing query")'
wsq --request '{"ksql":"SELECT * FROM NOPE EMIT CHANGES;"}' >"$WORK/bad4"
check "unknown source: 1003 naming it" frames "$WORK/bad4" 'e[-1]["close"]==1003 and "NOPE" in e[-1]["reason"]'
wsq --request '{"ksql":"SHOW STREAMS;"}' >"$WORK/bad5"
check "not a SELECT: 1003" frames "$WORK/bad5" 'e[-1]["close"]==1003'
wsq --request '{"ksql":"SELECT * FROM S;"}' --query version=2 >"$WORK/bad6"
check "another API version: 1003" frames "$WORK/bad6" 'e[-1]=={"close":1003,"reason":"Received invalid api version: 2"}'
wsq --request "{\"ksql\":\"SELECT * FROM S_$(head -c 300 /dev/zero | tr '\0' X) EMIT CHANGES;\"}" >"$WORK/bad7"
check "a reason longer than a close frame holds is cut to 123 bytes ending ..." frames "$WORK/bad7" \
  'e[-1]["close"]==1003 and len(e[-1]["reason"].encode())==123 and e[-1]["reason"].endswith("...")'

# ---- a client that hangs up ends its push query -------------------------------------------------
wsq --hang-up-after 2 --request '{"ksql":"SELECT * FROM S EMIT CHANGES;","streamsProperties":{"auto.offset.reset":"earliest"}}' >"$WORK/hangup"
check "hang-up client got the schema and a row" frames "$WORK/hangup" 'len([x for x in e if "text" in x])==2'
check "its push query stops" wait_for 20 grep -q "stopped: its websocket closed" "$WORK/sluiced.log"

check "GET /ws/query without an upgrade is not served (404)" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/ws/query")" = 404
check "sluiced stops cleanly" stop_sluiced
finish
