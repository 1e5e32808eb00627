// Row -> DELIMITED payload, quoting like commons-csv's MINIMAL mode (ksqlDB's printer) so that
// ksqlDB and Sluice read each other's output (rules at NeedsQuotes).
#include <charconv>

#include "engine/serde/serde_factories.h"
#include "engine/serde/text_codec.h"
#include "engine/types/java_double.h"

namespace sluice::serde {

namespace {
class DelimitedSerializer final : public RowSerializer {
 public:
  DelimitedSerializer(std::vector<Column> columns, char delim)
      : columns_(std::move(columns)), delim_(delim) {}

  Status Serialize(const Row& row, std::string* out) override {
    out->clear();
    if (row.size() != columns_.size())
      return Status::SerdeError("DELIMITED serializer: row has " + std::to_string(row.size()) +
                                " values, schema has " + std::to_string(columns_.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out->push_back(delim_);
      SLUICE_RETURN_IF_ERROR(AppendField(row[i], i == 0, out));
    }
    return Status::OK();
  }

 private:
  // Every non-NULL value is rendered to text first and then quoted by the same rule, as
  // commons-csv quotes value.toString() whatever the value's type (so a negative number as
  // the first field of a record is quoted).
  Status AppendField(const Value& v, bool first, std::string* out) {
    if (v.IsNull()) return Status::OK();  // NULL is the empty field
    if (v.IsString()) {
      AppendText(v.AsString(), first, out);
      return Status::OK();
    }
    if (v.IsArray() || v.IsMap() || v.IsStruct())
      return Status::SerdeError("The 'DELIMITED' format does not support type '" +
                                std::string(v.IsArray() ? "ARRAY" : v.IsMap() ? "MAP" : "STRUCT") + "'");
    text_.clear();
    char buf[32];
    if (v.IsInt() || v.IsBigint() || v.IsDate() || v.IsTime() || v.IsTimestamp()) {
      int64_t n = v.IsDate() ? v.AsDate().days : v.IsTime() ? v.AsTime().millis
                : v.IsTimestamp() ? v.AsTimestamp().millis : v.ToInt64();
      auto res = std::to_chars(buf, buf + sizeof buf, n);
      text_.append(buf, res.ptr - buf);
    } else if (v.IsDouble()) {
      AppendJavaDouble(v.AsDouble(), &text_);
    } else if (v.IsDecimal()) {
      text_.append(v.AsDecimal().ToString());
    } else if (v.IsBool()) {
      text_.append(v.AsBool() ? "true" : "false");
    } else if (v.IsBytes()) {
      AppendBase64(v.AsBytes().data, &text_);
    }
    AppendText(text_, first, out);
    return Status::OK();
  }

  static bool IsAsciiAlnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }

  // commons-csv's QuoteMode.MINIMAL (CSVPrinter.printAndQuote), applied in this order:
  //   - an empty value is quoted only as the first of a record (else the record would read
  //     back as an empty line);
  //   - the first value of a record is quoted when its first character is not an ASCII letter
  //     or digit ("-10", " x", "é");
  //   - any value is quoted when its first character is <= '#' (the comment character);
  //   - ... or when it holds a line break, the quote character or the delimiter;
  //   - ... or when its last character is <= ' '.
  bool NeedsQuotes(std::string_view s, bool first) const {
    if (s.empty()) return first;
    unsigned char c0 = static_cast<unsigned char>(s[0]);
    if (first && !IsAsciiAlnum(c0)) return true;
    if (c0 <= '#') return true;
    for (char c : s)
      if (c == delim_ || c == '"' || c == '\n' || c == '\r') return true;
    return static_cast<unsigned char>(s.back()) <= ' ';
  }

  void AppendText(std::string_view s, bool first, std::string* out) const {
    if (!NeedsQuotes(s, first)) return out->append(s), void();
    out->push_back('"');
    for (char c : s) {
      if (c == '"') out->push_back('"');
      out->push_back(c);
    }
    out->push_back('"');
  }

  std::vector<Column> columns_;
  char delim_;
  std::string text_;  // scratch: the current non-string field's text
};
}  // namespace

std::unique_ptr<RowSerializer> MakeDelimitedSerializer(std::vector<Column> columns, char delim) {
  return std::make_unique<DelimitedSerializer>(std::move(columns), delim);
}

}  // namespace sluice::serde
