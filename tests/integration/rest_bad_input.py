#!/usr/bin/env python3
"""Malformed requests against sluiced (rest_bad_input_test.sh): a few hundred of bad JSON,
wrong field types, unknown endpoints and methods, oversized and truncated bodies, garbage
request lines and HTTP/2 garbage. Every HTTP/1.1 request that gets an answer must get a 4xx with
a ksqlDB error body ({"@type", "error_code", "message"}); then the server must still answer.
Usage: rest_bad_input.py PORT. Prints one line per failed check; exit status = failures > 0."""
import json
import random
import socket
import sys

PORT = int(sys.argv[1])
random.seed(7)
failures = 0
checked = 0


def fail(what):
    global failures
    failures += 1
    print("FAIL: " + what)


def exchange(raw, timeout=10.0, half_close=False):
    """Sends raw bytes (then EOF with half_close), returns (status, body) of the first response,
    or None if the server closed without answering."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    try:
        try:
            s.sendall(raw)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered (and closed) before reading everything
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:  # reset, timeout
                break
            if not chunk:
                break
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                length = None
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                if length is not None and len(rest) >= length:
                    break
        if not data:
            return None
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        return status, body
    finally:
        s.close()


def request(method, path, body=b"", headers=None):
    hdrs = {"Host": "127.0.0.1", "Content-Type": "application/json", "Connection": "close"}
    hdrs.update(headers or {})
    if body is not None:
        hdrs["Content-Length"] = str(len(body))
    head = "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    return exchange(f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + (body or b""))


def expect_error(what, answer, statuses=range(400, 500), allow_none=False):
    global checked
    checked += 1
    if answer is None:
        if not allow_none:
            fail(what + ": no answer")
        return
    status, body = answer
    if status not in statuses:
        fail(f"{what}: status {status}")
        return
    try:
        b = json.loads(body)
    except ValueError:
        fail(f"{what}: body is not JSON: {body[:200]!r}")
        return
    if not isinstance(b, dict) or "error_code" not in b or "message" not in b or "@type" not in b:
        fail(f"{what}: not a ksqlDB error body: {b}")


bad_bodies = [b"", b"{", b"}", b"[1,2]", b'"text"', b"null", b"42", b"{\"ksql\":", b"\xff\xfe\x00garbage",
              b'{"ksql": 5}', b'{"ksql": null}', b'{"ksql": ["SELECT 1;"]}', b'{"sql": 7}', b'{"sql": {"a": 1}}',
              b'{"sql": "SELECT * FROM S;", "properties": "nope"}', b'{"ksql": "SELECT * FROM S;", "streamsProperties": [1]}',
              b'{"sql": "SELECT * FROM S;", "sessionVariables": 3}', b'{"queryId": 7}', b'{"queryId": null}',
              b'{"sql": "NOT SQL AT ALL"}', b'{"ksql": "SELEKT * FROM S;"}', b'{"sql": "SELECT * FROM S; SELECT * FROM S;"}',
              b'{"sql": "CREATE STREAM X (A INT) WITH (KAFKA_TOPIC=\'x\', VALUE_FORMAT=\'JSON\');"}',
              b'{"ksql": "SELECT * FROM NO_SUCH_SOURCE;"}', b'{"sql": ""}']
for _ in range(40):
    bad_bodies.append(bytes(random.getrandbits(8) for _ in range(random.randint(1, 200))))
for path in ["/ksql", "/query", "/query-stream", "/close-query"]:
    for body in bad_bodies:
        expect_error(f"POST {path} {body[:40]!r}", request("POST", path, body))

for method, path in [("GET", "/nope"), ("POST", "/query-streams"), ("DELETE", "/ksql"), ("GET", "/query-stream"),
                     ("PUT", "/inserts-stream"), ("GET", "/ksql"), ("POST", "/info"), ("GET", "/status/no/such/thing"),
                     ("GET", "/../../etc/passwd"), ("GET", "/%00%ff"), ("OPTIONS", "*")]:
    for _ in range(3):
        expect_error(f"{method} {path}", request(method, path, b""))

# HTTP/1.1 inserts: ksqlDB serves /inserts-stream over HTTP/2 only (40004).
for body in [b'{"target":"S"}\n{"ID":1}\n', b"garbage", b""]:
    ans = request("POST", "/inserts-stream", body)
    expect_error("POST /inserts-stream over HTTP/1.1", ans)
    if ans and b"40004" not in ans[1]:
        fail("inserts-stream over HTTP/1.1: not error 40004")

# Authorization headers are ignored with authentication off.
for auth in ["Basic ", "Basic Og==", "Bearer x.y.z", "garbage", "Basic " + "A" * 2000]:
    global_ans = request("GET", "/info", None, {"Authorization": auth})
    checked += 1
    if not global_ans or global_ans[0] != 200:
        fail(f"GET /info with Authorization {auth[:20]!r}: {global_ans and global_ans[0]}")

# Oversized bodies (limit 16 MB): 413 with an error body.
big = b'{"ksql": "' + b"x" * (17 * 1024 * 1024) + b'"}'
for path in ["/ksql", "/query-stream"]:
    expect_error(f"POST {path} with a 17 MB body", request("POST", path, big), statuses=[413], allow_none=True)

# Truncated and malformed chunked bodies, garbage request lines.
raw_cases = [
    b"POST /ksql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # truncated, then EOF
    b"POST /ksql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    b"POST /query-stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
    b"POST /ksql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ksql\":",  # short body, then EOF
    b"POST /ksql HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /ksql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcde",
    b"HELLO\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /info HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
    b"GET /info HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
    b"\x00\x01\x02\x03\r\n\r\n",
    b"PRI * HTTP/1.1\r\n\r\n",
    b"PRI * HTTP/2.0\r\n",  # a partial preface, then EOF
]
for _ in range(30):
    raw_cases.append(bytes(random.getrandbits(8) for _ in range(random.randint(1, 300))) + b"\r\n\r\n")
for raw in raw_cases:
    expect_error(f"raw {raw[:40]!r}", exchange(raw, timeout=5.0, half_close=True), allow_none=True)

# HTTP/2 garbage after the preface: the server closes the connection (GOAWAY); nothing to parse.
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
h2_cases = [PREFACE + bytes(random.getrandbits(8) for _ in range(random.randint(1, 400))) for _ in range(30)]
h2_cases += [
    PREFACE + SETTINGS + b"\x00\x00\x05\x01\x05\x00\x00\x00\x01" + b"\xff\xff\xff\xff\xff",  # bad HPACK
    PREFACE + SETTINGS + b"\x00\x00\x04\x00\x01\x00\x00\x00\x01abcd",  # DATA on an idle stream
    PREFACE + SETTINGS + b"\xff\xff\xff\x00\x00\x00\x00\x00\x01",  # frame larger than allowed
    PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x07",  # SETTINGS on a stream
    PREFACE,  # preface only, then EOF
]
for raw in h2_cases:
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5.0)
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    except OSError:  # reset, broken pipe, timeout
        pass
    finally:
        s.close()
    checked += 1

print(f"{checked} malformed requests sent, {failures} failure(s)")
sys.exit(1 if failures else 0)
