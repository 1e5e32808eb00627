#pragma once
// SQL LIKE matching: '%' any sequence, '_' exactly one character (a UTF-8 code point), an
// optional escape character that makes the next pattern character literal. Case-sensitive.
// A LikeMatcher is built once per pattern and is immutable afterwards (safe to share between
// threads).
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/status.h"

namespace sluice {

class LikeMatcher {
 public:
  // `escape` is empty or exactly one character (code point). Errors: escape of more than one
  // character, pattern ending in the escape character.
  static Result<LikeMatcher> Compile(std::string_view pattern, std::string_view escape);
  bool Matches(std::string_view s) const;

 private:
  enum class Shape { kExact, kPrefix, kSuffix, kContains, kAny, kGeneral };
  struct Token {
    enum Kind { kLiteral, kOne, kMany } kind;
    std::string text;  // kLiteral
  };
  bool MatchGeneral(std::string_view s) const;
  Shape shape_ = Shape::kGeneral;
  std::string literal_;  // kExact/kPrefix/kSuffix/kContains
  std::vector<Token> tokens_;
};

}  // namespace sluice
