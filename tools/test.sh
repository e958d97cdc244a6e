#!/usr/bin/env bash
# The test entry point (the README's test command; .ci/run is exactly `bash tools/test.sh`).
#
#   bash tools/test.sh                  # every configuration below, in this order
#   bash tools/test.sh asan-ubsan       # one (or several) configurations
#
# Each configuration gets its own build directory _build/<config>: configure, build, ctest --output-on-failure -j2.
# Configurations:
#   gcc-release    g++, Release, C++17 (from the target's cxx_std_17), -march=x86-64 -mtune=generic (the baseline a
#                  distribution build gets, spelled out so CXXFLAGS cannot add an -march): all tests incl. the
#                  consumer projects, on the kernels picked at run time; test_isa.cpp asserts the AVX-512 / AVX2
#                  ones ran where the CPU has them, and the isa.forced_* tests rerun the golden tests on every path
#   clang-cxx20    clang++, Debug (asserts on), C++20, -march=native, ELMAN_SINGLE_HEADER=ON: the whole suite
#                  against single_include/elman/elman.hpp, with the host's whole ISA enabled at compile time (the
#                  generic kernels then use its widest packets), all tests incl. the consumer projects
#   asan-ubsan     g++, Debug -O0 -g1, -fsanitize=address,undefined -fno-sanitize-recover=all: every test of what
#                  the library computes and reads, and the elman-predict program; the build-property tests
#                  (ELMAN_TEST_BUILD_CHECKS: header compile, ABI, ODR, no-alloc, no-exceptions) and the examples
#                  run in the native builds only
#   format         tools/check_format.sh as the CTest test format.clang_format (configure only, nothing to build)
#   aarch64-qemu   g++-aarch64-linux-gnu, Release (NEON packets), cmake/toolchains/aarch64-linux-gnu.cmake; every
#                  test program runs under qemu-user-static; no zlib/HDF5 (no aarch64 builds of them installed),
#                  no consumer projects, build-property tests or examples
#   fuzz-smoke     bash tools/fuzz.sh 15: every libFuzzer target built with clang++ and ASan+UBSan, the committed
#                  seeds and regressions replayed, then 15 s of fuzzing per target (_build/fuzz; about 3 minutes)
# Extra CMake arguments for every configuration: ELMAN_TEST_CMAKE_ARGS="-DELMAN_WITH_HDF5=ON ..." bash tools/test.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all_configs=(gcc-release clang-cxx20 asan-ubsan format aarch64-qemu fuzz-smoke)
configs=("$@")
if [[ ${#configs[@]} -eq 0 ]]; then
    configs=("${all_configs[@]}")
fi
for config in "${configs[@]}"; do
    if [[ ! " ${all_configs[*]} " =~ " ${config} " ]]; then
        echo "test.sh: unknown configuration '${config}' (known: ${all_configs[*]})" >&2
        exit 2
    fi
done

if ! bash tools/install-deps.sh; then
    echo "test.sh: installing dependencies failed" >&2
    exit 1
fi

jobs="${ELMAN_TEST_JOBS:-2}"
read -r -a extra_args <<<"${ELMAN_TEST_CMAKE_ARGS:-}"
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# Sets: cmake_args (configure), ctest_args (selection), build (0 = configure only), script (when set, the
# configuration is this command instead of configure/build/ctest).
setup() {
    build=1
    script=()
    ctest_args=(-LE '^(format|consumer)$')
    case "$1" in
    gcc-release)
        # Explicit baseline, so CXXFLAGS from the environment cannot add an -march behind the test's back.
        cmake_args=(-DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=-march=x86-64 -mtune=generic")
        ctest_args=(-LE '^format$')
        ;;
    clang-cxx20)
        cmake_args=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_STANDARD=20
            -DCMAKE_CXX_FLAGS=-march=native -DELMAN_SINGLE_HEADER=ON)
        ctest_args=(-LE '^format$')
        ;;
    asan-ubsan)
        # -g1 (line tables: reports keep file:line) instead of Debug's -g: a third less compile time. -O0: the
        # build is most of this configuration's time, and -O1 compiles ~1.6x slower for tests that run in seconds.
        cmake_args=(-DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS=${sanitize} -O0"
            -DCMAKE_CXX_FLAGS_DEBUG=-g1 "-DCMAKE_EXE_LINKER_FLAGS=${sanitize}" -DELMAN_TEST_BUILD_CHECKS=OFF
            -DELMAN_BUILD_EXAMPLES=OFF)
        ;;
    aarch64-qemu)
        cmake_args=("-DCMAKE_TOOLCHAIN_FILE=${PWD}/cmake/toolchains/aarch64-linux-gnu.cmake" -DCMAKE_BUILD_TYPE=Release
            -DELMAN_WITH_ZLIB=OFF -DELMAN_WITH_HDF5=OFF -DELMAN_TEST_BUILD_CHECKS=OFF -DELMAN_BUILD_EXAMPLES=OFF)
        ;;
    format)
        cmake_args=(-DELMAN_BUILD_EXAMPLES=OFF)
        ctest_args=(-L '^format$')
        build=0
        ;;
    fuzz-smoke)
        script=(bash tools/fuzz.sh "${ELMAN_FUZZ_SMOKE_SECONDS:-15}")
        ;;
    esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

summary=()
failed=0
passed=0
for config in "${configs[@]}"; do
    setup "$config"
    dir="_build/${config}"
    echo
    echo "=== ${config}: ${dir} ==="
    start=$(date +%s)
    status="ok"
    if [[ ${#script[@]} -gt 0 ]]; then
        if "${script[@]}"; then
            passed=$((passed + 1))
        else
            status="FAILED"
            failed=$((failed + 1))
        fi
        end=$(date +%s)
        summary+=("$(printf '%-14s %-20s total %4ss' "$config" "$status" $((end - start)))")
        continue
    fi
    if ! cmake -S . -B "$dir" -G Ninja -DELMAN_BUILD_TESTS=ON "${cmake_args[@]}" "${extra_args[@]}"; then
        status="FAILED (configure)"
    fi
    configured=$(date +%s)
    if [[ "$status" == ok && $build -eq 1 ]] && ! cmake --build "$dir" -j "$jobs"; then
        status="FAILED (build)"
    fi
    built=$(date +%s)
    if [[ "$status" == ok ]] &&
        ! ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" "${ctest_args[@]}"; then
        status="FAILED (tests)"
    fi
    end=$(date +%s)
    if [[ "$status" == ok ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    summary+=("$(printf '%-14s %-20s configure %4ss  build %4ss  test %4ss  total %4ss' "$config" "$status" \
        $((configured - start)) $((built - configured)) $((end - built)) $((end - start)))")
done

echo
echo "=== timing summary ==="
printf '%s\n' "${summary[@]}"
echo "configurations: ${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
