#pragma once
// The internal binary encoding of rows: what state stores, their changelogs and the internal
// (repartition) topics carry. Compact and fast, not a user-facing format: each value is a
// one-byte tag and a fixed-width or length-prefixed payload. Values carry their own kind, so
// decoding needs types only to rebuild STRUCT values (their field names), which `types` gives
// per column (nullptr allowed when no column holds a struct).
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/status.h"
#include "engine/types/value.h"

namespace sluice {

// Appends the encoding of `row` to *out.
void EncodeRow(const Row& row, std::string* out);
// Decodes a whole buffer written by EncodeRow. SerdeError on malformed bytes (never throws).
Status DecodeRow(std::string_view bytes, const std::vector<TypePtr>& types, Row* out);

// Single values, for callers that frame their own buffers. DecodeValue advances *pos.
void EncodeValue(const Value& v, std::string* out);
Status DecodeValue(std::string_view bytes, size_t* pos, const TypePtr& type, Value* out);

}  // namespace sluice
