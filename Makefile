# Thin wrapper around CMake (as DuckDB's). `make run` and `make test` install what they need.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= 2
# Most integration tests wait on brokers and consumer groups, not on the CPU: four at a time
# (the CPU-heavy conformance runs count as two, tests/conformance/CMakeLists.txt).
TEST_JOBS ?= 4
CMAKE_FLAGS ?=

.PHONY: all build deps configure test run debug sanitize clean

all: build

deps:
	@bash scripts/install-deps.sh

configure:
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS) -- --no-print-directory

test: deps build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(TEST_JOBS)

# Starts sluiced (embedded Kafka broker unless ARGS="--config FILE" sets bootstrap.servers);
# it prints where the REST API (http://localhost:8088) and the broker listen.
run: deps build
	@$(BUILD_DIR)/bin/sluiced $(ARGS)

debug:
	@$(MAKE) build BUILD_DIR=build-debug BUILD_TYPE=Debug

sanitize:
	@$(MAKE) test BUILD_DIR=build-sanitize BUILD_TYPE=Sanitize

clean:
	@rm -rf $(BUILD_DIR) build-debug build-sanitize
