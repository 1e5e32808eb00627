// main() of the Catch2 integration test programs (sluice-integration-tests,
// sluice-push-query-tests, sluice-kafka-resilience-tests). Catch2's implementation is compiled
// here once, not once per program (it is most of a program's compile time).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

#include <spdlog/spdlog.h>

int main(int argc, char* argv[]) {
  // SLUICE_TEST_LOG=info shows the runtime's log lines when a test needs explaining. A program
  // that needs more (kafka_resilience_test.cpp's processing-log sink) adds it in a Catch2
  // listener, which runs after this and before the first test.
  const char* level = std::getenv("SLUICE_TEST_LOG");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::off);
  return Catch::Session().run(argc, argv);
}
