#include "server/tls_context.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace sluice {

namespace ssl = boost::asio::ssl;

namespace {

// The most recent OpenSSL errors as one line ("PEM routines::no start line"), queue cleared.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status PropertyError(const std::string& property, const std::string& value, const std::string& why) {
  return Status::InvalidArgument("Invalid value " + value + " for configuration " + property + ": " + why);
}

// ALPN: h2 when the client offers it, else http/1.1 (or no ALPN at all: HTTP/1.1).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
               void*) {
  static const unsigned char kServerPrefs[] = "\x02h2\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kServerPrefs, sizeof kServerPrefs - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// "TLSv1.2,TLSv1.3" -> the lowest and highest version to allow.
Status ApplyProtocols(SSL_CTX* ctx, const std::string& list) {
  int lowest = 0, highest = 0;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    int v = item == "TLSv1.2" ? TLS1_2_VERSION : item == "TLSv1.3" ? TLS1_3_VERSION : 0;
    if (v == 0) return PropertyError("ssl.enabled.protocols", list, "supported protocols are TLSv1.2 and TLSv1.3");
    lowest = lowest == 0 ? v : std::min(lowest, v);
    highest = std::max(highest, v);
  }
  if (lowest == 0) return PropertyError("ssl.enabled.protocols", list, "no protocol enabled");
  SSL_CTX_set_min_proto_version(ctx, lowest);
  SSL_CTX_set_max_proto_version(ctx, highest);
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const ServerConfig& config) {
  std::string type = config.Get("ssl.keystore.type");
  std::transform(type.begin(), type.end(), type.begin(), ::toupper);
  if (type != "PEM")
    return PropertyError("ssl.keystore.type", type,
                         "Sluice reads PEM keystores only (certificate chain and private key in PEM); convert a "
                         "JKS or PKCS12 keystore with keytool -importkeystore and openssl pkcs12 -nodes");
  const std::string chain = config.Get("ssl.keystore.location");
  if (chain.empty())
    return Status::InvalidArgument(
        "Missing required configuration ssl.keystore.location: an https:// listener needs the server's "
        "certificate chain and private key (PEM)");
  std::string key = config.Get("sluice.ssl.key.location");
  const std::string key_property = key.empty() ? "ssl.keystore.location" : "sluice.ssl.key.location";
  if (key.empty()) key = chain;

  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SLUICE_RETURN_IF_ERROR(ApplyProtocols(native, config.Get("ssl.enabled.protocols")));

  const std::string password = config.Get("ssl.key.password");
  ctx->set_password_callback([password](size_t, ssl::context::password_purpose) { return password; });

  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, chain.c_str()) != 1)
    return PropertyError("ssl.keystore.location", chain, "cannot read a PEM certificate chain: " + OpenSslErrors());
  if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1)
    return PropertyError(key_property, key,
                         "cannot read the PEM private key (encrypted keys need ssl.key.password): " + OpenSslErrors());
  if (SSL_CTX_check_private_key(native) != 1)
    return PropertyError(key_property, key, "the private key does not match the certificate: " + OpenSslErrors());
  SSL_CTX_set_alpn_select_cb(native, &SelectAlpn, nullptr);
  return ctx;
}

}  // namespace sluice
