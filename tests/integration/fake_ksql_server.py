#!/usr/bin/env python3
"""A stand-in ksqlDB server for the CLI test: GET /info, POST /ksql, POST /query streaming a
chunked JSON array the way ksqlDB's v1 /query does ({"header"}, {"row"}..., {"finalMessage"}).

    fake_ksql_server.py PORT REQUEST_LOG

Every request body is appended to REQUEST_LOG (one JSON line), so the test can check what the
CLI sent (streamsProperties, sessionVariables). A query containing FOREVER streams a row every
0.2 s until the client goes away (the Ctrl-C test); otherwise the rows come out in two chunks
cut in the middle of a row, then "Limit Reached".
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
LOG = sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/info":
            self.reply(200, {"KsqlServerInfo": {"version": "0.29.0", "kafkaClusterId": "fake",
                                                "ksqlServiceId": "fake_", "serverStatus": "RUNNING"}})
        else:
            self.reply(404, {"@type": "generic_error", "error_code": 40400, "message": "not found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "body": body}) + "\n")
        sql = body.get("ksql", "")
        if self.path == "/ksql":
            if "BROKEN" in sql:
                self.reply(400, {"@type": "statement_error", "error_code": 40001,
                                 "message": "line 1:1: mismatched input 'BROKEN'", "statementText": sql,
                                 "entities": []})
            else:
                self.reply(200, [{"@type": "currentStatus", "statementText": sql, "commandId": "x",
                                  "commandStatus": {"status": "SUCCESS", "message": "Fake executed"},
                                  "commandSequenceNumber": 1, "warnings": []}])
            return
        if self.path != "/query":
            self.reply(404, {"@type": "generic_error", "error_code": 40400, "message": "not found"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        header = {"header": {"queryId": "transient_S_1", "schema": "`ID` STRING KEY, `V` INTEGER, `M` MAP<STRING, INTEGER>"}}
        try:
            self.chunk("[" + json.dumps(header) + ",\n")
            if "FOREVER" in sql:
                n = 0
                while True:
                    self.chunk(json.dumps({"row": {"columns": ["k%d" % n, n, None]}}) + ",\n")
                    n += 1
                    time.sleep(0.2)
            rows = [json.dumps({"row": {"columns": ["a", 1, {"x": 1}]}}),
                    json.dumps({"row": {"columns": ["b", None, None]}})]
            text = ",\n".join(rows) + ",\n"
            self.chunk(text[:17])
            time.sleep(0.1)
            self.chunk(text[17:])
            self.chunk(json.dumps({"finalMessage": "Limit Reached"}) + "]\n")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
