// Row -> DELIMITED payload, quoting like commons-csv's MINIMAL mode (ksqlDB's printer) so that
// ksqlDB and Sluice read each other's output: a field is quoted when it holds the delimiter,
// a quote or a line break, starts with a character up to '#', or ends with a space.
#include <charconv>

#include "engine/serde/serde_factories.h"
#include "engine/serde/text_codec.h"

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
  Status AppendField(const Value& v, bool first, std::string* out) {
    if (v.IsNull()) return Status::OK();  // NULL is the empty field
    if (v.IsString()) {
      AppendText(v.AsString(), first, out);
      return Status::OK();
    }
    if (v.IsArray() || v.IsMap() || v.IsStruct())
      return Status::SerdeError("The 'DELIMITED' format does not support type '" +
                                std::string(v.IsArray() ? "ARRAY" : v.IsMap() ? "MAP" : "STRUCT") + "'");
    char buf[32];
    if (v.IsInt() || v.IsBigint() || v.IsDate() || v.IsTime() || v.IsTimestamp()) {
      int64_t n = v.IsDate() ? v.AsDate().days : v.IsTime() ? v.AsTime().millis
                : v.IsTimestamp() ? v.AsTimestamp().millis : v.ToInt64();
      auto res = std::to_chars(buf, buf + sizeof buf, n);
      out->append(buf, res.ptr - buf);
    } else if (v.IsDouble()) {
      AppendJavaDouble(v.AsDouble(), out);
    } else if (v.IsDecimal()) {
      out->append(v.AsDecimal().ToString());
    } else if (v.IsBool()) {
      out->append(v.AsBool() ? "true" : "false");
    } else if (v.IsBytes()) {
      AppendBase64(v.AsBytes().data, out);
    }
    return Status::OK();
  }

  bool NeedsQuotes(std::string_view s, bool first) const {
    if (s.empty()) return first;  // a lone empty first field would read back as no record
    unsigned char c0 = static_cast<unsigned char>(s[0]);
    if (c0 <= '#' || (first && c0 > 0x7E)) return true;
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
};
}  // namespace

std::unique_ptr<RowSerializer> MakeDelimitedSerializer(std::vector<Column> columns, char delim) {
  return std::make_unique<DelimitedSerializer>(std::move(columns), delim);
}

}  // namespace sluice::serde
