#pragma once
// The server's StateBackend: ONE RocksDB instance per server (a directory under
// ksql.streams.state.dir), a column family per store, every key prefixed by its partition
// (big-endian int32) so that dropping a partition is one DeleteRange. One LRU block cache and
// one WriteBufferManager (memtables charged to that cache) bound the memory of all stores
// together, instead of Kafka Streams' cache and memtables per store per partition.
//
// Writes of a partition go into that partition's pending writes (a map; reads through the
// store see them) and reach the DB only at Checkpoint(), in one atomic write together with the
// changelog offset (metadata column family). So after a crash the local state is exactly the
// last checkpoint, and the changelog from the checkpointed offset on brings it up to date.
// Writes never checkpointed are discarded when the backend closes.
//
// Threads: a partition of a store is used by one thread at a time (the task that owns it);
// different partitions, and Open/Checkpoint/Drop, may be used from different threads. Reads from
// another thread (pull queries) must not use the handles of a partition being written.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/runtime/state/state_store.h"

namespace sluice {

struct RocksStateOptions {
  // Shared LRU cache for data, index and filter blocks of every store.
  size_t block_cache_bytes = size_t{64} << 20;
  // All memtables of all stores together (a WriteBufferManager charged to the block cache, which
  // is sized block_cache_bytes + write_buffer_bytes): the RocksDB memory bound is the sum.
  size_t write_buffer_bytes = size_t{32} << 20;
  // fsync the WAL at each Checkpoint (survives power loss, not only a process crash).
  bool sync_checkpoints = false;
  int max_background_jobs = 2;
};

class RocksStateBackend : public StateBackend {
 public:
  // Opens (creating if needed) the instance in `dir`, with every store found there.
  static Result<std::unique_ptr<RocksStateBackend>> Open(const std::string& dir,
                                                         const RocksStateOptions& options = {});

  struct MemoryUsage {
    size_t block_cache = 0;      // block cache usage (includes memtable reservations)
    size_t memtables = 0;        // all memtables (WriteBufferManager's count)
    size_t table_readers = 0;    // index/filter memory outside the cache
    size_t pending_batches = 0;  // writes not checkpointed yet
  };
  virtual MemoryUsage Memory() const = 0;
  // The configured bound of block cache + memtables.
  virtual size_t MemoryBound() const = 0;
  // Flushes memtables to SST files (tests and shutdown; not needed for durability).
  virtual Status Flush() = 0;
};

}  // namespace sluice
