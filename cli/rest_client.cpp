#include "cli/rest_client.h"

#include <sys/socket.h>

#include <atomic>
#include <csignal>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/err.h>

namespace sluice::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// The socket of the request in flight, for Interrupt() (called from a SIGINT handler).
std::atomic<int> g_active_fd{-1};
volatile std::sig_atomic_t g_interrupted = 0;

constexpr const char* kMediaType = "application/vnd.ksql.v1+json";

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

// Clears the active descriptor on every way out of a request.
struct ActiveSocket {
  explicit ActiveSocket(int fd) { g_active_fd.store(fd); }
  ~ActiveSocket() { g_active_fd.store(-1); }
};

}  // namespace

std::optional<ServerUrl> ParseServerUrl(const std::string& text, std::string* error) {
  ServerUrl url;
  std::string rest = text;
  if (auto p = rest.find("://"); p != std::string::npos) {
    url.scheme = rest.substr(0, p);
    rest = rest.substr(p + 3);
  }
  if (url.scheme != "http" && url.scheme != "https") {
    *error = "Unsupported scheme '" + url.scheme + "' in " + text + ": use http:// or https://";
    return std::nullopt;
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  if (auto colon = rest.rfind(':'); colon != std::string::npos && rest.find(']') == std::string::npos) {
    url.port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) url.host = rest;
  if (url.port.empty() || url.port.find_first_not_of("0123456789") != std::string::npos) {
    *error = "Invalid port in server address: " + text;
    return std::nullopt;
  }
  return url;
}

void RestClient::Interrupt() {
  g_interrupted = 1;
  int fd = g_active_fd.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // async-signal-safe; unblocks the read
}
void RestClient::ClearInterrupt() { g_interrupted = 0; }
bool RestClient::Interrupted() { return g_interrupted != 0; }

RestResponse RestClient::Get(const std::string& target) { return Request("GET", target, "", nullptr); }

RestResponse RestClient::Post(const std::string& target, const nlohmann::json& body) {
  return Request("POST", target, body.dump(), nullptr);
}

RestResponse RestClient::PostStreaming(const std::string& target, const nlohmann::json& body,
                                       const std::function<bool(const std::string&)>& on_data) {
  return Request("POST", target, body.dump(), &on_data);
}

RestResponse RestClient::Request(const std::string& method, const std::string& target, const std::string& body,
                                 const std::function<bool(const std::string&)>* on_data) {
  RestResponse out;
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  tcp::socket socket(ioc);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(url_.host, url_.port, ec);
  if (ec) {
    out.error = "cannot resolve " + url_.host + ": " + ec.message();
    return out;
  }
  net::connect(socket, endpoints, ec);
  if (ec) {
    out.error = ec.message();
    return out;
  }
  ActiveSocket active(socket.native_handle());
  if (url_.scheme != "https") return Exchange(socket, method, target, body, on_data);

  // https: the server's certificate must chain to a trusted CA and name the host we asked for.
  net::ssl::context tls(net::ssl::context::tls_client);
  if (!ca_file_.empty()) tls.load_verify_file(ca_file_, ec);
  else tls.set_default_verify_paths(ec);
  if (ec) {
    out.error = "cannot load the CA certificates" + (ca_file_.empty() ? std::string() : " of --ca-file " + ca_file_) +
                ": " + ec.message();
    return out;
  }
  tls.set_verify_mode(net::ssl::verify_peer);
  net::ssl::stream<tcp::socket> stream(std::move(socket), tls);
  stream.set_verify_callback(net::ssl::host_name_verification(url_.host));
  SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str());  // SNI
  stream.handshake(net::ssl::stream_base::client, ec);
  if (ec) {
    out.interrupted = Interrupted();
    out.error = "TLS handshake with " + url_.host + ":" + url_.port + " failed: " + ec.message();
    if (ec.category() == net::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED)
      out.error += ca_file_.empty() ? " (a self-signed or private CA certificate needs --ca-file FILE)"
                                    : " (the server's certificate is not signed by --ca-file " + ca_file_ +
                                          " or does not name " + url_.host + ")";
    return out;
  }
  return Exchange(stream, method, target, body, on_data);
}

template <class Stream>
RestResponse RestClient::Exchange(Stream& socket, const std::string& method, const std::string& target,
                                  const std::string& body, const std::function<bool(const std::string&)>* on_data) {
  RestResponse out;
  boost::system::error_code ec;
  http::request<http::string_body> req{method == "GET" ? http::verb::get : http::verb::post, target, 11};
  req.set(http::field::host, url_.host + ":" + url_.port);
  req.set(http::field::user_agent, "sluice-cli");
  req.set(http::field::accept, kMediaType);
  if (!user_.empty()) req.set(http::field::authorization, "Basic " + Base64(user_ + ":" + password_));
  if (method != "GET") {
    req.set(http::field::content_type, kMediaType);
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket, req, ec);
  if (ec) {
    out.interrupted = Interrupted();
    out.error = "sending the request failed: " + ec.message();
    return out;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // push queries stream without end
  http::read_header(socket, buffer, parser, ec);
  if (ec) {
    out.interrupted = Interrupted();
    out.error = "reading the response failed: " + ec.message();
    return out;
  }
  out.ok = true;
  out.status = parser.get().result_int();
  const bool stream = on_data && out.status == 200;

  // read_some, not read: a push query's rows trickle in and must be shown as they arrive.
  char chunk[16384];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    http::read_some(socket, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    size_t n = sizeof chunk - parser.get().body().size;
    if (n > 0) {
      std::string piece(chunk, n);
      if (!stream) {
        out.body += piece;
      } else if (!(*on_data)(piece)) {
        break;  // the caller has what it wants (or was interrupted)
      }
    }
    if (ec) {
      if (ec != http::error::end_of_stream) {
        out.interrupted = Interrupted();
        if (!out.interrupted) out.error = "the connection broke: " + ec.message();
      }
      break;
    }
  }
  beast::get_lowest_layer(socket).shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace sluice::cli
