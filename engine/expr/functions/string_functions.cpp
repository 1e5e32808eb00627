// String functions: CONCAT, SUBSTRING, SPLIT, LPAD, MASK, REGEXP_*, ENCODE, ...
#include <re2/re2.h>

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <random>

#include "engine/expr/function_registry.h"
#include "engine/expr/functions/function_util.h"

namespace sluice {
namespace {

using namespace fnutil;  // NOLINT
using fn::Simple;
constexpr const char* kStringCategory = "STRING";

// Variadic resolver: every argument from `from` on is of kind k (or NULL), with at least one
// typed argument of kind k when `need_typed`.
ResolveFn AllOfKind(TypeKind k, TypePtr result, size_t from = 0) {
  return [k, result](const Types& t) -> TypePtr {
    if (t.empty()) return nullptr;
    bool typed = false;
    for (size_t i = 0; i < t.size(); ++i) {
      if (!IsNullOr(t[i], k)) return nullptr;
      typed |= t[i] != nullptr;
    }
    (void)typed;
    return result;
  };
}

// ---- case mapping ----------------------------------------------------------------------------

// Unicode simple case mappings come from the C library's UTF-8 locale (as Java's Character
// methods); a small table covers Latin-1, Greek and Cyrillic if that locale is missing.
locale_t Utf8Locale() {
  static const locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (!l) l = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", static_cast<locale_t>(nullptr));
    return l;
  }();
  return loc;
}

uint32_t LowerCp(uint32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
  if (locale_t l = Utf8Locale()) return static_cast<uint32_t>(towlower_l(static_cast<wint_t>(c), l));
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x391 && c <= 0x3A9) return c + 32;   // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 32;   // Cyrillic
  return c;
}
uint32_t UpperCp(uint32_t c) {
  if (c < 0x80) return c >= 'a' && c <= 'z' ? c - 32 : c;
  if (locale_t l = Utf8Locale()) return static_cast<uint32_t>(towupper_l(static_cast<wint_t>(c), l));
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  return c;
}
bool IsUpperCp(uint32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z';
  if (locale_t l = Utf8Locale()) return iswupper_l(static_cast<wint_t>(c), l) != 0;
  return LowerCp(c) != c;
}
bool IsLowerCp(uint32_t c) {
  if (c < 0x80) return c >= 'a' && c <= 'z';
  if (locale_t l = Utf8Locale()) return iswlower_l(static_cast<wint_t>(c), l) != 0;
  return UpperCp(c) != c || c == 0xDF;
}
bool IsDigitCp(uint32_t c) { return c >= '0' && c <= '9'; }

// Java's String.toUpperCase / toLowerCase (root locale): per code point, plus the expansions
// of U+00DF (sharp s -> "SS") and U+0130 (dotted capital I -> "i" and a combining dot above).
std::string MapCase(const std::string& s, bool upper) {
  std::string out;
  out.reserve(s.size());
  if (IsAscii(s)) {
    for (char c : s) out.push_back(static_cast<char>(upper ? toupper(static_cast<unsigned char>(c))
                                                           : tolower(static_cast<unsigned char>(c))));
    return out;
  }
  for (uint32_t cp : DecodeUtf8(s)) {
    if (upper && cp == 0xDF) {
      out += "SS";
    } else if (!upper && cp == 0x130) {
      out.push_back('i');
      AppendUtf8(&out, 0x307);
    } else {
      AppendUtf8(&out, upper ? UpperCp(cp) : LowerCp(cp));
    }
  }
  return out;
}

// Java regex \s: [ \t\n\x0B\f\r].
bool IsRegexSpace(uint32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
}

// ---- SUBSTRING -----------------------------------------------------------------------------

// 1-based start, negative counts from the end; clamps like ksqlDB.
void SubstringRange(int64_t n, int64_t pos, const int64_t* len, int64_t* start, int64_t* end) {
  *start = pos < 0 ? std::max<int64_t>(n + pos, 0) : std::max<int64_t>(std::min(pos - 1, n), 0);
  *end = len ? std::max(std::min(*start + *len, n), *start) : n;
}

Value SubstringStr(const Args& a) {
  const std::string& s = a[0].AsString();
  int64_t len = a.size() > 2 ? a[2].ToInt64() : 0;
  int64_t start, end;
  if (IsAscii(s)) {
    SubstringRange(static_cast<int64_t>(s.size()), a[1].ToInt64(), a.size() > 2 ? &len : nullptr,
                   &start, &end);
    return Value(s.substr(start, end - start));
  }
  auto cps = DecodeUtf8(s);
  SubstringRange(static_cast<int64_t>(cps.size()), a[1].ToInt64(), a.size() > 2 ? &len : nullptr,
                 &start, &end);
  size_t b = Utf8Offset(s, start);
  size_t e = b + Utf8Offset(std::string_view(s).substr(b), end - start);
  return Value(s.substr(b, e - b));
}

Value SubstringBytes(const Args& a) {
  const std::string& s = a[0].AsBytes().data;
  int64_t len = a.size() > 2 ? a[2].ToInt64() : 0;
  int64_t start, end;
  SubstringRange(static_cast<int64_t>(s.size()), a[1].ToInt64(), a.size() > 2 ? &len : nullptr,
                 &start, &end);
  return Value(Bytes{s.substr(start, end - start)});
}

// ---- INSTR ---------------------------------------------------------------------------------

// Index of the n-th (overlapping) occurrence of `sub` in `s`, or -1.
int64_t OrdinalIndexOf(const std::u32string& s, const std::u32string& sub, int64_t n) {
  if (n <= 0) return -1;
  if (sub.empty()) return 0;
  size_t idx = std::u32string::npos;
  for (int64_t found = 0; found < n; ++found) {
    idx = s.find(sub, idx == std::u32string::npos ? 0 : idx + 1);
    if (idx == std::u32string::npos) return -1;
  }
  return static_cast<int64_t>(idx);
}

Value Instr(const Args& a) {
  if (a[0].IsNull() || a[1].IsNull()) return Value(int32_t{0});
  int64_t position = a.size() > 2 ? a[2].ToInt64() : 1;
  int64_t occurrence = a.size() > 3 ? a[3].ToInt64() : 1;
  auto to32 = [](const std::string& x) {
    auto v = DecodeUtf8(x);
    return std::u32string(v.begin(), v.end());
  };
  std::u32string str = to32(a[0].AsString()), sub = to32(a[1].AsString());
  const int64_t n = static_cast<int64_t>(str.size());
  if (std::llabs(position) > n) return Value(int32_t{0});
  bool reversed = position < 0;
  if (reversed) {
    std::reverse(str.begin(), str.end());
    std::reverse(sub.begin(), sub.end());
    position = -position;
  }
  int64_t from = position - 1;  // position 0 starts at the last character, as in ksqlDB
  if (from < 0) from = n + from;
  if (from < 0) from = 0;
  int64_t i = OrdinalIndexOf(str.substr(from), sub, occurrence);
  if (i < 0) return Value(int32_t{0});
  return Value(static_cast<int32_t>(reversed ? n - position - i : i + position));
}

// ---- padding -------------------------------------------------------------------------------

// Pads to `len` units; units are code points (strings) or bytes.
template <typename Unit>
std::vector<Unit> Pad(const std::vector<Unit>& in, int64_t len, const std::vector<Unit>& pad, bool left) {
  std::vector<Unit> out;
  out.reserve(len);
  int64_t n = static_cast<int64_t>(in.size());
  if (n >= len) return std::vector<Unit>(in.begin(), in.begin() + len);
  int64_t padlen = len - n;
  std::vector<Unit> padding;
  padding.reserve(padlen);
  for (int64_t i = 0; i < padlen; ++i) padding.push_back(pad[i % pad.size()]);
  if (left) {
    out = padding;
    out.insert(out.end(), in.begin(), in.end());
  } else {
    out = in;
    out.insert(out.end(), padding.begin(), padding.end());
  }
  return out;
}

Value PadImpl(const Args& a, bool left) {
  if (a[0].IsNull() || a[1].IsNull() || a[2].IsNull()) return Value();
  int64_t len = a[1].ToInt64();
  if (len < 0) return Value();
  if (a[0].IsBytes()) {
    const std::string& in = a[0].AsBytes().data;
    const std::string& pad = a[2].AsBytes().data;
    if (pad.empty()) return Value();
    std::vector<char> r = Pad(std::vector<char>(in.begin(), in.end()), len,
                              std::vector<char>(pad.begin(), pad.end()), left);
    return Value(Bytes{std::string(r.begin(), r.end())});
  }
  const std::string& pad = a[2].AsString();
  if (pad.empty()) return Value();
  auto r = Pad(DecodeUtf8(a[0].AsString()), len, DecodeUtf8(pad), left);
  std::string out;
  out.reserve(r.size());
  for (uint32_t cp : r) AppendUtf8(&out, cp);
  return Value(std::move(out));
}

// ---- MASK ----------------------------------------------------------------------------------

constexpr int64_t kNoMask = -1;
struct Masks {
  int64_t upper = 'X', lower = 'x', digit = 'n', other = '-';
};

// Reads the optional mask characters starting at args[from]; false if one is not a single
// character.
bool ReadMasks(const Args& a, size_t from, Masks* m) {
  if (a.size() <= from) return true;
  int64_t* slots[4] = {&m->upper, &m->lower, &m->digit, &m->other};
  for (size_t i = 0; i < 4; ++i) {
    const Value& v = a[from + i];
    if (v.IsNull()) {
      *slots[i] = kNoMask;
      continue;
    }
    auto cps = DecodeUtf8(v.AsString());
    if (cps.size() != 1) return false;
    *slots[i] = cps[0];
  }
  return true;
}

uint32_t MaskCp(uint32_t c, const Masks& m) {
  int64_t r;
  if (IsUpperCp(c)) r = m.upper;
  else if (IsLowerCp(c)) r = m.lower;
  else if (IsDigitCp(c)) r = m.digit;
  else r = m.other;
  return r == kNoMask ? c : static_cast<uint32_t>(r);
}

// Masks the code points in [from, to) of s.
std::string MaskRange(const std::string& s, int64_t from, int64_t to, const Masks& m) {
  std::string out;
  out.reserve(s.size());
  int64_t i = 0;
  for (uint32_t cp : DecodeUtf8(s)) {
    AppendUtf8(&out, i >= from && i < to ? MaskCp(cp, m) : cp);
    ++i;
  }
  return out;
}

enum class MaskKind { kAll, kKeepLeft, kKeepRight, kLeft, kRight };

ScalarImpl MaskImpl(MaskKind kind) {
  return [kind](const Args& a, const CallContext&, std::string* err) -> Value {
    if (a[0].IsNull()) return Value();
    size_t mask_from = kind == MaskKind::kAll ? 1 : 2;
    int64_t n = 0;
    if (kind != MaskKind::kAll) {
      if (a[1].IsNull()) return Value();
      n = a[1].ToInt64();
      if (n < 0) {
        if (err) *err = "the number of characters to mask or keep must not be negative";
        return Value();
      }
    }
    Masks m;
    if (!ReadMasks(a, mask_from, &m)) {
      if (err) *err = "invalid mask character: must be a single character";
      return Value();
    }
    const std::string& s = a[0].AsString();
    int64_t len = static_cast<int64_t>(DecodeUtf8(s).size());
    switch (kind) {
      case MaskKind::kAll: return Value(MaskRange(s, 0, len, m));
      case MaskKind::kKeepLeft: return Value(MaskRange(s, n, len, m));
      case MaskKind::kKeepRight: return Value(MaskRange(s, 0, len - n, m));
      case MaskKind::kLeft: return Value(MaskRange(s, 0, n, m));
      case MaskKind::kRight: return Value(MaskRange(s, len - n, len, m));
    }
    return Value();
  };
}

void AddMask(FunctionRegistry& r, const std::string& name, MaskKind kind, const std::string& desc) {
  auto S = SqlType::String();
  std::vector<FunctionOverload> ov;
  if (kind == MaskKind::kAll) {
    ov.push_back(Simple(name + "(input STRING) => STRING", {K::kString}, S, MaskImpl(kind), kCustom));
    ov.push_back(Simple(name + "(input STRING, upper STRING, lower STRING, digit STRING, other STRING) => STRING",
                        {K::kString, K::kString, K::kString, K::kString, K::kString}, S, MaskImpl(kind), kCustom));
  } else {
    ov.push_back(Simple(name + "(input STRING, numChars INT) => STRING", {K::kString, K::kInteger}, S,
                        MaskImpl(kind), kCustom));
    ov.push_back(Simple(name + "(input STRING, numChars INT, upper STRING, lower STRING, digit STRING, other STRING) => STRING",
                        {K::kString, K::kInteger, K::kString, K::kString, K::kString, K::kString}, S,
                        MaskImpl(kind), kCustom));
  }
  r.Add(Info(name, kStringCategory, desc, std::move(ov)));
}

// ---- SPLIT ---------------------------------------------------------------------------------

std::vector<std::string> SplitAll(const std::string& s, const std::string& delim, bool utf8) {
  std::vector<std::string> out;
  if (delim.empty()) {
    if (s.empty()) {
      out.emplace_back();
      return out;
    }
    if (!utf8 || IsAscii(s)) {
      for (char c : s) out.emplace_back(1, c);
    } else {
      for (uint32_t cp : DecodeUtf8(s)) {
        std::string one;
        AppendUtf8(&one, cp);
        out.push_back(std::move(one));
      }
    }
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t p = s.find(delim, start);
    if (p == std::string::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, p - start));
    start = p + delim.size();
  }
  return out;
}

// ---- regex ---------------------------------------------------------------------------------

const RE2* RegexOrError(const std::string& pattern, std::string* err) {
  const RE2* re = CachedRegex(pattern);
  if (!re && err) *err = "invalid regular expression: " + pattern;
  return re;
}

// Splits around the matches of `re`, as ksqlDB does: a pattern that can match the empty string
// uses Java's Pattern.split(input) (trailing empty strings dropped once anything was split),
// any other pattern Guava's Splitter (every empty string kept). A zero-width match at the start
// never yields a leading empty string.
std::vector<std::string> RegexSplit(const std::string& s, const RE2& re) {
  const bool java_split = RE2::FullMatch("", re);
  std::vector<std::string> out;
  re2::StringPiece input(s);
  size_t last = 0, pos = 0;
  re2::StringPiece m;
  while (pos <= s.size() && re.Match(input, pos, s.size(), RE2::UNANCHORED, &m, 1)) {
    size_t ms = m.data() - s.data(), me = ms + m.size();
    if (me == 0 && ms == 0) {  // zero-width match at index 0
      pos = 1;
      if (s.empty()) break;
      continue;
    }
    if (m.empty() && ms >= s.size()) break;
    out.push_back(s.substr(last, ms - last));
    last = me;
    pos = m.empty() ? me + 1 : me;
  }
  const bool split_any = !out.empty();
  out.push_back(s.substr(last));
  if (java_split && split_any)
    while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// ---- CHR -----------------------------------------------------------------------------------

Value ChrFromCode(int64_t code) {
  if (code < 0 || code > 0x10FFFF) return Value();
  std::string out;
  AppendUtf8(&out, static_cast<uint32_t>(code));
  return Value(std::move(out));
}

// Parses "\uXXXX" sequences (surrogate pairs combine) into one string.
Value ChrFromText(const std::string& s) {
  if (s.size() < 6 || s.size() % 6 != 0) return Value();
  std::vector<uint32_t> units;
  for (size_t i = 0; i < s.size(); i += 6) {
    if (s[i] != '\\' || s[i + 1] != 'u') return Value();
    uint32_t u = 0;
    for (size_t k = i + 2; k < i + 6; ++k) {
      char c = s[k];
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (v < 0) return Value();
      u = u * 16 + static_cast<uint32_t>(v);
    }
    units.push_back(u);
  }
  std::string out;
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t u = units[i];
    if (u >= 0xD800 && u < 0xDC00 && i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] < 0xE000) {
      AppendUtf8(&out, 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00));
      ++i;
    } else {
      AppendUtf8(&out, u);
    }
  }
  // ksqlDB returns a single character only.
  if (DecodeUtf8(out).size() != 1) return Value();
  return Value(std::move(out));
}

// ---- encodings -----------------------------------------------------------------------------

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

// Text in `encoding` -> raw bytes.
bool DecodeText(const std::string& text, const std::string& encoding, std::string* out) {
  std::string enc = Lower(encoding);
  if (enc == "utf8") {
    *out = text;
    return true;
  }
  if (enc == "ascii") {
    out->clear();
    for (uint32_t cp : DecodeUtf8(text)) out->push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
    return true;
  }
  if (enc == "hex") {
    std::string_view t(text);
    if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
    else if (t.size() >= 3 && (t[0] == 'x' || t[0] == 'X') && t[1] == '\'' && t.back() == '\'')
      t = t.substr(2, t.size() - 3);
    return HexDecode(t, out);
  }
  if (enc == "base64") return Base64Decode(text, out);
  return false;
}

// Raw bytes -> text in `encoding`.
bool EncodeBytes(const std::string& bytes, const std::string& encoding, bool hex_upper, std::string* out) {
  std::string enc = Lower(encoding);
  if (enc == "utf8") {
    *out = bytes;
    return true;
  }
  if (enc == "ascii") {
    out->clear();
    for (char c : bytes) out->push_back(static_cast<unsigned char>(c) < 0x80 ? c : '?');
    return true;
  }
  if (enc == "hex") {
    *out = HexEncode(bytes, hex_upper);
    return true;
  }
  if (enc == "base64") {
    *out = Base64Encode(bytes);
    return true;
  }
  return false;
}

// ENCODE, as ksqlDB's Encode UDF: the pair of encodings must differ; hex input may carry a
// "0x" prefix (odd length then gets a leading zero) or the X'..' form, and must otherwise have
// an even number of digits; base64 input is decoded leniently (characters outside the
// alphabet are skipped, decoding stops at '='); decoded text that is not valid UTF-8 / ASCII
// gets U+FFFD replacement characters, as Java's String constructor does.
bool EncodeString(const std::string& in, const std::string& from, const std::string& to, std::string* out) {
  auto known = [](const std::string& e) { return e == "hex" || e == "utf8" || e == "ascii" || e == "base64"; };
  if (!known(from) || !known(to) || from == to) return false;
  std::string raw;
  if (from == "hex") {
    std::string t = in;
    if (t.rfind("0x", 0) == 0) {
      t = (t.size() % 2 != 0 ? "0" : "") + t.substr(2);
    } else if (t.size() >= 3 && (t[0] == 'x' || t[0] == 'X') && t[1] == '\'' && t.back() == '\'') {
      t = t.substr(2, t.size() - 3);
    }
    if (t.size() % 2 != 0 || !HexDecode(t, &raw)) return false;
  } else if (from == "base64") {
    uint32_t buf = 0;
    int bits = 0;
    for (char c : in) {
      if (c == '=') break;
      int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
              : c >= '0' && c <= '9' ? c - '0' + 52 : (c == '+' || c == '-') ? 62
              : (c == '/' || c == '_') ? 63 : -1;
      if (v < 0) continue;
      buf = (buf << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        raw.push_back(static_cast<char>((buf >> bits) & 0xFF));
      }
    }
  } else if (from == "ascii") {
    for (uint32_t cp : DecodeUtf8(in)) raw.push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
  } else {
    raw = in;
  }
  out->clear();
  if (to == "hex") {
    *out = HexEncode(raw, false);
  } else if (to == "base64") {
    *out = Base64Encode(raw);
  } else if (to == "ascii") {
    for (char c : raw) {
      if (static_cast<unsigned char>(c) < 0x80) out->push_back(c);
      else AppendUtf8(out, 0xFFFD);
    }
  } else {
    for (uint32_t cp : DecodeUtf8(raw)) AppendUtf8(out, cp);
  }
  return true;
}

std::string RandomUuid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // IETF variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

}  // namespace

void RegisterStringFunctions(FunctionRegistry& r) {

  auto S = SqlType::String();
  auto I = SqlType::Integer();
  auto B = SqlType::Bytes();

  // CONCAT: NULL inputs count as empty.
  r.Add(Info("CONCAT", kStringCategory, "Joins two or more strings, or two or more byte values, into one; NULL inputs are treated as empty.",
             {Make("CONCAT(str STRING, ...) => STRING", 1, -1, AllOfKind(K::kString, S),
                   [](const Args& a, const CallContext&, std::string*) {
                     size_t total = 0;
                     for (const auto& v : a) if (!v.IsNull()) total += v.AsString().size();
                     std::string out;
                     out.reserve(total);
                     for (const auto& v : a) if (!v.IsNull()) out += v.AsString();
                     return Value(std::move(out));
                   }, kCustom),
              Make("CONCAT(b BYTES, ...) => BYTES", 1, -1, AllOfKind(K::kBytes, B),
                   [](const Args& a, const CallContext&, std::string*) {
                     std::string out;
                     for (const auto& v : a) if (!v.IsNull()) out += v.AsBytes().data;
                     return Value(Bytes{std::move(out)});
                   }, kCustom)}));

  auto concat_ws = [](const Args& a, const CallContext&, std::string*) -> Value {
    if (a[0].IsNull()) return Value();
    bool bytes = a[0].IsBytes();
    const std::string& sep = bytes ? a[0].AsBytes().data : a[0].AsString();
    std::string out;
    bool first = true;
    for (size_t i = 1; i < a.size(); ++i) {
      if (a[i].IsNull()) continue;
      if (!first) out += sep;
      first = false;
      out += bytes ? a[i].AsBytes().data : a[i].AsString();
    }
    return bytes ? Value(Bytes{std::move(out)}) : Value(std::move(out));
  };
  r.Add(Info("CONCAT_WS", kStringCategory, "Joins strings or byte values with a separator between them, skipping NULL inputs; NULL if the separator is NULL.",
             {Make("CONCAT_WS(separator STRING, str STRING, ...) => STRING", 2, -1, AllOfKind(K::kString, S), concat_ws, kCustom),
              Make("CONCAT_WS(separator BYTES, b BYTES, ...) => BYTES", 2, -1, AllOfKind(K::kBytes, B), concat_ws, kCustom)}));

  r.Add(Info("ELT", kStringCategory, "Returns the n-th (1-based) of the following string arguments, or NULL when n is out of range.",
             {Make("ELT(n INT, str STRING, ...) => STRING", 1, -1,
                   [S](const Types& t) -> TypePtr {
                     if (!fn::Accepts(K::kInteger, t[0])) return nullptr;
                     for (size_t i = 1; i < t.size(); ++i) if (!IsNullOr(t[i], K::kString)) return nullptr;
                     return S;
                   },
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (a[0].IsNull()) return Value();
                     int64_t n = a[0].ToInt64();
                     if (n < 1 || n >= static_cast<int64_t>(a.size())) return Value();
                     return a[n];
                   }, kCustom)}));

  r.Add(Info("FIELD", kStringCategory, "Returns the 1-based position of a string among the following arguments, or 0 if absent (NULL never matches).",
             {Make("FIELD(str STRING, candidate STRING, ...) => INT", 1, -1, AllOfKind(K::kString, I),
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (a[0].IsNull()) return Value(int32_t{0});
                     for (size_t i = 1; i < a.size(); ++i)
                       if (!a[i].IsNull() && a[i].AsString() == a[0].AsString()) return Value(static_cast<int32_t>(i));
                     return Value(int32_t{0});
                   }, kCustom)}));

  r.Add(Info("INITCAP", kStringCategory, "Upper-cases the first letter of every whitespace-separated word and lower-cases the rest.",
             {Simple("INITCAP(str STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) {
                       // As ksqlDB: lower-case everything, then upper-case the first UTF-16
                       // unit of each run of non-whitespace (regex \s); leading whitespace is
                       // dropped.
                       std::string out;
                       const std::string lower = MapCase(a[0].AsString(), false);
                       out.reserve(lower.size());
                       bool word_start = true, seen_word = false;
                       for (uint32_t cp : DecodeUtf8(lower)) {
                         if (IsRegexSpace(cp)) {
                           if (seen_word) AppendUtf8(&out, cp);
                           word_start = true;
                           continue;
                         }
                         if (word_start && cp < 0x10000) {
                           std::string one;
                           AppendUtf8(&one, cp);
                           out += MapCase(one, true);
                         } else {
                           AppendUtf8(&out, cp);
                         }
                         word_start = false;
                         seen_word = true;
                       }
                       return Value(std::move(out));
                     })}));

  auto instr = [](const Args& a, const CallContext&, std::string*) { return Instr(a); };
  auto instr_resolve = [I](const Types& t) -> TypePtr {
    if (!IsNullOr(t[0], K::kString) || !IsNullOr(t[1], K::kString)) return nullptr;
    for (size_t i = 2; i < t.size(); ++i) if (!fn::Accepts(K::kInteger, t[i])) return nullptr;
    return I;
  };
  auto instr_ov = [&](std::string sig, int n) {
    auto o = Make(std::move(sig), n, n, instr_resolve,
                  [instr](const Args& a, const CallContext& c, std::string* e) -> Value {
                    for (size_t i = 2; i < a.size(); ++i) if (a[i].IsNull()) return Value();
                    return instr(a, c, e);
                  }, kCustom);
    return o;
  };
  r.Add(Info("INSTR", kStringCategory, "Returns the 1-based position of a substring (optionally from a start position, negative to search backwards, and its n-th occurrence), or 0.",
             {instr_ov("INSTR(str STRING, substring STRING) => INT", 2),
              instr_ov("INSTR(str STRING, substring STRING, position INT) => INT", 3),
              instr_ov("INSTR(str STRING, substring STRING, position INT, occurrence INT) => INT", 4)}));

  r.Add(Info("LCASE", kStringCategory, "Converts a string to lower case.",
             {Simple("LCASE(str STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) { return Value(MapCase(a[0].AsString(), false)); })}));
  r.Add(Info("UCASE", kStringCategory, "Converts a string to upper case.",
             {Simple("UCASE(str STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) { return Value(MapCase(a[0].AsString(), true)); })}));

  r.Add(Info("LEN", kStringCategory, "Returns the number of characters in a string, or of bytes in a BYTES value.",
             {Simple("LEN(str STRING) => INT", {K::kString}, I,
                     [](const Args& a, const CallContext&, std::string*) {
                       return Value(static_cast<int32_t>(Utf16Length(a[0].AsString())));
                     }),
              Simple("LEN(b BYTES) => INT", {K::kBytes}, I,
                     [](const Args& a, const CallContext&, std::string*) {
                       return Value(static_cast<int32_t>(a[0].AsBytes().data.size()));
                     })}));

  auto lpad = [](const Args& a, const CallContext&, std::string*) { return PadImpl(a, true); };
  auto rpad = [](const Args& a, const CallContext&, std::string*) { return PadImpl(a, false); };
  r.Add(Info("LPAD", kStringCategory, "Left-pads a string or bytes value with a repeated padding to the given length, truncating if longer; NULL for an empty padding or a negative length.",
             {Simple("LPAD(input STRING, length INT, padding STRING) => STRING", {K::kString, K::kInteger, K::kString}, S, lpad, kCustom),
              Simple("LPAD(input BYTES, length INT, padding BYTES) => BYTES", {K::kBytes, K::kInteger, K::kBytes}, B, lpad, kCustom)}));
  r.Add(Info("RPAD", kStringCategory, "Right-pads a string or bytes value with a repeated padding to the given length, truncating if longer; NULL for an empty padding or a negative length.",
             {Simple("RPAD(input STRING, length INT, padding STRING) => STRING", {K::kString, K::kInteger, K::kString}, S, rpad, kCustom),
              Simple("RPAD(input BYTES, length INT, padding BYTES) => BYTES", {K::kBytes, K::kInteger, K::kBytes}, B, rpad, kCustom)}));

  AddMask(r, "MASK", MaskKind::kAll, "Masks a string: upper-case letters become 'X', lower-case 'x', digits 'n', others '-' (replacement characters may be given; NULL leaves that class unmasked).");
  AddMask(r, "MASK_KEEP_LEFT", MaskKind::kKeepLeft, "Masks a string like MASK except for its first numChars characters.");
  AddMask(r, "MASK_KEEP_RIGHT", MaskKind::kKeepRight, "Masks a string like MASK except for its last numChars characters.");
  AddMask(r, "MASK_LEFT", MaskKind::kLeft, "Masks only the first numChars characters of a string, like MASK.");
  AddMask(r, "MASK_RIGHT", MaskKind::kRight, "Masks only the last numChars characters of a string, like MASK.");

  r.Add(Info("REPLACE", kStringCategory, "Replaces every occurrence of a substring with another string.",
             {Simple("REPLACE(str STRING, target STRING, replacement STRING) => STRING", {K::kString, K::kString, K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) {
                       const std::string& s = a[0].AsString();
                       const std::string& from = a[1].AsString();
                       const std::string& to = a[2].AsString();
                       std::string out;
                       if (from.empty()) {  // Java inserts the replacement around every character
                         auto cps = DecodeUtf8(s);
                         out += to;
                         for (uint32_t cp : cps) {
                           AppendUtf8(&out, cp);
                           out += to;
                         }
                         return Value(std::move(out));
                       }
                       out.reserve(s.size());
                       size_t start = 0, p;
                       while ((p = s.find(from, start)) != std::string::npos) {
                         out.append(s, start, p - start);
                         out += to;
                         start = p + from.size();
                       }
                       out.append(s, start, std::string::npos);
                       return Value(std::move(out));
                     })}));

  auto extract = [](bool all) {
    return [all](const Args& a, const CallContext&, std::string* err) -> Value {
      const RE2* re = RegexOrError(a[0].AsString(), err);
      if (!re) return Value();
      int group = a.size() > 2 ? ToInt32(a[2]) : 0;
      if (group < 0 || group > re->NumberOfCapturingGroups()) {
        if (err) *err = "regex group out of range";
        return Value();
      }
      const std::string& s = a[1].AsString();
      std::vector<re2::StringPiece> m(re->NumberOfCapturingGroups() + 1);
      re2::StringPiece input(s);
      if (!all) {
        if (!re->Match(input, 0, s.size(), RE2::UNANCHORED, m.data(), static_cast<int>(m.size())))
          return Value();
        if (m[group].data() == nullptr) return Value();
        return Value(std::string(m[group]));
      }
      ArrayValue out;
      size_t pos = 0;
      while (pos <= s.size() &&
             re->Match(input, pos, s.size(), RE2::UNANCHORED, m.data(), static_cast<int>(m.size()))) {
        out.push_back(m[group].data() ? Value(std::string(m[group])) : Value());
        size_t end = m[0].data() - s.data() + m[0].size();
        pos = m[0].empty() ? end + 1 : end;
      }
      return Value::Array(std::move(out));
    };
  };
  r.Add(Info("REGEXP_EXTRACT", kStringCategory, "Returns the first substring matching a regular expression, or the given capture group of that match; NULL if none.",
             {Simple("REGEXP_EXTRACT(pattern STRING, str STRING) => STRING", {K::kString, K::kString}, S, extract(false)),
              Simple("REGEXP_EXTRACT(pattern STRING, str STRING, group INT) => STRING", {K::kString, K::kString, K::kInteger}, S, extract(false))}));
  auto AS = SqlType::Array(S);
  r.Add(Info("REGEXP_EXTRACT_ALL", kStringCategory, "Returns every substring matching a regular expression, or the given capture group of every match.",
             {Simple("REGEXP_EXTRACT_ALL(pattern STRING, str STRING) => ARRAY<STRING>", {K::kString, K::kString}, AS, extract(true)),
              Simple("REGEXP_EXTRACT_ALL(pattern STRING, str STRING, group INT) => ARRAY<STRING>", {K::kString, K::kString, K::kInteger}, AS, extract(true))}));

  r.Add(Info("REGEXP_REPLACE", kStringCategory, "Replaces every match of a regular expression with a replacement string ($n refers to a group).",
             {Simple("REGEXP_REPLACE(str STRING, pattern STRING, replacement STRING) => STRING", {K::kString, K::kString, K::kString}, S,
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       const RE2* re = RegexOrError(a[1].AsString(), err);
                       if (!re) return Value();
                       std::string s = a[0].AsString();
                       RE2::GlobalReplace(&s, *re, JavaReplacementToRe2(a[2].AsString()));
                       return Value(std::move(s));
                     })}));

  r.Add(Info("REGEXP_SPLIT_TO_ARRAY", kStringCategory, "Splits a string around the matches of a regular expression; empty elements are kept.",
             {Simple("REGEXP_SPLIT_TO_ARRAY(str STRING, pattern STRING) => ARRAY<STRING>", {K::kString, K::kString}, AS,
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       const RE2* re = RegexOrError(a[1].AsString(), err);
                       if (!re) return Value();
                       ArrayValue out;
                       for (auto& p : RegexSplit(a[0].AsString(), *re)) out.emplace_back(std::move(p));
                       return Value::Array(std::move(out));
                     })}));

  r.Add(Info("SPLIT", kStringCategory, "Splits a string or bytes value around a delimiter, keeping empty elements; an empty delimiter splits into single characters or bytes.",
             {Simple("SPLIT(str STRING, delimiter STRING) => ARRAY<STRING>", {K::kString, K::kString}, AS,
                     [](const Args& a, const CallContext&, std::string*) {
                       ArrayValue out;
                       for (auto& p : SplitAll(a[0].AsString(), a[1].AsString(), true)) out.emplace_back(std::move(p));
                       return Value::Array(std::move(out));
                     }),
              Simple("SPLIT(b BYTES, delimiter BYTES) => ARRAY<BYTES>", {K::kBytes, K::kBytes}, SqlType::Array(B),
                     [](const Args& a, const CallContext&, std::string*) {
                       ArrayValue out;
                       for (auto& p : SplitAll(a[0].AsBytes().data, a[1].AsBytes().data, false)) out.emplace_back(Bytes{std::move(p)});
                       return Value::Array(std::move(out));
                     })}));

  r.Add(Info("SPLIT_TO_MAP", kStringCategory, "Splits a string into entries and each entry into key and value, building a map; later duplicates win; NULL for empty or equal delimiters.",
             {Simple("SPLIT_TO_MAP(input STRING, entryDelimiter STRING, kvDelimiter STRING) => MAP<STRING, STRING>",
                     {K::kString, K::kString, K::kString}, SqlType::Map(S, S),
                     [](const Args& a, const CallContext&, std::string*) -> Value {
                       const std::string& ed = a[1].AsString();
                       const std::string& kd = a[2].AsString();
                       if (ed.empty() || kd.empty() || ed == kd) return Value();
                       MapValue out;
                       for (auto& entry : SplitAll(a[0].AsString(), ed, true)) {
                         if (entry.empty()) continue;
                         size_t p = entry.find(kd);
                         if (p == std::string::npos) continue;
                         std::string key = entry.substr(0, p);
                         size_t vstart = p + kd.size();
                         size_t vend = entry.find(kd, vstart);
                         std::string val = entry.substr(vstart, vend == std::string::npos ? std::string::npos : vend - vstart);
                         bool replaced = false;
                         for (auto& kv : out) {
                           if (kv.first.AsString() == key) {
                             kv.second = Value(std::move(val));
                             replaced = true;
                             break;
                           }
                         }
                         if (!replaced) out.emplace_back(Value(std::move(key)), Value(std::move(val)));
                       }
                       return Value::Map(std::move(out));
                     })}));

  auto substr_s = [](const Args& a, const CallContext&, std::string*) { return SubstringStr(a); };
  auto substr_b = [](const Args& a, const CallContext&, std::string*) { return SubstringBytes(a); };
  r.Add(Info("SUBSTRING", kStringCategory, "Returns the part of a string or bytes value from a 1-based position (negative counts from the end), optionally of a given length.",
             {Simple("SUBSTRING(str STRING, pos INT) => STRING", {K::kString, K::kInteger}, S, substr_s),
              Simple("SUBSTRING(str STRING, pos INT, length INT) => STRING", {K::kString, K::kInteger, K::kInteger}, S, substr_s),
              Simple("SUBSTRING(b BYTES, pos INT) => BYTES", {K::kBytes, K::kInteger}, B, substr_b),
              Simple("SUBSTRING(b BYTES, pos INT, length INT) => BYTES", {K::kBytes, K::kInteger, K::kInteger}, B, substr_b)}));

  r.Add(Info("TRIM", kStringCategory, "Removes leading and trailing whitespace (and control characters) from a string.",
             {Simple("TRIM(str STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) {
                       const std::string& s = a[0].AsString();
                       size_t b = 0, e = s.size();
                       while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
                       while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
                       return Value(s.substr(b, e - b));
                     })}));

  r.Add(Info("CHR", kStringCategory, "Returns the character for a Unicode code point, given as a number or as a '\\uXXXX' escape; NULL if invalid.",
             {Simple("CHR(code INT) => STRING", {K::kInteger}, S,
                     [](const Args& a, const CallContext&, std::string*) { return ChrFromCode(a[0].ToInt64()); }),
              Simple("CHR(code STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) { return ChrFromText(a[0].AsString()); })}));

  r.Add(Info("UUID", kStringCategory, "Returns a random (version 4) UUID as a 36-character string, or renders a 16-byte BYTES value as a UUID string (NULL for any other length).",
             {Simple("UUID() => STRING", {}, S,
                     [](const Args&, const CallContext&, std::string*) { return Value(RandomUuid()); }),
              Simple("UUID(b BYTES) => STRING", {K::kBytes}, S,
                     [](const Args& a, const CallContext&, std::string*) -> Value {
                       const std::string& b = a[0].AsBytes().data;
                       if (b.size() != 16) return Value();
                       std::string hex = HexEncode(b, false);
                       return Value(hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                                    hex.substr(16, 4) + "-" + hex.substr(20));
                     })}));

  r.Add(Info("MD5", kStringCategory, "Returns the MD5 digest of a string's UTF-8 bytes as 32 lower-case hex digits.",
             {Simple("MD5(str STRING) => STRING", {K::kString}, S,
                     [](const Args& a, const CallContext&, std::string*) { return Value(Md5Hex(a[0].AsString())); })}));

  r.Add(Info("TO_BYTES", kStringCategory, "Converts a string in the given encoding (hex, utf8, ascii, base64) to BYTES.",
             {Simple("TO_BYTES(str STRING, encoding STRING) => BYTES", {K::kString, K::kString}, B,
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       std::string out;
                       if (!DecodeText(a[0].AsString(), a[1].AsString(), &out)) {
                         if (err) *err = "cannot decode '" + a[0].AsString() + "' as " + a[1].AsString();
                         return Value();
                       }
                       return Value(Bytes{std::move(out)});
                     })}));
  r.Add(Info("FROM_BYTES", kStringCategory, "Converts BYTES to a string in the given encoding (hex, utf8, ascii, base64).",
             {Simple("FROM_BYTES(b BYTES, encoding STRING) => STRING", {K::kBytes, K::kString}, S,
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       std::string out;
                       if (!EncodeBytes(a[0].AsBytes().data, a[1].AsString(), true, &out)) {
                         if (err) *err = "unsupported encoding " + a[1].AsString();
                         return Value();
                       }
                       return Value(std::move(out));
                     })}));
  r.Add(Info("ENCODE", kStringCategory, "Re-encodes a string from one encoding to another (hex, utf8, ascii, base64; the two must differ).",
             {Simple("ENCODE(str STRING, inputEncoding STRING, outputEncoding STRING) => STRING",
                     {K::kString, K::kString, K::kString}, S,
                     [](const Args& a, const CallContext&, std::string* err) -> Value {
                       std::string out;
                       if (!EncodeString(a[0].AsString(), Lower(a[1].AsString()), Lower(a[2].AsString()), &out)) {
                         if (err) *err = "ENCODE: cannot encode '" + a[0].AsString() + "' from " + a[1].AsString() + " to " + a[2].AsString() +
                                         " (supported: hex, utf8, ascii and base64)";
                         return Value();
                       }
                       return Value(std::move(out));
                     })}));
}

}  // namespace sluice
