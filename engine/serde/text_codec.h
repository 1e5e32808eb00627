#pragma once
// Text encodings shared by the JSON and DELIMITED formats: base64 for BYTES and parsers for
// numbers and ISO dates/times that accept what Java's parsers accept. (Doubles are written
// with AppendJavaDouble, engine/types/java_double.h.)
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::serde {

void AppendBase64(std::string_view bytes, std::string* out);
// Standard alphabet, '=' padding optional; false on any other character.
bool DecodeBase64(std::string_view text, std::string* out);

std::string_view TrimSpaces(std::string_view s);

// Whole-text parsers (like Long.parseLong / Double.parseDouble): false unless every
// character is consumed. ParseDouble takes "NaN", "Infinity", "-Infinity", a leading '+'.
bool ParseInt64(std::string_view s, int64_t* out);
bool ParseDouble(std::string_view s, double* out);
// True when a JSON number token has no fraction or exponent.
bool IsIntegralToken(std::string_view s);

// ISO-8601: "2024-01-31" -> days since epoch; "12:30:05[.123]" -> millis of day;
// "2024-01-31T12:30:05[.123][Z|+01:00]" (also ' ' separator, time optional) -> epoch millis.
bool ParseIsoDate(std::string_view s, int32_t* days);
bool ParseIsoTime(std::string_view s, int32_t* millis);
bool ParseIsoTimestamp(std::string_view s, int64_t* millis);

}  // namespace sluice::serde
