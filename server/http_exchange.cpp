#include "server/http_exchange.h"

#include <cctype>

#include <atomic>

#include <spdlog/spdlog.h>

namespace sluice {

std::string PercentDecode(std::string_view s, bool plus_as_space) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2])) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += plus_as_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

namespace {
std::atomic<size_t> g_max_queued_bytes{32 * 1024 * 1024};
}  // namespace

size_t HttpExchange::max_queued_bytes() { return g_max_queued_bytes.load(std::memory_order_relaxed); }
void HttpExchange::SetMaxQueuedBytes(size_t bytes) { g_max_queued_bytes.store(bytes, std::memory_order_relaxed); }

HttpExchange::~HttpExchange() = default;

void HttpExchange::WakeLocked(std::unique_lock<std::mutex>& lock) {
  std::function<void()> wake = wake_;
  lock.unlock();
  if (wake) wake();
}

void HttpExchange::Reply(int status, std::string body, const std::string& content_type) {
  Reply(status, std::move(body), content_type, {});
}

void HttpExchange::Reply(int status, std::string body, const std::string& content_type,
                         std::vector<std::pair<std::string, std::string>> headers) {
  std::unique_lock<std::mutex> lock(mu_);
  if (head_ || finished_) return;
  head_ = Head{status, content_type, /*one_shot=*/true, std::move(headers)};
  queued_bytes_ += body.size();
  pieces_.push_back(std::move(body));
  ended_ = true;
  WakeLocked(lock);
}

void HttpExchange::Begin(int status, const std::string& content_type) {
  std::unique_lock<std::mutex> lock(mu_);
  if (head_ || finished_) return;
  head_ = Head{status, content_type, /*one_shot=*/false};
  WakeLocked(lock);
}

void HttpExchange::Respond(int status, const std::string& content_type, std::vector<std::string> pieces) {
  std::unique_lock<std::mutex> lock(mu_);
  if (head_ || finished_) return;
  head_ = Head{status, content_type, /*one_shot=*/false};
  for (auto& piece : pieces) {
    if (piece.empty()) continue;  // an empty piece would end a chunked response
    queued_bytes_ += piece.size();
    pieces_.push_back(std::move(piece));
  }
  ended_ = true;
  WakeLocked(lock);
}

bool HttpExchange::Write(std::string piece) {
  std::unique_lock<std::mutex> lock(mu_);
  if (finished_ || overflowed_ || ended_ || !head_) return false;
  if (piece.empty()) return true;  // an empty piece would end a chunked response
  if (queued_bytes_ + piece.size() > max_queued_bytes()) {
    spdlog::warn("REST {} {} from {}: the client reads slower than rows arrive ({} bytes queued); "
                 "dropping the connection and stopping its query",
                 request_.method, request_.path, request_.peer, queued_bytes_);
    overflowed_ = true;
    pieces_.clear();
    queued_bytes_ = 0;
    WakeLocked(lock);
    return false;
  }
  queued_bytes_ += piece.size();
  pieces_.push_back(std::move(piece));
  WakeLocked(lock);
  return true;
}

void HttpExchange::End() {
  std::unique_lock<std::mutex> lock(mu_);
  if (ended_ || finished_) return;
  ended_ = true;
  WakeLocked(lock);
}

void HttpExchange::OnClose(std::function<void()> fn) {
  std::unique_lock<std::mutex> lock(mu_);
  if (finished_) {
    lock.unlock();
    fn();
    return;
  }
  on_close_ = std::move(fn);
}

void HttpExchange::OnBody(std::function<void(std::string_view, bool)> fn) {
  std::lock_guard<std::mutex> lock(body_mu_);
  on_body_ = std::move(fn);
  if (!early_body_.empty() || early_last_) {
    std::string early = std::move(early_body_);
    early_body_.clear();
    on_body_(early, early_last_);
  }
}

bool HttpExchange::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_ || overflowed_;
}

void HttpExchange::SetWaker(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
}

std::optional<HttpExchange::Head> HttpExchange::TakeHead() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!head_ || head_taken_) return std::nullopt;
  head_taken_ = true;
  return head_;
}

std::optional<std::string> HttpExchange::PopPiece() {
  std::lock_guard<std::mutex> lock(mu_);
  if (pieces_.empty()) return std::nullopt;
  std::string piece = std::move(pieces_.front());
  pieces_.pop_front();
  queued_bytes_ -= piece.size();
  return piece;
}

bool HttpExchange::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

bool HttpExchange::drained() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_ && pieces_.empty();
}

bool HttpExchange::overflowed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overflowed_;
}

void HttpExchange::Finish() {
  std::function<void()> on_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    pieces_.clear();
    queued_bytes_ = 0;
    wake_ = nullptr;  // the connection may be gone
    on_close = std::move(on_close_);
    on_close_ = nullptr;
  }
  {
    // A streamed body that never completed: tell the consumer it is over.
    std::lock_guard<std::mutex> lock(body_mu_);
    if (on_body_ && !early_last_) {
      early_last_ = true;
      on_body_({}, true);
    }
    on_body_ = nullptr;
  }
  if (on_close) on_close();
}

void HttpExchange::DeliverBody(std::string_view data, bool last) {
  std::lock_guard<std::mutex> lock(body_mu_);
  if (early_last_) return;
  if (on_body_) {
    if (last) early_last_ = true;
    on_body_(data, last);
    return;
  }
  early_body_.append(data);
  if (last) early_last_ = true;
}

}  // namespace sluice
