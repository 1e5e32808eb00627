#!/usr/bin/env bash
# sluiced over REST: statements through POST /ksql with ksqlDB's v1 bodies; the command topic
# rebuilds the metastore after a restart while sluice-broker keeps its data; bad requests get
# ksqlDB error bodies and never take the server down; the embedded broker serves kcat.
source "$(dirname "$0")/lib.sh"

BOOT_PORT=$(free_port)
HTTP_PORT=$(free_port)
start_broker "$BOOT_PORT"
B="127.0.0.1:$BOOT_PORT"

# ---- statements, then a restart -------------------------------------------------------------
start_sluiced "$WORK/sluiced1.log" KSQL_BOOTSTRAP_SERVERS="$B" KSQL_KSQL_SERVICE_ID=it_
curl -s "http://127.0.0.1:$HTTP_PORT/info" >"$WORK/body"
check "GET /info names the service id and cluster" json_check \
  'b["KsqlServerInfo"]["ksqlServiceId"]=="it_" and b["KsqlServerInfo"]["serverStatus"]=="RUNNING" and b["KsqlServerInfo"]["kafkaClusterId"]!="" and not b["KsqlServerInfo"]["embeddedKafka"]'

ksql "CREATE STREAM pageviews (id INT KEY, page STRING) WITH (kafka_topic='pageviews', value_format='JSON', partitions=4);
      CREATE STREAM home AS SELECT * FROM pageviews WHERE page = 'home';"
check "CREATE STREAM + CSAS answer 200" test "$HTTP_STATUS" = 200
check "currentStatus entities as ksqlDB writes them" json_check '
  len(b)==2 and b[0]["@type"]=="currentStatus" and b[0]["commandId"]=="stream/`PAGEVIEWS`/create"
  and b[0]["commandStatus"]=={"status":"SUCCESS","message":"Stream created","queryId":None}
  and b[0]["statementText"].startswith("CREATE STREAM pageviews") and b[0]["warnings"]==[]
  and b[1]["commandStatus"]["queryId"]=="CSAS_HOME_0"
  and b[1]["commandStatus"]["message"]=="Created query with ID CSAS_HOME_0"
  and b[1]["commandSequenceNumber"]==b[0]["commandSequenceNumber"]+1'
ksql "SET 'auto.offset.reset'='earliest'; CREATE TYPE addr AS STRUCT<street STRING>;"
check "SET gives no entity, CREATE TYPE one" json_check 'len(b)==1 and b[0]["commandId"]=="type/ADDR/create"'

TOPIC="_confluent-ksql-it__command_topic"
# sluiced created it through sluice-broker's control port (the mock has no CreateTopics API).
check "the command topic has one partition" sh -c "kcat -b '$B' -L -t '$TOPIC' -m 5 | grep -q 'with 1 partitions'"
kcat -b "$B" -C -t "$TOPIC" -o beginning -e -q -f '%k|%s\n' >"$WORK/commands.txt" || true
check "three commands in $TOPIC" test "$(wc -l <"$WORK/commands.txt")" -eq 3
check "command records carry the statement and request properties" python3 -c '
import json,sys
lines=open(sys.argv[1]).read().splitlines()
k,v=lines[2].split("|",1); v=json.loads(v)
sys.exit(0 if k=="type/ADDR/create" and v["statement"].startswith("CREATE TYPE")
         and v["streamsProperties"].get("auto.offset.reset")=="earliest" else 1)' "$WORK/commands.txt"

check "SIGTERM stops sluiced cleanly (exit 0)" stop_sluiced
start_sluiced "$WORK/sluiced2.log" KSQL_BOOTSTRAP_SERVERS="$B" KSQL_KSQL_SERVICE_ID=it_
check "the restart replayed the commands" grep -q "Replayed 3 of 3 commands" "$WORK/sluiced2.log"
ksql "LIST STREAMS;"
check "streams are back after the restart" json_check '
  b[0]["@type"]=="streams" and sorted(s["name"] for s in b[0]["streams"])==["HOME","PAGEVIEWS"]'
ksql "CREATE STREAM pageviews (id INT KEY) WITH (kafka_topic='pageviews', value_format='JSON');"
check "re-creating a replayed stream is an error (400)" test "$HTTP_STATUS" = 400
check "... a statement_error naming the stream" json_check \
  'b["@type"]=="statement_error" and b["error_code"]==40001 and "PAGEVIEWS" in b["message"].upper() and b["entities"]==[]'
ksql "CREATE STREAM away AS SELECT * FROM pageviews WHERE page <> 'home';"
check "query ids continue after the replay" json_check 'b[0]["commandStatus"]["queryId"]=="CSAS_AWAY_1"'
ksql "CREATE STREAM ok1 AS SELECT * FROM pageviews; CREATE STREAM broken AS SELECT nope FROM pageviews;"
check "an error after a success lists the earlier entity" json_check '
  b["@type"]=="statement_error" and len(b["entities"])==1 and b["statementText"].startswith("CREATE STREAM broken")'

# ---- bad requests ---------------------------------------------------------------------------
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP_PORT/ksql" -d '{"ksql": ')
check "malformed JSON: 400 generic_error 40000" test "$code" = 400
check "... with a ksqlDB error body" json_check 'b["@type"]=="generic_error" and b["error_code"]==40000'
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP_PORT/ksql" -d '{"sql": "x"}')
check "missing ksql field: 400" test "$code" = 400
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP_PORT/ksql" -d '[1,2]')
check "a JSON array body: 400" test "$code" = 400
ksql "SELECT * FROM pageviews EMIT CHANGES;"
check "SELECT over /ksql: 400 with 40002" json_check 'b["error_code"]==40002 and "/query" in b["message"]'
ksql "CREATE STREAM (;"
check "syntax error: 40001 with the statement text" json_check 'b["error_code"]==40001 and b["statementText"]=="CREATE STREAM (;"'
code=$(curl -s -o "$WORK/body" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/nowhere")
check "unknown path: 404" test "$code" = 404
code=$(printf 'GARBAGE\r\n\r\n' | curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X BREW "http://127.0.0.1:$HTTP_PORT/ksql" || true)
check "wrong method: an error status ($code)" test "$code" -ge 400
head -c 300000 /dev/urandom | base64 -w0 | sed 's/^/{"ksql": "/; s/$/"}/' >"$WORK/big.json"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP_PORT/ksql" --data-binary @"$WORK/big.json")
check "garbage statement text: 400, no crash" test "$code" = 400
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthcheck")
check "still healthy after the bad requests" test "$code" = 200
stop_sluiced || fail "second sluiced did not stop cleanly"

# ---- embedded broker ------------------------------------------------------------------------
# (queries read their input from the start, as the CLI's SET 'auto.offset.reset'='earliest' does)
start_sluiced "$WORK/embedded.log" KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET=earliest
check "start-up says the embedded broker keeps data in memory" grep -q "keeps data in memory only" "$WORK/embedded.log"
curl -s "http://127.0.0.1:$HTTP_PORT/info" >"$WORK/body"
EMB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["KsqlServerInfo"]["kafkaBootstrapServers"])' "$WORK/body")
check "GET /info shows the embedded broker's address ($EMB)" json_check 'b["KsqlServerInfo"]["embeddedKafka"]'
check "kcat sees the command topic on the embedded broker" sh -c "kcat -b '$EMB' -L -m 5 | grep -q '_confluent-ksql-default__command_topic'"
echo 'k1:v1' | kcat -b "$EMB" -P -t from-kcat -K:
check "kcat round trip on the embedded broker" sh -c "kcat -b '$EMB' -C -t from-kcat -o beginning -e -q -f '%k=%s' -m 5 | grep -qx 'k1=v1'"

# Persistent queries over the embedded broker, end to end: statements over REST, input from
# kcat, sinks read back with kcat (a stateless CSAS and a GROUP BY through its repartition topic).
ksql "CREATE STREAM payments (id STRING KEY, user_id STRING, amount INT) WITH (kafka_topic='payments', value_format='JSON', partitions=2);"
ksql "CREATE TABLE balances AS SELECT user_id, SUM(amount) AS balance, COUNT(*) AS n FROM payments GROUP BY user_id;"
check "CTAS ... GROUP BY over REST starts CTAS_BALANCES_0" json_check 'b[0]["commandStatus"]["queryId"]=="CTAS_BALANCES_0"'
ksql "CREATE STREAM big AS SELECT id, user_id, amount FROM payments WHERE amount > 10;"
check "CSAS over REST starts CSAS_BIG_1" json_check 'b[0]["commandStatus"]["queryId"]=="CSAS_BIG_1"'
ksql "EXPLAIN CTAS_BALANCES_0;"
check "EXPLAIN shows the query's plan and its repartition topic" json_check '
  b[0]["@type"]=="queryDescription" and b[0]["queryDescription"]["id"]=="CTAS_BALANCES_0" and
  "[ AGGREGATE ]" in b[0]["queryDescription"]["executionPlan"] and
  "Aggregate-GroupBy-repartition" in b[0]["queryDescription"]["topology"]'
ksql "EXPLAIN NOPE_1;"
check "EXPLAIN of an unknown query: 400 with ksqlDB's message" json_check '"Query with id:NOPE_1 does not exist" in b["message"]'
for i in 1 2 3 4 5 6; do echo "p$i:{\"USER_ID\":\"u$((i % 2))\",\"AMOUNT\":$((i * 5))}"; done | kcat -b "$EMB" -P -t payments -K:
sink_has() {  # sink_has TOPIC LINE: the topic, read from the start, holds the line "key=value"
  kcat -b "$EMB" -C -t "$1" -o beginning -e -q -f '%k=%s\n' 2>/dev/null | grep -qxF "$2"
}
check "the GROUP BY sink reaches u0's balance (10+20+30)" wait_for 60 sink_has BALANCES 'u0={"BALANCE":60,"N":3}'
check "... and u1's (5+15+25)" wait_for 30 sink_has BALANCES 'u1={"BALANCE":45,"N":3}'
check "the filtered sink has the 15 it should" wait_for 30 sink_has BIG 'p3={"USER_ID":"u1","AMOUNT":15}'
check "... and not the 5 it should not" sh -c "! kcat -b '$EMB' -C -t BIG -o beginning -e -q -f '%k\n' | grep -qx p1"
stop_sluiced || fail "embedded sluiced did not stop cleanly"

# ---- configuration errors stop start-up -----------------------------------------------------
printf 'ksql.streams.num.stream.threads=lots\n' >"$WORK/bad.properties"
status=0; "$BIN/sluiced" --config "$WORK/bad.properties" >"$WORK/bad.log" 2>&1 || status=$?
check "an invalid value stops start-up" test "$status" -ne 0
check "... naming the property" grep -q "ksql.streams.num.stream.threads" "$WORK/bad.log"
printf 'bad=\\u12\n' >"$WORK/malformed.properties"
status=0; "$BIN/sluiced" --config "$WORK/malformed.properties" >"$WORK/malformed.log" 2>&1 || status=$?
check "a malformed file stops start-up with its line" sh -c "test $status -ne 0 && grep -q 'line 1: Malformed' '$WORK/malformed.log'"
finish
