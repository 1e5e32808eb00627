#pragma once
// Helpers shared by the serde unit tests: build a format's deserializer/serializer or fail.
#include <catch2/catch.hpp>

#include "engine/serde/format.h"

namespace sluice::testing {

inline std::unique_ptr<RowDeserializer> Deser(FormatOptions opts, std::vector<Column> cols,
                                              std::vector<bool> needed = {}) {
  auto r = MakeDeserializer(opts, std::move(cols), std::move(needed));
  REQUIRE(r.ok());
  return std::move(r.value());
}

inline std::unique_ptr<RowSerializer> Ser(FormatOptions opts, std::vector<Column> cols) {
  auto r = MakeSerializer(opts, std::move(cols));
  REQUIRE(r.ok());
  return std::move(r.value());
}

inline FormatOptions Opts(FormatKind kind, bool wrap = true, char delim = ',') {
  FormatOptions o;
  o.kind = kind;
  o.wrap_single_value = wrap;
  o.delimiter = delim;
  return o;
}

}  // namespace sluice::testing
