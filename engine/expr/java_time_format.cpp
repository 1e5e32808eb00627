#include "engine/expr/java_time_format.h"

#ifndef USE_OS_TZDB
#define USE_OS_TZDB 1
#endif
#include <date/tz.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <unordered_map>

namespace sluice::jtime {

// ---- Calendar ---------------------------------------------------------------------------

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int MonthLength(int64_t y, int m) {
  static const int kLen[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kLen[m - 1];
}

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}
bool IStartsWith(std::string_view text, size_t pos, std::string_view prefix) {
  return text.size() >= pos + prefix.size() && IEquals(text.substr(pos, prefix.size()), prefix);
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendPadded(std::string* out, int64_t v, int width) {
  if (v < 0) {
    out->push_back('-');
    v = -v;
  }
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

const char* const kMonthShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* const kMonthLong[] = {"January", "February", "March",     "April",   "May",      "June",
                                  "July",    "August",   "September", "October", "November", "December"};
const char* const kDayShort[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
const char* const kDayLong[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                "Friday", "Saturday", "Sunday"};

// Java's zone-name parser maps these short names to regions (TimeZone short ids).
struct Abbrev {
  const char* name;
  const char* zone;
};
const Abbrev kAbbrevs[] = {
    {"PST", "America/Los_Angeles"}, {"PDT", "America/Los_Angeles"},
    {"MST", "America/Denver"},      {"MDT", "America/Denver"},
    {"CST", "America/Chicago"},     {"CDT", "America/Chicago"},
    {"EST", "America/New_York"},    {"EDT", "America/New_York"},
    {"AKST", "America/Anchorage"},  {"AKDT", "America/Anchorage"},
    {"HST", "Pacific/Honolulu"},    {"BST", "Europe/London"},
    {"CET", "Europe/Paris"},        {"CEST", "Europe/Paris"},
    {"EET", "Europe/Athens"},       {"EEST", "Europe/Athens"},
    {"WET", "Europe/Lisbon"},       {"WEST", "Europe/Lisbon"},
    {"MSK", "Europe/Moscow"},       {"IST", "Asia/Kolkata"},
    {"JST", "Asia/Tokyo"},          {"KST", "Asia/Seoul"},
    {"HKT", "Asia/Hong_Kong"},      {"SGT", "Asia/Singapore"},
    {"AEST", "Australia/Sydney"},   {"AEDT", "Australia/Sydney"},
    {"NZST", "Pacific/Auckland"},   {"NZDT", "Pacific/Auckland"},
};

// Parses "+h", "+hh", "+hhmm", "+hh:mm", "+hhmmss", "+hh:mm:ss" (ZoneOffset.of); the whole
// string must be consumed.
bool ParseOffsetId(std::string_view s, int* seconds) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  const int sign = s[0] == '-' ? -1 : 1;
  std::string_view r = s.substr(1);
  int h = 0, m = 0, sec = 0;
  auto two = [](std::string_view v, size_t at, int* out) {
    if (v.size() < at + 2 || !IsDigit(v[at]) || !IsDigit(v[at + 1])) return false;
    *out = (v[at] - '0') * 10 + (v[at + 1] - '0');
    return true;
  };
  if (r.size() == 1 && IsDigit(r[0])) {
    h = r[0] - '0';
  } else if (r.size() == 2) {
    if (!two(r, 0, &h)) return false;
  } else if (r.size() == 4) {
    if (!two(r, 0, &h) || !two(r, 2, &m)) return false;
  } else if (r.size() == 5 && r[2] == ':') {
    if (!two(r, 0, &h) || !two(r, 3, &m)) return false;
  } else if (r.size() == 6) {
    if (!two(r, 0, &h) || !two(r, 2, &m) || !two(r, 4, &sec)) return false;
  } else if (r.size() == 8 && r[2] == ':' && r[5] == ':') {
    if (!two(r, 0, &h) || !two(r, 3, &m) || !two(r, 6, &sec)) return false;
  } else {
    return false;
  }
  if (h > 18 || m > 59 || sec > 59) return false;
  const int total = h * 3600 + m * 60 + sec;
  if (total > 18 * 3600) return false;
  *seconds = sign * total;
  return true;
}

template <typename T>
struct ThreadCache {
  std::unordered_map<std::string, std::shared_ptr<const T>> map;
  std::shared_ptr<const T> Lookup(std::string_view key) {
    auto it = map.find(std::string(key));
    return it == map.end() ? nullptr : it->second;
  }
  void Put(std::string_view key, std::shared_ptr<const T> v) {
    if (map.size() >= 512) map.clear();
    map.emplace(std::string(key), std::move(v));
  }
};

std::shared_ptr<const TimeZone> MakeZone(std::string_view id, std::string* error) {
  if (id.empty()) {
    if (error) *error = "Invalid ID for region-based ZoneId, invalid format: ";
    return nullptr;
  }
  if (id == "Z") return std::make_shared<TimeZone>("Z", 0, nullptr);
  if (id[0] == '+' || id[0] == '-') {
    int off = 0;
    if (!ParseOffsetId(id, &off)) {
      if (error) *error = "Invalid ID for ZoneOffset, invalid format: " + std::string(id);
      return nullptr;
    }
    return std::make_shared<TimeZone>(OffsetId(off), off, nullptr);
  }
  for (std::string_view prefix : {"UTC", "GMT", "UT"}) {
    if (id.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = id.substr(prefix.size());
    if (rest.empty()) return std::make_shared<TimeZone>(std::string(id), 0, nullptr);
    if (rest[0] == '+' || rest[0] == '-') {
      int off = 0;
      if (!ParseOffsetId(rest, &off)) {
        if (error) *error = "Invalid ID for offset-based ZoneId: " + std::string(id);
        return nullptr;
      }
      return std::make_shared<TimeZone>(std::string(prefix) + (off == 0 ? "" : OffsetId(off)), off,
                                        nullptr);
    }
  }
  try {
    const date::time_zone* tz = date::locate_zone(std::string(id));
    if (tz) return std::make_shared<TimeZone>(std::string(id), 0, tz);
  } catch (const std::exception&) {
  }
  if (error) *error = "Unknown time-zone ID: " + std::string(id);
  return nullptr;
}

}  // namespace

// ---- TimeZone ---------------------------------------------------------------------------

std::string OffsetId(int offset_seconds) {
  if (offset_seconds == 0) return "Z";
  std::string s(offset_seconds < 0 ? "-" : "+");
  int a = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  AppendPadded(&s, a / 3600, 2);
  s.push_back(':');
  AppendPadded(&s, a / 60 % 60, 2);
  if (a % 60) {
    s.push_back(':');
    AppendPadded(&s, a % 60, 2);
  }
  return s;
}

std::shared_ptr<const TimeZone> TimeZone::Find(std::string_view id, std::string* error) {
  thread_local ThreadCache<TimeZone> cache;
  if (auto z = cache.Lookup(id)) return z;
  auto z = MakeZone(id, error);
  if (z) cache.Put(id, z);
  return z;
}

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const std::shared_ptr<const TimeZone> utc = std::make_shared<TimeZone>("UTC", 0, nullptr);
  return utc;
}

std::shared_ptr<const TimeZone> TimeZone::Fixed(int offset_seconds) {
  return std::make_shared<TimeZone>(OffsetId(offset_seconds), offset_seconds, nullptr);
}

int TimeZone::OffsetAt(int64_t epoch_seconds, std::string* abbrev) const {
  if (!tz_) {
    if (abbrev) *abbrev = id_ == "Z" ? "Z" : id_;
    return fixed_offset_;
  }
  const auto* tz = static_cast<const date::time_zone*>(tz_);
  auto info = tz->get_info(date::sys_seconds{std::chrono::seconds{epoch_seconds}});
  if (abbrev) {
    *abbrev = info.abbrev;
    // Numeric tzdb abbreviations ("-03", "+0530"): Java shows the offset form.
    if (!abbrev->empty() && ((*abbrev)[0] == '+' || (*abbrev)[0] == '-'))
      *abbrev = OffsetId(static_cast<int>(info.offset.count()));
  }
  return static_cast<int>(info.offset.count());
}

int64_t TimeZone::LocalToEpochSeconds(int64_t local_seconds) const {
  if (!tz_) return local_seconds - fixed_offset_;
  const auto* tz = static_cast<const date::time_zone*>(tz_);
  auto info = tz->get_info(date::local_seconds{std::chrono::seconds{local_seconds}});
  // unique: the only offset; ambiguous (overlap): the earlier offset (first); nonexistent
  // (gap): the offset before the gap, which moves the time later by the gap's length.
  return local_seconds - info.first.offset.count();
}

// ---- Pattern compilation ----------------------------------------------------------------

struct DateTimeFormat::Element {
  enum Kind { kLiteral, kOptStart, kOptEnd, kField } kind = kLiteral;
  char letter = 0;
  int count = 0;
  std::string literal;
  size_t match = 0;   // kOptStart: index of its kOptEnd
  // numeric parsing
  bool numeric = false;
  int min_width = 1, max_width = 1;
  int reserved = 0;   // digits the adjacent fixed-width fields after this one need
};

DateTimeFormat::DateTimeFormat() = default;
DateTimeFormat::~DateTimeFormat() = default;

namespace {
bool IsDateLetter(char c) { return strchr("GuyMLdDEQqec", c) != nullptr; }
bool IsTimeLetter(char c) { return strchr("aHkKhmsSAnN", c) != nullptr; }
bool IsZoneLetter(char c) { return strchr("zVXxZO", c) != nullptr; }

const char* FieldName(char c) {
  switch (c) {
    case 'G': return "Era";
    case 'u': return "Year";
    case 'y': return "YearOfEra";
    case 'M': case 'L': return "MonthOfYear";
    case 'd': return "DayOfMonth";
    case 'D': return "DayOfYear";
    case 'E': case 'e': case 'c': return "DayOfWeek";
    case 'Q': case 'q': return "QuarterOfYear";
    case 'a': return "AmPmOfDay";
    case 'H': return "HourOfDay";
    case 'k': return "ClockHourOfDay";
    case 'K': return "HourOfAmPm";
    case 'h': return "ClockHourOfAmPm";
    case 'm': return "MinuteOfHour";
    case 's': return "SecondOfMinute";
    case 'S': case 'n': return "NanoOfSecond";
    case 'A': return "MilliOfDay";
    case 'N': return "NanoOfDay";
    default: return "OffsetSeconds";
  }
}
}  // namespace

std::shared_ptr<const DateTimeFormat> DateTimeFormat::Compile(const std::string& pattern,
                                                              std::string* error) {
  auto f = std::make_shared<DateTimeFormat>();
  f->pattern_ = pattern;
  auto& els = f->elements_;
  std::vector<size_t> opt_stack;
  auto fail = [&](std::string msg) -> std::shared_ptr<const DateTimeFormat> {
    if (error) *error = std::move(msg);
    return nullptr;
  };
  auto add_literal = [&](const std::string& s) {
    if (!els.empty() && els.back().kind == Element::kLiteral) {
      els.back().literal += s;
    } else {
      Element e;
      e.kind = Element::kLiteral;
      e.literal = s;
      els.push_back(e);
    }
  };
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      size_t j = i;
      while (j < pattern.size() && pattern[j] == c) ++j;
      int n = static_cast<int>(j - i);
      i = j;
      Element e;
      e.kind = Element::kField;
      e.letter = c;
      e.count = n;
      auto too_many = [&]() { return fail(std::string("Too many pattern letters: ") + c); };
      switch (c) {
        case 'y': case 'u':
          e.numeric = true;
          if (n == 2) {
            e.min_width = e.max_width = 2;
          } else {
            e.min_width = n < 4 ? n : n;
            e.max_width = 10;
          }
          break;
        case 'M': case 'L':
          if (n > 5) return too_many();
          if (n <= 2) {
            e.numeric = true;
            e.min_width = n;
            e.max_width = n == 1 ? 2 : 2;
          }
          break;
        case 'd': case 'H': case 'k': case 'K': case 'h': case 'm': case 's':
          if (n > 2) return too_many();
          e.numeric = true;
          e.min_width = n;
          e.max_width = n == 1 ? 10 : 2;
          break;
        case 'D':
          if (n > 3) return too_many();
          e.numeric = true;
          e.min_width = n;
          e.max_width = n == 1 ? 10 : 3;
          break;
        case 'S':
          if (n > 9) return too_many();
          e.numeric = true;
          e.min_width = e.max_width = n;
          break;
        case 'A': case 'n': case 'N':
          e.numeric = true;
          e.min_width = n;
          e.max_width = 19;
          break;
        case 'e': case 'c':
          if (n > 2) return fail(std::string("Pattern letter ") + c + " text form is not supported");
          e.numeric = true;
          e.min_width = n;
          e.max_width = n == 1 ? 1 : 2;
          break;
        case 'Q': case 'q':
          if (n > 5) return too_many();
          if (n <= 2) {
            e.numeric = true;
            e.min_width = n;
            e.max_width = n == 1 ? 1 : 2;
          }
          break;
        case 'E': case 'G':
          if (n > 5) return too_many();
          break;
        case 'a':
          if (n > 1) return too_many();
          break;
        case 'z':
          if (n > 4) return too_many();
          break;
        case 'V':
          if (n != 2) return fail("Pattern letter count must be 2: V");
          break;
        case 'X': case 'x':
          if (n > 5) return too_many();
          break;
        case 'Z':
          if (n > 5) return too_many();
          break;
        case 'O':
          if (n != 1 && n != 4) return fail("Pattern letter count must be 1 or 4: O");
          break;
        case 'w': case 'W': case 'Y': case 'F': case 'g': case 'v': case 'B':
          return fail(std::string("Pattern letter ") + c + " is not supported");
        default:
          return fail(std::string("Unknown pattern letter: ") + c);
      }
      els.push_back(e);
    } else if (c == '\'') {
      size_t j = i + 1;
      std::string lit;
      bool closed = false;
      while (j < pattern.size()) {
        if (pattern[j] == '\'') {
          if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
            lit.push_back('\'');
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        lit.push_back(pattern[j++]);
      }
      if (!closed) return fail("Pattern ends with an incomplete string literal: " + pattern);
      if (j == i + 2) lit = "'";  // '' is a quote
      add_literal(lit);
      i = j;
    } else if (c == '[') {
      Element e;
      e.kind = Element::kOptStart;
      opt_stack.push_back(els.size());
      els.push_back(e);
      ++i;
    } else if (c == ']') {
      if (opt_stack.empty())
        return fail("Pattern invalid as it contains ] without previous [");
      Element e;
      e.kind = Element::kOptEnd;
      els[opt_stack.back()].match = els.size();
      opt_stack.pop_back();
      els.push_back(e);
      ++i;
    } else if (c == '{' || c == '}' || c == '#') {
      return fail(std::string("Pattern includes reserved character: '") + c + "'");
    } else {
      add_literal(std::string(1, c));
      ++i;
    }
  }
  while (!opt_stack.empty()) {  // Java closes open optional sections at the end
    Element e;
    e.kind = Element::kOptEnd;
    els[opt_stack.back()].match = els.size();
    opt_stack.pop_back();
    els.push_back(e);
  }
  // Adjacent value parsing: a variable-width number leaves room for fixed-width numbers
  // that follow it directly ("yyyyMMdd", "HHmmss").
  for (size_t k = 0; k < els.size(); ++k) {
    if (!els[k].numeric || els[k].min_width == els[k].max_width) continue;
    int reserved = 0;
    for (size_t j = k + 1; j < els.size(); ++j) {
      if (!els[j].numeric || els[j].min_width != els[j].max_width) break;
      reserved += els[j].min_width;
    }
    els[k].reserved = reserved;
  }
  return f;
}

std::shared_ptr<const DateTimeFormat> DateTimeFormat::Get(const std::string& pattern,
                                                          std::string* error) {
  thread_local ThreadCache<DateTimeFormat> cache;
  if (auto f = cache.Lookup(pattern)) return f;
  auto f = Compile(pattern, error);
  if (f) cache.Put(pattern, f);
  return f;
}

// ---- Formatting -------------------------------------------------------------------------

struct DateTimeFormat::Fields {
  bool has_date = false, has_time = false, has_zone = false;
  int64_t year = 1970;
  int month = 1, day = 1, doy = 1, dow = 4;  // dow: 1 = Monday
  int hour = 0, minute = 0, second = 0;
  int64_t nano = 0;
  int offset = 0;
  std::string zone_abbrev, zone_id;
};

namespace {
void AppendOffset(std::string* out, int offset, char letter, int count) {
  // X: Z for zero; x, Z(1-3): +0000 style; O / ZZZZ: GMT+8 style.
  if (letter == 'O' || (letter == 'Z' && count == 4)) {
    out->append("GMT");
    if (offset == 0) return;
    int a = offset < 0 ? -offset : offset;
    out->push_back(offset < 0 ? '-' : '+');
    if (letter == 'O' && count == 1) {
      AppendPadded(out, a / 3600, 1);
      if (a / 60 % 60 || a % 60) {
        out->push_back(':');
        AppendPadded(out, a / 60 % 60, 2);
      }
    } else {
      AppendPadded(out, a / 3600, 2);
      out->push_back(':');
      AppendPadded(out, a / 60 % 60, 2);
    }
    if (a % 60) {
      out->push_back(':');
      AppendPadded(out, a % 60, 2);
    }
    return;
  }
  if (offset == 0 && (letter == 'X' || (letter == 'Z' && count == 5))) {
    out->push_back('Z');
    return;
  }
  int a = offset < 0 ? -offset : offset;
  int h = a / 3600, m = a / 60 % 60, s = a % 60;
  out->push_back(offset < 0 ? '-' : '+');
  AppendPadded(out, h, 2);
  int style = count;  // 1: +HHmm, 2: +HHMM, 3: +HH:MM, 4: +HHMMss, 5: +HH:MM:ss
  if (letter == 'Z') style = count <= 3 ? 2 : 5;
  bool colon = style == 3 || style == 5;
  if (style == 1) {
    if (m) AppendPadded(out, m, 2);
  } else {
    if (colon) out->push_back(':');
    AppendPadded(out, m, 2);
    if (style >= 4 && s) {
      if (colon) out->push_back(':');
      AppendPadded(out, s, 2);
    }
  }
}
}  // namespace

bool DateTimeFormat::FormatFields(const Fields& f, std::string* out, std::string* error) const {
  out->clear();
  for (size_t i = 0; i < elements_.size(); ++i) {
    const Element& e = elements_[i];
    if (e.kind == Element::kLiteral) {
      out->append(e.literal);
      continue;
    }
    if (e.kind == Element::kOptEnd) continue;
    if (e.kind == Element::kOptStart) {
      // Printed only if every field inside is available.
      bool ok = true;
      for (size_t j = i + 1; j < e.match; ++j) {
        const Element& x = elements_[j];
        if (x.kind != Element::kField) continue;
        if ((IsDateLetter(x.letter) && !f.has_date) || (IsTimeLetter(x.letter) && !f.has_time) ||
            (IsZoneLetter(x.letter) && !f.has_zone))
          ok = false;
      }
      if (!ok) i = e.match;
      continue;
    }
    const char c = e.letter;
    const int n = e.count;
    if ((IsDateLetter(c) && !f.has_date) || (IsTimeLetter(c) && !f.has_time)) {
      if (error) *error = std::string("Unsupported field: ") + FieldName(c);
      return false;
    }
    if (IsZoneLetter(c) && !f.has_zone) {
      if (error)
        *error = c == 'z' || c == 'V' ? "Unable to extract ZoneId from temporal"
                                      : "Unsupported field: OffsetSeconds";
      return false;
    }
    switch (c) {
      case 'G':
        out->append(f.year > 0 ? (n == 4 ? "Anno Domini" : n == 5 ? "A" : "AD")
                               : (n == 4 ? "Before Christ" : n == 5 ? "B" : "BC"));
        break;
      case 'y': case 'u': {
        int64_t y = c == 'y' && f.year <= 0 ? 1 - f.year : f.year;
        if (n == 2) {
          AppendPadded(out, FloorMod(y, 100), 2);
        } else {
          if (n >= 4 && y > 9999 && n < 19) {
            int digits = 0;
            for (int64_t t = y; t > 0; t /= 10) ++digits;
            if (digits > n) out->push_back('+');
          }
          AppendPadded(out, y, n);
        }
        break;
      }
      case 'M': case 'L':
        if (n <= 2) AppendPadded(out, f.month, n);
        else if (n == 3) out->append(kMonthShort[f.month - 1]);
        else if (n == 4) out->append(kMonthLong[f.month - 1]);
        else out->push_back(kMonthLong[f.month - 1][0]);
        break;
      case 'd': AppendPadded(out, f.day, n); break;
      case 'D': AppendPadded(out, f.doy, n); break;
      case 'Q': case 'q': {
        int q = (f.month - 1) / 3 + 1;
        if (n <= 2) AppendPadded(out, q, n);
        else if (n == 3) { out->push_back('Q'); AppendPadded(out, q, 1); }
        else if (n == 4) {
          static const char* kQ[] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
          out->append(kQ[q - 1]);
        } else AppendPadded(out, q, 1);
        break;
      }
      case 'E':
        if (n <= 3) out->append(kDayShort[f.dow - 1]);
        else if (n == 4) out->append(kDayLong[f.dow - 1]);
        else out->push_back(kDayLong[f.dow - 1][0]);
        break;
      case 'e': case 'c':  // localized day-of-week, US: Sunday = 1
        AppendPadded(out, f.dow % 7 + 1, n);
        break;
      case 'a': out->append(f.hour < 12 ? "AM" : "PM"); break;
      case 'H': AppendPadded(out, f.hour, n); break;
      case 'k': AppendPadded(out, f.hour == 0 ? 24 : f.hour, n); break;
      case 'K': AppendPadded(out, f.hour % 12, n); break;
      case 'h': AppendPadded(out, f.hour % 12 == 0 ? 12 : f.hour % 12, n); break;
      case 'm': AppendPadded(out, f.minute, n); break;
      case 's': AppendPadded(out, f.second, n); break;
      case 'S': {
        int64_t v = f.nano;
        for (int k = 9; k > n; --k) v /= 10;
        AppendPadded(out, v, n);
        break;
      }
      case 'A':
        AppendPadded(out, (f.hour * 3600LL + f.minute * 60 + f.second) * 1000 + f.nano / 1000000, n);
        break;
      case 'n': AppendPadded(out, f.nano, n); break;
      case 'N':
        AppendPadded(out, (f.hour * 3600LL + f.minute * 60 + f.second) * 1000000000LL + f.nano, n);
        break;
      case 'z': out->append(f.zone_abbrev); break;
      case 'V': out->append(f.zone_id); break;
      default: AppendOffset(out, f.offset, c, n); break;
    }
  }
  return true;
}

namespace {
void FillDate(int64_t days, int64_t* year, int* month, int* day, int* doy, int* dow) {
  CivilFromDays(days, year, month, day);
  *doy = static_cast<int>(days - DaysFromCivil(*year, 1, 1)) + 1;
  *dow = static_cast<int>(FloorMod(days + 3, 7)) + 1;  // 1970-01-01 was a Thursday
}
}  // namespace

bool DateTimeFormat::FormatInstant(int64_t epoch_millis, const TimeZone& zone, std::string* out,
                                   std::string* error) const {
  Fields f;
  f.has_date = f.has_time = f.has_zone = true;
  const int64_t secs = FloorDiv(epoch_millis, 1000);
  f.offset = zone.OffsetAt(secs, &f.zone_abbrev);
  f.zone_id = zone.id();
  const int64_t local_ms = epoch_millis + f.offset * 1000LL;
  const int64_t days = FloorDiv(local_ms, kMillisPerDay);
  const int64_t ms = FloorMod(local_ms, kMillisPerDay);
  FillDate(days, &f.year, &f.month, &f.day, &f.doy, &f.dow);
  f.hour = static_cast<int>(ms / 3600000);
  f.minute = static_cast<int>(ms / 60000 % 60);
  f.second = static_cast<int>(ms / 1000 % 60);
  f.nano = ms % 1000 * 1000000;
  return FormatFields(f, out, error);
}

bool DateTimeFormat::FormatDate(int64_t epoch_days, std::string* out, std::string* error) const {
  Fields f;
  f.has_date = true;
  FillDate(epoch_days, &f.year, &f.month, &f.day, &f.doy, &f.dow);
  return FormatFields(f, out, error);
}

bool DateTimeFormat::FormatTime(int64_t millis_of_day, std::string* out,
                                std::string* error) const {
  Fields f;
  f.has_time = true;
  const int64_t ms = FloorMod(millis_of_day, kMillisPerDay);
  f.hour = static_cast<int>(ms / 3600000);
  f.minute = static_cast<int>(ms / 60000 % 60);
  f.second = static_cast<int>(ms / 1000 % 60);
  f.nano = ms % 1000 * 1000000;
  return FormatFields(f, out, error);
}

// ---- Parsing ----------------------------------------------------------------------------

namespace {

// Longest case-insensitive match of one of `names` at pos; returns index or -1.
int MatchText(std::string_view text, size_t pos, const char* const* names, int n, size_t* len) {
  int best = -1;
  size_t best_len = 0;
  for (int i = 0; i < n; ++i) {
    size_t l = strlen(names[i]);
    if (l > best_len && IStartsWith(text, pos, names[i])) {
      best = i;
      best_len = l;
    }
  }
  *len = best_len;
  return best;
}

// Offsets: "Z" (if allowed), "+HH", "+HHMM", "+HH:MM", "+HHMMSS", "+HH:MM:SS".
bool ParseOffsetAt(std::string_view text, size_t* pos, bool allow_z, int* offset) {
  size_t p = *pos;
  if (allow_z && p < text.size() && (text[p] == 'Z' || text[p] == 'z')) {
    *offset = 0;
    *pos = p + 1;
    return true;
  }
  if (p >= text.size() || (text[p] != '+' && text[p] != '-')) return false;
  int sign = text[p] == '-' ? -1 : 1;
  ++p;
  auto two = [&](size_t at, int* v) {
    if (at + 2 > text.size() || !IsDigit(text[at]) || !IsDigit(text[at + 1])) return false;
    *v = (text[at] - '0') * 10 + (text[at + 1] - '0');
    return true;
  };
  int h = 0, m = 0, s = 0;
  if (!two(p, &h)) return false;
  p += 2;
  bool colon = p < text.size() && text[p] == ':';
  if (two(p + (colon ? 1 : 0), &m)) {
    p += 2 + (colon ? 1 : 0);
    bool colon2 = p < text.size() && text[p] == ':';
    if (colon2 == colon && two(p + (colon2 ? 1 : 0), &s)) p += 2 + (colon2 ? 1 : 0);
  }
  if (h > 18 || m > 59 || s > 59) return false;
  *offset = sign * (h * 3600 + m * 60 + s);
  *pos = p;
  return true;
}

bool IsZoneIdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
         c == '+' || c == ':';
}

// Zone names and ids at pos (z, VV): abbreviations, "UTC"/"GMT" with offsets, region ids.
bool ParseZoneAt(std::string_view text, size_t* pos, ParsedDateTime* out) {
  size_t p = *pos;
  size_t end = p;
  while (end < text.size() && IsZoneIdChar(text[end])) ++end;
  // Longest prefix that is a known zone.
  for (size_t e = end; e > p; --e) {
    std::string_view cand = text.substr(p, e - p);
    for (const Abbrev& a : kAbbrevs) {
      if (IEquals(cand, a.name)) {
        out->zone = TimeZone::Find(a.zone);
        if (!out->zone) return false;
        *pos = e;
        return true;
      }
    }
    std::string_view try_id = cand;
    std::string upper;
    if (IEquals(cand, "z") || IEquals(cand, "utc") || IEquals(cand, "gmt") || IEquals(cand, "ut")) {
      upper = std::string(cand);
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      try_id = upper;
    }
    if (auto z = TimeZone::Find(try_id)) {
      out->zone = z;
      *pos = e;
      return true;
    }
  }
  return false;
}

}  // namespace

bool DateTimeFormat::ParseRange(size_t begin, size_t end, std::string_view text, size_t* pos,
                                ParsedDateTime* out) const {
  size_t p = *pos;
  for (size_t i = begin; i < end; ++i) {
    const Element& e = elements_[i];
    if (e.kind == Element::kOptEnd) continue;
    if (e.kind == Element::kOptStart) {
      ParsedDateTime saved = *out;
      size_t q = p;
      if (ParseRange(i + 1, e.match, text, &q, out)) {
        p = q;
      } else {
        *out = saved;
      }
      i = e.match;
      continue;
    }
    if (e.kind == Element::kLiteral) {
      if (!IStartsWith(text, p, e.literal)) return false;
      p += e.literal.size();
      continue;
    }
    const char c = e.letter;
    const int n = e.count;
    if (e.numeric) {
      bool neg = false;
      size_t q = p;
      if ((c == 'y' || c == 'u') && n != 2 && q < text.size() && (text[q] == '-' || text[q] == '+')) {
        neg = text[q] == '-';
        ++q;
      }
      size_t avail = 0;
      while (q + avail < text.size() && IsDigit(text[q + avail])) ++avail;
      size_t width;
      if (e.min_width == e.max_width) {
        width = e.min_width;
        if (avail < width) return false;
      } else {
        size_t maxw = std::min<size_t>(e.max_width, avail >= static_cast<size_t>(e.reserved)
                                                        ? avail - e.reserved : 0);
        if (maxw < static_cast<size_t>(e.min_width)) return false;
        width = maxw;
      }
      int64_t v = 0;
      for (size_t k = 0; k < width; ++k) v = v * 10 + (text[q + k] - '0');
      if (neg) v = -v;
      p = q + width;
      switch (c) {
        case 'y': case 'u':
          out->has_year = true;
          out->year = n == 2 ? 2000 + v : v;
          break;
        case 'M': case 'L': out->has_month = true; out->month = static_cast<int>(v); break;
        case 'd': out->has_day = true; out->day = static_cast<int>(v); break;
        case 'D': out->has_doy = true; out->doy = static_cast<int>(v); break;
        case 'H':
          if (v > 23) return false;
          out->has_hour = true; out->hour = static_cast<int>(v);
          break;
        case 'k':
          if (v < 1 || v > 24) return false;
          out->has_hour = true; out->hour = static_cast<int>(v % 24);
          break;
        case 'K':
          if (v > 11) return false;
          out->has_hour12 = true; out->hour12 = static_cast<int>(v);
          break;
        case 'h':
          if (v < 1 || v > 12) return false;
          out->has_hour12 = true; out->hour12 = static_cast<int>(v % 12);
          break;
        case 'm':
          if (v > 59) return false;
          out->has_minute = true; out->minute = static_cast<int>(v);
          break;
        case 's':
          if (v > 59) return false;
          out->has_second = true; out->second = static_cast<int>(v);
          break;
        case 'S': {
          int64_t nano = v;
          for (size_t k = width; k < 9; ++k) nano *= 10;
          out->has_nano = true; out->nano = nano;
          break;
        }
        case 'n': out->has_nano = true; out->nano = v; break;
        case 'A': out->has_milli_of_day = true; out->milli_of_day = v; break;
        case 'N': out->has_milli_of_day = true; out->milli_of_day = v / 1000000; break;
        default: break;  // Q, q, e, c: parsed, not used for resolution
      }
      continue;
    }
    switch (c) {
      case 'M': case 'L': {
        size_t len = 0;
        int idx = MatchText(text, p, n == 3 ? kMonthShort : kMonthLong, 12, &len);
        if (idx < 0) return false;
        out->has_month = true;
        out->month = idx + 1;
        p += len;
        break;
      }
      case 'E': {
        size_t len = 0;
        int idx = MatchText(text, p, n == 4 ? kDayLong : kDayShort, 7, &len);
        if (idx < 0) return false;
        p += len;
        break;
      }
      case 'G': {
        static const char* kEras[] = {"AD", "BC", "Anno Domini", "Before Christ"};
        size_t len = 0;
        if (MatchText(text, p, kEras, 4, &len) < 0) return false;
        p += len;
        break;
      }
      case 'Q': case 'q': {
        if (p + 2 > text.size() || (text[p] != 'Q' && text[p] != 'q') || !IsDigit(text[p + 1]))
          return false;
        p += 2;
        break;
      }
      case 'a': {
        static const char* kAmPm[] = {"AM", "PM"};
        size_t len = 0;
        int idx = MatchText(text, p, kAmPm, 2, &len);
        if (idx < 0) return false;
        out->has_ampm = true;
        out->ampm = idx;
        p += len;
        break;
      }
      case 'z': case 'V': {
        size_t q = p;
        int off = 0;
        if (ParseOffsetAt(text, &q, false, &off)) {
          out->zone = TimeZone::Fixed(off);
          p = q;
        } else if (!ParseZoneAt(text, &p, out)) {
          return false;
        }
        break;
      }
      case 'O': case 'Z': {
        size_t q = p;
        if (c == 'O' || (c == 'Z' && n == 4)) {
          if (!IStartsWith(text, q, "GMT")) return false;
          q += 3;
          int off = 0;
          size_t r = q;
          if (q < text.size() && (text[q] == '+' || text[q] == '-')) {
            // GMT+8, GMT+08:00
            int sign = text[q] == '-' ? -1 : 1;
            size_t d = q + 1, nd = 0;
            int h = 0;
            while (d + nd < text.size() && IsDigit(text[d + nd]) && nd < 2) h = h * 10 + (text[d + nd++] - '0');
            if (nd == 0) return false;
            r = d + nd;
            int m = 0;
            if (r + 2 < text.size() && text[r] == ':' && IsDigit(text[r + 1]) &&
                IsDigit(text[r + 2])) {
              m = (text[r + 1] - '0') * 10 + (text[r + 2] - '0');
              r += 3;
            }
            off = sign * (h * 3600 + m * 60);
          }
          out->has_offset = true;
          out->offset_seconds = off;
          p = r;
          break;
        }
        int off = 0;
        if (!ParseOffsetAt(text, &q, true, &off)) return false;
        out->has_offset = true;
        out->offset_seconds = off;
        p = q;
        break;
      }
      case 'X': case 'x': {
        int off = 0;
        if (!ParseOffsetAt(text, &p, c == 'X', &off)) return false;
        out->has_offset = true;
        out->offset_seconds = off;
        break;
      }
      default:
        return false;
    }
  }
  *pos = p;
  return true;
}

bool DateTimeFormat::Parse(std::string_view text, ParsedDateTime* out, std::string* error) const {
  *out = ParsedDateTime();
  size_t pos = 0;
  if (!ParseRange(0, elements_.size(), text, &pos, out) || pos != text.size()) {
    if (error)
      *error = "Text '" + std::string(text) + "' could not be parsed" +
               (pos != text.size() && pos > 0 ? ", unparsed text found at index " + std::to_string(pos)
                                              : "");
    return false;
  }
  return true;
}

bool ResolveLocal(const ParsedDateTime& p, int64_t* epoch_days, int64_t* nanos_of_day,
                  std::string* error) {
  const int64_t year = p.has_year ? p.year : 1970;
  int64_t days;
  if (p.has_doy && !p.has_month && !p.has_day) {
    if (p.doy < 1 || p.doy > (IsLeapYear(year) ? 366 : 365)) {
      if (error) *error = "Invalid value for DayOfYear: " + std::to_string(p.doy);
      return false;
    }
    days = DaysFromCivil(year, 1, 1) + p.doy - 1;
  } else {
    const int month = p.has_month ? p.month : 1;
    int day = p.has_day ? p.day : 1;
    if (month < 1 || month > 12) {
      if (error) *error = "Invalid value for MonthOfYear (valid values 1 - 12): " + std::to_string(month);
      return false;
    }
    if (day < 1 || day > 31) {
      if (error) *error = "Invalid value for DayOfMonth (valid values 1 - 28/31): " + std::to_string(day);
      return false;
    }
    day = std::min(day, MonthLength(year, month));  // SMART resolution clamps
    days = DaysFromCivil(year, month, day);
  }
  int64_t nod;
  if (p.has_milli_of_day && !p.has_hour && !p.has_hour12) {
    nod = p.milli_of_day * 1000000;
  } else {
    int hour = p.hour;
    if (!p.has_hour && p.has_hour12) hour = p.hour12 + (p.has_ampm ? p.ampm * 12 : 0);
    else if (!p.has_hour && p.has_ampm) hour = p.ampm * 12;
    nod = ((hour * 60LL + p.minute) * 60 + p.second) * 1000000000LL + p.nano;
  }
  *epoch_days = days;
  *nanos_of_day = nod;
  return true;
}

bool DateTimeFormat::ParseInstant(std::string_view text, const TimeZone& default_zone,
                                  int64_t* epoch_millis, std::string* error) const {
  ParsedDateTime p;
  if (!Parse(text, &p, error)) return false;
  int64_t days, nod;
  if (!ResolveLocal(p, &days, &nod, error)) return false;
  const int64_t local_secs = days * 86400 + nod / 1000000000;
  int64_t secs;
  if (p.has_offset) secs = local_secs - p.offset_seconds;
  else if (p.zone) secs = p.zone->LocalToEpochSeconds(local_secs);
  else secs = default_zone.LocalToEpochSeconds(local_secs);
  *epoch_millis = secs * 1000 + nod % 1000000000 / 1000000;
  return true;
}

bool DateTimeFormat::ParseDate(std::string_view text, int64_t* epoch_days, std::string* error) const {
  ParsedDateTime p;
  if (!Parse(text, &p, error)) return false;
  int64_t nod;
  return ResolveLocal(p, epoch_days, &nod, error);
}

bool DateTimeFormat::ParseTime(std::string_view text, int64_t* millis_of_day,
                               std::string* error) const {
  ParsedDateTime p;
  if (!Parse(text, &p, error)) return false;
  int64_t days, nod;
  if (!ResolveLocal(p, &days, &nod, error)) return false;
  *millis_of_day = nod / 1000000;
  return true;
}

// ---- ISO helpers ------------------------------------------------------------------------

namespace {
void AppendIsoYear(std::string* s, int64_t y) {
  if (y > 9999) s->push_back('+');
  AppendPadded(s, y, 4);
}
}  // namespace

std::string FormatIsoTimestamp(int64_t epoch_millis) {
  const int64_t days = FloorDiv(epoch_millis, kMillisPerDay);
  const int64_t ms = FloorMod(epoch_millis, kMillisPerDay);
  int64_t y;
  int m, d;
  CivilFromDays(days, &y, &m, &d);
  std::string s;
  s.reserve(24);
  AppendPadded(&s, y, 4);
  s.push_back('-');
  AppendPadded(&s, m, 2);
  s.push_back('-');
  AppendPadded(&s, d, 2);
  s.push_back('T');
  AppendPadded(&s, ms / 3600000, 2);
  s.push_back(':');
  AppendPadded(&s, ms / 60000 % 60, 2);
  s.push_back(':');
  AppendPadded(&s, ms / 1000 % 60, 2);
  s.push_back('.');
  AppendPadded(&s, ms % 1000, 3);
  return s;
}

std::string FormatIsoDate(int64_t epoch_days) {
  int64_t y;
  int m, d;
  CivilFromDays(epoch_days, &y, &m, &d);
  std::string s;
  AppendIsoYear(&s, y);
  s.push_back('-');
  AppendPadded(&s, m, 2);
  s.push_back('-');
  AppendPadded(&s, d, 2);
  return s;
}

std::string FormatIsoTime(int64_t millis_of_day) {
  const int64_t ms = FloorMod(millis_of_day, kMillisPerDay);
  std::string s;
  AppendPadded(&s, ms / 3600000, 2);
  s.push_back(':');
  AppendPadded(&s, ms / 60000 % 60, 2);
  s.push_back(':');
  AppendPadded(&s, ms / 1000 % 60, 2);
  int frac = static_cast<int>(ms % 1000);
  if (frac) {
    // ISO_LOCAL_TIME prints the nano fraction in groups of three digits.
    s.push_back('.');
    AppendPadded(&s, frac, 3);
  }
  return s;
}

namespace {
bool Digits(std::string_view s, size_t pos, size_t n, int64_t* v) {
  if (pos + n > s.size()) return false;
  int64_t r = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit(s[pos + i])) return false;
    r = r * 10 + (s[pos + i] - '0');
  }
  *v = r;
  return true;
}

// HH:mm[:ss[.f{1,9}]] starting at pos; whole remainder consumed. Returns nanos of day.
bool ParseTimePart(std::string_view s, bool allow_partial, int64_t* nanos) {
  int64_t h = 0, m = 0, sec = 0, frac = 0;
  size_t p = 0;
  if (!Digits(s, 0, 2, &h)) return false;
  p = 2;
  if (p < s.size() || !allow_partial) {
    if (p >= s.size() || s[p] != ':' || !Digits(s, p + 1, 2, &m)) return false;
    p += 3;
  }
  if (p < s.size()) {
    if (s[p] != ':' || !Digits(s, p + 1, 2, &sec)) return false;
    p += 3;
    if (p < s.size()) {
      if (s[p] != '.') return false;
      ++p;
      size_t nd = 0;
      while (p + nd < s.size() && IsDigit(s[p + nd])) ++nd;
      if (nd < 1 || nd > 9 || p + nd != s.size()) return false;
      Digits(s, p, nd, &frac);
      for (size_t k = nd; k < 9; ++k) frac *= 10;
      p += nd;
    }
  }
  if (p != s.size() || h > 23 || m > 59 || sec > 59) return false;
  *nanos = ((h * 60 + m) * 60 + sec) * 1000000000LL + frac;
  return true;
}

bool ParseDatePart(std::string_view s, bool allow_partial, int64_t* days) {
  int64_t y = 0, m = 1, d = 1;
  if (!Digits(s, 0, 4, &y)) return false;
  size_t p = 4;
  if (p < s.size() || !allow_partial) {
    if (p >= s.size() || s[p] != '-' || !Digits(s, p + 1, 2, &m)) return false;
    p += 3;
    if (p < s.size() || !allow_partial) {
      if (p >= s.size() || s[p] != '-' || !Digits(s, p + 1, 2, &d)) return false;
      p += 3;
    }
  }
  if (p != s.size() || m < 1 || m > 12 || d < 1 || d > MonthLength(y, static_cast<int>(m)))
    return false;
  *days = DaysFromCivil(y, static_cast<int>(m), static_cast<int>(d));
  return true;
}
}  // namespace

bool ParseIsoTimestamp(std::string_view text, int64_t* epoch_millis) {
  size_t t = text.find('T');
  std::string_view date_part = t == std::string_view::npos ? text : text.substr(0, t);
  int64_t days = 0, nanos = 0;
  std::shared_ptr<const TimeZone> zone;
  int offset = 0;
  bool has_offset = false;
  if (t != std::string_view::npos) {
    std::string_view rest = text.substr(t + 1);
    // The zone: Z, +hh[[:]mm], or a region id after the time digits.
    size_t z = 0;
    while (z < rest.size() && (IsDigit(rest[z]) || rest[z] == ':' || rest[z] == '.')) ++z;
    std::string_view time_part = rest.substr(0, z), zone_part = rest.substr(z);
    if (!zone_part.empty()) {
      size_t q = 0;
      if (ParseOffsetAt(zone_part, &q, true, &offset) && q == zone_part.size()) {
        has_offset = true;
      } else {
        zone = TimeZone::Find(zone_part);
        if (!zone) return false;
      }
    }
    if (!ParseTimePart(time_part, true, &nanos)) return false;
  }
  if (!ParseDatePart(date_part, true, &days)) return false;
  const int64_t local = days * 86400 + nanos / 1000000000;
  int64_t secs = has_offset ? local - offset : zone ? zone->LocalToEpochSeconds(local) : local;
  *epoch_millis = secs * 1000 + nanos % 1000000000 / 1000000;
  return true;
}

bool ParseIsoDate(std::string_view text, int64_t* epoch_days) {
  return ParseDatePart(text, false, epoch_days);
}

bool ParseIsoTime(std::string_view text, int64_t* millis_of_day) {
  int64_t nanos = 0;
  if (!ParseTimePart(text, false, &nanos)) return false;
  *millis_of_day = nanos / 1000000;
  return true;
}

}  // namespace sluice::jtime
