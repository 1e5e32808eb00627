#pragma once
// HTTP Basic authentication of the REST API and the websocket, as ksqlDB's
// `authentication.method=BASIC` with Jetty's PropertyFileLoginModule:
//
//   authentication.method=BASIC
//   authentication.realm=KsqlServer-Props        (named in WWW-Authenticate)
//   authentication.roles=admin,developer         (* or **: any user in the file)
//   authentication.skip.paths=/metrics,/debug/*  (besides ksqlDB's /healthcheck, /v1/metadata,
//                                                 /v1/metadata/id, which never need credentials)
//   sluice.authentication.password.file=/etc/sluice/passwords
//
// The password file is Jetty's: `user: password[,role...]` per line (Java properties syntax,
// `#` comments), the password plain or as Jetty writes it: `OBF:...`, `MD5:<hex>`, `CRYPT:...`.
// Missing or wrong credentials: 401 {"@type":"generic_error","error_code":40100,"message":
// "Unauthorized"} with `WWW-Authenticate: Basic realm="<realm>"`; an authenticated user with
// none of the roles: 403 (40300 "Forbidden"); a Basic header that does not decode: 400.
// Passwords are compared in constant time (digests compared with CRYPTO_memcmp).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/config/server_config.h"

namespace sluice {

struct AuthDenial {
  int status = 401;
  std::string body;              // ksqlDB's error body
  std::string www_authenticate;  // "" unless 401
};

class BasicAuthenticator {
 public:
  // nullptr when authentication.method is NONE. Errors name the property (unreadable or empty
  // password file, bad line).
  static Result<std::unique_ptr<BasicAuthenticator>> FromConfig(const ServerConfig& config);
  // The password file's text, parsed (tests; FromConfig reads the file then calls this).
  static Result<std::unique_ptr<BasicAuthenticator>> Create(const std::string& password_file_text,
                                                            std::string realm, std::vector<std::string> roles,
                                                            std::vector<std::string> skip_paths);

  // nullopt: the request may go on. `path` without the query string; `authorization` is the
  // Authorization header ("" when absent).
  std::optional<AuthDenial> Check(const std::string& path, const std::string& authorization) const;
  size_t users() const { return users_.size(); }
  // Jetty's OBF: decoding ("OBF:1w8t1tvf1w261w8v1w1c1tvn1w8x" -> "letmein"); nullopt if malformed.
  static std::optional<std::string> Deobfuscate(const std::string& obf);

 private:
  struct User {
    enum class Kind { kPlain, kMd5, kCrypt } kind = Kind::kPlain;
    std::string secret;  // the password, the MD5 hex (lower case) or the crypt(3) string
    std::vector<std::string> roles;
  };
  bool PasswordMatches(const User& user, const std::string& password) const;
  bool RoleAllowed(const User& user) const;
  bool Skipped(const std::string& path) const;
  AuthDenial Unauthorized() const;

  std::map<std::string, User> users_;
  std::string realm_;
  std::vector<std::string> roles_;
  bool any_role_ = false;
  std::vector<std::string> skip_paths_;
};

}  // namespace sluice
