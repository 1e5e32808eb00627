#!/usr/bin/env bash
# sluice-broker serves real Kafka clients (kcat): metadata, produce, consume; and librdkafka's
# murmur2_random partitioner puts each key where Kafka's Java client would (murmur2 computed
# here independently, checked against Kafka's own test vectors first).
source "$(dirname "$0")/lib.sh"

BOOT_PORT=$(free_port)
start_broker "$BOOT_PORT"
B="127.0.0.1:$BOOT_PORT"
check "broker prints its fixed bootstrap address" grep -q "^bootstrap.servers=$B\$" "$WORK/broker.log"
check "kcat reads metadata through the bootstrap port" wait_for 10 kcat -b "$B" -L -m 5

for i in $(seq 0 199); do echo "key-$i:value-$i"; done >"$WORK/keyed.txt"
check "kcat produces 200 keyed records" kcat -b "$B" -P -t keyed -K: -X partitioner=murmur2_random -l "$WORK/keyed.txt"
kcat -b "$B" -C -t keyed -o beginning -e -q -f '%k %p %s\n' -m 15 >"$WORK/consumed.txt" || true
check "kcat consumes all 200 back" test "$(wc -l <"$WORK/consumed.txt")" -eq 200
PARTITIONS=$(kcat -b "$B" -L -t keyed -m 5 | grep -c 'partition [0-9]*, leader')
check "auto-created topic has several partitions ($PARTITIONS)" test "$PARTITIONS" -gt 1

check "every key is in its murmur2 partition (Kafka's Java partitioner)" python3 - "$WORK/consumed.txt" "$PARTITIONS" <<'PY'
import sys
def murmur2(data: bytes) -> int:
    m, seed = 0x5bd1e995, 0x9747b28c
    h = (seed ^ len(data)) & 0xffffffff
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4*i:4*i+4], "little")
        k = (k * m) & 0xffffffff; k ^= k >> 24; k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff; h ^= k
    tail = data[4*n4:]
    if len(tail) >= 3: h ^= tail[2] << 16
    if len(tail) >= 2: h ^= tail[1] << 8
    if len(tail) >= 1: h ^= tail[0]; h = (h * m) & 0xffffffff
    h ^= h >> 13; h = (h * m) & 0xffffffff; h ^= h >> 15
    return h - (1 << 32) if h >= (1 << 31) else h
# Kafka's UtilsTest.testMurmur2 vectors: this implementation is Java's.
for s, want in [("21", -973932308), ("foobar", -790332482), ("a-little-bit-long-string", -985981536),
                ("a-little-bit-longer-string", -1486304829), ("abc", 479470107)]:
    assert murmur2(s.encode()) == want, s
parts = int(sys.argv[2])
bad = 0
used = set()
for line in open(sys.argv[1]):
    key, p, value = line.split()
    used.add(int(p))
    if (murmur2(key.encode()) & 0x7fffffff) % parts != int(p):
        bad += 1
print(f"{bad} misplaced keys, partitions used: {sorted(used)}")
sys.exit(1 if bad or len(used) < 2 else 0)
PY

# Consumer groups with committed offsets work for real clients too.
kcat -b "$B" -G it-group keyed -o beginning -e -q -f '%k\n' -X enable.auto.commit=true \
  -X auto.commit.interval.ms=100 >"$WORK/group.txt" 2>/dev/null &
GROUP_PID=$!
PIDS+=("$GROUP_PID")
wait_for 30 at_least 200 line_count "$WORK/group.txt" || true
check "a kcat consumer group reads every record" test "$(wc -l <"$WORK/group.txt")" -ge 200
kill -TERM "$GROUP_PID" 2>/dev/null || true
finish
