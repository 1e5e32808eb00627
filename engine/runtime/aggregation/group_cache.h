#pragma once
// The aggregator's record cache (ksql.streams.cache.max.bytes.buffering): groups (or windows
// of a group) in a compact form whose memory is what the budget counts.
//
// Why not a hash map of decoded rows: a std::unordered_map node with a Row key and two Rows of
// accumulators costs ~450 bytes per group, so a 10 MB budget held ~20k groups and a working
// set of 100k groups missed the cache (a RocksDB read) on every record. Here a group costs its
// bytes plus ~25: one byte arena holds every entry as
//   header (16 bytes) | cache key | encoded group key | committed value (as in the store)
// and an open-addressing table of offsets finds them. Updates between flushes go to a
// second arena of current values (the dirty list, in first-update order), so a dirty group
// still has its committed value for the old results it reports at the flush.
//
// Without old values (set_keep_committed(false): the aggregation has no HAVING, so nothing
// reads the results before an update), a dirty group's current value is written over its
// committed one in the entry itself: no second arena, and the dirty list is just handles.
//
// Offsets stay valid while entries are added (an arena grows, its offsets do not move); they
// move only in Compact()/EvictTo(), which need every entry clean (after a flush).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class GroupCache {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Whether a dirty entry keeps its committed value (the default) for old results at the flush.
  // Set before the first Insert.
  void set_keep_committed(bool keep) { keep_committed_ = keep; }

  struct Entry {
    std::string_view key;        // cache key
    std::string_view key_row;    // the group's key values, row codec
    std::string_view committed;  // the stored value (empty when !in_store, or dirty without old values)
    std::optional<std::string_view> current;  // the value since the last flush (dirty only)
    bool in_store = false;
  };

  // The entry of `key`, or kNone. Marks it used (LRU).
  uint32_t Find(std::string_view key);
  // Adds a clean entry for `key` (absent from the cache): its stored value, or nullopt.
  uint32_t Insert(std::string_view key, std::string_view key_row, std::optional<std::string_view> committed);
  Entry Get(uint32_t handle) const;
  // Sets the entry's current value; the first one since a flush appends it to the dirty list.
  void SetCurrent(uint32_t handle, std::string_view value);
  size_t dirty_count() const { return dirty_handles_.size(); }
  uint32_t dirty_handle(size_t i) const { return dirty_handles_[i]; }
  // After the dirty entry's current value was written: it becomes the committed one.
  void MarkCommitted(uint32_t handle);
  // Empties the dirty list (every entry must have been committed).
  void ClearDirty();
  // Write-through use (no dirty list; a join's table side): sets `key`'s entry to `value`
  // (nullopt: known absent), adding it if needed. The entry must not be dirty.
  void SetClean(std::string_view key, std::optional<std::string_view> value);
  // Memory held (arenas, table, dirty list): what the budget compares with.
  size_t bytes() const;
  // Drops the least recently used entries until bytes() <= target, compacting the arena; all
  // entries must be clean. Also compacts when garbage (replaced values) exceeds the live data.
  void EvictTo(size_t target);
  size_t size() const { return live_; }

 private:
  // Entries are 4-byte aligned: header, cache key, key row, committed value.
  struct Header {
    uint32_t key_len;    // bit 31: dirty
    uint32_t row_len;
    uint32_t value_len;  // bit 31: in the store
    uint32_t use;        // clean: last use stamp (LRU); dirty: index in dirty_
  };
  static constexpr uint32_t kFlag = 0x80000000u, kLen = 0x7fffffffu;
  struct DirtyValue {
    uint32_t offset, len;  // current value in dirty_arena_
  };
  Header* HeaderAt(uint32_t handle) { return reinterpret_cast<Header*>(arena_.data() + handle); }
  const Header* HeaderAt(uint32_t handle) const {
    return reinterpret_cast<const Header*>(arena_.data() + handle);
  }
  static size_t EntrySize(const Header& h);
  std::string_view KeyOf(uint32_t handle) const;
  uint32_t Append(std::string_view key, std::string_view row, std::string_view value, bool in_store, uint32_t use);
  // Appends a new version of the entry with another value (the old one becomes garbage) and
  // points its table slot at it; returns the new handle. Keeps the dirty flag and index.
  uint32_t Replace(uint32_t handle, std::string_view value, bool in_store, uint32_t use);
  char* ValueAt(uint32_t handle) {
    const Header* h = HeaderAt(handle);
    return arena_.data() + handle + sizeof(Header) + (h->key_len & kLen) + h->row_len;
  }
  size_t FindSlot(std::string_view key, uint64_t hash) const;
  void Place(uint64_t hash, uint32_t handle);
  void Grow();
  void Rebuild(uint32_t cut, size_t ties);
  static uint64_t Hash(std::string_view key);
  uint32_t Stamp() { return static_cast<uint32_t>(++uses_ >> 8); }

  // Grown by 1/8 at a time, not doubled: its capacity is what the budget counts.
  std::vector<char> arena_;
  // Open addressing, load <= 1/2; 0 = empty, else handle / 4 + 1 (4 bytes a slot: the table
  // is a fifth of the cache's memory, not a third, for small entries).
  std::vector<uint32_t> slots_;
  std::vector<uint32_t> dirty_handles_;  // in first-update order
  std::vector<DirtyValue> dirty_values_;  // parallel to dirty_handles_ when keep_committed_
  std::string dirty_arena_;
  bool keep_committed_ = true;
  size_t live_ = 0, garbage_ = 0;
  uint64_t uses_ = 0;
};

}  // namespace sluice
