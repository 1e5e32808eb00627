#!/usr/bin/env bash
# HTTPS listeners and HTTP Basic authentication (ksqlDB's authentication.method=BASIC) against
# sluiced: a self-signed certificate made with openssl at test time; bad TLS/auth settings stop
# start-up naming the property; every endpoint answers 401 (ksqlDB's body, WWW-Authenticate)
# without or with wrong credentials and serves with the right ones, over HTTP/1.1 and h2c on
# the cleartext listener and over TLS (HTTP/2 by ALPN, and HTTP/1.1) on the https one;
# /healthcheck stays open; a role outside authentication.roles gets 403; the websocket needs
# credentials too (wss with them runs a pull query); the CLI with --user/--password and
# --ca-file runs statements, and says why when credentials or the CA are missing.
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "openssl not installed: skipped"; exit 77; }

HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT"
SURL="https://localhost:$HTTPS_PORT"
WSC="$(dirname "$0")/ws_client.py"

# ---- certificate, users, configuration ------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/keystore.pem"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other" -keyout "$WORK/other_key.pem" \
  -out "$WORK/other_cert.pem" 2>/dev/null
# fred's password is "letmein" written as Jetty's OBF:; harry's is plain; guest has no allowed role.
cat >"$WORK/passwords" <<'EOF'
# user: password[,role...]
fred: OBF:1w8t1tvf1w261w8v1w1c1tvn1w8x,admin
harry: changeme,developer
guest: guest,visitor
EOF
base_config() {
  cat <<EOF
listeners=http://127.0.0.1:$HTTP_PORT,https://localhost:$HTTPS_PORT
ksql.streams.state.dir=$WORK/state
ssl.keystore.location=$WORK/keystore.pem
authentication.method=BASIC
authentication.realm=KsqlServer-Props
authentication.roles=admin,developer
sluice.authentication.password.file=$WORK/passwords
EOF
}

# ---- settings that must stop start-up, naming the property ----------------------------------
# refused "NAME" 'extra properties': sluiced exits non-zero and its log names NAME.
refused() {
  local name=$1 extra=$2
  { base_config; printf '%s\n' "$extra"; } >"$WORK/bad.properties"
  local status=0
  timeout 30 "$BIN/sluiced" --config "$WORK/bad.properties" >"$WORK/bad.log" 2>&1 || status=$?
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q "$name" "$WORK/bad.log"
}
check "a keystore that is not PEM stops start-up naming ssl.keystore.location" \
  refused ssl.keystore.location "ssl.keystore.location=$WORK/passwords"
check "a key that does not match the certificate stops start-up naming sluice.ssl.key.location" \
  refused sluice.ssl.key.location "sluice.ssl.key.location=$WORK/other_key.pem"
check "a JKS keystore type is refused naming ssl.keystore.type" refused ssl.keystore.type "ssl.keystore.type=JKS"
check "BASIC without a password file stops start-up naming it" \
  refused sluice.authentication.password.file "sluice.authentication.password.file="
check "an unknown authentication.method stops start-up" refused authentication.method "authentication.method=DIGEST"

# ---- the server -----------------------------------------------------------------------------
base_config >"$WORK/sluice.properties"
"$BIN/sluiced" --config "$WORK/sluice.properties" >"$WORK/sluiced.log" 2>&1 &
SLUICED_PID=$!
PIDS+=("$SLUICED_PID")
wait_for 30 curl -sf "$URL/healthcheck" || { cat "$WORK/sluiced.log"; exit 1; }
check "/healthcheck answers without credentials" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthcheck")" = 200

# status METHOD PATH BODY CURL_ARGS...: prints the HTTP status; the body lands in $WORK/body,
# the headers in $WORK/headers.
status() {
  local method=$1 path=$2 body=$3; shift 3
  local data=()
  [ -n "$body" ] && data=(-d "$body")
  curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method" "${data[@]}" "$@" "$URL$path"
}
unauthorized_answer() {
  json_check 'b=={"@type":"generic_error","error_code":40100,"message":"Unauthorized"}' &&
    grep -qi '^www-authenticate: Basic realm="KsqlServer-Props"' "$WORK/headers"
}

ENDPOINTS=(
  "GET /info"
  "GET /clusterStatus"
  "GET /status"
  "POST /ksql {\"ksql\":\"LIST STREAMS;\"}"
  "POST /query {\"ksql\":\"SELECT * FROM NOPE;\"}"
  "POST /query-stream {\"sql\":\"SELECT * FROM NOPE;\"}"
  "POST /close-query {\"queryId\":\"nope\"}"
  "POST /inserts-stream {\"target\":\"NOPE\"}"
  "GET /no/such/path"
)
for proto in http1.1 http2-prior-knowledge; do
  for entry in "${ENDPOINTS[@]}"; do
    read -r method path body <<<"$entry"
    code=$(status "$method" "$path" "$body" "--$proto")
    check "$proto $method $path without credentials: 401" bash -c "[ $code = 401 ]"
    check "... with ksqlDB's body and WWW-Authenticate" unauthorized_answer
    code=$(status "$method" "$path" "$body" "--$proto" -u fred:wrong)
    check "$proto $method $path with a wrong password: 401" bash -c "[ $code = 401 ]"
    code=$(status "$method" "$path" "$body" "--$proto" -u fred:letmein)
    check "$proto $method $path with fred's credentials is served ($code)" bash -c "[ $code != 401 ] && [ $code != 403 ]"
  done
done
check "an unknown user: 401" test "$(status GET /info "" -u nobody:letmein)" = 401
check "an Authorization header that is not Basic: 401" test "$(status GET /info "" -H 'Authorization: Bearer x')" = 401
check "a Basic header that does not decode: 400" test "$(status GET /info "" -H 'Authorization: Basic !!!')" = 400
check "harry (plain password, role developer) is served" test "$(status GET /info "" -u harry:changeme)" = 200
check "guest (no allowed role) is forbidden: 403 40300" \
  bash -c "[ $(status GET /info "" -u guest:guest) = 403 ] && grep -q 40300 $WORK/body"

# ---- https: TLS with the self-signed certificate ---------------------------------------------
code=$(curl -s -o "$WORK/body" -w '%{http_code} %{http_version}' --cacert "$WORK/cert.pem" -u fred:letmein "$SURL/info")
check "https with --cacert: 200 over HTTP/2 (ALPN h2)" test "$code" = "200 2"
check "... the server info" json_check '"KsqlServerInfo" in b'
code=$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --http1.1 --cacert "$WORK/cert.pem" -u fred:letmein "$SURL/info")
check "https over HTTP/1.1: 200" test "$code" = "200 1.1"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/cert.pem" "$SURL/info")
check "https without credentials: 401" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/cert.pem" "$SURL/healthcheck")
check "https /healthcheck without credentials: 200" test "$code" = 200
rc=0; curl -s -o /dev/null "$SURL/healthcheck" || rc=$?
check "https without the CA: curl refuses the certificate (exit 60)" test "$rc" = 60
code=$(curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$WORK/cert.pem" -u fred:letmein -X POST "$SURL/ksql" \
  -d "{\"ksql\":\"CREATE STREAM T (ID INT KEY, NAME STRING) WITH (KAFKA_TOPIC='t', PARTITIONS=1, VALUE_FORMAT='JSON'); INSERT INTO T (ID, NAME) VALUES (1, 'one');\"}")
check "POST /ksql over https creates a stream" bash -c "[ $code = 200 ]"
printf '{"target":"T"}\n{"ID":2,"NAME":"two"}\n' >"$WORK/rows"
curl -s --http2 --cacert "$WORK/cert.pem" -u fred:letmein -X POST "$SURL/inserts-stream" --data-binary @"$WORK/rows" >"$WORK/acks"
check "/inserts-stream over HTTP/2 on TLS acks the row" grep -q '"status":"ok","seq":0' "$WORK/acks"

# ---- the websocket needs credentials too ------------------------------------------------------
PULL='{"ksql":"SELECT * FROM T WHERE ID = 2;"}'
timeout 40 python3 "$WSC" "ws://127.0.0.1:$HTTP_PORT/ws/query" --request "$PULL" >"$WORK/ws_noauth"
check "ws:// without credentials: the upgrade is answered 401" grep -q '{"status": 401}' "$WORK/ws_noauth"
timeout 40 python3 "$WSC" "wss://localhost:$HTTPS_PORT/ws/query" --cacert "$WORK/cert.pem" \
  --user fred --password letmein --request "$PULL" >"$WORK/ws_pull"
check "wss:// with credentials runs a pull query" python3 -c '
import json,sys
e=[json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if e[0]=={"status":101} and json.loads(e[2]["text"])=={"row":{"columns":[2,"two"]}} and e[-1]["close"]==1000 else 1)' "$WORK/ws_pull"

# ---- the CLI ---------------------------------------------------------------------------------
"$BIN/sluice" --user fred --password letmein --ca-file "$WORK/cert.pem" "$SURL" \
  -e "CREATE STREAM C (ID INT KEY) WITH (KAFKA_TOPIC='c', PARTITIONS=1, VALUE_FORMAT='JSON'); LIST STREAMS;" \
  >"$WORK/cli_ok" 2>&1 && rc=0 || rc=$?
check "CLI --user/--password --ca-file over https runs statements" \
  bash -c "[ $rc = 0 ] && grep -q 'Stream created' $WORK/cli_ok && grep -q ' C ' $WORK/cli_ok"
"$BIN/sluice" -u harry -p changeme "$URL" -e "SELECT * FROM T WHERE ID = 1;" >"$WORK/cli_pull" 2>&1 && rc=0 || rc=$?
check "CLI -u/-p over http runs a pull query" bash -c "[ $rc = 0 ] && grep -q 'one' $WORK/cli_pull"
rc=0; "$BIN/sluice" "$URL" -e "LIST STREAMS;" >"$WORK/cli_none" 2>&1 || rc=$?
check "CLI without credentials: exit 1 asking for --user and --password" \
  bash -c "[ $rc = 1 ] && grep -q 'requires a user name and password' $WORK/cli_none"
rc=0; "$BIN/sluice" --user fred --password nope --ca-file "$WORK/cert.pem" "$SURL" -e "LIST STREAMS;" >"$WORK/cli_bad" 2>&1 || rc=$?
check "CLI with a wrong password: exit 1, credentials refused" \
  bash -c "[ $rc = 1 ] && grep -q 'refused the user name or password' $WORK/cli_bad"
rc=0; "$BIN/sluice" --user fred --password letmein "$SURL" -e "LIST STREAMS;" >"$WORK/cli_tls" 2>&1 || rc=$?
check "CLI to https without --ca-file: exit 1 naming the certificate problem" \
  bash -c "[ $rc = 1 ] && grep -q 'certificate verify failed' $WORK/cli_tls && grep -q -- '--ca-file' $WORK/cli_tls"
rc=0; "$BIN/sluice" --user fred "$URL" -e "LIST STREAMS;" </dev/null >"$WORK/cli_nopw" 2>&1 || rc=$?
check "CLI --user without --password and no terminal: exit 2" \
  bash -c "[ $rc = 2 ] && grep -q 'needs --password' $WORK/cli_nopw"

check "sluiced stops cleanly" stop_sluiced
finish
