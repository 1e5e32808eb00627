#pragma once
// Status: the result of every fallible call, returned by value (RocksDB's habit). A code plus a
// message that already carries its context (statement position, query id, topic/partition).
#include <optional>
#include <string>
#include <utility>

namespace sluice {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kInvalidArgument, kNotFound, kAlreadyExists, kSyntaxError, kTypeError,
                    kSerdeError, kRuntimeError, kNotSupported, kIOError };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status SyntaxError(std::string msg) { return {Code::kSyntaxError, std::move(msg)}; }
  static Status TypeError(std::string msg) { return {Code::kTypeError, std::move(msg)}; }
  static Status SerdeError(std::string msg) { return {Code::kSerdeError, std::move(msg)}; }
  static Status RuntimeError(std::string msg) { return {Code::kRuntimeError, std::move(msg)}; }
  static Status NotSupported(std::string msg) { return {Code::kNotSupported, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "OK" : message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: a value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

#define SLUICE_RETURN_IF_ERROR(expr)        \
  do {                                      \
    ::sluice::Status _st = (expr);          \
    if (!_st.ok()) return _st;              \
  } while (0)

}  // namespace sluice
