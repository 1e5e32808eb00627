// Maps read from JSON iterate in java.util.HashMap order, as in ksqlDB (expected orders
// below were produced by a JVM: new HashMap<>(n) filled in the listed order).
#include <catch2/catch.hpp>

#include "engine/types/java_hash_order.h"

namespace java_hash_order_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

namespace {
std::string Keys(const std::vector<std::string>& inserted) {
  MapValue m;
  for (size_t i = 0; i < inserted.size(); ++i) m.emplace_back(Value(inserted[i]), Value(static_cast<int32_t>(i)));
  OrderLikeJavaHashMap(&m);
  std::string out;
  for (const auto& e : m) out += (out.empty() ? "" : ",") + e.first.AsString();
  return out;
}
}  // namespace

TEST_CASE("Java String.hashCode over UTF-16 units", "[types]") {
  CHECK(JavaStringHash("hello") == 99162322);
  CHECK(JavaStringHash("") == 0);
  CHECK(JavaStringHash("\xF0\x9F\x98\x80x") == 54959989);  // U+1F600 is a surrogate pair
}

TEST_CASE("HashMap iteration order", "[types]") {
  CHECK(Keys({"nope", "yes", "sure", "thanks", "yeah"}) == "thanks,sure,yeah,nope,yes");
  CHECK(Keys({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"}) == "a,b,c,d,e,f,g,h,i,j,k,l,m");
  CHECK(Keys({"key1", "key2", "zzz", "\xC3\xBF\xC3\xA9", "\xF0\x9F\x98\x80x"}) ==
        "key1,key2,\xC3\xBF\xC3\xA9,zzz,\xF0\x9F\x98\x80x");
}

TEST_CASE("a repeated key keeps its first place and its last value; other key types stay", "[types]") {
  MapValue m{{Value("b"), Value(int32_t{1})}, {Value("a"), Value(int32_t{2})}, {Value("b"), Value(int32_t{3})}};
  OrderLikeJavaHashMap(&m);
  REQUIRE(m.size() == 2);
  CHECK(m[0].first == Value("a"));
  CHECK(m[1].second == Value(int32_t{3}));
  MapValue ints{{Value(int32_t{9}), Value()}, {Value(int32_t{1}), Value()}};
  OrderLikeJavaHashMap(&ints);
  CHECK(ints[0].first == Value(int32_t{9}));
}

}  // namespace java_hash_order_test
