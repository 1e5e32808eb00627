// COUNT_DISTINCT: ksqlDB's CountDistinct, an approximate distinct count with HyperLogLog
// (stream-lib's HyperLogLog, log2m = 14, MurmurHash2). The accumulator is the packed register
// set as ksqlDB stores it: ARRAY<INTEGER> of 2731 words, six 5-bit registers per word, so
// the estimate (and the state) is the one ksqlDB computes for the same values. NULLs are
// ignored; merge takes each register's maximum; no undo (stream only).
#include <cmath>
#include <cstring>

#include "engine/expr/aggregates/aggregate_internal.h"
#include "engine/expr/cast.h"
#include "engine/expr/functions/function_util.h"

namespace sluice::agg {

namespace {

constexpr int kLog2M = 14;
constexpr int kRegisters = 1 << kLog2M;
constexpr int kRegistersPerWord = 6;  // stream-lib's RegisterSet.LOG2_BITS_PER_WORD
constexpr int kRegisterBits = 5;
// RegisterSet.getSizeForCount(2^14): 16384 / 6 = 2730 words, plus one for the remainder.
constexpr int kWords = kRegisters / kRegistersPerWord + 1;

// stream-lib's MurmurHash.hash(byte[]): MurmurHash2, seed -1, Java int arithmetic (the tail
// bytes are sign-extended, as that code does).
int32_t MurmurBytes(const std::string& data) {
  const uint32_t m = 0x5bd1e995;
  const int len = static_cast<int>(data.size());
  uint32_t h = static_cast<uint32_t>(-1) ^ static_cast<uint32_t>(len);
  const int len4 = len >> 2;
  auto byte = [&](int i) { return static_cast<int32_t>(static_cast<int8_t>(data[i])); };
  for (int i = 0; i < len4; ++i) {
    const int b = i << 2;
    uint32_t k = static_cast<uint32_t>(byte(b + 3));
    k = (k << 8) | (static_cast<uint32_t>(byte(b + 2)) & 0xff);
    k = (k << 8) | (static_cast<uint32_t>(byte(b + 1)) & 0xff);
    k = (k << 8) | (static_cast<uint32_t>(byte(b)) & 0xff);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const int left = len - (len4 << 2);
  if (left != 0) {
    if (left >= 3) h ^= static_cast<uint32_t>(byte(len - 3)) << 16;
    if (left >= 2) h ^= static_cast<uint32_t>(byte(len - 2)) << 8;
    if (left >= 1) h ^= static_cast<uint32_t>(byte(len - 1));
    h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

// stream-lib's MurmurHash.hashLong.
int32_t MurmurLong(int64_t data) {
  const uint32_t m = 0x5bd1e995;
  uint32_t h = 0;
  uint32_t k = static_cast<uint32_t>(data) * m;
  k ^= k >> 24;
  h ^= k * m;
  k = static_cast<uint32_t>(static_cast<uint64_t>(data) >> 32) * m;
  k ^= k >> 24;
  h *= m;
  h ^= k * m;
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

// MurmurHash.hash(Object) for the Java object ksqlDB hands the UDAF: Integer/Long/Double
// through hashLong, String through its bytes, anything else through its toString().
int32_t HashOf(const Value& v, const SqlType& type) {
  if (v.IsInt()) return MurmurLong(v.AsInt());
  if (v.IsBigint()) return MurmurLong(v.AsBigint());
  if (v.IsDouble()) {
    int64_t bits;
    const double d = v.AsDouble();
    std::memcpy(&bits, &d, sizeof bits);
    return MurmurLong(bits);
  }
  if (v.IsString()) return MurmurBytes(v.AsString());
  if (v.IsBool()) return MurmurBytes(v.AsBool() ? "true" : "false");
  if (v.IsDecimal()) return MurmurBytes(fnutil::JavaDecimalString(v.AsDecimal()));
  if (v.IsBytes()) {
    // A ByteBuffer is hashed through its toString(), which only shows its size: ksqlDB
    // counts BYTES values of equal length as one.
    const std::string n = std::to_string(v.AsBytes().data.size());
    return MurmurBytes("java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]");
  }
  return MurmurBytes(CastToStringValue(v, type));
}

int RegisterAt(const ArrayValue& words, int position) {
  const int word = position / kRegistersPerWord;
  const int shift = kRegisterBits * (position - word * kRegistersPerWord);
  return static_cast<int>((static_cast<uint32_t>(words[word].AsInt()) >> shift) & 0x1f);
}

class CountDistinct final : public AggregateBase {
 public:
  explicit CountDistinct(TypePtr arg_type)
      : AggregateBase(1, SqlType::Bigint(), SqlType::Array(SqlType::Integer())),
        arg_type_(std::move(arg_type)) {}

  Value Initial() const override {
    return Value::Array(ArrayValue(kWords, Value(int32_t{0})));
  }

  Value Aggregate(const Value* args, Value acc) const override {
    if (args[0].IsNull()) return acc;
    // HyperLogLog.offerHashed: the top log2m bits pick the register, the rest give the rank.
    const auto x = static_cast<uint32_t>(HashOf(args[0], *arg_type_));
    const int j = static_cast<int>(x >> (32 - kLog2M));
    const uint32_t rest = (x << kLog2M) | ((1u << (kLog2M - 1)) + 1);
    const int r = __builtin_clz(rest) + 1;
    if (RegisterAt(acc.AsArray(), j) >= r) return acc;
    ArrayValue words = acc.AsArray();
    const int word = j / kRegistersPerWord;
    const int shift = kRegisterBits * (j - word * kRegistersPerWord);
    const uint32_t mask = 0x1fu << shift;
    const uint32_t cur = static_cast<uint32_t>(words[word].AsInt());
    words[word] = Value(static_cast<int32_t>((cur & ~mask) | (static_cast<uint32_t>(r) << shift)));
    return Value::Array(std::move(words));
  }

  Value Merge(const Value& a, const Value& b) const override {
    const ArrayValue &x = a.AsArray(), &y = b.AsArray();
    ArrayValue out(x.size());
    for (size_t w = 0; w < x.size(); ++w) {
      const auto xv = static_cast<uint32_t>(x[w].AsInt());
      const auto yv = w < y.size() ? static_cast<uint32_t>(y[w].AsInt()) : 0u;
      uint32_t word = 0;
      for (int k = 0; k < kRegistersPerWord; ++k) {
        const uint32_t mask = 0x1fu << (kRegisterBits * k);
        word |= std::max(xv & mask, yv & mask);
      }
      out[w] = Value(static_cast<int32_t>(word));
    }
    return Value::Array(std::move(out));
  }

  // HyperLogLog.cardinality: linear counting while the raw estimate is small.
  Value Map(const Value& acc) const override {
    const ArrayValue& words = acc.AsArray();
    double sum = 0, zeros = 0;
    for (int j = 0; j < kRegisters; ++j) {
      const int v = RegisterAt(words, j);
      sum += 1.0 / static_cast<double>(1 << v);
      if (v == 0) ++zeros;
    }
    const double m = kRegisters;
    const double alpha_mm = (0.7213 / (1 + 1.079 / m)) * m * m;
    const double estimate = alpha_mm * (1 / sum);
    if (estimate <= (5.0 / 2.0) * m) return Value(static_cast<int64_t>(std::llround(m * std::log(m / zeros))));
    return Value(static_cast<int64_t>(std::llround(estimate)));
  }

 private:
  TypePtr arg_type_;
};

}  // namespace

Result<AggregateFunctionPtr> ResolveCountDistinct(const Call& call) {
  if (call.size() != 1 || !call.types[0]) return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<CountDistinct>(call.types[0]));
}

}  // namespace sluice::agg
