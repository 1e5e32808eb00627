// DELIMITED payload -> Row, reading the first record the way commons-csv does (ksqlDB's
// parser): quoted fields with doubled quotes inside, a line break ends the record, an empty
// field is NULL. Fields are split into views over the payload; only quoted fields holding
// doubled quotes are copied, and only needed columns are converted.
#include <string>

#include "engine/serde/json_coercion.h"
#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {
class DelimitedDeserializer final : public RowDeserializer {
 public:
  DelimitedDeserializer(std::vector<Column> columns, std::vector<bool> needed, char delim)
      : columns_(std::move(columns)), needed_(std::move(needed)), delim_(delim) {
    if (needed_.empty()) needed_.assign(columns_.size(), true);
  }

  Status Deserialize(std::string_view bytes, Row* out) override {
    SLUICE_RETURN_IF_ERROR(Split(bytes));
    if (fields_.size() != columns_.size())
      return Status::SerdeError("Unexpected field count, csvFields:" + std::to_string(fields_.size()) +
                                " schemaFields:" + std::to_string(columns_.size()));
    out->resize(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) {
      Value& v = (*out)[i];
      v = Value();
      if (!needed_[i] || fields_[i].empty()) continue;
      Status st = CoerceString(fields_[i], *columns_[i].type, &v);
      if (!st.ok()) return ColumnError(columns_[i].name, st);
    }
    return Status::OK();
  }

 private:
  // Splits the first record of `s` into fields_ (views into `s` or into unquoted_).
  Status Split(std::string_view s) {
    fields_.clear();
    unquoted_.clear();
    // Views into unquoted_ must stay valid while it grows: reserve the worst case up front.
    unquoted_.reserve(s.size());
    size_t i = 0;
    if (s.empty()) return Status::SerdeError("No fields in record");
    while (true) {
      if (i < s.size() && s[i] == '"') {
        SLUICE_RETURN_IF_ERROR(ReadQuoted(s, &i));
      } else {
        size_t start = i;
        while (i < s.size() && s[i] != delim_ && s[i] != '\n' && s[i] != '\r') ++i;
        fields_.push_back(s.substr(start, i - start));
      }
      if (i >= s.size() || s[i] == '\n' || s[i] == '\r') return Status::OK();
      ++i;  // the delimiter: another field follows, possibly empty
    }
  }

  // Reads a quoted field starting at s[*i] == '"'; leaves *i after the closing quote.
  Status ReadQuoted(std::string_view s, size_t* i) {
    size_t start = ++*i;
    bool copied = false;
    size_t copy_start = unquoted_.size();
    while (true) {
      if (*i >= s.size())
        return Status::SerdeError("EOF reached before encapsulated token finished");
      if (s[*i] != '"') {
        ++*i;
        continue;
      }
      if (*i + 1 < s.size() && s[*i + 1] == '"') {  // doubled quote: one literal quote
        unquoted_.append(s.data() + start, *i + 1 - start);
        copied = true;
        *i += 2;
        start = *i;
        continue;
      }
      break;
    }
    if (copied) {
      unquoted_.append(s.data() + start, *i - start);
      fields_.push_back(std::string_view(unquoted_).substr(copy_start));
    } else {
      fields_.push_back(s.substr(start, *i - start));
    }
    ++*i;  // closing quote
    if (*i < s.size() && s[*i] != delim_ && s[*i] != '\n' && s[*i] != '\r')
      return Status::SerdeError("Invalid char between encapsulated token and delimiter");
    return Status::OK();
  }

  std::vector<Column> columns_;
  std::vector<bool> needed_;
  char delim_;
  std::vector<std::string_view> fields_;
  std::string unquoted_;
};
}  // namespace

std::unique_ptr<RowDeserializer> MakeDelimitedDeserializer(std::vector<Column> columns,
                                                           std::vector<bool> needed, char delim) {
  return std::make_unique<DelimitedDeserializer>(std::move(columns), std::move(needed), delim);
}

}  // namespace sluice::serde
