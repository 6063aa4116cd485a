# Thin wrapper over CMake for the README's two commands.
#   make demo   build, then learn from the bundled records into a temporary store
#   make check  build with sanitizers and fuzzers, run every test suite
#   make bench  run the benchmarks in tests/bench/
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DAALEARN_WERROR=ON
endif

.PHONY: all build demo check check-build bench vm deps clean

all: build

deps:
	@sh .ci/deps.sh build

build: deps
	cmake -S . -B build -DBUILD_TESTING=OFF $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)

demo: build
	@sh docs/demo/demo.sh build

check-build:
	@sh .ci/deps.sh check
	cmake -S . -B build-check -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DAALEARN_SANITIZE=ON -DAALEARN_FUZZ=ON -DAALEARN_VM_TESTS=ON \
		$(CMAKE_FLAGS) >/dev/null
	cmake --build build-check -j $(JOBS)

check: check-build
	cd build-check && ctest --output-on-failure -j $(JOBS)

# Benchmarks run optimised code without sanitizers, in their own build.
bench:
	@sh .ci/deps.sh check
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	cmake --build build-bench -j $(JOBS)
	@bash tests/bench/run.sh build-bench

vm: check-build
	cd build-check && ctest --output-on-failure -L vm

clean:
	rm -rf build build-check build-bench
