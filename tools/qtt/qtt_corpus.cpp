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
}  // namespace

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
  const std::string file = std::filesystem::path(path).filename().string();
  std::vector<TestCase> cases;
  for (const auto& spec : doc.value("tests", nlohmann::json::array())) {
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
