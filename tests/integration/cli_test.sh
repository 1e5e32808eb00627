#!/usr/bin/env bash
# The CLI (build/bin/sluice) as a user drives it:
#  - interactively through a pseudo-terminal (tmux) against a real sluiced on the embedded
#    broker: banner, multi-line statements, CREATE/INSERT, LIST/DESCRIBE tables, SHOW QUERIES,
#    a push query with LIMIT and a pull query (when the server serves /query), history file;
#  - against a stand-in server (fake_ksql_server.py) for the /query display, the request
#    properties/variables it sends, and Ctrl-C stopping a push query but not the shell;
#  - -e, -f, a pipe, SPOOL, RUN SCRIPT, errors, and a server that is down.
source "$(dirname "$0")/lib.sh"

CLI="$BIN/sluice"
DIR="$(cd "$(dirname "$0")" && pwd)"
export HOME="$WORK/home"  # the history file goes there, not to the user's home
mkdir -p "$HOME"
SOCK="sluice-cli-test-$$"

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
# start_shell NAME URL: the interactive CLI in a detached 160x50 terminal; its server joins PIDS.
start_shell() {
  tm new-session -d -s "$1" -x 160 -y 50 "COLUMNS=160 '$CLI' '$2'; echo CLI-EXITED-\$?; sleep 30"
  tm set-option -t "$1" history-limit 5000 >/dev/null
  local pid
  pid=$(tm display-message -p -t "$1" '#{pid}')
  PIDS+=("$pid")
}
# type_line NAME TEXT: types TEXT and Enter (a trailing ';' is escaped: tmux reads it as a separator).
type_line() {
  local text=$2
  [[ $text == *\; ]] && text="${text%;}\\;"
  tm send-keys -t "$1" -l -- "$text"
  tm send-keys -t "$1" Enter
}
pane() { tm capture-pane -p -J -S - -t "$1"; }
pane_has() { pane "$1" | grep -qF -- "$2"; }
pane_count() { pane "$1" | grep -cF -- "$2" || true; }
# wait_pane NAME SECS TEXT: until the terminal shows TEXT; prints the screen when it does not.
wait_pane() {
  if wait_for "$2" pane_has "$1" "$3"; then return 0; fi
  echo "---- terminal $1 (waiting for: $3) ----"; pane "$1" | tail -40; echo "----"
  return 1
}

# ---- a real server ------------------------------------------------------------------------
HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT"
start_sluiced "$WORK/sluiced.log" KSQL_KSQL_STREAMS_STATE_DIR="$WORK/state"

start_shell real "$URL"
check "banner with the server's version and status" wait_pane real 15 "Server Status: RUNNING"
check "... and the prompt" wait_pane real 5 "ksql> "
type_line real "CREATE STREAM clicks (user_id STRING KEY, page STRING, n INT)"
check "an unfinished statement gets the continuation prompt" wait_pane real 5 "    > "
type_line real "  WITH (kafka_topic='clicks', value_format='JSON', partitions=1);"
check "a multi-line CREATE STREAM runs: its message in a table" wait_pane real 15 " Stream created"
for i in 1 2 3; do
  type_line real "INSERT INTO clicks (user_id, page, n) VALUES ('u$((i % 2))', 'page$i', $i);"
done
type_line real "LIST STREAMS;"
check "LIST STREAMS prints a table with headers" wait_pane real 15 " Stream Name | Kafka Topic | Key Format | Value Format | Windowed"
check "... and the stream's row" wait_pane real 5 " CLICKS      | clicks      | KAFKA      | JSON         | false"
type_line real "DESCRIBE clicks;"
check "DESCRIBE prints the name" wait_pane real 15 "Name                 : CLICKS"
check "... and the columns, the key marked" wait_pane real 5 " USER_ID | VARCHAR(STRING)  (key)"
check "... with the value columns" wait_pane real 5 " N       | INTEGER"
# Kept by the CLI and sent with every request: the CTAS and the queries read from the start.
type_line real "SET 'auto.offset.reset'='earliest';"
check "SET is kept by the CLI" wait_pane real 5 "Successfully changed local property 'auto.offset.reset' to 'earliest'"
type_line real "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS views FROM clicks GROUP BY user_id;"
check "CTAS reports its query" wait_pane real 15 "Created query with ID CTAS_PER_USER_"
type_line real "SHOW QUERIES;"
check "SHOW QUERIES lists it in a table" wait_pane real 15 " Query ID "
check "... as RUNNING" wait_pane real 5 "| PERSISTENT | RUNNING:1 | PER_USER"
type_line real "DESCRIBE nothing_here;"
check "an error prints the server's message" wait_pane real 15 "Could not find STREAM/TABLE 'NOTHING_HERE'"

# Push and pull queries: only once the server serves /query (it is being built in parallel).
QUERY_STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/query" \
  -H 'Content-Type: application/vnd.ksql.v1+json' -d '{"ksql":"SELECT * FROM clicks EMIT CHANGES LIMIT 1;","streamsProperties":{"auto.offset.reset":"earliest"}}' --max-time 20 || true)
if [ "$QUERY_STATUS" = 200 ]; then
  type_line real "SELECT user_id, page FROM clicks EMIT CHANGES LIMIT 2;"
  check "a push query prints its header" wait_pane real 30 "|USER_ID"
  check "... its rows as they arrive" wait_pane real 30 "|page2"
  check "... and ends at LIMIT" wait_pane real 30 "Query terminated"
  check "pull query rows (retried until the table has caught up)" wait_for 60 sh -c \
    "'$CLI' '$URL' -e \"SELECT * FROM per_user WHERE user_id = 'u1';\" | grep -q '^|u1 .*|2 '"
  type_line real "SELECT * FROM clicks EMIT CHANGES;"
  check "a push query without LIMIT runs" wait_pane real 30 "|page3"
  tm send-keys -t real C-c
  check "Ctrl-C stops it" wait_for 15 at_least 2 pane_count real 'Query terminated'
else
  echo "SKIP: $URL/query answered '$QUERY_STATUS': push/pull queries through the CLI not checked against sluiced"
fi
before=$(pane_count real " Stream Name |")
type_line real "LIST STREAMS;"
check "the shell is alive after the queries" wait_for 15 at_least $((before + 1)) pane_count real ' Stream Name |'
type_line real "exit"
check "exit leaves the shell with status 0" wait_pane real 10 "CLI-EXITED-0"
check "history persisted in ~/.sluice_history" grep -qF "LIST STREAMS;" "$HOME/.sluice_history"
check "... multi-line statements included" grep -qF "WITH (kafka_topic='clicks'" "$HOME/.sluice_history"

# ---- -e, -f, pipes --------------------------------------------------------------------------
status=0; out=$("$CLI" "$URL" -e "LIST STREAMS; LIST TABLES;" 2>&1) || status=$?
check "-e runs the statements and exits 0" test "$status" -eq 0
check "... printing their tables" sh -c "printf '%s' \"\$1\" | grep -q '^ PER_USER '" _ "$out"
printf 'SHOW TOPICS;\nDESCRIBE clicks\n  EXTENDED;\n' >"$WORK/script.sql"
status=0; out=$("$CLI" "$URL" -f "$WORK/script.sql" 2>&1) || status=$?
check "-f runs a file" test "$status" -eq 0
check "... SHOW TOPICS as a table" sh -c "printf '%s' \"\$1\" | grep -q '^ clicks *| 1 *| 1'" _ "$out"
check "... DESCRIBE EXTENDED with topic details" sh -c "printf '%s' \"\$1\" | grep -qF 'Kafka topic          : clicks (partitions: 1, replication: 1)'" _ "$out"
check "... and the queries reading the source" sh -c "printf '%s' \"\$1\" | grep -q '^CTAS_PER_USER_[0-9]* (RUNNING) : CREATE TABLE per_user'" _ "$out"
status=0; out=$(printf 'LIST\n  TABLES;\nRUN SCRIPT %s;\n' "'$WORK/script.sql'" | "$CLI" "$URL" 2>&1) || status=$?
check "a pipe: statements from stdin, exit 0" test "$status" -eq 0
check "... no prompt or banner on a pipe" sh -c "! printf '%s' \"\$1\" | grep -q 'ksql>\|Server Status'" _ "$out"
check "... RUN SCRIPT runs the file" sh -c "printf '%s' \"\$1\" | grep -q '^ clicks '" _ "$out"
"$CLI" "$URL" -e "SPOOL '$WORK/spool.txt'; LIST STREAMS; SPOOL OFF; LIST TABLES;" >/dev/null 2>&1 || true
check "SPOOL copies output to a file" grep -q '^ CLICKS ' "$WORK/spool.txt"
check "... until SPOOL OFF" sh -c "! grep -q '^ PER_USER ' '$WORK/spool.txt'"
"$CLI" "$URL" --output JSON -e "DESCRIBE clicks;" >"$WORK/body" 2>&1 || true
check "OUTPUT JSON prints the entities" json_check 'b[0]["@type"]=="sourceDescription" and b[0]["sourceDescription"]["fields"][0]["type"]=="KEY"'
status=0; "$CLI" "$URL" -e "LIST STREAMS; DESCRIBE nope; LIST TABLES;" >"$WORK/out" 2>"$WORK/err" || status=$?
check "a failing statement: exit 1" test "$status" -eq 1
check "... its error on stderr" grep -q "Could not find STREAM/TABLE 'NOPE'" "$WORK/err"
check "... the statements after it not run" sh -c "grep -q CLICKS '$WORK/out' && ! grep -q PER_USER '$WORK/out'"

DOWN="http://127.0.0.1:$(free_port)"
status=0; "$CLI" "$DOWN" -e "LIST STREAMS;" >"$WORK/out" 2>"$WORK/err" || status=$?
check "a server that is down: exit 1" test "$status" -eq 1
check "... with a clear message" grep -q "Could not connect to the server at $DOWN: Connection refused" "$WORK/err"
start_shell down "$DOWN"
check "... interactively: a warning" wait_pane down 10 "Could not connect to the server at $DOWN"
check "... then the prompt" wait_pane down 5 "ksql> "
type_line down "exit"

# ---- the /query display against a stand-in server ---------------------------------------
FAKE_PORT=$(free_port)
FAKE="http://127.0.0.1:$FAKE_PORT"
python3 "$DIR/fake_ksql_server.py" "$FAKE_PORT" "$WORK/requests.log" &
PIDS+=($!)
wait_for 10 curl -sf "$FAKE/info" || fail "the stand-in server did not start"
out=$(COLUMNS=40 "$CLI" "$FAKE" -e "SET 'auto.offset.reset'='earliest'; DEFINE who = 'me'; SELECT * FROM s EMIT CHANGES LIMIT 2;" 2>&1) || true
expected='+------------+------------+------------+
|ID          |V           |M           |
+------------+------------+------------+
|a           |1           |{"x":1}     |
|b           |<null>      |<null>      |
+------------+------------+------------+
Limit Reached
Query terminated'
check "query rows in a bordered table, then the final message" sh -c "printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$out" "$expected"
check "the request carried the SET property and the DEFINEd variable" python3 -c '
import json,sys
reqs=[json.loads(l) for l in open(sys.argv[1])]
q=[r for r in reqs if r["path"]=="/query"][-1]["body"]
sys.exit(0 if q["streamsProperties"]=={"auto.offset.reset":"earliest"} and q["sessionVariables"]=={"who":"me"} else 1)' "$WORK/requests.log"
start_shell fake "$FAKE"
check "interactive shell on the stand-in" wait_pane fake 10 "ksql> "
type_line fake "SELECT * FROM s EMIT CHANGES FOREVER;"
check "rows stream in as they arrive" wait_pane fake 15 "|k3"
tm send-keys -t fake C-c
check "Ctrl-C stops the query" wait_pane fake 10 "Query terminated"
type_line fake "CREATE STREAM x AS SELECT * FROM s;"
check "... and the shell goes on" wait_pane fake 10 " Fake executed"
type_line fake "exit"
check "... until exit" wait_pane fake 10 "CLI-EXITED-0"

tm kill-server 2>/dev/null || true
finish
