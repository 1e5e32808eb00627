#!/usr/bin/env bash
# The processing log through sluiced on its embedded broker, as a ksqlDB user meets it:
# ksql.logging.processing.topic.auto.create and .stream.auto.create make the server create
# `default_ksql_processing_log` and register the KSQL_PROCESSING_LOG stream at start-up; a record
# a query cannot deserialize lands in the topic in ksqlDB's shape (read with kcat) and is
# readable through the stream with SQL; the query goes on. A query that fails (a bad timestamp
# with ksql.timestamp.throw.on.invalid) says ERROR with the reason in EXPLAIN.
source "$(dirname "$0")/lib.sh"

HTTP_PORT=$(free_port)
start_sluiced "$WORK/sluiced.log" KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET=earliest \
  KSQL_KSQL_LOGGING_PROCESSING_TOPIC_AUTO_CREATE=true KSQL_KSQL_LOGGING_PROCESSING_STREAM_AUTO_CREATE=true \
  KSQL_KSQL_TIMESTAMP_THROW_ON_INVALID=true KSQL_KSQL_STREAMS_STATE_DIR="$WORK/state"
curl -s "http://127.0.0.1:$HTTP_PORT/info" >"$WORK/body"
EMB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["KsqlServerInfo"]["kafkaBootstrapServers"])' "$WORK/body")
LOG_TOPIC=default_ksql_processing_log

check "the processing-log topic exists at start-up" sh -c "kcat -b '$EMB' -L -t $LOG_TOPIC -m 5 | grep -q 'with 1 partitions'"
ksql "LIST STREAMS;"
check "the KSQL_PROCESSING_LOG stream is registered over it" json_check \
  'any(s["name"]=="KSQL_PROCESSING_LOG" and s["topic"]=="'$LOG_TOPIC'" for s in b[0]["streams"])'

ksql "CREATE STREAM events (id STRING KEY, n INT) WITH (kafka_topic='events', value_format='JSON', partitions=1);
      CREATE STREAM doubled AS SELECT id, n * 2 AS n2 FROM events;
      CREATE STREAM errors AS SELECT message->deserializationError->errorMessage AS msg,
        message->deserializationError->\`topic\` AS src FROM KSQL_PROCESSING_LOG WHERE message->type = 0;"
check "the statements run (a CSAS reads the processing log)" test "$HTTP_STATUS" = 200
printf 'a:{"N":1}\nbad:not json at all\nb:{"N":2}\n' | kcat -b "$EMB" -P -t events -K:

sink_lines() { kcat -b "$EMB" -C -t "$1" -o beginning -e -q -f '%k=%s\n' 2>/dev/null; }
check "the good records go through" wait_for 60 sh -c "test \$(kcat -b '$EMB' -C -t DOUBLED -o beginning -e -q 2>/dev/null | wc -l) -eq 2"
check "the bad record is in $LOG_TOPIC" wait_for 30 sh -c "kcat -b '$EMB' -C -t $LOG_TOPIC -o beginning -e -q | grep -q deserializationError"
kcat -b "$EMB" -C -t $LOG_TOPIC -o beginning -e -q -f '%h|%s\n' >"$WORK/plog.txt" 2>/dev/null || true
check "... in ksqlDB's shape, with the record's offset (1)" python3 -c '
import json,sys
h,v=open(sys.argv[1]).read().splitlines()[0].split("|",1)
v=json.loads(v); d=v["message"]["deserializationError"]
ok=(v["level"]=="ERROR" and v["logger"].startswith("processing.CSAS_DOUBLED_0") and v["message"]["type"]==0
    and d["topic"]=="events" and d["target"]=="value" and "offset 1" in d["errorMessage"]
    and v["message"]["recordProcessingError"] is None and "sluice.source.offset=1" in h)
sys.exit(0 if ok else 1)' "$WORK/plog.txt"
check "KSQL_PROCESSING_LOG reads it back with SQL" wait_for 30 sh -c \
  "kcat -b '$EMB' -C -t ERRORS -o beginning -e -q 2>/dev/null | grep -q '\"SRC\":\"events\"'"

ksql "SHOW QUERIES;"
check "the query with a bad input record is still RUNNING" json_check \
  'any(q["id"]=="CSAS_DOUBLED_0" and q["state"]=="RUNNING" for q in b[0]["queries"])'

# A failing query: ERROR with the reason, never a silent stop.
ksql "CREATE STREAM timed (id STRING KEY, ts BIGINT) WITH (kafka_topic='timed', value_format='JSON', timestamp='ts', partitions=1);
      CREATE STREAM timed_copy AS SELECT * FROM timed;"
QID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[1]["commandStatus"]["queryId"])' "$WORK/body")
printf 'x:{"TS":null}\n' | kcat -b "$EMB" -P -t timed -K:
explain_error() {
  ksql "EXPLAIN $QID;"
  json_check 'b[0]["queryDescription"]["state"]=="ERROR"'
}
check "EXPLAIN says ERROR once the bad timestamp stops the query" wait_for 60 explain_error
check "... with the reason (topic, partition, offset)" json_check \
  '"topic timed partition 0 offset 0" in b[0]["queryDescription"]["queryErrors"][0]["errorMessage"]'
ksql "SHOW QUERIES;"
check "SHOW QUERIES lists the failed query as ERROR" json_check \
  'any(q["id"]=="'"$QID"'" and q["state"]=="ERROR" and q["statusCount"]=={"ERROR": 1} for q in b[0]["queries"])'
check "the failure is in the processing log (kafkaStreamsThreadError)" wait_for 30 sh -c \
  "kcat -b '$EMB' -C -t $LOG_TOPIC -o beginning -e -q | grep -q '\"type\":4'"

stop_sluiced || fail "sluiced did not stop cleanly"
finish
