// JSON functions: EXTRACTJSONFIELD, IS_JSON_STRING, JSON_ARRAY_CONTAINS, JSON_ARRAY_LENGTH,
// JSON_CONCAT, JSON_ITEMS, JSON_KEYS, JSON_RECORDS, TO_JSON_STRING.
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/expr/function_registry.h"
#include "engine/expr/functions/function_util.h"
#include "engine/serde/json_writer.h"

namespace sluice {
namespace {

using namespace fnutil;  // NOLINT
using fn::Simple;
using Json = nlohmann::ordered_json;
constexpr const char* kJsonCategory = "JSON";

// ---- a small scanner over JSON text (keeps number text exactly as written) ----------------

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  size_t pos() const { return i_; }
  void set_pos(size_t p) { i_ = p; }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  char Peek() {
    Ws();
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  // Skips one JSON value; false if malformed.
  bool SkipValue(int depth = 0) {
    if (depth > 512) return false;
    char c = Peek();
    if (c == '"') return SkipString();
    if (c == '{') {
      ++i_;
      if (Peek() == '}') {
        ++i_;
        return true;
      }
      while (true) {
        if (Peek() != '"' || !SkipString()) return false;
        if (Peek() != ':') return false;
        ++i_;
        if (!SkipValue(depth + 1)) return false;
        char n = Peek();
        ++i_;
        if (n == '}') return true;
        if (n != ',') return false;
      }
    }
    if (c == '[') {
      ++i_;
      if (Peek() == ']') {
        ++i_;
        return true;
      }
      while (true) {
        if (!SkipValue(depth + 1)) return false;
        char n = Peek();
        ++i_;
        if (n == ']') return true;
        if (n != ',') return false;
      }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = i_;
      if (s_[i_] == '-') ++i_;
      size_t digits = i_;
      while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == digits) return false;
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        size_t f = i_;
        while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        if (i_ == f) return false;
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        size_t e = i_;
        while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        if (i_ == e) return false;
      }
      return i_ > start;
    }
    for (std::string_view lit : {"true", "false", "null"}) {
      if (s_.substr(i_, lit.size()) == lit) {
        i_ += lit.size();
        return true;
      }
    }
    return false;
  }
  bool SkipString() {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      if (s_[i_] == '\\') ++i_;
      else if (s_[i_] == '"') {
        ++i_;
        return true;
      }
    }
    return false;
  }
  // Reads a string at the current position, unescaped.
  bool ReadString(std::string* out) {
    out->clear();
    if (Peek() != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (++i_ >= s_.size()) return false;
      switch (s_[i_]) {
        case 'n': out->push_back('\n'); break;
        case 't': out->push_back('\t'); break;
        case 'r': out->push_back('\r'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'u': {
          auto hex4 = [&](size_t at, uint32_t* v) {
            if (at + 4 > s_.size()) return false;
            *v = 0;
            for (size_t k = at; k < at + 4; ++k) {
              char h = s_[k];
              int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
              if (d < 0) return false;
              *v = *v * 16 + static_cast<uint32_t>(d);
            }
            return true;
          };
          uint32_t u;
          if (!hex4(i_ + 1, &u)) return false;
          i_ += 4;
          if (u >= 0xD800 && u < 0xDC00 && i_ + 6 < s_.size() && s_[i_ + 1] == '\\' && s_[i_ + 2] == 'u') {
            uint32_t lo;
            if (hex4(i_ + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
              u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
              i_ += 6;
            }
          }
          AppendUtf8(out, u);
          break;
        }
        default: out->push_back(s_[i_]);
      }
    }
    return false;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// JSONPath subset: $, .name, [index], ['name'], ["name"].
bool TokenizePath(const std::string& path, std::vector<std::string>* tokens) {
  size_t i = 0;
  if (i < path.size() && path[i] == '$') ++i;
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t start = ++i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      if (i == start) return false;
      tokens->push_back(path.substr(start, i - start));
    } else if (path[i] == '[') {
      ++i;
      if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        char q = path[i++];
        size_t end = path.find(q, i);
        if (end == std::string::npos || end + 1 >= path.size() || path[end + 1] != ']') return false;
        tokens->push_back(path.substr(i, end - i));
        i = end + 2;
      } else {
        size_t end = path.find(']', i);
        if (end == std::string::npos) return false;
        std::string t = path.substr(i, end - i);
        while (!t.empty() && t.front() == ' ') t.erase(0, 1);
        while (!t.empty() && t.back() == ' ') t.pop_back();
        tokens->push_back(t);
        i = end + 1;
      }
    } else {
      return false;
    }
  }
  return true;
}

bool ParseIndex(const std::string& t, int64_t* out) {
  if (t.empty() || t.size() > 10) return false;
  size_t i = t[0] == '-' ? 1 : 0;
  if (i == t.size()) return false;
  for (size_t k = i; k < t.size(); ++k)
    if (!isdigit(static_cast<unsigned char>(t[k]))) return false;
  *out = std::stoll(t);
  return true;
}

Value ExtractJsonField(const std::string& json, const std::string& path, std::string* err) {
  std::vector<std::string> tokens;
  if (!TokenizePath(path, &tokens)) {
    if (err) *err = "invalid JSONPath: " + path;
    return Value();
  }
  Scanner sc(json);
  if (!sc.SkipValue()) {
    if (err) *err = "Invalid JSON format: " + json;
    return Value();
  }
  sc.set_pos(0);
  std::string key;
  for (const auto& tok : tokens) {
    char c = sc.Peek();
    if (c == '[') {
      int64_t idx;
      if (!ParseIndex(tok, &idx) || idx < 0) return Value();
      sc.set_pos(sc.pos() + 1);
      if (sc.Peek() == ']') return Value();
      for (int64_t k = 0;; ++k) {
        if (k == idx) break;
        sc.SkipValue();
        if (sc.Peek() != ',') return Value();
        sc.set_pos(sc.pos() + 1);
      }
    } else if (c == '{') {
      sc.set_pos(sc.pos() + 1);
      if (sc.Peek() == '}') return Value();
      bool found = false;
      while (true) {
        sc.ReadString(&key);
        sc.Peek();  // ':'
        sc.set_pos(sc.pos() + 1);
        if (key == tok) {
          found = true;
          break;
        }
        sc.SkipValue();
        if (sc.Peek() != ',') break;
        sc.set_pos(sc.pos() + 1);
      }
      if (!found) return Value();
    } else {
      return Value();
    }
  }
  if (sc.Peek() == '"') {
    std::string out;
    sc.ReadString(&out);
    return Value(std::move(out));
  }
  size_t start = sc.pos();
  sc.SkipValue();
  return Value(serde::MinifyJson(std::string_view(json).substr(start, sc.pos() - start)));
}

bool ParseJson(const std::string& s, Json* out) {
  *out = Json::parse(s, nullptr, false);
  return !out->is_discarded();
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Reads the JSON number at the scanner's position; *is_float when it has a fraction or exponent.
bool ReadNumber(Scanner* sc, std::string_view json, std::string* text, bool* is_float) {
  const size_t start = sc->pos();
  if (!sc->SkipValue()) return false;
  *text = std::string(json.substr(start, sc->pos() - start));
  *is_float = text->find_first_of(".eE") != std::string::npos;
  return true;
}

// Streams through a JSON array like ksqlDB's Jackson-based implementation: true as soon as an
// element of a compatible kind equals the value (an INT or BIGINT value matches integer
// elements, a DOUBLE value fractional ones, NULL matches null); anything after the match is not
// inspected; false for malformed text or a value of any other type.
Value JsonArrayContains(const Args& a) {
  if (a[0].IsNull()) return Value(false);
  const std::string& json = a[0].AsString();
  const Value& v = a[1];
  Scanner sc(json);
  if (sc.Peek() != '[') return Value(false);
  sc.set_pos(sc.pos() + 1);
  if (sc.Peek() == ']') return Value(false);
  std::string text;
  while (true) {
    const char c = sc.Peek();
    bool match = false;
    if (c == '"') {
      if (!sc.ReadString(&text)) return Value(false);
      match = v.IsString() && v.AsString() == text;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      bool is_float;
      if (!ReadNumber(&sc, json, &text, &is_float)) return Value(false);
      if (!is_float && (v.IsInt() || v.IsBigint())) {
        errno = 0;
        char* end = nullptr;
        const long long n = std::strtoll(text.c_str(), &end, 10);
        // Java's readValueAs(Integer/Long) fails on overflow, which ends the search.
        if (errno == ERANGE || (v.IsInt() && (n < INT32_MIN || n > INT32_MAX))) return Value(false);
        match = n == v.ToInt64();
      } else if (is_float && v.IsDouble()) {
        match = std::strtod(text.c_str(), nullptr) == v.AsDouble();
      }
    } else if (c == 't' || c == 'f' || c == 'n') {
      const size_t start = sc.pos();
      if (!sc.SkipValue()) return Value(false);
      const char first = json[start];
      if (first == 'n') match = v.IsNull();
      else match = v.IsBool() && v.AsBool() == (first == 't');
    } else if (c == '[' || c == '{') {
      if (!sc.SkipValue()) return Value(false);
    } else {
      return Value(false);
    }
    if (match) return Value(true);
    const char n = sc.Peek();
    if (n == ']') return Value(false);
    if (n != ',') return Value(false);
    sc.set_pos(sc.pos() + 1);
  }
}

}  // namespace

void RegisterJsonFunctions(FunctionRegistry& r) {
  auto S = SqlType::String();
  auto Bo = SqlType::Boolean();

  r.Add(Info("EXTRACTJSONFIELD", kJsonCategory, "Returns the value at a JSONPath ($.a.b[0]) in a JSON string, as a string; NULL if the path does not exist.",
             {Simple("EXTRACTJSONFIELD(json STRING, path STRING) => STRING", {K::kString, K::kString}, S,
                     [](const Args& a, const CallContext&, std::string* err) {
                       return ExtractJsonField(a[0].AsString(), a[1].AsString(), err);
                     })}));

  r.Add(Info("IS_JSON_STRING", kJsonCategory, "Returns whether a string parses as a JSON value (false for NULL).",
             {Simple("IS_JSON_STRING(str STRING) => BOOLEAN", {K::kString}, Bo,
                     [](const Args& a, const CallContext&, std::string*) {
                       if (a[0].IsNull()) return Value(false);
                       return Value(Json::accept(a[0].AsString()));
                     }, NullPolicy::kCustom)}));

  r.Add(Info("JSON_ARRAY_CONTAINS", kJsonCategory, "Returns whether a JSON array string contains a value (STRING, BOOLEAN, INT, BIGINT or DOUBLE; NULL matches null); false if the string is not a JSON array or the value is of another type.",
             {Make("JSON_ARRAY_CONTAINS(json STRING, value T) => BOOLEAN", 2, 2,
                   [Bo](const Types& t) -> TypePtr { return IsNullOr(t[0], K::kString) ? Bo : nullptr; },
                   [](const Args& a, const CallContext&, std::string*) { return JsonArrayContains(a); },
                   NullPolicy::kCustom)}));

  r.Add(Info("JSON_ARRAY_LENGTH", kJsonCategory, "Returns the number of elements of a JSON array string; NULL if it is not a JSON array.",
             {Simple("JSON_ARRAY_LENGTH(json STRING) => INT", {K::kString}, SqlType::Integer(),
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       Json j;
                       if (!ParseJson(a[0].AsString(), &j)) {
                         if (err) *err = "Invalid JSON format: " + a[0].AsString();
                         return Value();
                       }
                       if (!j.is_array()) return Value();
                       return Value(static_cast<int32_t>(j.size()));
                     })}));

  r.Add(Info("JSON_CONCAT", kJsonCategory, "Merges JSON strings: objects by key (later wins), otherwise as array concatenation with non-arrays wrapped; NULL if any input is NULL or invalid.",
             {Make("JSON_CONCAT(json STRING, ...) => STRING", 1, -1,
                   [S](const Types& t) -> TypePtr {
                     for (const auto& x : t) if (!IsNullOr(x, K::kString)) return nullptr;
                     return S;
                   },
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     std::vector<Json> docs(a.size());
                     bool all_objects = true;
                     for (size_t i = 0; i < a.size(); ++i) {
                       if (a[i].IsNull() || !ParseJson(a[i].AsString(), &docs[i])) return Value();
                       all_objects &= docs[i].is_object();
                     }
                     Json out;
                     if (all_objects) {
                       out = Json::object();
                       for (auto& d : docs)
                         for (auto it = d.begin(); it != d.end(); ++it) out[it.key()] = std::move(it.value());
                     } else {
                       out = Json::array();
                       for (auto& d : docs) {
                         if (d.is_array()) for (auto& e : d) out.push_back(std::move(e));
                         else out.push_back(std::move(d));
                       }
                     }
                     return Value(Dump(out));
                   }, NullPolicy::kCustom)}));

  r.Add(Info("JSON_ITEMS", kJsonCategory, "Returns the elements of a JSON array of objects as JSON strings; NULL if the input is not an array of objects.",
             {Simple("JSON_ITEMS(json STRING) => ARRAY<STRING>", {K::kString}, SqlType::Array(S),
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       Json j;
                       if (!ParseJson(a[0].AsString(), &j) || !j.is_array()) {
                         if (err) *err = "not a JSON array: " + a[0].AsString();
                         return Value();
                       }
                       ArrayValue out;
                       for (const auto& e : j) {
                         if (!e.is_object()) return Value();
                         out.emplace_back(Dump(e));
                       }
                       return Value::Array(std::move(out));
                     })}));

  r.Add(Info("JSON_KEYS", kJsonCategory, "Returns the top-level keys of a JSON object string; NULL if it is not a JSON object.",
             {Simple("JSON_KEYS(json STRING) => ARRAY<STRING>", {K::kString}, SqlType::Array(S),
                     [](const Args& a, const CallContext&, std::string*) -> Value {
                       Json j;
                       if (!ParseJson(a[0].AsString(), &j) || !j.is_object()) return Value();
                       ArrayValue out;
                       for (auto it = j.begin(); it != j.end(); ++it) out.emplace_back(it.key());
                       return Value::Array(std::move(out));
                     })}));

  r.Add(Info("JSON_RECORDS", kJsonCategory, "Returns the top-level entries of a JSON object string as a map of key to value text (string values unquoted, others as JSON); NULL if it is not a JSON object.",
             {Simple("JSON_RECORDS(json STRING) => MAP<STRING, STRING>", {K::kString}, SqlType::Map(S, S),
                     [](const Args& a, const CallContext&, std::string*) -> Value {
                       Json j;
                       if (!ParseJson(a[0].AsString(), &j) || !j.is_object()) return Value();
                       MapValue out;
                       for (auto it = j.begin(); it != j.end(); ++it) {
                         // ksqlDB: a string value is returned as its text, anything else as JSON.
                         const Json& v = it.value();
                         out.emplace_back(Value(it.key()),
                                          Value(v.is_string() ? v.get<std::string>() : Dump(v)));
                       }
                       return Value::Map(std::move(out));
                     })}));

  r.Add(Info("TO_JSON_STRING", kJsonCategory, "Renders any value as JSON text (NULL becomes 'null').",
             {Make("TO_JSON_STRING(value ANY) => STRING", 1, 1, [S](const Types&) -> TypePtr { return S; },
                   [](const Args& a, const CallContext&, std::string*) {
                     std::string out;
                     AppendJson(a[0], &out);
                     return Value(std::move(out));
                   }, NullPolicy::kCustom)}));
}

}  // namespace sluice
