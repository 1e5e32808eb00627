#include "engine/expr/like_matcher.h"

namespace sluice {
namespace {

// Length in bytes of the UTF-8 sequence starting with byte c (1 for invalid bytes).
inline size_t Utf8Len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

inline size_t NextChar(std::string_view s, size_t i) {
  size_t n = Utf8Len(static_cast<unsigned char>(s[i]));
  return i + n > s.size() ? s.size() : i + n;
}

}  // namespace

Result<LikeMatcher> LikeMatcher::Compile(std::string_view pattern, std::string_view escape) {
  if (!escape.empty() && NextChar(escape, 0) != escape.size())
    return Status::InvalidArgument("Escape string must be a single character, was: '" +
                                   std::string(escape) + "'");
  LikeMatcher m;
  size_t i = 0;
  auto add_literal = [&](std::string_view ch) {
    if (m.tokens_.empty() || m.tokens_.back().kind != Token::kLiteral)
      m.tokens_.push_back(Token{Token::kLiteral, std::string()});
    m.tokens_.back().text.append(ch);
  };
  while (i < pattern.size()) {
    size_t next = NextChar(pattern, i);
    std::string_view ch = pattern.substr(i, next - i);
    if (!escape.empty() && ch == escape) {
      if (next >= pattern.size())
        return Status::InvalidArgument("LIKE pattern must not end with escape character '" +
                                       std::string(escape) + "'");
      size_t after = NextChar(pattern, next);
      add_literal(pattern.substr(next, after - next));
      i = after;
      continue;
    }
    if (ch == "%") {
      if (m.tokens_.empty() || m.tokens_.back().kind != Token::kMany)
        m.tokens_.push_back(Token{Token::kMany, {}});
    } else if (ch == "_") {
      m.tokens_.push_back(Token{Token::kOne, {}});
    } else {
      add_literal(ch);
    }
    i = next;
  }
  // Recognize the common shapes.
  const auto& t = m.tokens_;
  auto is = [&](size_t k, Token::Kind kind) { return k < t.size() && t[k].kind == kind; };
  if (t.empty()) {
    m.shape_ = Shape::kExact;
  } else if (t.size() == 1 && is(0, Token::kLiteral)) {
    m.shape_ = Shape::kExact;
    m.literal_ = t[0].text;
  } else if (t.size() == 1 && is(0, Token::kMany)) {
    m.shape_ = Shape::kAny;
  } else if (t.size() == 2 && is(0, Token::kLiteral) && is(1, Token::kMany)) {
    m.shape_ = Shape::kPrefix;
    m.literal_ = t[0].text;
  } else if (t.size() == 2 && is(0, Token::kMany) && is(1, Token::kLiteral)) {
    m.shape_ = Shape::kSuffix;
    m.literal_ = t[1].text;
  } else if (t.size() == 3 && is(0, Token::kMany) && is(1, Token::kLiteral) && is(2, Token::kMany)) {
    m.shape_ = Shape::kContains;
    m.literal_ = t[1].text;
  } else {
    m.shape_ = Shape::kGeneral;
  }
  return m;
}

bool LikeMatcher::Matches(std::string_view s) const {
  switch (shape_) {
    case Shape::kExact: return s == literal_;
    case Shape::kPrefix: return s.substr(0, literal_.size()) == literal_;
    case Shape::kSuffix:
      return s.size() >= literal_.size() && s.substr(s.size() - literal_.size()) == literal_;
    case Shape::kContains: return s.find(literal_) != std::string_view::npos;
    case Shape::kAny: return true;
    case Shape::kGeneral: break;
  }
  return MatchGeneral(s);
}

// Greedy wildcard matching with backtracking to the last '%' (linear-ish, no recursion).
bool LikeMatcher::MatchGeneral(std::string_view s) const {
  size_t ti = 0, si = 0;
  size_t star_t = std::string::npos, star_s = 0;
  while (si < s.size() || ti < tokens_.size()) {
    if (ti < tokens_.size()) {
      const Token& tok = tokens_[ti];
      if (tok.kind == Token::kMany) {
        star_t = ti++;
        star_s = si;
        continue;
      }
      if (tok.kind == Token::kOne && si < s.size()) {
        si = NextChar(s, si);
        ++ti;
        continue;
      }
      if (tok.kind == Token::kLiteral && s.substr(si, tok.text.size()) == tok.text) {
        si += tok.text.size();
        ++ti;
        continue;
      }
    }
    // Mismatch: let the last '%' swallow one more character.
    if (star_t == std::string::npos || star_s >= s.size()) return false;
    star_s = NextChar(s, star_s);
    si = star_s;
    ti = star_t + 1;
  }
  return true;
}

}  // namespace sluice
