// Kafka wire protocol, just enough for one ProduceRequest v3 carrying one record batch (magic
// 2, uncompressed, CreateTime) and reading the partition's error code from the response.
#include "tools/qtt/zero_timestamp_producer.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

namespace sluice::qtt {
namespace {

constexpr int16_t kProduceApiKey = 0;
constexpr int16_t kProduceVersion = 3;  // the first version carrying record batches (magic 2)
constexpr int32_t kCorrelationId = 1;

// Big-endian and varint writers over a growing buffer.
class Writer {
 public:
  void Int8(int8_t v) { out_.push_back(static_cast<char>(v)); }
  void Int16(int16_t v) { BigEndian(static_cast<uint16_t>(v), 2); }
  void Int32(int32_t v) { BigEndian(static_cast<uint32_t>(v), 4); }
  void Int64(int64_t v) { BigEndian(static_cast<uint64_t>(v), 8); }
  void String(const std::string& s) {
    Int16(static_cast<int16_t>(s.size()));
    out_ += s;
  }
  // Zigzag varint, as record fields are encoded.
  void Varint(int64_t v) {
    uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (z >= 0x80) {
      out_.push_back(static_cast<char>((z & 0x7f) | 0x80));
      z >>= 7;
    }
    out_.push_back(static_cast<char>(z));
  }
  void VarBytes(const std::optional<std::string>& b) {
    if (!b) return Varint(-1);
    Varint(static_cast<int64_t>(b->size()));
    out_ += *b;
  }
  void Raw(const std::string& s) { out_ += s; }
  std::string& buffer() { return out_; }

 private:
  void BigEndian(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// CRC-32C (Castagnoli), which record batches carry over everything after the crc field.
uint32_t Crc32c(const std::string& data, size_t from) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = from; i < data.size(); ++i)
    crc = table[(crc ^ static_cast<unsigned char>(data[i])) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string EncodeRecord(const KafkaRecord& r) {
  Writer body;
  body.Int8(0);    // attributes
  body.Varint(0);  // timestamp delta: the batch's base timestamp is the record's
  body.Varint(0);  // offset delta
  body.VarBytes(r.key);
  body.VarBytes(r.value);
  body.Varint(static_cast<int64_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    body.VarBytes(h.key);
    body.VarBytes(h.value);
  }
  Writer record;
  record.Varint(static_cast<int64_t>(body.buffer().size()));
  record.Raw(body.buffer());
  return record.buffer();
}

std::string EncodeBatch(const KafkaRecord& r) {
  Writer b;
  b.Int64(0);   // base offset (the broker assigns)
  b.Int32(0);   // batch length, patched below
  b.Int32(-1);  // partition leader epoch
  b.Int8(2);    // magic
  b.Int32(0);   // crc, patched below
  const size_t crc_from = b.buffer().size();
  b.Int16(0);   // attributes: no compression, CreateTime, not transactional
  b.Int32(0);   // last offset delta: one record
  b.Int64(r.timestamp);
  b.Int64(r.timestamp);
  b.Int64(-1);  // producer id: not idempotent
  b.Int16(-1);  // producer epoch
  b.Int32(-1);  // base sequence
  b.Int32(1);   // record count
  b.Raw(EncodeRecord(r));
  std::string& s = b.buffer();
  auto patch = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * (3 - i))) & 0xff);
  };
  patch(8, static_cast<uint32_t>(s.size() - 12));  // bytes after the length field
  patch(crc_from - 4, Crc32c(s, crc_from));
  return s;
}

std::string EncodeProduceRequest(const KafkaRecord& r) {
  const std::string batch = EncodeBatch(r);
  Writer w;
  w.Int16(kProduceApiKey);
  w.Int16(kProduceVersion);
  w.Int32(kCorrelationId);
  w.String("sluice-qtt");
  w.Int16(-1);    // transactional id: null
  w.Int16(1);     // acks: the leader
  w.Int32(10000); // timeout ms
  w.Int32(1);     // one topic
  w.String(r.topic);
  w.Int32(1);     // one partition
  w.Int32(r.partition);
  w.Int32(static_cast<int32_t>(batch.size()));
  w.Raw(batch);
  Writer framed;
  framed.Int32(static_cast<int32_t>(w.buffer().size()));
  framed.Raw(w.buffer());
  return framed.buffer();
}

class Socket {
 public:
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Connect(const std::string& bootstrap) {
    const size_t colon = bootstrap.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("bootstrap without port: " + bootstrap);
    const std::string host = bootstrap.substr(0, colon), port = bootstrap.substr(colon + 1);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found)
      return Status::IOError("cannot resolve " + bootstrap);
    fd_ = ::socket(found->ai_family, SOCK_STREAM, 0);
    timeval timeout{10, 0};  // bounds every read and write below
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    const int rc = ::connect(fd_, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    if (rc != 0) return Status::IOError("cannot connect to " + bootstrap + ": " + std::strerror(errno));
    return Status::OK();
  }
  Status WriteAll(const std::string& data) {
    for (size_t sent = 0; sent < data.size();) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return Status::IOError(std::string("send: ") + std::strerror(errno));
      sent += static_cast<size_t>(n);
    }
    return Status::OK();
  }
  Result<std::string> ReadExactly(size_t size) {
    std::string out(size, '\0');
    for (size_t got = 0; got < size;) {
      const ssize_t n = ::recv(fd_, out.data() + got, size - got, 0);
      if (n <= 0) return Status::IOError("no produce response (closed or timed out)");
      got += static_cast<size_t>(n);
    }
    return out;
  }

 private:
  int fd_ = -1;
};

int64_t ReadBigEndian(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  if (bytes == 2) return static_cast<int16_t>(v);
  if (bytes == 4) return static_cast<int32_t>(v);
  return static_cast<int64_t>(v);
}

// ProduceResponse v3: correlation id, [topic, [partition, error_code, base_offset,
// log_append_time]], throttle time. One topic and one partition were sent.
Status CheckProduceResponse(const std::string& body, const KafkaRecord& r) {
  size_t at = 4 + 4;  // correlation id, topic count
  if (body.size() < at + 2) return Status::IOError("short produce response");
  at += 2 + static_cast<size_t>(ReadBigEndian(body, at, 2));  // topic name
  at += 4 + 4;                                                 // partition count, partition
  if (body.size() < at + 2) return Status::IOError("short produce response");
  const int64_t error = ReadBigEndian(body, at, 2);
  if (error != 0)
    return Status::IOError("produce to " + r.topic + " [" + std::to_string(r.partition) +
                           "] at timestamp 0 refused with Kafka error code " + std::to_string(error));
  return Status::OK();
}

}  // namespace

Status ProduceAtTimestampZero(const std::string& bootstrap, const KafkaRecord& record) {
  Socket socket;
  SLUICE_RETURN_IF_ERROR(socket.Connect(bootstrap));
  SLUICE_RETURN_IF_ERROR(socket.WriteAll(EncodeProduceRequest(record)));
  auto size = socket.ReadExactly(4);
  if (!size.ok()) return size.status();
  const int64_t length = ReadBigEndian(*size, 0, 4);
  if (length <= 0 || length > (1 << 20)) return Status::IOError("bad produce response size");
  auto body = socket.ReadExactly(static_cast<size_t>(length));
  if (!body.ok()) return body.status();
  return CheckProduceResponse(*body, record);
}

}  // namespace sluice::qtt
