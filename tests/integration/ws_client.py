#!/usr/bin/env python3
"""A minimal websocket client (RFC 6455, standard library only) for the integration tests.

    ws_client.py URL [--request JSON] [--query RAW] [--user U --password P] [--cacert FILE]
                 [--hang-up-after N] [--timeout SECS]

Opens URL (ws:// or wss://; --request is url-encoded into ?request=, --query is appended as
is), then prints one JSON line per event: {"status": N} for the HTTP answer to the upgrade,
{"text": "..."} per text frame, {"close": CODE, "reason": "..."} for the server's close frame.
--hang-up-after N: drop the TCP connection (no close frame) after N text frames.
Exit status 0 when the exchange completed (whatever it was), 2 on a timeout.
"""
import argparse
import base64
import json
import os
import socket
import ssl
import struct
import sys
import urllib.parse


def emit(event):
    print(json.dumps(event), flush=True)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def read_frame(sock):
    b0, b1 = read_exact(sock, 2)
    opcode = b0 & 0x0F
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exact(sock, 8))[0]
    mask = read_exact(sock, 4) if b1 & 0x80 else None
    payload = read_exact(sock, length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bool(b0 & 0x80), opcode, payload


def send_frame(sock, opcode, payload):
    mask = os.urandom(4)
    header = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--request")
    p.add_argument("--query", default="")
    p.add_argument("--user")
    p.add_argument("--password", default="")
    p.add_argument("--cacert")
    p.add_argument("--hang-up-after", type=int)
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()

    url = urllib.parse.urlparse(a.url)
    query = a.query
    if a.request is not None:
        query = "request=" + urllib.parse.quote(a.request, safe="") + ("&" + query if query else "")
    target = url.path + ("?" + query if query else "")
    sock = socket.create_connection((url.hostname, url.port), timeout=a.timeout)
    if url.scheme == "wss":
        ctx = ssl.create_default_context(cafile=a.cacert)
        sock = ctx.wrap_socket(sock, server_hostname=url.hostname)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {target} HTTP/1.1", f"Host: {url.hostname}:{url.port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if a.user is not None:
        token = base64.b64encode(f"{a.user}:{a.password}".encode()).decode()
        lines.append(f"Authorization: Basic {token}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise EOFError("connection closed during the handshake")
        head += chunk
    status = int(head.split(b" ", 2)[1])
    emit({"status": status})
    if status != 101:
        return 0

    texts = 0
    while True:
        fin, opcode, payload = read_frame(sock)
        if opcode == 1:
            emit({"text": payload.decode()})
            texts += 1
            if a.hang_up_after is not None and texts >= a.hang_up_after:
                sock.close()
                return 0
        elif opcode == 8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            emit({"close": code, "reason": payload[2:].decode(errors="replace")})
            send_frame(sock, 8, payload[:2])
            sock.close()
            return 0
        elif opcode == 9:
            send_frame(sock, 10, payload)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (socket.timeout, TimeoutError):
        emit({"timeout": True})
        sys.exit(2)
