// URL functions, byte conversions and NULL-handling functions.
#include <cstring>
#include <optional>

#include "engine/expr/function_registry.h"
#include "engine/expr/functions/function_util.h"

namespace sluice {
namespace {

using namespace fnutil;  // NOLINT
using fn::Simple;

// ---- URL -----------------------------------------------------------------------------------

// The components of a URI as java.net.URI splits them (RFC 2396); raw (still encoded).
struct Uri {
  std::optional<std::string> scheme, userinfo, host, path, query, fragment;
  int port = -1;
};

bool IsHex(char c) { return isxdigit(static_cast<unsigned char>(c)) != 0; }

bool IllegalUriChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
         c == '`' || c == '{' || c == '|' || c == '}';
}

bool ParseUri(const std::string& s, Uri* u) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (IllegalUriChar(s[i])) return false;
    if (s[i] == '%' && (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2]))) return false;
  }
  if (s.empty()) return false;
  std::string rest = s;
  size_t hash = rest.find('#');
  if (hash != std::string::npos) {
    u->fragment = rest.substr(hash + 1);
    rest.resize(hash);
  }
  // scheme
  size_t colon = rest.find(':');
  if (colon != std::string::npos && colon > 0 && isalpha(static_cast<unsigned char>(rest[0]))) {
    bool ok = true;
    for (size_t i = 1; i < colon; ++i) {
      char c = rest[i];
      if (!isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') ok = false;
    }
    if (ok && rest.find_first_of("/?") > colon) {
      u->scheme = rest.substr(0, colon);
      rest = rest.substr(colon + 1);
      if (rest.empty()) return false;
      if (rest[0] != '/') return true;  // opaque URI: no path, query or authority
    }
  }
  size_t q = rest.find('?');
  if (q != std::string::npos) {
    u->query = rest.substr(q + 1);
    rest.resize(q);
  }
  if (rest.rfind("//", 0) == 0) {
    size_t end = rest.find('/', 2);
    std::string auth = rest.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    rest = end == std::string::npos ? "" : rest.substr(end);
    size_t at = auth.rfind('@');
    if (at != std::string::npos) {
      u->userinfo = auth.substr(0, at);
      auth = auth.substr(at + 1);
    }
    size_t pc = auth.rfind(':'), br = auth.find(']');
    if (pc != std::string::npos && (br == std::string::npos || pc > br)) {
      std::string port = auth.substr(pc + 1);
      auth.resize(pc);
      if (!port.empty()) {
        if (port.size() > 9) return false;
        for (char c : port) if (!isdigit(static_cast<unsigned char>(c))) return false;
        u->port = std::stoi(port);
      }
    }
    if (!auth.empty()) u->host = auth;
  }
  u->path = rest;
  return true;
}

// %XX decoding (and '+' as space when `form`); false if malformed.
bool PercentDecode(const std::string& s, bool form, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return false;
      out->push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (form && c == '+') {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string FormEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (isalnum(u) || c == '.' || c == '-' || c == '*' || c == '_') out.push_back(c);
    else if (c == ' ') out.push_back('+');
    else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

using UriPart = std::function<Value(const Uri&)>;

FunctionOverload UrlFn(const std::string& name, TypePtr result, UriPart part) {
  return Simple(name + "(url STRING) => " + result->ToString(), {K::kString}, result,
                [part](const Args& a, const CallContext&, std::string* err) -> Value {
                  Uri u;
                  if (!ParseUri(a[0].AsString(), &u)) {
                    if (err) *err = "URL input has invalid syntax: " + a[0].AsString();
                    return Value();
                  }
                  return part(u);
                });
}

Value Decoded(const std::optional<std::string>& raw) {
  if (!raw) return Value();
  std::string out;
  if (!PercentDecode(*raw, false, &out)) return Value();
  return Value(std::move(out));
}

// ---- bytes to numbers ------------------------------------------------------------------------

template <typename T>
ScalarImpl FromBytes(size_t width) {
  return [width](const Args& a, const CallContext&, std::string* err) -> Value {
    const std::string& b = a[0].AsBytes().data;
    if (b.size() != width) {
      if (err) *err = "expected " + std::to_string(width) + " bytes, got " + std::to_string(b.size());
      return Value();
    }
    bool little = false;
    if (a.size() > 1) {
      const std::string& order = a[1].AsString();
      if (order == "LITTLE_ENDIAN") little = true;
      else if (order != "BIG_ENDIAN") {
        if (err) *err = "byte order must be BIG_ENDIAN or LITTLE_ENDIAN";
        return Value();
      }
    }
    uint64_t bits = 0;
    for (size_t i = 0; i < width; ++i) {
      unsigned char c = static_cast<unsigned char>(b[little ? width - 1 - i : i]);
      bits = (bits << 8) | c;
    }
    if constexpr (std::is_same_v<T, double>) {
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return Value(d);
    } else {
      return Value(static_cast<T>(bits));
    }
  };
}

// Common type of all typed arguments (NULL literals fit anything).
TypePtr CommonOfAll(const Types& t) {
  TypePtr common;
  for (const auto& x : t) {
    if (!x) continue;
    if (!common) common = x;
    else if (!TypeEquals(common, x)) return nullptr;
  }
  return common;
}

}  // namespace

void RegisterMiscFunctions(FunctionRegistry& r) {
  const char* kUrl = "URL";
  auto S = SqlType::String();

  r.Add(Info("URL_DECODE_PARAM", kUrl, "Decodes an application/x-www-form-urlencoded value ('+' and %XX escapes).",
             {Simple("URL_DECODE_PARAM(str STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       std::string out;
                       if (!PercentDecode(a[0].AsString(), true, &out)) {
                         if (err) *err = "malformed URL encoding: " + a[0].AsString();
                         return Value();
                       }
                       return Value(std::move(out));
                     })}));
  r.Add(Info("URL_ENCODE_PARAM", kUrl, "Encodes a value for use as a URL query parameter (application/x-www-form-urlencoded).",
             {Simple("URL_ENCODE_PARAM(str STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) { return Value(FormEncode(a[0].AsString())); })}));
  r.Add(Info("URL_EXTRACT_FRAGMENT", kUrl, "Returns the decoded fragment of a URL, or NULL if it has none or is invalid.",
             {UrlFn("URL_EXTRACT_FRAGMENT", S, [](const Uri& u) { return Decoded(u.fragment); })}));
  r.Add(Info("URL_EXTRACT_HOST", kUrl, "Returns the host name of a URL, or NULL if it has none or is invalid.",
             {UrlFn("URL_EXTRACT_HOST", S, [](const Uri& u) { return u.host ? Value(*u.host) : Value(); })}));
  r.Add(Info("URL_EXTRACT_PATH", kUrl, "Returns the decoded path of a URL (empty if it has none), or NULL if it is invalid.",
             {UrlFn("URL_EXTRACT_PATH", S, [](const Uri& u) { return Decoded(u.path); })}));
  r.Add(Info("URL_EXTRACT_PORT", kUrl, "Returns the explicit port of a URL, or NULL if it has none or is invalid.",
             {UrlFn("URL_EXTRACT_PORT", SqlType::Integer(), [](const Uri& u) {
                return u.port < 0 ? Value() : Value(static_cast<int32_t>(u.port));
              })}));
  r.Add(Info("URL_EXTRACT_PROTOCOL", kUrl, "Returns the scheme (protocol) of a URL, or NULL if it has none or is invalid.",
             {UrlFn("URL_EXTRACT_PROTOCOL", S, [](const Uri& u) { return u.scheme ? Value(*u.scheme) : Value(); })}));
  r.Add(Info("URL_EXTRACT_QUERY", kUrl, "Returns the decoded query string of a URL, or NULL if it has none or is invalid.",
             {UrlFn("URL_EXTRACT_QUERY", S, [](const Uri& u) { return Decoded(u.query); })}));
  r.Add(Info("URL_EXTRACT_PARAMETER", kUrl, "Returns the decoded value of a named query parameter of a URL, or NULL if absent, valueless or invalid.",
             {Simple("URL_EXTRACT_PARAMETER(url STRING, name STRING) => STRING", {K::kString, K::kString}, S,
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       Uri u;
                       if (!ParseUri(a[0].AsString(), &u)) {
                         if (err) *err = "URL input has invalid syntax: " + a[0].AsString();
                         return Value();
                       }
                       if (!u.query) return Value();
                       const std::string& q = *u.query;
                       size_t start = 0;
                       std::string key, val;
                       while (start <= q.size()) {
                         size_t amp = q.find('&', start);
                         std::string param = q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
                         size_t eq = param.find('=');
                         if (PercentDecode(param.substr(0, eq), true, &key) && key == a[1].AsString()) {
                           if (eq == std::string::npos) return Value();
                           if (!PercentDecode(param.substr(eq + 1), true, &val)) return Value();
                           return Value(std::move(val));
                         }
                         if (amp == std::string::npos) break;
                         start = amp + 1;
                       }
                       return Value();
                     })}));

  const char* kConv = "CONVERSIONS";
  r.Add(Info("INT_FROM_BYTES", kConv, "Reads a 4-byte BYTES value as an INT, big-endian unless 'LITTLE_ENDIAN' is given.",
             {Simple("INT_FROM_BYTES(b BYTES) => INT", {K::kBytes}, SqlType::Integer(), FromBytes<int32_t>(4)),
              Simple("INT_FROM_BYTES(b BYTES, byteOrder STRING) => INT", {K::kBytes, K::kString}, SqlType::Integer(), FromBytes<int32_t>(4))}));
  r.Add(Info("BIGINT_FROM_BYTES", kConv, "Reads an 8-byte BYTES value as a BIGINT, big-endian unless 'LITTLE_ENDIAN' is given.",
             {Simple("BIGINT_FROM_BYTES(b BYTES) => BIGINT", {K::kBytes}, SqlType::Bigint(), FromBytes<int64_t>(8)),
              Simple("BIGINT_FROM_BYTES(b BYTES, byteOrder STRING) => BIGINT", {K::kBytes, K::kString}, SqlType::Bigint(), FromBytes<int64_t>(8))}));
  r.Add(Info("DOUBLE_FROM_BYTES", kConv, "Reads an 8-byte BYTES value as an IEEE-754 DOUBLE, big-endian unless 'LITTLE_ENDIAN' is given.",
             {Simple("DOUBLE_FROM_BYTES(b BYTES) => DOUBLE", {K::kBytes}, SqlType::Double(), FromBytes<double>(8)),
              Simple("DOUBLE_FROM_BYTES(b BYTES, byteOrder STRING) => DOUBLE", {K::kBytes, K::kString}, SqlType::Double(), FromBytes<double>(8))}));

  r.Add(Info("INT_FROM_BOOLEAN", kConv, "Converts a BOOLEAN to an INT: 1 for true, 0 for false.",
             {Simple("INT_FROM_BOOLEAN(b BOOLEAN) => INT", {K::kBoolean}, SqlType::Integer(),
                     [](const Args& a, const CallContext&, std::string*) {
                       return Value(static_cast<int32_t>(a[0].AsBool() ? 1 : 0));
                     })}));

  const char* kNulls = "NULLS";
  r.Add(Info("COALESCE", kNulls, "Returns the first non-NULL argument; all arguments must have the same type.",
             {Make("COALESCE(a T, ...) => T", 1, -1, CommonOfAll,
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     for (const auto& v : a)
                       if (!v.IsNull()) return v;
                     return Value();
                   }, NullPolicy::kCustom)}));
  r.Add(Info("IFNULL", kNulls, "Returns the first argument unless it is NULL, in which case the second.",
             {Make("IFNULL(expression T, altValue T) => T", 2, 2, CommonOfAll,
                   [](const Args& a, const CallContext&, std::string*) { return a[0].IsNull() ? a[1] : a[0]; },
                   NullPolicy::kCustom)}));
  r.Add(Info("NULLIF", kNulls, "Returns NULL if the two arguments are equal, otherwise the first.",
             {Make("NULLIF(expression1 T, expression2 T) => T", 2, 2, CommonOfAll,
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (!a[0].IsNull() && !a[1].IsNull() && a[0] == a[1]) return Value();
                     return a[0];
                   }, NullPolicy::kCustom)}));
  r.Add(Info("AS_VALUE", "OTHER", "Copies a key column into the value of the result (the value itself is unchanged).",
             {Make("AS_VALUE(keyColumn T) => T", 1, 1, [](const Types& t) { return t[0]; },
                   [](const Args& a, const CallContext&, std::string*) { return a[0]; }, NullPolicy::kCustom)}));
}

}  // namespace sluice
