#include "tools/qtt/qtt_corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice::qtt {

namespace {
std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}
constexpr const char* kExactPrefix = "\x01#";

// SAX handler building an ordered_json with non-integer numbers kept as text.
class ExactBuilder {
 public:
  using json = nlohmann::ordered_json;
  bool null() { return Add(nullptr); }
  bool boolean(bool v) { return Add(v); }
  bool number_integer(json::number_integer_t v) { return Add(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Add(v); }
  bool number_float(json::number_float_t, const std::string& text) {
    return Add(std::string(kExactPrefix) + text);
  }
  bool string(std::string& v) { return Add(v); }
  bool binary(json::binary_t& v) { return Add(json::binary(v)); }
  bool start_object(std::size_t) { return Open(json::object()); }
  bool key(std::string& k) {
    key_ = k;
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(json::array()); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }
  json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  json* Place(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    top[key_] = std::move(v);
    return &top[key_];
  }
  bool Add(json v) {
    Place(std::move(v));
    return true;
  }
  bool Open(json v) {
    stack_.push_back(Place(std::move(v)));
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }
  json root_;
  std::vector<json*> stack_;
  std::string key_;
  std::string error_;
};

}  // namespace

Result<nlohmann::ordered_json> ParseExact(const std::string& text) {
  ExactBuilder builder;
  const bool ok = nlohmann::ordered_json::sax_parse(text, &builder, nlohmann::ordered_json::input_format_t::json,
                                                    /*strict=*/true, /*ignore_comments=*/true);
  if (!ok) return Status::InvalidArgument(builder.error().empty() ? "malformed JSON" : builder.error());
  return std::move(builder.root());
}

bool IsExactNumber(const nlohmann::ordered_json& j) {
  return j.is_string() && j.get_ref<const std::string&>().rfind(kExactPrefix, 0) == 0;
}

std::string ExactDump(const nlohmann::ordered_json& j) {
  if (IsExactNumber(j)) return j.get_ref<const std::string&>().substr(2);
  if (j.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : j.items()) {
      if (!first) out += ',';
      first = false;
      out += nlohmann::ordered_json(k).dump() + ":" + ExactDump(v);
    }
    return out + "}";
  }
  if (j.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < j.size(); ++i) out += (i ? "," : "") + ExactDump(j[i]);
    return out + "]";
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

nlohmann::json ExactToJson(const nlohmann::ordered_json& j) {
  if (IsExactNumber(j)) return nlohmann::json::parse(j.get_ref<const std::string&>().substr(2));
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : j.items()) out[k] = ExactToJson(v);
    return out;
  }
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(ExactToJson(v));
    return out;
  }
  return nlohmann::json::parse(j.dump());
}

Result<std::vector<TestCase>> LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(buffer.str(), nullptr, true, /*ignore_comments=*/true);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  auto exact_doc = ParseExact(buffer.str());
  if (!exact_doc.ok()) return Status::InvalidArgument(path + ": " + exact_doc.status().message());
  const nlohmann::ordered_json exact_tests =
      exact_doc->is_object() && exact_doc->contains("tests") ? (*exact_doc)["tests"]
                                                             : nlohmann::ordered_json::array();
  const std::string file = std::filesystem::path(path).filename().string();
  std::vector<TestCase> cases;
  size_t index = 0;
  for (const auto& spec : doc.value("tests", nlohmann::json::array())) {
    const nlohmann::ordered_json exact =
        index < exact_tests.size() ? exact_tests[index] : nlohmann::ordered_json();
    ++index;
    std::vector<std::string> formats;
    if (spec.contains("format"))
      for (const auto& f : spec["format"]) formats.push_back(f.get<std::string>());
    const bool expanded = !formats.empty();
    if (!expanded) formats.push_back("");
    for (const auto& format : formats) {
      TestCase c;
      c.file = file;
      c.name = spec.value("name", "?") + (expanded ? " - " + format : "");
      c.format = format;
      for (const auto& s : spec.value("statements", nlohmann::json::array()))
        c.statements.push_back(ReplaceAll(s.get<std::string>(), "{FORMAT}",
                                          format.empty() ? "JSON" : format));
      c.expects_error = spec.contains("expectedException") || spec.contains("expectedError");
      c.spec = spec;
      c.exact = exact;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

Result<std::vector<TestCase>> LoadCorpus(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (std::filesystem::is_directory(p)) {
      for (const auto& entry : std::filesystem::directory_iterator(p))
        if (entry.path().extension() == ".json") files.push_back(entry.path().string());
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<TestCase> all;
  for (const auto& f : files) {
    auto cases = LoadFile(f);
    if (!cases.ok()) return cases.status();
    for (auto& c : *cases) all.push_back(std::move(c));
  }
  return all;
}

}  // namespace sluice::qtt
