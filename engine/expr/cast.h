#pragma once
// CAST and implicit conversions with ksqlDB's rules (its CastEvaluator and SqlTypes).
//
// Explicit CAST(x AS T) is allowed for:
//   - the same type (composites: element-wise, see below);
//   - INTEGER, BIGINT, DECIMAL, DOUBLE to each other and to STRING;
//   - STRING to INTEGER, BIGINT, DECIMAL, DOUBLE, BOOLEAN, TIMESTAMP, DATE, TIME;
//   - BOOLEAN to STRING;
//   - TIMESTAMP to STRING, DATE, TIME; DATE to STRING, TIMESTAMP; TIME to STRING;
//   - ARRAY, MAP, STRUCT to STRING (Java's rendering: "[1, 3]", "{a=1}", "Struct{A=1,B=x}");
//   - ARRAY to ARRAY and MAP to MAP if the elements (keys and values) cast; STRUCT to STRUCT
//     field by name (fields missing from the source become NULL) if the common fields cast.
//   Everything else is rejected at compile time with CastErrorMessage(); BYTES casts only to
//   BYTES.
// At run time a value that does not convert (STRING "abc" to INTEGER, a DECIMAL that does
// not fit its precision, NaN to DECIMAL) gives NULL, with the reason in *error for the
// processing log. Numeric narrowing follows Java: BIGINT -> INTEGER wraps, DOUBLE -> INTEGER
// truncates toward zero and saturates, DECIMAL -> DECIMAL rounds HALF_UP. STRING inputs are
// trimmed (String.trim) before parsing. DOUBLE -> STRING uses Java's Double.toString.
#include <string>
#include <vector>

#include "engine/types/sql_type.h"
#include "engine/types/value.h"

namespace sluice {

bool CanCast(const SqlType& from, const SqlType& to);
// "Cast of STRING to ARRAY<INTEGER> is not supported"
std::string CastErrorMessage(const SqlType& from, const SqlType& to);
// NULL -> NULL; failure -> NULL and *error (error may be nullptr).
Value CastValue(const Value& v, const SqlType& from, const SqlType& to, std::string* error);

// Implicit widening, as in function-argument binding and INSERT VALUES: INTEGER -> BIGINT ->
// DECIMAL -> DOUBLE (INTEGER and BIGINT also straight to DOUBLE), any DECIMAL to any DECIMAL
// (the value is checked against the target precision when converted), and composites
// element-wise. Same-type is always allowed.
bool CanImplicitlyCast(const SqlType& from, const SqlType& to);
// CanImplicitlyCast plus what ksqlDB accepts for literals in INSERT VALUES and comparisons:
// STRING to TIMESTAMP, DATE and TIME (parsed ISO-8601).
bool CanCoerceLiteral(const SqlType& from, const SqlType& to);

// The type all of `types` widen to (CASE branches, IN lists, ARRAY[...] elements): numbers
// widen INTEGER < BIGINT < DECIMAL < DOUBLE (INTEGER as DECIMAL(10, 0), BIGINT as
// DECIMAL(19, 0) next to decimals); other types must be equal (composites element-wise).
// nullptr entries (NULL literals) are ignored; nullptr if there is no common type or only
// NULLs.
TypePtr CommonSuperType(const std::vector<TypePtr>& types);

// Java's String.valueOf(x) for a value of the given SQL type, as CAST(x AS STRING) renders it
// (nested values inside ARRAY/MAP/STRUCT too).
std::string CastToStringValue(const Value& v, const SqlType& type);

}  // namespace sluice
