#pragma once
// Shared helpers for the built-in function families (engine/expr/functions/*.cpp): overload
// builders, type tests, Java-compatible text rendering, UTF-8 handling, a per-thread regex
// cache and JSON rendering of values. Internal to the function implementations.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/expr/function_registry.h"

namespace re2 {
class RE2;
}

namespace sluice::fnutil {

using ResolveFn = std::function<TypePtr(const std::vector<TypePtr>&)>;
// What every function family's file writes: argument values, argument types, type kinds.
using Args = std::vector<Value>;
using Types = std::vector<TypePtr>;
using K = TypeKind;
inline constexpr NullPolicy kCustom = NullPolicy::kCustom;

// An overload with a custom resolver.
FunctionOverload Make(std::string signature, int min_args, int max_args, ResolveFn resolve,
                      ScalarImpl impl, NullPolicy policy = NullPolicy::kNullOnAnyNull);

FunctionInfo Info(std::string name, std::string category, std::string description,
                  std::vector<FunctionOverload> overloads);

inline bool Is(const TypePtr& t, TypeKind k) { return t && t->kind == k; }
inline bool IsNullOr(const TypePtr& t, TypeKind k) { return !t || t->kind == k; }
// Are two argument types compatible for "same type" parameters (NULL literal fits any)?
bool SameOrNull(const TypePtr& a, const TypePtr& b);
// The common type of two types for element-wise operations (NULL literal yields the other).
TypePtr Common(const TypePtr& a, const TypePtr& b);

// Value conversions (arguments may arrive un-widened: INT where BIGINT is declared, ...).
Decimal ToDecimal(const Value& v, int scale);
int32_t ToInt32(const Value& v);

// Java's String.valueOf for a primitive value (used by ARRAY_JOIN and similar).
std::string JavaString(const Value& v);
// Java's BigDecimal.toString (scientific notation for very small magnitudes).
std::string JavaDecimalString(const Decimal& d);

// ---- UTF-8 -------------------------------------------------------------------------------
void AppendUtf8(std::string* out, uint32_t cp);
// Decodes UTF-8 into code points (invalid bytes map to U+FFFD).
std::vector<uint32_t> DecodeUtf8(std::string_view s);
bool IsAscii(std::string_view s);
// Byte offset of the code point at index `cp_index` (s.size() if past the end).
size_t Utf8Offset(std::string_view s, size_t cp_index);
// Number of UTF-16 code units (Java's String.length()).
size_t Utf16Length(std::string_view s);

// ---- regex ---------------------------------------------------------------------------------
// Compiled regex for a Java-syntax pattern, cached per thread; nullptr if it does not compile.
const re2::RE2* CachedRegex(const std::string& pattern);
// Converts a Java replacement string ($1, \$) into RE2's rewrite syntax (\1, $).
std::string JavaReplacementToRe2(const std::string& repl);

// ---- JSON ----------------------------------------------------------------------------------
// Appends `v` (of SQL type `type`, may be nullptr) as compact JSON, as ksqlDB's JSON serializer
// writes it: DATE "yyyy-MM-dd", TIME "HH:mm:ss[.SSS]", TIMESTAMP "yyyy-MM-ddTHH:mm:ss.SSS",
// BYTES base64, DECIMAL as a plain number.
void AppendJson(const Value& v, std::string* out);

// ---- base64 / hex --------------------------------------------------------------------------
std::string Base64Encode(std::string_view in);
bool Base64Decode(std::string_view in, std::string* out);
std::string HexEncode(std::string_view in, bool upper = false);
bool HexDecode(std::string_view in, std::string* out);

// ---- hashing -------------------------------------------------------------------------------
// The MD5 digest (RFC 1321) of `in`, as 32 lower-case hex digits.
std::string Md5Hex(std::string_view in);

}  // namespace sluice::fnutil
