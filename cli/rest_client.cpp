#include "cli/rest_client.h"

#include <sys/socket.h>

#include <atomic>
#include <csignal>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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
  if (url.scheme != "http") {
    *error = "Unsupported scheme '" + url.scheme + "' in " + text + ": the CLI speaks http:// only";
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

  http::request<http::string_body> req{method == "GET" ? http::verb::get : http::verb::post, target, 11};
  req.set(http::field::host, url_.host + ":" + url_.port);
  req.set(http::field::user_agent, "sluice-cli");
  req.set(http::field::accept, kMediaType);
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
  socket.shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace sluice::cli
