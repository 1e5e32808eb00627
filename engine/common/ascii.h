#pragma once
// ASCII upper-casing, as SQL identifiers, keywords and property names are compared. (Text
// functions such as UCASE use full Unicode rules instead: engine/expr/functions.)
#include <cctype>
#include <string>

namespace sluice {

inline std::string AsciiUpper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace sluice
