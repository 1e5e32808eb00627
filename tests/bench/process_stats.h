#pragma once
// What a bench reads about its own process from /proc: memory (VmRSS, VmHWM), threads and open
// file descriptors. Shared by the memory benches (query, push, push fan-out).
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace sluice::bench {

// A "Name:   value kB" line of /proc/self/status, as a number (0 if absent).
inline long StatusField(const char* name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t len = std::strlen(name);
  while (std::getline(in, line))
    if (line.compare(0, len, name) == 0 && line.size() > len && line[len] == ':')
      return std::strtol(line.c_str() + len + 1, nullptr, 10);
  return 0;
}

inline long OpenFds() {
  long n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != decltype(it)();
       it.increment(ec))
    ++n;
  return n;
}

// The process's resident memory, threads and descriptors at one moment.
struct Sample {
  long rss_kb, threads, fds;
};
inline Sample Measure() { return {StatusField("VmRSS"), StatusField("Threads"), OpenFds()}; }

}  // namespace sluice::bench
