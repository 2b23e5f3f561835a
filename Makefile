# Both targets do all set-up on a fresh Debian 12 machine (apt-get, data, configure, build), then run.
BUILD ?= build
JOBS  ?= 2
CMAKE_FLAGS ?=

.PHONY: run test setup build bench results clean
setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	bash scripts/run.sh $(BUILD)

# The data tests need every data set; a failed fetch (no network) leaves them skipped, with the reason printed.
test: build
	$(BUILD)/metaunsup data fetch --all > $(BUILD)/fetch.log 2>&1 \
	  || { tail -3 $(BUILD)/fetch.log; echo 'make test: data fetch failed (see $(BUILD)/fetch.log); the data tests will be skipped'; }
	cd $(BUILD) && ./metaunsup_tests --gtest_brief=1

bench: build
	$(BUILD)/metaunsup bench --baseline bench/baseline.json

# The README's results tables and studies for the shipped rule (about 20 minutes on 2 cores).
results: build
	bash scripts/results.sh $(BUILD)

clean:
	rm -rf $(BUILD)
