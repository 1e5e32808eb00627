#include "engine/serde/text_codec.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "engine/expr/java_time_format.h"

namespace sluice::serde {

namespace {
constexpr char kBase64Chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Reads exactly `n` digits at s[*pos] into *v.
bool ReadDigits(std::string_view s, size_t* pos, int n, int* v) {
  if (*pos + n > s.size()) return false;
  int r = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    r = r * 10 + (c - '0');
  }
  *pos += n;
  *v = r;
  return true;
}

using jtime::DaysFromCivil;  // engine/expr/java_time_format.h

bool ParseDatePart(std::string_view s, size_t* pos, int64_t* days) {
  int y, m, d;
  if (!ReadDigits(s, pos, 4, &y) || *pos >= s.size() || s[(*pos)++] != '-' ||
      !ReadDigits(s, pos, 2, &m) || *pos >= s.size() || s[(*pos)++] != '-' ||
      !ReadDigits(s, pos, 2, &d))
    return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  *days = DaysFromCivil(y, m, d);
  return true;
}

// "HH:mm[:ss[.fraction]]": the fraction is cut to milliseconds.
bool ParseTimePart(std::string_view s, size_t* pos, int64_t* millis) {
  int h, mi, sec = 0, ms = 0;
  if (!ReadDigits(s, pos, 2, &h) || *pos >= s.size() || s[(*pos)++] != ':' ||
      !ReadDigits(s, pos, 2, &mi))
    return false;
  if (*pos < s.size() && s[*pos] == ':') {
    ++*pos;
    if (!ReadDigits(s, pos, 2, &sec)) return false;
    if (*pos < s.size() && s[*pos] == '.') {
      ++*pos;
      int digits = 0;
      while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
        if (digits < 3) ms = ms * 10 + (s[*pos] - '0');
        ++digits;
        ++*pos;
      }
      if (digits == 0) return false;
      for (int i = digits; i < 3; ++i) ms *= 10;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return false;
  *millis = ((h * 60 + mi) * 60 + sec) * 1000LL + ms;
  return true;
}

// "Z", "+HH:mm", "-HHmm", "+HH" -> offset in millis to subtract.
bool ParseZone(std::string_view s, size_t* pos, int64_t* offset_millis) {
  *offset_millis = 0;
  if (*pos == s.size()) return true;
  if (s[*pos] == 'Z' || s[*pos] == 'z') return ++*pos == s.size();
  if (s[*pos] != '+' && s[*pos] != '-') return false;
  int sign = s[(*pos)++] == '-' ? -1 : 1;
  int h, m = 0;
  if (!ReadDigits(s, pos, 2, &h)) return false;
  if (*pos < s.size() && s[*pos] == ':') ++*pos;
  if (*pos < s.size() && !ReadDigits(s, pos, 2, &m)) return false;
  *offset_millis = sign * (h * 60 + m) * 60000LL;
  return *pos == s.size();
}
}  // namespace

void AppendBase64(std::string_view bytes, std::string* out) {
  size_t i = 0, n = bytes.size();
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 2 < n; i += 3) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
    char quad[4] = {kBase64Chars[v >> 18], kBase64Chars[(v >> 12) & 63],
                    kBase64Chars[(v >> 6) & 63], kBase64Chars[v & 63]};
    out->append(quad, 4);
  }
  if (i + 1 == n) {
    uint32_t v = b(i) << 16;
    char quad[4] = {kBase64Chars[v >> 18], kBase64Chars[(v >> 12) & 63], '=', '='};
    out->append(quad, 4);
  } else if (i + 2 == n) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8;
    char quad[4] = {kBase64Chars[v >> 18], kBase64Chars[(v >> 12) & 63],
                    kBase64Chars[(v >> 6) & 63], '='};
    out->append(quad, 4);
  }
}

bool DecodeBase64(std::string_view text, std::string* out) {
  out->clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int idx = Base64Index(c);
    if (idx < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(idx);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* out) {
  s = TrimSpaces(s);
  if (s == "NaN") return *out = std::nan(""), true;
  if (s == "Infinity" || s == "+Infinity") return *out = INFINITY, true;
  if (s == "-Infinity") return *out = -INFINITY, true;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || std::isalpha(static_cast<unsigned char>(s[s[0] == '-' ? 1 : 0]))) return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool IsIntegralToken(std::string_view s) {
  for (char c : s)
    if (c == '.' || c == 'e' || c == 'E') return false;
  return true;
}

bool ParseIsoDate(std::string_view s, int32_t* days) {
  size_t pos = 0;
  int64_t d;
  if (!ParseDatePart(s, &pos, &d) || pos != s.size()) return false;
  *days = static_cast<int32_t>(d);
  return true;
}

bool ParseIsoTime(std::string_view s, int32_t* millis) {
  size_t pos = 0;
  int64_t m;
  if (!ParseTimePart(s, &pos, &m) || pos != s.size()) return false;
  *millis = static_cast<int32_t>(m);
  return true;
}

bool ParseIsoTimestamp(std::string_view s, int64_t* millis) {
  size_t pos = 0;
  int64_t days, time = 0, offset = 0;
  if (!ParseDatePart(s, &pos, &days)) return false;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    ++pos;
    if (!ParseTimePart(s, &pos, &time)) return false;
  }
  if (!ParseZone(s, &pos, &offset)) return false;
  *millis = days * 86400000LL + time - offset;
  return true;
}

}  // namespace sluice::serde
