#pragma once
// The TLS side of https:// listeners: an OpenSSL context (via Boost.Asio) built from the
// server's ssl.* properties, with ksqlDB's names where they fit:
//
//   ssl.keystore.location   PEM file with the server's certificate chain, and its private key
//                           unless sluice.ssl.key.location names another file (as a Kafka PEM
//                           keystore: `cat server.crt server.key > keystore.pem`)
//   ssl.keystore.type       PEM (JKS/PKCS12 keystores are refused with how to convert them)
//   ssl.key.password        passphrase of an encrypted private key
//   ssl.enabled.protocols   TLSv1.2,TLSv1.3 by default
//
// ALPN offers h2 then http/1.1, so curl and the Node clients speak HTTP/2 over TLS; the
// connection is sniffed for the HTTP/2 preface after the handshake as on cleartext ports.
// Any problem stops start-up with a message naming the property.
#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "engine/common/status.h"
#include "engine/config/server_config.h"

namespace sluice {

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const ServerConfig& config);

}  // namespace sluice
