#pragma once
// HTTP/2 over cleartext with prior knowledge (h2c), on libnghttp2. HttpServer hands over a
// connection whose first bytes are the client preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
// each stream becomes an HttpExchange for the same router as HTTP/1.1. A response's pieces go
// out one per DATA frame (clients such as the Node ksqldb-client JSON.parse each frame alone);
// a stream whose client reads too slowly is reset (RST_STREAM INTERNAL_ERROR), a peer that
// breaks the protocol gets GOAWAY and the connection closes.
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/http_server.h"

namespace sluice {

// `socket`'s executor must be a strand (every nghttp2 call runs there). `initial`: the bytes
// already read, starting with the preface. `routes` must outlive the session.
void StartHttp2Session(boost::asio::ip::tcp::socket socket, std::string initial, const HttpRoutes& routes,
                       std::string peer);
// HTTP/2 over TLS (an https:// listener; the client chose h2 by ALPN): the handshake is done.
void StartHttp2Session(boost::beast::ssl_stream<boost::beast::tcp_stream> stream, std::string initial,
                       const HttpRoutes& routes, std::string peer);

}  // namespace sluice
