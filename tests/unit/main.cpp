#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

int main(int argc, char* argv[]) {
  // Tests assert on behaviour, not on log lines: keep their output readable.
  spdlog::set_level(spdlog::level::off);
  return Catch::Session().run(argc, argv);
}
