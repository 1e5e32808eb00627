#include "tools/qtt/rest_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>


namespace sluice::qtt {

namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

Result<std::unique_ptr<Socket>> Connect(const std::string& host, int port, Clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1)
    return Status::InvalidArgument("not an IPv4 address: " + host);
  auto sock = std::make_unique<Socket>(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  if (sock->fd() < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  if (::connect(sock->fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
    return Status::IOError("connect " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  pollfd p{sock->fd(), POLLOUT, 0};
  if (::poll(&p, 1, RemainingMs(deadline)) <= 0)
    return Status::IOError("connect " + host + ":" + std::to_string(port) + ": timed out");
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(sock->fd(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return Status::IOError("connect " + host + ":" + std::to_string(port) + ": " + std::strerror(err));
  return sock;
}

Status SendAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return Status::IOError(std::string("send: ") + std::strerror(errno));
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) <= 0) return Status::IOError("send: timed out");
  }
  return Status::OK();
}

// Reads what is available (waiting up to the deadline); "" with ok at end of stream.
Result<std::string> ReadSome(int fd, Clock::time_point deadline, bool* eof) {
  char buf[16384];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) return std::string(buf, static_cast<size_t>(n));
    if (n == 0) {
      *eof = true;
      return std::string();
    }
    if (errno != EAGAIN && errno != EINTR) return Status::IOError(std::string("recv: ") + std::strerror(errno));
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) <= 0) return Status::IOError("timed out waiting for the response");
  }
}

// Incremental decoding of a response body: identity until EOF, Content-Length, or chunked.
class BodyDecoder {
 public:
  BodyDecoder(bool chunked, long content_length) : chunked_(chunked), remaining_(content_length) {}
  // Consumes `in`, appending body bytes to `out`. Returns true once the body is complete.
  bool Feed(std::string& in, std::string* out) {
    if (!chunked_) {
      if (remaining_ < 0) {
        out->append(in);
        in.clear();
        return false;
      }
      const size_t take = std::min(in.size(), static_cast<size_t>(remaining_));
      out->append(in, 0, take);
      in.erase(0, take);
      remaining_ -= static_cast<long>(take);
      return remaining_ == 0;
    }
    while (true) {
      if (chunk_left_ == 0) {
        const size_t eol = in.find("\r\n");
        if (eol == std::string::npos) return false;
        if (after_chunk_) {  // the CRLF that ends a chunk's data
          in.erase(0, eol + 2);
          after_chunk_ = false;
          continue;
        }
        const long size = std::strtol(in.substr(0, eol).c_str(), nullptr, 16);
        in.erase(0, eol + 2);
        if (size == 0) return true;
        chunk_left_ = size;
      }
      if (in.empty()) return false;
      const size_t take = std::min(in.size(), static_cast<size_t>(chunk_left_));
      out->append(in, 0, take);
      in.erase(0, take);
      chunk_left_ -= static_cast<long>(take);
      if (chunk_left_ == 0) after_chunk_ = true;
    }
  }

 private:
  bool chunked_;
  long remaining_;  // identity body: bytes left, -1 = until EOF
  long chunk_left_ = 0;
  bool after_chunk_ = false;
};

}  // namespace

Result<HttpResult> RestClient::Get(const std::string& path, std::chrono::milliseconds timeout) const {
  return Request("GET", path, "", nullptr, timeout);
}

Result<HttpResult> RestClient::Post(const std::string& path, const std::string& body,
                                    std::chrono::milliseconds timeout) const {
  return Request("POST", path, body, nullptr, timeout);
}

Result<HttpResult> RestClient::PostStreaming(const std::string& path, const std::string& body,
                                             const BodyCallback& on_data,
                                             std::chrono::milliseconds timeout) const {
  return Request("POST", path, body, &on_data, timeout);
}

Result<HttpResult> RestClient::Request(const std::string& method, const std::string& path,
                                       const std::string& body,
                                       const BodyCallback* on_data,
                                       std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  auto sock = Connect(host_, port_, deadline);
  if (!sock.ok()) return sock.status();
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + host_ + ":" + std::to_string(port_) +
                    "\r\nAccept: application/vnd.ksql.v1+json\r\nConnection: close\r\n";
  if (method == "POST")
    req += "Content-Type: application/vnd.ksql.v1+json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (Status st = SendAll((*sock)->fd(), req, deadline); !st.ok()) return st;

  std::string in;
  bool eof = false;
  size_t header_end;
  while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
    if (eof) return Status::IOError(method + " " + path + ": connection closed before the response headers");
    auto more = ReadSome((*sock)->fd(), deadline, &eof);
    if (!more.ok()) return Status::IOError(method + " " + path + ": " + more.status().message());
    in += *more;
  }
  HttpResult out;
  const std::string head = in.substr(0, header_end);
  in.erase(0, header_end + 4);
  const size_t sp = head.find(' ');
  out.status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
  bool chunked = false;
  long content_length = -1;
  size_t line_start = head.find("\r\n");
  while (line_start != std::string::npos) {
    line_start += 2;
    const size_t line_end = head.find("\r\n", line_start);
    const std::string line = head.substr(line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      const std::string name = Lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "transfer-encoding" && Lower(value).find("chunked") != std::string::npos) chunked = true;
      if (name == "content-length") content_length = std::atol(value.c_str());
      if (name == "content-type") out.content_type = value;
    }
    line_start = line_end;
  }
  BodyDecoder decoder(chunked, content_length);
  while (true) {
    std::string piece;
    const bool done = decoder.Feed(in, &piece);
    if (!piece.empty()) {
      if (on_data) {
        if (!(*on_data)(out.status, piece)) return out;  // the caller has what it wanted: close
      } else {
        out.body += piece;
      }
    }
    if (done || eof) return out;
    auto more = ReadSome((*sock)->fd(), deadline, &eof);
    if (!more.ok()) {
      // A streamed body that the deadline cuts is the caller's normal way to stop.
      if (on_data) return out;
      return Status::IOError(method + " " + path + ": " + more.status().message());
    }
    in += *more;
  }
}

std::vector<std::string> JsonArrayStream::Feed(std::string_view text) {
  std::vector<std::string> done;
  for (char ch : text) {
    if (closed_) break;
    if (depth_ == 0) {
      if (ch == '[') depth_ = 1;
      continue;
    }
    if (depth_ == 1) {
      if (ch == ']') {
        closed_ = true;
        continue;
      }
      if (ch == ',' || std::isspace(static_cast<unsigned char>(ch))) continue;
    }
    element_ += ch;
    if (in_string_) {
      if (escaped_) escaped_ = false;
      else if (ch == '\\') escaped_ = true;
      else if (ch == '"') in_string_ = false;
      continue;
    }
    if (ch == '"') in_string_ = true;
    else if (ch == '{' || ch == '[') ++depth_;
    else if (ch == '}' || ch == ']') {
      if (--depth_ == 1) {
        done.push_back(std::move(element_));
        element_.clear();
      }
    }
  }
  return done;
}

}  // namespace sluice::qtt
