#include "engine/runtime/aggregation/group_cache.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace sluice {

namespace {
size_t Aligned(size_t n) { return (n + 3) & ~size_t{3}; }
}  // namespace

uint64_t GroupCache::Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

size_t GroupCache::EntrySize(const Header& h) {
  return Aligned(sizeof(Header) + (h.key_len & kLen) + h.row_len + (h.value_len & kLen));
}

std::string_view GroupCache::KeyOf(uint32_t handle) const {
  return {arena_.data() + handle + sizeof(Header), HeaderAt(handle)->key_len & kLen};
}

size_t GroupCache::FindSlot(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return SIZE_MAX;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint32_t s = slots_[i];
    if (s == 0) return SIZE_MAX;
    if (KeyOf((s - 1) * 4) == key) return i;
  }
}

uint32_t GroupCache::Find(std::string_view key) {
  const size_t slot = FindSlot(key, Hash(key));
  if (slot == SIZE_MAX) return kNone;
  const uint32_t handle = (slots_[slot] - 1) * 4;
  Header* h = HeaderAt(handle);
  if (!(h->key_len & kFlag)) h->use = Stamp();
  return handle;
}

void GroupCache::Place(uint64_t hash, uint32_t handle) {
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = handle / 4 + 1;
}

void GroupCache::Grow() {
  std::vector<uint32_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 256 : old.size() * 2, 0);
  for (uint32_t s : old)
    if (s != 0) Place(Hash(KeyOf((s - 1) * 4)), (s - 1) * 4);
}

uint32_t GroupCache::Append(std::string_view key, std::string_view row, std::string_view value, bool in_store,
                            uint32_t use) {
  const size_t at = arena_.size();
  const size_t n = Aligned(sizeof(Header) + key.size() + row.size() + value.size());
  if (at + n > arena_.capacity()) arena_.reserve(std::max(at + n, arena_.capacity() + arena_.capacity() / 8 + 4096));
  arena_.resize(at + n);
  char* p = arena_.data() + at;
  Header h;
  h.key_len = static_cast<uint32_t>(key.size());
  h.row_len = static_cast<uint32_t>(row.size());
  h.value_len = static_cast<uint32_t>(value.size()) | (in_store ? kFlag : 0);
  h.use = use;
  std::memcpy(p, &h, sizeof h);
  p += sizeof h;
  std::memcpy(p, key.data(), key.size());
  std::memcpy(p + key.size(), row.data(), row.size());
  std::memcpy(p + key.size() + row.size(), value.data(), value.size());
  return static_cast<uint32_t>(at);
}

uint32_t GroupCache::Insert(std::string_view key, std::string_view key_row, std::optional<std::string_view> committed) {
  if ((live_ + 1) * 2 > slots_.size()) Grow();
  const uint32_t handle =
      Append(key, key_row, committed.value_or(std::string_view()), committed.has_value(), Stamp());
  Place(Hash(key), handle);
  ++live_;
  return handle;
}

GroupCache::Entry GroupCache::Get(uint32_t handle) const {
  const Header* h = HeaderAt(handle);
  const uint32_t key_len = h->key_len & kLen;
  const char* p = arena_.data() + handle + sizeof(Header);
  Entry e;
  e.key = {p, key_len};
  e.key_row = {p + key_len, h->row_len};
  e.in_store = (h->value_len & kFlag) != 0;
  const std::string_view value(p + key_len + h->row_len, h->value_len & kLen);
  const bool dirty = (h->key_len & kFlag) != 0;
  if (!dirty) {
    e.committed = value;
  } else if (!keep_committed_) {
    e.current = value;  // written over the committed value
  } else {
    e.committed = value;
    e.current = std::string_view(dirty_arena_.data() + dirty_values_[h->use].offset, dirty_values_[h->use].len);
  }
  return e;
}

uint32_t GroupCache::Replace(uint32_t handle, std::string_view value, bool in_store, uint32_t use) {
  const Header* h = HeaderAt(handle);
  garbage_ += EntrySize(*h);
  const bool dirty = (h->key_len & kFlag) != 0;
  // Copies: Append may move the arena under views of it.
  const std::string key(KeyOf(handle));
  const std::string row(arena_.data() + handle + sizeof(Header) + key.size(), h->row_len);
  const uint32_t moved = Append(key, row, value, in_store, use);
  if (dirty) HeaderAt(moved)->key_len |= kFlag;
  const size_t slot = FindSlot(key, Hash(key));
  if (slot != SIZE_MAX) slots_[slot] = moved / 4 + 1;
  return moved;
}

void GroupCache::SetCurrent(uint32_t handle, std::string_view value) {
  Header* h = HeaderAt(handle);
  const bool dirty = (h->key_len & kFlag) != 0;
  if (!keep_committed_) {
    if (!dirty) {
      h->key_len |= kFlag;
      h->use = static_cast<uint32_t>(dirty_handles_.size());
      dirty_handles_.push_back(handle);
    }
    if ((h->value_len & kLen) == value.size()) {  // the usual case: fixed-width accumulators
      std::memcpy(ValueAt(handle), value.data(), value.size());
      return;
    }
    const uint32_t index = h->use;
    dirty_handles_[index] = Replace(handle, value, (h->value_len & kFlag) != 0, index);
    return;
  }
  if (dirty) {
    DirtyValue& d = dirty_values_[h->use];
    if (d.len == value.size()) {  // the usual case: fixed-width accumulators, rewritten in place
      std::memcpy(dirty_arena_.data() + d.offset, value.data(), value.size());
      return;
    }
    d.offset = static_cast<uint32_t>(dirty_arena_.size());
    d.len = static_cast<uint32_t>(value.size());
    dirty_arena_.append(value);
    return;
  }
  h->key_len |= kFlag;
  h->use = static_cast<uint32_t>(dirty_handles_.size());
  dirty_handles_.push_back(handle);
  dirty_values_.push_back({static_cast<uint32_t>(dirty_arena_.size()), static_cast<uint32_t>(value.size())});
  dirty_arena_.append(value);
}

void GroupCache::MarkCommitted(uint32_t handle) {
  Header* h = HeaderAt(handle);
  if (!(h->key_len & kFlag)) return;
  h->key_len &= kLen;
  if (!keep_committed_) {  // the value is in place already
    h->value_len |= kFlag;
    h->use = Stamp();
    return;
  }
  const DirtyValue d = dirty_values_[h->use];
  h->use = Stamp();
  if ((h->value_len & kFlag) && d.len == (h->value_len & kLen)) {  // same size: in place
    std::memcpy(ValueAt(handle), dirty_arena_.data() + d.offset, d.len);
    return;
  }
  // Another size: a new version of the entry at the end of the arena, the old one garbage.
  Replace(handle, std::string_view(dirty_arena_.data() + d.offset, d.len), true, h->use);
}

void GroupCache::SetClean(std::string_view key, std::optional<std::string_view> value) {
  const size_t slot = FindSlot(key, Hash(key));
  if (slot == SIZE_MAX) {
    Insert(key, {}, value);
    return;
  }
  const uint32_t handle = (slots_[slot] - 1) * 4;
  Header* h = HeaderAt(handle);
  h->use = Stamp();
  const size_t len = value ? value->size() : 0;
  if (len == (h->value_len & kLen)) {  // same size: in place
    if (len) std::memcpy(arena_.data() + handle + sizeof(Header) + (h->key_len & kLen) + h->row_len, value->data(), len);
    h->value_len = static_cast<uint32_t>(len) | (value ? kFlag : 0);
    return;
  }
  Replace(handle, value.value_or(std::string_view()), value.has_value(), h->use);
}

// The values of a flush are gone once written: their memory goes back too, so that the
// budget's clean entries are not squeezed by the last interval's peak of dirty ones.
void GroupCache::ClearDirty() {
  std::vector<uint32_t>().swap(dirty_handles_);
  std::vector<DirtyValue>().swap(dirty_values_);
  std::string().swap(dirty_arena_);
}

size_t GroupCache::bytes() const {
  return sizeof(*this) + arena_.capacity() + slots_.capacity() * sizeof(uint32_t) +
         dirty_handles_.capacity() * sizeof(uint32_t) + dirty_values_.capacity() * sizeof(DirtyValue) +
         dirty_arena_.capacity();
}

void GroupCache::EvictTo(size_t target) {
  if (!dirty_handles_.empty()) return;
  if (bytes() <= target) {
    if (garbage_ > arena_.size() / 2) Rebuild(0, 0);
    return;
  }
  // Batch LRU: the use stamps of every entry, cut at the fraction of entries to drop.
  std::vector<uint32_t> uses;
  uses.reserve(live_);
  for (uint32_t s : slots_)
    if (s != 0) uses.push_back(HeaderAt((s - 1) * 4)->use);
  const size_t live_bytes = arena_.size() - garbage_;
  const size_t fixed = sizeof(*this) + uses.size() * 2 * sizeof(uint32_t);  // the table, at its load after a rebuild
  const double keep =
      target > fixed && live_bytes > 0
          ? std::min(1.0, static_cast<double>(target - fixed) / (static_cast<double>(live_bytes) * 1.15))
          : 0.0;
  const size_t drop = uses.size() - static_cast<size_t>(static_cast<double>(uses.size()) * keep);
  if (drop >= uses.size()) return Rebuild(UINT32_MAX, SIZE_MAX);
  if (drop == 0) return Rebuild(0, 0);
  // The drop-th oldest stamp: entries below it go, and as many of the entries stamped with it
  // as make up the count (stamps are coarse, so ties are common).
  std::nth_element(uses.begin(), uses.begin() + static_cast<long>(drop - 1), uses.end());
  const uint32_t cut = uses[drop - 1];
  const size_t below =
      static_cast<size_t>(std::count_if(uses.begin(), uses.end(), [&](uint32_t u) { return u < cut; }));
  Rebuild(cut, drop - below);
}

// Copies the entries into a fresh arena and table, but those used before `cut` and the first
// `ties` used at `cut` (cut 0: keeps everything; compaction only; UINT32_MAX: drops all).
void GroupCache::Rebuild(uint32_t cut, size_t ties) {
  std::vector<char> old_arena = std::move(arena_);
  std::vector<uint32_t> old_slots = std::move(slots_);
  arena_ = {};
  slots_ = {};
  std::vector<uint32_t> handles;
  handles.reserve(live_);
  size_t kept_bytes = 0;
  for (uint32_t s : old_slots) {
    if (s == 0) continue;
    const uint32_t old = (s - 1) * 4;
    const auto* h = reinterpret_cast<const Header*>(old_arena.data() + old);
    if (cut == UINT32_MAX || h->use < cut) continue;
    if (h->use == cut && ties > 0) {
      --ties;
      continue;
    }
    handles.push_back(old);
    kept_bytes += EntrySize(*h);
  }
  live_ = 0;
  garbage_ = 0;
  if (handles.empty()) return;
  arena_.reserve(kept_bytes + kept_bytes / 8);
  size_t table = 256;
  while (table < handles.size() * 2) table *= 2;
  slots_.assign(table, 0);
  // In arena order: entries keep their relative order (and locality).
  std::sort(handles.begin(), handles.end());
  for (uint32_t old : handles) {
    const auto* h = reinterpret_cast<const Header*>(old_arena.data() + old);
    const uint32_t key_len = h->key_len & kLen;
    const char* p = old_arena.data() + old + sizeof(Header);
    const std::string_view key(p, key_len);
    const uint32_t handle = Append(key, {p + key_len, h->row_len}, {p + key_len + h->row_len, h->value_len & kLen},
                                   (h->value_len & kFlag) != 0, h->use);
    Place(Hash(key), handle);
    ++live_;
  }
}

}  // namespace sluice
