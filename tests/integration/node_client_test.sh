#!/usr/bin/env bash
# The npm package ksqldb-client (every request over HTTP/2 with prior knowledge) against sluiced
# unchanged: statements, inserts, pull and push queries, /close-query (node_client_test.js).
# The package comes from the npm registry into $NODE_DIR (build/node-clients), once.
source "$(dirname "$0")/lib.sh"
NODE_DIR=${NODE_DIR:?NODE_DIR must point at build/node-clients}
KSQLDB_CLIENT_VERSION=1.0.5

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node/npm not installed (scripts/install-deps.sh installs them)"
  exit 77
fi
mkdir -p "$NODE_DIR"
(
  flock 9
  if [ ! -f "$NODE_DIR/node_modules/ksqldb-client/package.json" ]; then
    cd "$NODE_DIR" && timeout 180 npm install --no-audit --no-fund --loglevel=error --prefix . \
      "ksqldb-client@$KSQLDB_CLIENT_VERSION" >"$NODE_DIR/npm-install.log" 2>&1
  fi
) 9>"$NODE_DIR/.install.lock" || { cat "$NODE_DIR/npm-install.log"; echo "SKIP: npm install ksqldb-client failed (no registry?)"; exit 77; }

HTTP_PORT=$(free_port)
start_sluiced "$WORK/sluiced.log"
if NODE_PATH="$NODE_DIR/node_modules" timeout 120 node "$(dirname "$0")/node_client_test.js" "$HTTP_PORT"; then
  pass "ksqldb-client checks"
else
  fail "ksqldb-client checks"
  tail -30 "$WORK/sluiced.log"
fi
curl -sf "http://127.0.0.1:$HTTP_PORT/info" >/dev/null
check "sluiced still answers /info" test $? = 0
finish
