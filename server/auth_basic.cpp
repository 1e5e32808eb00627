#include "server/auth_basic.h"

#include <crypt.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "engine/serde/text_codec.h"

namespace sluice {

namespace {

// ksqlDB's unauthenticated paths (AuthHandlers.KSQL_AUTHENTICATION_SKIP_PATHS).
const char* const kAlwaysOpenPaths[] = {"/healthcheck", "/v1/metadata", "/v1/metadata/id"};

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (auto t = Trim(item); !t.empty()) out.push_back(t);
  return out;
}

std::string ErrorJson(int code, const std::string& message) {
  return nlohmann::ordered_json{{"@type", "generic_error"}, {"error_code", code}, {"message", message}}.dump();
}

// Standard base64, '=' padding optional (engine/serde/text_codec's decoder); nullopt when
// the text is not base64.
std::optional<std::string> DecodeBase64(const std::string& in) {
  std::string out;
  if (!serde::DecodeBase64(in, &out)) return std::nullopt;
  return out;
}

std::string Digest(const EVP_MD* md, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Equal in time that does not depend on where (or whether) the strings differ, nor on their
// lengths: their SHA-256 digests are compared with CRYPTO_memcmp.
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  std::string da = Digest(EVP_sha256(), a), db = Digest(EVP_sha256(), b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

// "/debug/*" -> matches "/debug/x/y" (ksqlDB turns `*` into `.*`).
bool GlobMatch(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

std::optional<std::string> BasicAuthenticator::Deobfuscate(const std::string& obf) {
  std::string s = obf.rfind("OBF:", 0) == 0 ? obf.substr(4) : obf;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const bool unicode = s[i] == 'U';  // Jetty writes chars above 0xff as 'U' + 4 digits
    if (unicode) ++i;
    if (i + 4 > s.size()) return std::nullopt;
    long v = 0;
    for (size_t k = i; k < i + 4; ++k) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[k])));
      int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c >= 'a' && c <= 'z') ? c - 'a' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v * 36 + d;
    }
    i += 4;
    out += unicode ? static_cast<char>(v >> 8) : static_cast<char>((v / 256 + v % 256 - 254) / 2);
  }
  return out;
}

Result<std::unique_ptr<BasicAuthenticator>> BasicAuthenticator::FromConfig(const ServerConfig& config) {
  std::string method = config.Get("authentication.method");
  std::transform(method.begin(), method.end(), method.begin(), ::toupper);
  if (method == "NONE" || method.empty()) return std::unique_ptr<BasicAuthenticator>();
  const std::string file = config.Get("sluice.authentication.password.file");
  if (file.empty())
    return Status::InvalidArgument(
        "Missing required configuration sluice.authentication.password.file: authentication.method=BASIC "
        "needs the file of users (user: password[,role...] per line)");
  std::ifstream in(file);
  if (!in)
    return Status::InvalidArgument("Invalid value " + file +
                                   " for configuration sluice.authentication.password.file: cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  auto auth = Create(text.str(), config.Get("authentication.realm"), SplitList(config.Get("authentication.roles")),
                     SplitList(config.Get("authentication.skip.paths")));
  if (!auth.ok())
    return Status::InvalidArgument("Invalid value " + file + " for configuration sluice.authentication.password.file: " +
                                   auth.status().message());
  return auth;
}

Result<std::unique_ptr<BasicAuthenticator>> BasicAuthenticator::Create(const std::string& text, std::string realm,
                                                                       std::vector<std::string> roles,
                                                                       std::vector<std::string> skip_paths) {
  auto entries = ParseJavaProperties(text);
  if (!entries.ok()) return entries.status();
  std::unique_ptr<BasicAuthenticator> auth(new BasicAuthenticator());
  for (const auto& [name, value] : *entries) {
    std::vector<std::string> parts = SplitList(value);
    if (name.empty() || parts.empty())
      return Status::InvalidArgument("user '" + name + "' has no password (expected user: password[,role...])");
    User user;
    std::string credential = parts[0];
    if (credential.rfind("OBF:", 0) == 0) {
      auto plain = Deobfuscate(credential);
      if (!plain) return Status::InvalidArgument("user '" + name + "': malformed OBF: password");
      user.secret = *plain;
    } else if (credential.rfind("MD5:", 0) == 0) {
      user.kind = User::Kind::kMd5;
      user.secret = Lower(credential.substr(4));
      if (user.secret.size() != 32) return Status::InvalidArgument("user '" + name + "': MD5: needs 32 hex digits");
    } else if (credential.rfind("CRYPT:", 0) == 0) {
      user.kind = User::Kind::kCrypt;
      user.secret = credential.substr(6);
    } else {
      user.secret = credential;
    }
    user.roles.assign(parts.begin() + 1, parts.end());
    auth->users_[name] = std::move(user);
  }
  if (auth->users_.empty()) return Status::InvalidArgument("no user defined");
  auth->realm_ = std::move(realm);
  for (const std::string& r : roles) {
    if (r == "*" || r == "**") auth->any_role_ = true;
    else auth->roles_.push_back(r);
  }
  auth->skip_paths_ = std::move(skip_paths);
  for (const char* p : kAlwaysOpenPaths) auth->skip_paths_.push_back(p);
  return auth;
}

bool BasicAuthenticator::PasswordMatches(const User& user, const std::string& password) const {
  switch (user.kind) {
    case User::Kind::kPlain: return ConstantTimeEquals(user.secret, password);
    case User::Kind::kMd5: return ConstantTimeEquals(user.secret, Hex(Digest(EVP_md5(), password)));
    case User::Kind::kCrypt: {
      crypt_data data{};
      const char* hashed = crypt_r(password.c_str(), user.secret.c_str(), &data);
      return hashed && hashed[0] != '*' && ConstantTimeEquals(user.secret, hashed);
    }
  }
  return false;
}

bool BasicAuthenticator::RoleAllowed(const User& user) const {
  if (any_role_) return true;
  for (const std::string& r : user.roles)
    if (std::find(roles_.begin(), roles_.end(), r) != roles_.end()) return true;
  return false;
}

bool BasicAuthenticator::Skipped(const std::string& path) const {
  for (const std::string& p : skip_paths_)
    if (GlobMatch(p, path)) return true;
  return false;
}

AuthDenial BasicAuthenticator::Unauthorized() const {
  return {401, ErrorJson(40100, "Unauthorized"), "Basic realm=\"" + realm_ + "\""};
}

std::optional<AuthDenial> BasicAuthenticator::Check(const std::string& path, const std::string& authorization) const {
  if (Skipped(path)) return std::nullopt;
  const std::string header = Trim(authorization);
  if (Lower(header.substr(0, 6)) != "basic ") return Unauthorized();
  const std::string token = Trim(header.substr(6));
  if (token.empty()) return Unauthorized();
  auto decoded = DecodeBase64(token);
  if (!decoded || decoded->find(':') == std::string::npos)
    return AuthDenial{400, ErrorJson(40000, "Malformed authorization header"), ""};
  const std::string name = decoded->substr(0, decoded->find(':'));
  const std::string password = decoded->substr(decoded->find(':') + 1);
  auto it = users_.find(name);
  if (it == users_.end()) {
    ConstantTimeEquals(password, password);  // an unknown user costs what a known one does
    return Unauthorized();
  }
  if (!PasswordMatches(it->second, password)) return Unauthorized();
  if (!RoleAllowed(it->second)) return AuthDenial{403, ErrorJson(40300, "Forbidden"), ""};
  return std::nullopt;
}

}  // namespace sluice
