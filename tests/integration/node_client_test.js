// The npm package ksqldb-client (HTTP/2 with prior knowledge for every request) against a
// running sluiced: statements, inserts, a pull query, a push query with LIMIT, a push query
// closed through /close-query. Usage: node node_client_test.js PORT (NODE_PATH: its install).
// Exits non-zero on the first failed check; every wait is bounded.
const KsqldbClient = require("ksqldb-client");

const port = Number(process.argv[2]);
const stream = "NODE_S_" + process.pid;
let failures = 0;

function check(what, ok, detail) {
  if (ok) console.log("ok: " + what);
  else {
    failures++;
    console.log("FAIL: " + what + (detail === undefined ? "" : " -- " + JSON.stringify(detail)));
  }
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error("timed out after " + ms + " ms: " + what)), ms)),
  ]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const client = new KsqldbClient({ host: "http://127.0.0.1", port, timeout: 10000 });
  await withTimeout(client.connect(), 10000, "connect");

  const created = await withTimeout(
    client.executeStatement(
      `CREATE STREAM ${stream} (ID INT KEY, NAME STRING, AMOUNT DOUBLE) WITH (KAFKA_TOPIC='${stream.toLowerCase()}', PARTITIONS=1, VALUE_FORMAT='JSON');`
    ),
    10000,
    "create stream"
  );
  check("executeStatement CREATE STREAM", created.status === 200 && !created.error, created);

  const listed = await withTimeout(client.listStreams(), 10000, "listStreams");
  const names = JSON.stringify(listed);
  check("listStreams shows the stream", names.includes(stream), listed);

  // A push query from the start of the topic, stopped by its LIMIT after the inserts below.
  const pushed = [];
  let pushMeta;
  const pushDone = client.streamQuery(
    `SELECT * FROM ${stream} EMIT CHANGES LIMIT 3;`,
    (data) => {
      if (data.metadata) pushMeta = data.metadata;
      if (data.rows) pushed.push(...data.rows);
    },
    { properties: { "auto.offset.reset": "earliest" } }
  );

  const rows = [
    { ID: 1, NAME: "alice", AMOUNT: 1.5 },
    { ID: 2, NAME: "bob", AMOUNT: 2.25 },
    { ID: 3, NAME: "carol", AMOUNT: 10 },
  ];
  for (const row of rows) {
    const res = await withTimeout(client.insertInto(stream, row), 10000, "insertInto");
    check(`insertInto ${row.NAME}`, res.status === 200 && !res.error && res.data.rows[0].status === "ok", res);
  }
  const bad = await withTimeout(client.insertInto(stream, { ID: "not a number" }), 10000, "insertInto bad row");
  check("insertInto a bad row answers an error", bad.error && bad.error.status === "error", bad);

  const push = await withTimeout(pushDone, 30000, "push query with LIMIT 3");
  check("push query ends with status 200", push.status === 200, push);
  check("push query metadata has a queryId and the columns",
        pushMeta && pushMeta.queryId && JSON.stringify(pushMeta.columnNames) === '["ID","NAME","AMOUNT"]', pushMeta);
  check("push query delivered the 3 inserted rows",
        JSON.stringify(pushed.map((r) => [r.ID, r.NAME, r.AMOUNT])) ===
          JSON.stringify(rows.map((r) => [r.ID, r.NAME, r.AMOUNT])), pushed);

  // Pull query: a scan of the stream's topic to its end.
  let pulled;
  for (let attempt = 0; attempt < 20; attempt++) {
    pulled = await withTimeout(client.query(`SELECT * FROM ${stream};`), 15000, "pull query");
    if (pulled.data && pulled.data.rows.length >= 3) break;
    await sleep(250);
  }
  check("pull query answers 200", pulled.status === 200 && !pulled.error, pulled);
  check("pull query returns the 3 rows",
        pulled.data && JSON.stringify(pulled.data.rows.map((r) => r.NAME).sort()) === '["alice","bob","carol"]', pulled);

  const badQuery = await withTimeout(client.query("SELECT * FROM NO_SUCH_STREAM_X;"), 10000, "bad query");
  check("a query on an unknown source answers 400 with an error body",
        badQuery.status === 400 && badQuery.error && badQuery.error.error_code === 40001, badQuery);

  // A push query without LIMIT, stopped through /close-query.
  let openMeta;
  const openDone = client.streamQuery(`SELECT * FROM ${stream} EMIT CHANGES;`, (data) => {
    if (data.metadata) openMeta = data.metadata;
  });
  for (let i = 0; i < 100 && !openMeta; i++) await sleep(100);
  check("open push query sent its metadata", openMeta && openMeta.queryId, openMeta);
  if (openMeta) {
    const closed = await withTimeout(client.terminatePushQuery(openMeta.queryId), 10000, "terminatePushQuery");
    check("terminatePushQuery answers 200", closed.status === 200 && !closed.error, closed);
    const ended = await withTimeout(openDone, 15000, "the closed push query's response to end");
    check("the closed push query's response ended", ended.status === 200, ended);
  }
  const unknown = await withTimeout(client.terminatePushQuery("no_such_query"), 10000, "terminate unknown");
  check("terminatePushQuery of an unknown id answers 400", unknown.status === 400 && unknown.error, unknown);

  await client.disconnect();
}

main()
  .catch((e) => {
    failures++;
    console.log("FAIL: " + (e && e.stack ? e.stack : e));
  })
  .finally(() => {
    console.log(failures === 0 ? "node client: all checks passed" : `node client: ${failures} check(s) failed`);
    process.exit(failures === 0 ? 0 : 1);
  });
