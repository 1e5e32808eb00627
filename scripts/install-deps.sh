#!/usr/bin/env bash
# Installs the Debian 12 packages Sluice builds against. Idempotent and quiet when all is there.
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config
  antlr4 default-jre-headless libantlr4-runtime-dev
  librdkafka-dev librocksdb-dev libboost1.81-dev
  nlohmann-json3-dev libspdlog-dev catch2 libsimdjson-dev libcli11-dev
  libre2-dev libhowardhinnant-date-dev tzdata
  libnghttp2-dev libreadline-dev kcat curl nghttp2-client python3 tmux
  libprotobuf-dev
  libavro-dev
)
# https listeners, the CLI's https client and CRYPT: passwords (OpenSSL, crypt(3)); openssl
# makes tests/integration/security_test.sh's certificate.
PACKAGES+=(libssl-dev libcrypt-dev openssl)
# node + npm for tests/integration/node_client_test.sh (it installs the npm package ksqldb-client
# into build/): Debian's packages unless an install that provides npm (NodeSource) is there.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
# The embedded Schema Registry parses .proto text (libprotoc-dev: the parser's headers);
# tests/integration/schema_registry_client_test.py runs Confluent's Python client against it
# (its registry client needs requests; protoc compiles the test's .proto files).
PACKAGES+=(libprotoc-dev python3-confluent-kafka python3-avro python3-protobuf python3-requests protobuf-compiler)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
