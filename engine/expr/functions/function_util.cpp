#include "engine/expr/functions/function_util.h"

#include <re2/re2.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "engine/serde/json_writer.h"
#include "engine/serde/text_codec.h"
#include "engine/types/java_double.h"

namespace sluice::fnutil {

using serde::AppendJsonString;

FunctionOverload Make(std::string signature, int min_args, int max_args, ResolveFn resolve,
                      ScalarImpl impl, NullPolicy policy) {
  FunctionOverload o;
  o.signature = std::move(signature);
  o.min_args = min_args;
  o.max_args = max_args;
  o.resolve = std::move(resolve);
  o.impl = std::move(impl);
  o.null_policy = policy;
  return o;
}

FunctionInfo Info(std::string name, std::string category, std::string description,
                  std::vector<FunctionOverload> overloads) {
  FunctionInfo info;
  info.name = std::move(name);
  info.category = std::move(category);
  info.description = std::move(description);
  info.overloads = std::move(overloads);
  return info;
}

bool SameOrNull(const TypePtr& a, const TypePtr& b) {
  return !a || !b || TypeEquals(a, b);
}

TypePtr Common(const TypePtr& a, const TypePtr& b) {
  if (!a) return b;
  if (!b) return a;
  if (TypeEquals(a, b)) return a;
  return nullptr;
}

Decimal ToDecimal(const Value& v, int scale) {
  if (v.IsDecimal()) return v.AsDecimal().Rescale(scale);
  if (v.IsInt() || v.IsBigint()) return Decimal{static_cast<__int128>(v.ToInt64()), 0}.Rescale(scale);
  if (v.IsDouble()) return Decimal::FromDouble(v.AsDouble(), scale);
  return Decimal{0, scale};
}

int32_t ToInt32(const Value& v) { return static_cast<int32_t>(v.ToInt64()); }

std::string JavaDecimalString(const Decimal& d) {
  // BigDecimal.toString: plain unless the adjusted exponent is below -6 (or the scale is
  // negative), then scientific notation such as "1E-7" or "-1.5E-8".
  const bool neg = d.unscaled < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(d.unscaled)
                            : static_cast<unsigned __int128>(d.unscaled);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u != 0);
  const int64_t adjusted = -static_cast<int64_t>(d.scale) + static_cast<int64_t>(digits.size()) - 1;
  if (d.scale >= 0 && adjusted >= -6) return d.ToString();
  std::string out = neg ? "-" : "";
  out.push_back(digits[0]);
  if (digits.size() > 1) out += "." + digits.substr(1);
  out += "E";
  if (adjusted >= 0) out += "+";
  out += std::to_string(adjusted);
  return out;
}

std::string JavaString(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsDouble()) return FormatJavaDouble(v.AsDouble());
  if (v.IsDecimal()) return JavaDecimalString(v.AsDecimal());
  return v.ToString();
}

// ---- UTF-8 -------------------------------------------------------------------------------

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {
// Decodes one code point at s[*i], advancing *i.
uint32_t NextCp(std::string_view s, size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  *i += len;
  return cp;
}
}  // namespace

std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) out.push_back(NextCp(s, &i));
  return out;
}

bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

size_t Utf8Offset(std::string_view s, size_t cp_index) {
  size_t i = 0;
  for (size_t n = 0; n < cp_index && i < s.size(); ++n) NextCp(s, &i);
  return i;
}

size_t Utf16Length(std::string_view s) {
  if (IsAscii(s)) return s.size();
  size_t n = 0;
  for (size_t i = 0; i < s.size();) n += NextCp(s, &i) >= 0x10000 ? 2 : 1;
  return n;
}

// ---- regex ---------------------------------------------------------------------------------

const re2::RE2* CachedRegex(const std::string& pattern) {
  thread_local std::unordered_map<std::string, std::unique_ptr<re2::RE2>> cache;
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second.get();
  if (cache.size() > 512) cache.clear();
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, opts);
  const re2::RE2* result = re->ok() ? re.get() : nullptr;
  cache.emplace(pattern, std::move(re));
  return result;
}

std::string JavaReplacementToRe2(const std::string& repl) {
  std::string out;
  for (size_t i = 0; i < repl.size(); ++i) {
    char c = repl[i];
    if (c == '\\' && i + 1 < repl.size()) {
      char n = repl[++i];
      if (n == '\\') out += "\\\\";
      else out.push_back(n);
    } else if (c == '$' && i + 1 < repl.size() && isdigit(static_cast<unsigned char>(repl[i + 1]))) {
      out.push_back('\\');
      out.push_back(repl[++i]);
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// ---- JSON ----------------------------------------------------------------------------------

namespace {
void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}
std::string FormatDate(int64_t days) {
  int y, m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}
std::string FormatTime(int64_t millis, bool always_millis) {
  char buf[32];
  int h = static_cast<int>(millis / 3600000), mi = static_cast<int>(millis / 60000 % 60),
      s = static_cast<int>(millis / 1000 % 60), ms = static_cast<int>(millis % 1000);
  if (always_millis || ms) std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", h, mi, s, ms);
  else std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, mi, s);
  return buf;
}
}  // namespace

void AppendJson(const Value& v, std::string* out) {
  if (v.IsNull()) {
    *out += "null";
  } else if (v.IsBool()) {
    *out += v.AsBool() ? "true" : "false";
  } else if (v.IsInt() || v.IsBigint()) {
    *out += std::to_string(v.ToInt64());
  } else if (v.IsDouble()) {
    double d = v.AsDouble();
    if (std::isnan(d) || std::isinf(d)) AppendJsonString(FormatJavaDouble(d), out);
    else AppendJavaDouble(d, out);
  } else if (v.IsDecimal()) {
    *out += v.AsDecimal().ToString();
  } else if (v.IsString()) {
    AppendJsonString(v.AsString(), out);
  } else if (v.IsBytes()) {
    AppendJsonString(Base64Encode(v.AsBytes().data), out);
  } else if (v.IsDate()) {
    AppendJsonString(FormatDate(v.AsDate().days), out);
  } else if (v.IsTime()) {
    AppendJsonString(FormatTime(v.AsTime().millis, false), out);
  } else if (v.IsTimestamp()) {
    int64_t ms = v.AsTimestamp().millis;
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    AppendJsonString(FormatDate(days) + "T" + FormatTime(ms - days * 86400000, true), out);
  } else if (v.IsArray()) {
    out->push_back('[');
    bool first = true;
    for (const auto& e : v.AsArray()) {
      if (!first) out->push_back(',');
      first = false;
      AppendJson(e, out);
    }
    out->push_back(']');
  } else if (v.IsMap()) {
    out->push_back('{');
    bool first = true;
    for (const auto& [k, e] : v.AsMap()) {
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(k.IsString() ? k.AsString() : JavaString(k), out);
      out->push_back(':');
      AppendJson(e, out);
    }
    out->push_back('}');
  } else if (v.IsStruct()) {
    const StructValue& st = v.AsStruct();
    out->push_back('{');
    for (size_t i = 0; i < st.fields.size(); ++i) {
      if (i) out->push_back(',');
      AppendJsonString(st.type && i < st.type->fields.size() ? st.type->fields[i].name : "", out);
      out->push_back(':');
      AppendJson(st.fields[i], out);
    }
    out->push_back('}');
  }
}

// ---- base64 / hex --------------------------------------------------------------------------

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  serde::AppendBase64(in, &out);
  return out;
}

bool Base64Decode(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  out->clear();
  uint32_t buf = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return false;
    int v = val(c);
    if (v < 0) return false;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return pad <= 2 && bits < 6;
}

std::string HexEncode(std::string_view in, bool upper) {
  const char* kHex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(in.size() * 2);
  for (char c : in) {
    out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 15]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

bool HexDecode(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  // An odd number of digits is read with a leading zero, as Java's hex decoder in ksqlDB does.
  size_t i = 0;
  if (in.size() % 2 == 1) {
    int v = val(in[0]);
    if (v < 0) return false;
    out->push_back(static_cast<char>(v));
    i = 1;
  }
  for (; i + 1 < in.size() + 1 && i < in.size(); i += 2) {
    int hi = val(in[i]), lo = val(in[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// ---- hashing -------------------------------------------------------------------------------

std::string Md5Hex(std::string_view in) {
  static const uint32_t kK[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
      0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
      0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
      0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
      0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
      0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
      0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
      0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
      0xeb86d391};
  static const int kShift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  std::string msg(in);
  const uint64_t bit_len = static_cast<uint64_t>(in.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 0; i < 8; ++i) msg.push_back(static_cast<char>((bit_len >> (8 * i)) & 0xFF));
  uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + 4 * i);
      w[i] = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
             (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; ++i) {
      uint32_t f;
      int g;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const uint32_t x = a + f + kK[i] + w[g];
      a = d;
      d = c;
      c = b;
      b = b + ((x << kShift[i]) | (x >> (32 - kShift[i])));
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }
  std::string digest;
  for (uint32_t v : h)
    for (int i = 0; i < 4; ++i) digest.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return HexEncode(digest, false);
}

}  // namespace sluice::fnutil
