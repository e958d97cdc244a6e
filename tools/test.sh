#!/usr/bin/env bash
# The test entry point (the README's test command; .ci/run is exactly `bash tools/test.sh`).
#
#   bash tools/test.sh                  # every configuration below, in this order
#   bash tools/test.sh asan-ubsan       # one (or several) configurations
#
# Each configuration gets its own build directory _build/<config>: configure, build, ctest --output-on-failure -j2.
# Configurations:
#   gcc-release    g++, Release, C++17 (from the target's cxx_std_17), all tests incl. the consumer projects
#   clang-cxx20    clang++, Debug (asserts on), C++20, all tests incl. the consumer projects
#   asan-ubsan     g++, Debug -O1, -fsanitize=address,undefined -fno-sanitize-recover=all, whole suite
#   single-header  g++, Release, ELMAN_SINGLE_HEADER=ON: the whole suite against single_include/elman/elman.hpp
#   format         tools/check_format.sh as the CTest test format.clang_format (configure only, nothing to build)
# Extra CMake arguments for every configuration: ELMAN_TEST_CMAKE_ARGS="-DELMAN_WITH_HDF5=ON ..." bash tools/test.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all_configs=(gcc-release clang-cxx20 asan-ubsan single-header format)
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

# Sets: cmake_args (configure), ctest_args (selection), build (0 = configure only).
setup() {
    build=1
    ctest_args=(-LE '^(format|consumer)$')
    case "$1" in
    gcc-release)
        cmake_args=(-DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release)
        ctest_args=(-LE '^format$')
        ;;
    clang-cxx20)
        cmake_args=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_STANDARD=20)
        ctest_args=(-LE '^format$')
        ;;
    asan-ubsan)
        cmake_args=(-DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS=${sanitize} -O1"
            "-DCMAKE_EXE_LINKER_FLAGS=${sanitize}")
        ;;
    single-header)
        cmake_args=(-DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release -DELMAN_SINGLE_HEADER=ON)
        ;;
    format)
        cmake_args=(-DELMAN_BUILD_EXAMPLES=OFF)
        ctest_args=(-L '^format$')
        build=0
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
