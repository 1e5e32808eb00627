#!/usr/bin/python3
"""Confluent's own Python client (Debian's python3-confluent-kafka 1.7) against sluiced's
embedded Schema Registry and broker.

1. The registry API through confluent_kafka's SchemaRegistryClient: register, look up, versions,
   compatibility checks and levels, refusals with Confluent's error codes, deletes.
2. Avro: AvroProducer registers a schema and produces records; CREATE STREAM without columns
   (VALUE_FORMAT='AVRO') infers them from the registry; a CSAS writes a sink that AvroConsumer
   decodes with the expected values. (The client's Avro classes, as Debian packages it: its
   newer AvroSerializer needs fastavro, which Debian does not ship; AvroProducer/AvroConsumer
   use python3-avro and the same registry API.)
3. Protobuf: a .proto compiled with protoc at test time, ProtobufSerializer (which registers the
   schema as a base64 FileDescriptorProto), the same CREATE + CSAS; the sink's schema is read
   back from the registry, compiled with protoc, and ProtobufDeserializer decodes the sink.
4. client: a second sluiced with ksql.schema.registry.url = an unreachable URL, then the first's
   registry (HttpSchemaRegistryClient, first reachable URL) reads part 2's topic and writes a
   sink; and a taken registry port set explicitly stops start-up.

Run: BIN=build/bin /usr/bin/python3 tests/integration/schema_registry_client_test.py [registry|avro|protobuf|client ...]
(no argument: all four; client needs avro before it). Exit 77 (skipped) when the Debian packages are missing.
Every wait is bounded; sluiced is killed on any exit.
"""
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    from confluent_kafka import DeserializingConsumer, SerializingProducer
    from confluent_kafka import avro as legacy_avro
    from confluent_kafka.avro import AvroConsumer, AvroProducer
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
except ImportError as e:  # scripts/install-deps.sh installs them
    print(f"SKIP: {e} (apt-get install python3-confluent-kafka python3-avro python3-protobuf)")
    sys.exit(77)

BIN = os.environ.get("BIN") or sys.exit("BIN must point at build/bin")
WAIT_SECONDS = 60
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f" ({detail})"))
    if not ok:
        failures.append(what)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, fn, seconds=WAIT_SECONDS):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            value = fn()
            if value:
                return value
        except Exception as e:  # not up yet
            last = e
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {seconds}s waiting for {what}: {last}")


class Sluiced:
    def __init__(self, work, name="sluiced", wait=True, **env):
        self.http_port, self.sr_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.log_path = os.path.join(work, name + ".log")
        defaults = {"KSQL_LISTENERS": self.url,
                    "KSQL_SLUICE_SCHEMA_REGISTRY_LISTENER": f"http://127.0.0.1:{self.sr_port}",
                    "KSQL_KSQL_STREAMS_STATE_DIR": os.path.join(work, name + "-state")}
        self.proc = subprocess.Popen([os.path.join(BIN, "sluiced")], env={**os.environ, **defaults, **env},
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        self.info = wait_until("GET /info", self._info)["KsqlServerInfo"] if wait else None

    def _info(self):
        if self.proc.poll() is not None:
            raise SystemExit("sluiced exited:\n" + open(self.log_path).read())
        with urllib.request.urlopen(self.url + "/info", timeout=5) as r:
            return json.load(r)

    def ksql(self, sql, props=None):
        body = json.dumps({"ksql": sql, "streamsProperties": props or {}}).encode()
        req = urllib.request.Request(self.url + "/ksql", data=body,
                                     headers={"Content-Type": "application/vnd.ksql.v1+json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def registry_error(fn):
    try:
        fn()
    except SchemaRegistryError as e:
        return e
    return None


# ---- 1. the registry API through Confluent's client ----

USER_V1 = json.dumps({"type": "record", "name": "User", "namespace": "io.example",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}]})
USER_V2 = json.dumps({"type": "record", "name": "User", "namespace": "io.example",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"},
                                 {"name": "email", "type": ["null", "string"], "default": None}]})
USER_AGE = json.dumps({"type": "record", "name": "User", "namespace": "io.example",
                       "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"},
                                  {"name": "age", "type": "int"}]})


def test_registry(sr):
    subject = "users-value"
    id1 = sr.register_schema(subject, Schema(USER_V1, "AVRO"))
    check("register_schema returns an id", isinstance(id1, int) and id1 > 0, id1)
    fresh = SchemaRegistryClient({"url": sr_url})  # no cache
    got = fresh.get_schema(id1)
    check("get_schema by id", got.schema_type == "AVRO" and json.loads(got.schema_str) == json.loads(USER_V1),
          got.schema_str)
    id2 = sr.register_schema(subject, Schema(USER_V2, "AVRO"))
    check("a compatible second version gets a new id", id2 != id1, (id1, id2))
    latest = fresh.get_latest_version(subject)
    check("get_latest_version", (latest.version, latest.schema_id, latest.subject) == (2, id2, subject),
          vars(latest))
    check("get_version", fresh.get_version(subject, 1).schema_id == id1)
    check("get_versions", fresh.get_versions(subject) == [1, 2], fresh.get_versions(subject))
    check("get_subjects", subject in fresh.get_subjects(), fresh.get_subjects())
    found = fresh.lookup_schema(subject, Schema(USER_V1, "AVRO"))
    check("lookup_schema", (found.schema_id, found.version) == (id1, 1), vars(found))

    check("test_compatibility: an optional field is BACKWARD compatible",
          fresh.test_compatibility(subject, Schema(USER_V2, "AVRO")) is True)
    check("test_compatibility: a required new field is not",
          fresh.test_compatibility(subject, Schema(USER_AGE, "AVRO")) is False)
    e = registry_error(lambda: fresh.register_schema(subject, Schema(USER_AGE, "AVRO")))
    check("an incompatible schema is refused with 409", e is not None and e.http_status_code == 409 and
          e.error_code == 409 and subject in e.error_message, e)
    check("get_compatibility (global)", fresh.get_compatibility() == "BACKWARD")
    fresh.set_compatibility(subject_name=subject, level="NONE")
    check("set_compatibility per subject", fresh.get_compatibility(subject) == "NONE")
    check("with NONE the schema registers", isinstance(fresh.register_schema(subject, Schema(USER_AGE, "AVRO")), int))

    e = registry_error(lambda: fresh.get_schema(987654))
    check("unknown id: 404 / 40403", e is not None and (e.http_status_code, e.error_code) == (404, 40403), e)
    e = registry_error(lambda: fresh.get_latest_version("nobody-value"))
    check("unknown subject: 404 / 40401", e is not None and (e.http_status_code, e.error_code) == (404, 40401), e)
    e = registry_error(lambda: fresh.register_schema("bad-value", Schema('{"type": "recrd"}', "AVRO")))
    check("invalid schema: 422 / 42201", e is not None and (e.http_status_code, e.error_code) == (422, 42201), e)
    e = registry_error(lambda: fresh.set_compatibility(level="SIDEWAYS"))
    check("invalid level: 422 / 42203", e is not None and e.error_code == 42203, e)

    deleted = fresh.delete_subject(subject, permanent=True)
    check("delete_subject (soft, then permanent)", deleted == [1, 2, 3], deleted)
    check("the subject is gone", subject not in fresh.get_subjects())


# ---- 2. and 3. records through a CSAS ----

def produce(topic, producer, records):
    for r in records:
        producer.produce(topic=topic, value=r)
    left = producer.flush(30)
    check(f"produced {len(records)} records to {topic}", left == 0, f"{left} not delivered")


def consume(topic, consumer, count):
    consumer.subscribe([topic])
    values = []
    deadline = time.time() + WAIT_SECONDS
    try:
        while len(values) < count and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            values.append(msg.value())
    finally:
        consumer.close()
    return values


def consumer_conf(topic):
    return {"bootstrap.servers": bootstrap, "group.id": "sr-test-" + topic, "auto.offset.reset": "earliest"}


def run_csas(source, sink, fmt):
    status, body = server.ksql(f"CREATE STREAM {source} WITH (KAFKA_TOPIC='{source.lower()}', VALUE_FORMAT='{fmt}');")
    if not check(f"CREATE STREAM {source} without columns ({fmt})", status == 200, body):
        return False
    status, body = server.ksql(f"DESCRIBE {source};")
    names = [f["name"] for f in body[0]["sourceDescription"]["fields"]] if status == 200 else body
    check(f"{source}'s columns come from the registry", names == ["ID", "NAME", "AMOUNT"], names)
    status, body = server.ksql(
        f"CREATE STREAM {sink} WITH (KAFKA_TOPIC='{sink.lower()}') AS "
        f"SELECT ID, NAME, AMOUNT * 2 AS DOUBLED FROM {source} WHERE AMOUNT > 10 EMIT CHANGES;",
        {"auto.offset.reset": "earliest"})
    return check(f"CSAS {sink} ({fmt})", status == 200, body)


ORDERS = [{"ID": i, "NAME": f"order-{i}", "AMOUNT": 5.5 * i} for i in range(1, 9)]
EXPECTED = [{"ID": o["ID"], "NAME": o["NAME"], "DOUBLED": o["AMOUNT"] * 2} for o in ORDERS if o["AMOUNT"] > 10]
ORDER_AVRO = json.dumps({"type": "record", "name": "Order", "namespace": "io.example",
                         "fields": [{"name": "ID", "type": "long"}, {"name": "NAME", "type": "string"},
                                    {"name": "AMOUNT", "type": "double"}]})


def test_avro(sr):
    producer = AvroProducer({"bootstrap.servers": bootstrap, "schema.registry.url": sr_url},
                            default_value_schema=legacy_avro.loads(ORDER_AVRO))
    produce("orders_avro", producer, ORDERS)
    check("AvroProducer registered orders_avro-value",
          json.loads(sr.get_latest_version("orders_avro-value").schema.schema_str) == json.loads(ORDER_AVRO))
    if not run_csas("ORDERS_AVRO", "BIG_ORDERS_AVRO", "AVRO"):
        return
    rows = consume("big_orders_avro", AvroConsumer(dict(consumer_conf("big_orders_avro"), **{"schema.registry.url": sr_url})),
                   len(EXPECTED))
    check("AvroConsumer reads the sink's values", sorted(rows, key=lambda r: r["ID"]) == EXPECTED, rows)
    check("the sink's schema is in the registry", sr.get_latest_version("big_orders_avro-value").schema.schema_type == "AVRO")


ORDER_PROTO = """syntax = "proto3";
package io.example;
message Order {
  int64 ID = 1;
  string NAME = 2;
  double AMOUNT = 3;
}
"""


def compile_proto(work, name, text):
    """protoc --python_out into a fresh directory; returns the imported module."""
    out = tempfile.mkdtemp(dir=work)
    with open(os.path.join(out, name + ".proto"), "w") as f:
        f.write(text)
    subprocess.run(["protoc", "-I", out, "--python_out", out, name + ".proto"], check=True, timeout=60)
    sys.path.insert(0, out)
    try:
        return importlib.import_module(name + "_pb2")
    finally:
        sys.path.pop(0)


def test_protobuf(sr, work):
    orders_pb2 = compile_proto(work, "orders", ORDER_PROTO)
    producer = SerializingProducer({"bootstrap.servers": bootstrap,
                                    "value.serializer": ProtobufSerializer(orders_pb2.Order, sr)})
    produce("orders_proto", producer, [orders_pb2.Order(**o) for o in ORDERS])
    stored = sr.get_latest_version("orders_proto-value").schema
    check("ProtobufSerializer's schema is kept as .proto text",
          stored.schema_type == "PROTOBUF" and "message Order" in stored.schema_str, stored.schema_str)
    if not run_csas("ORDERS_PROTO", "BIG_ORDERS_PROTO", "PROTOBUF"):
        return
    sink_schema = wait_until("the sink's schema", lambda: sr.get_latest_version("big_orders_proto-value")).schema
    # The sink's message is the schema's first: compile what the registry holds and decode with it.
    module = compile_proto(work, "big_orders", sink_schema.schema_str)
    descriptor = module.DESCRIPTOR.message_types_by_name
    message_class = getattr(module, list(descriptor.keys())[0])
    consumer = DeserializingConsumer(dict(consumer_conf("big_orders_proto"),
                                          **{"value.deserializer": ProtobufDeserializer(message_class)}))
    rows = consume("big_orders_proto", consumer, len(EXPECTED))
    as_dicts = sorted(({"ID": r.ID, "NAME": r.NAME, "DOUBLED": r.DOUBLED} for r in rows), key=lambda r: r["ID"])
    check("ProtobufDeserializer reads the sink's values", as_dicts == EXPECTED, as_dicts)


def test_client(work):
    """A second sluiced whose ksql.schema.registry.url is the first one's registry: its engine
    reads and registers schemas through HttpSchemaRegistryClient. Needs the avro part's topic."""
    second = Sluiced(work, "second", KSQL_BOOTSTRAP_SERVERS=bootstrap, KSQL_KSQL_SERVICE_ID="second_",
                     KSQL_KSQL_SCHEMA_REGISTRY_URL=f"http://127.0.0.1:{free_port()}, {sr_url}")
    try:
        check("the second sluiced's /info names the registry it uses",
              second.info.get("embeddedSchemaRegistry") is False and second.info.get("schemaRegistryUrl", "").endswith(sr_url),
              second.info)
        status, body = second.ksql("CREATE STREAM ORDERS_AGAIN WITH (KAFKA_TOPIC='orders_avro', VALUE_FORMAT='AVRO');")
        check("CREATE without columns through the HTTP client", status == 200, body)
        status, body = second.ksql("CREATE STREAM NAMES_AVRO WITH (KAFKA_TOPIC='names_avro') AS "
                                   "SELECT ID, UCASE(NAME) AS NAME FROM ORDERS_AGAIN EMIT CHANGES;",
                                   {"auto.offset.reset": "earliest"})
        check("CSAS through the HTTP client", status == 200, body)
        rows = consume("names_avro", AvroConsumer(dict(consumer_conf("names_avro"), **{"schema.registry.url": sr_url})),
                       len(ORDERS))
        check("its sink decodes with the schema it registered over HTTP",
              sorted(rows, key=lambda r: r["ID"]) == [{"ID": o["ID"], "NAME": o["NAME"].upper()} for o in ORDERS], rows)
    finally:
        second.stop()
    # A registry listener set explicitly on a port that is taken stops start-up, naming the property.
    busy = Sluiced(work, "busy", wait=False, KSQL_SLUICE_SCHEMA_REGISTRY_LISTENER=sr_url)
    try:
        busy.proc.wait(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        busy.stop()
    log = open(busy.log_path).read()
    check("a taken registry port stops start-up with the property named",
          busy.proc.returncode == 1 and "sluice.schema.registry.listener" in log and "in use" in log, log[-500:])


def main():
    global server, sr_url, bootstrap
    parts = sys.argv[1:] or ["registry", "avro", "protobuf", "client"]
    work = tempfile.mkdtemp(prefix="sluice-sr-")
    server = None
    try:
        server = Sluiced(work)
        sr_url = server.info.get("schemaRegistryUrl", "")
        bootstrap = server.info["kafkaBootstrapServers"]
        check("GET /info names the embedded registry",
              server.info.get("embeddedSchemaRegistry") is True and sr_url == f"http://127.0.0.1:{server.sr_port}",
              server.info)
        sr = SchemaRegistryClient({"url": sr_url})
        for part in parts:
            print(f"--- {part}")
            try:
                if part == "registry":
                    test_registry(sr)
                elif part == "avro":
                    test_avro(sr)
                elif part == "protobuf":
                    test_protobuf(sr, work)
                elif part == "client":
                    test_client(work)
            except Exception as e:  # one part failing must not hide the others
                check(f"{part}: no exception", False, repr(e))
    finally:
        if server:
            server.stop()
            if failures:
                print("--- sluiced log (tail)")
                print("".join(open(server.log_path).readlines()[-40:]))
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
