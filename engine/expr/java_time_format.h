#pragma once
// Java-compatible date/time formatting and parsing, as ksqlDB's date/time functions and casts
// use it:
//   - DateTimeFormat: a compiled java.time.format.DateTimeFormatter pattern ("yyyy-MM-dd'T'
//     HH:mm:ss.SSSX", "dd/MM/yyyy HH:mm", "EEE, d MMM yyyy", literals in quotes, [optional]
//     sections, zone letters z/zzzz/VV/X/x/Z/O). Parsing is case-insensitive (ksqlDB builds
//     its parsers with parseCaseInsensitive) and missing fields default to 1970-01-01 00:00,
//     as ksqlDB's StringToTimestampParser does (parseDefaulting). Compile once; Get() keeps a
//     small per-thread cache, so calling it per record with a constant pattern is cheap and
//     lock-free.
//   - TimeZone: a java.time.ZoneId: "UTC", "Z", "GMT", offsets ("+05:00", "-0800", "+5"),
//     prefixed offsets ("UTC+01:00", "GMT-8"), and region ids from the system tz database
//     (/usr/share/zoneinfo via Howard Hinnant's date/tz with USE_OS_TZDB). Local date-times
//     are resolved like ZonedDateTime.ofLocal: in a DST gap moved later by the gap, in an
//     overlap the earlier offset.
//   - ISO helpers for the CAST rules (TIMESTAMP/DATE/TIME <-> STRING).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::jtime {

inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
inline int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

constexpr int64_t kMillisPerDay = 86400000;

// Proleptic Gregorian calendar <-> days since 1970-01-01.
int64_t DaysFromCivil(int64_t y, int m, int d);
void CivilFromDays(int64_t days, int64_t* y, int* m, int* d);
bool IsLeapYear(int64_t y);
int MonthLength(int64_t y, int m);

class TimeZone {
 public:
  // ZoneId.of() semantics; nullptr (and *error "Unknown time-zone ID: X" or "Invalid ID for
  // offset-based ZoneId: X") when the id is not valid. Cached per thread; the returned
  // shared_ptr keeps the zone alive.
  static std::shared_ptr<const TimeZone> Find(std::string_view id, std::string* error = nullptr);
  static std::shared_ptr<const TimeZone> Utc();
  static std::shared_ptr<const TimeZone> Fixed(int offset_seconds);

  // Offset from UTC in seconds at the instant; *abbrev gets the short name ("PDT", "UTC",
  // "+05:00" for fixed offsets) when asked.
  int OffsetAt(int64_t epoch_seconds, std::string* abbrev = nullptr) const;
  // The instant of a local date-time (seconds since the epoch as if it were UTC).
  int64_t LocalToEpochSeconds(int64_t local_seconds) const;
  const std::string& id() const { return id_; }
  bool is_fixed() const { return tz_ == nullptr; }

  TimeZone(std::string id, int fixed_offset, const void* tz)
      : id_(std::move(id)), fixed_offset_(fixed_offset), tz_(tz) {}

 private:
  std::string id_;
  int fixed_offset_ = 0;
  const void* tz_ = nullptr;  // const date::time_zone*, or nullptr for a fixed offset
};

// Renders an offset as Java's ZoneOffset.getId(): "Z", "+05:00", "-08:00", "+05:30:15".
std::string OffsetId(int offset_seconds);

// What a parse found. Fields not in the pattern are absent (has_* false).
struct ParsedDateTime {
  bool has_year = false, has_month = false, has_day = false, has_doy = false;
  bool has_hour = false, has_minute = false, has_second = false, has_nano = false;
  bool has_ampm = false, has_hour12 = false, has_offset = false;
  int64_t year = 1970;
  int month = 1, day = 1, doy = 1;
  int hour = 0;       // 0-23 (H, or k with 24 -> 0)
  int hour12 = 0;     // 0-11 (K, or h with 12 -> 0), combined with ampm
  int ampm = 0;       // 0 AM, 1 PM
  int minute = 0, second = 0;
  int64_t nano = 0;
  int offset_seconds = 0;
  std::shared_ptr<const TimeZone> zone;  // from z / VV
  bool has_milli_of_day = false;
  int64_t milli_of_day = 0;
};

class DateTimeFormat {
 public:
  // Compiles a DateTimeFormatter pattern; nullptr and *error on a bad pattern
  // ("Unknown pattern letter: b", "Too many pattern letters: d", ...).
  static std::shared_ptr<const DateTimeFormat> Compile(const std::string& pattern,
                                                       std::string* error);
  // Compile() behind a small per-thread cache.
  static std::shared_ptr<const DateTimeFormat> Get(const std::string& pattern,
                                                   std::string* error);

  // Formats an instant in a zone (ZonedDateTime.format).
  bool FormatInstant(int64_t epoch_millis, const TimeZone& zone, std::string* out,
                     std::string* error) const;
  // LocalDate.format: time or zone fields in the pattern are an error.
  bool FormatDate(int64_t epoch_days, std::string* out, std::string* error) const;
  // LocalTime.format: date or zone fields in the pattern are an error.
  bool FormatTime(int64_t millis_of_day, std::string* out, std::string* error) const;

  // Parses the whole text; false and *error ("Text '...' could not be parsed at index N").
  bool Parse(std::string_view text, ParsedDateTime* out, std::string* error) const;

  // Parse + resolve. A parsed offset or zone wins over default_zone.
  bool ParseInstant(std::string_view text, const TimeZone& default_zone, int64_t* epoch_millis,
                    std::string* error) const;
  bool ParseDate(std::string_view text, int64_t* epoch_days, std::string* error) const;
  bool ParseTime(std::string_view text, int64_t* millis_of_day, std::string* error) const;

  const std::string& pattern() const { return pattern_; }

  struct Element;  // compiled pattern element (java_time_format.cpp)
  ~DateTimeFormat();
  DateTimeFormat();

 private:
  struct Fields;
  bool FormatFields(const Fields& f, std::string* out, std::string* error) const;
  bool ParseRange(size_t begin, size_t end, std::string_view text, size_t* pos,
                  ParsedDateTime* out) const;
  std::string pattern_;
  std::vector<Element> elements_;
};

// Resolution of parsed fields (defaults 1970-01-01 00:00:00, SMART day-of-month clamping).
bool ResolveLocal(const ParsedDateTime& p, int64_t* epoch_days, int64_t* nanos_of_day,
                  std::string* error);

// ISO forms used by CAST and literals:
//   timestamp: "2020-01-01T00:00:00.000" (UTC, always millis)
//   date:      "2020-01-01" (LocalDate.toString)
//   time:      "00:00:05", "00:00:00.010" (ISO_LOCAL_TIME: seconds always, fraction if set)
std::string FormatIsoTimestamp(int64_t epoch_millis);
std::string FormatIsoDate(int64_t epoch_days);
std::string FormatIsoTime(int64_t millis_of_day);
// ksqlDB's partial timestamp parser: "2020", "2020-01", "2020-01-01", "2020-01-01T10",
// "...T10:15", "...T10:15:30", "...T10:15:30.123456", each optionally followed by a zone:
// "Z", "+05", "+0530", "+05:30", or a region id; UTC when none.
bool ParseIsoTimestamp(std::string_view text, int64_t* epoch_millis);
bool ParseIsoDate(std::string_view text, int64_t* epoch_days);           // yyyy-MM-dd
bool ParseIsoTime(std::string_view text, int64_t* millis_of_day);        // HH:mm[:ss[.f]]

}  // namespace sluice::jtime
