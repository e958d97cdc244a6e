#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/, clang++ -fsanitize=fuzzer,address,undefined) in _build/fuzz, replays the
# committed seeds and crash regressions through each, then fuzzes each target for the given time.
#
#   bash tools/fuzz.sh              # 20 s per target
#   bash tools/fuzz.sh 3600         # a long run: one hour per target
#   bash tools/fuzz.sh 60 npz tfjs  # only some targets
#   bash tools/fuzz.sh --runs 10000000 npz   # a campaign: exactly that many executions per target, however long
#                                            # it takes
#
# The per-input timeout (ELMAN_FUZZ_TIMEOUT, default 10 s) is wall-clock time: a fuzzer that is paused, or niced
# below other work on a busy machine, reports inputs as timeouts that replay in milliseconds. For a long campaign
# on a shared machine raise it (ELMAN_FUZZ_TIMEOUT=600), and replay any reported input alone before calling it a
# finding: _build/fuzz/fuzz/fuzz_<target> -runs=1 <input>.
#
# New inputs go to _build/fuzz/corpus/<target>/ (the committed fuzz/corpus/<target>/ is only read); a crash,
# leak, timeout or UB report stops that target, leaves the input in _build/fuzz/artifacts/<target>/ and makes
# the script fail. Commit such an input to fuzz/regressions/<target>/ once it is fixed: the default test suite
# replays that folder (tests/test_io_fuzz_corpus.cpp). Each target's executions are printed at the end.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=""
if [[ "${1:-}" == --runs ]]; then
    runs="${2:-}"
    if ! [[ "$runs" =~ ^[0-9]+$ ]] || [[ "$runs" -eq 0 ]]; then
        echo "fuzz.sh: --runs needs a positive number of executions, got '${runs}'" >&2
        exit 2
    fi
    shift 2
else
    seconds="${1:-20}"
    if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
        echo "fuzz.sh: the time per target must be a positive number of seconds, got '${seconds}'" >&2
        exit 2
    fi
    shift || true
fi
if [[ -n "$runs" ]]; then
    budget=("-runs=${runs}")
    budget_label="${runs} runs"
else
    budget=("-max_total_time=${seconds}")
    budget_label="${seconds}s"
fi
all_targets=(json_parse layer_config npy npz tfjs)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
    if [[ ! " ${all_targets[*]} " =~ " ${t} " ]]; then
        echo "fuzz.sh: unknown target '${t}' (known: ${all_targets[*]})" >&2
        exit 2
    fi
done
# The structure fuzzers get inputs well above the size-scaling seeds (fuzz/corpus/*/scale_*), so costs that grow
# faster than the input show; a .npy header is at most a few hundred bytes, its data only gets copied.
max_len_of() {
    case "$1" in
    npy) echo 8192 ;;
    *) echo 262144 ;;
    esac
}

dir=_build/fuzz
if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DELMAN_BUILD_FUZZERS=ON -DELMAN_BUILD_TESTS=OFF -DELMAN_BUILD_EXAMPLES=OFF >/dev/null; then
    echo "fuzz.sh: configuring ${dir} failed (needs clang++ and libFuzzer: bash tools/install-deps.sh)" >&2
    exit 1
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_${t}"); done
if ! cmake --build "$dir" -j "${ELMAN_FUZZ_JOBS:-2}" "${build_targets[@]}"; then
    echo "fuzz.sh: building the fuzz targets failed" >&2
    exit 1
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
summary=()
failed=0
for t in "${targets[@]}"; do
    bin="${dir}/fuzz/fuzz_${t}"
    work="${dir}/corpus/${t}"
    artifacts="${dir}/artifacts/${t}/"
    log="${dir}/fuzz_${t}.log"
    mkdir -p "$work" "$artifacts"
    status=ok
    # Every committed input once, at its full size (-runs=0: run the given corpora, then stop).
    replay=("fuzz/corpus/${t}")
    [[ -d "fuzz/regressions/${t}" ]] && replay+=("fuzz/regressions/${t}")
    if ! "$bin" -runs=0 -timeout=30 -rss_limit_mb=4096 "-artifact_prefix=${artifacts}" "${replay[@]}" \
        >"${dir}/replay_${t}.log" 2>&1; then
        status="FAILED (replay, see ${dir}/replay_${t}.log)"
    fi
    if [[ "$status" == ok ]] &&
        ! "$bin" "${budget[@]}" -timeout="${ELMAN_FUZZ_TIMEOUT:-10}" -rss_limit_mb=4096 -max_len="$(max_len_of "$t")" \
            -print_final_stats=1 "-artifact_prefix=${artifacts}" "$work" "fuzz/corpus/${t}" >"$log" 2>&1; then
        status="FAILED (see ${log}, input in ${artifacts})"
    fi
    execs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' | tail -1)
    [[ "$status" == ok ]] || failed=$((failed + 1))
    summary+=("$(printf '%-17s %15s  %12s executions  %s' "fuzz_${t}" "$budget_label" "${execs:-?}" "$status")")
    echo "${summary[-1]}"
done

echo
echo "=== fuzz summary (clang++ -fsanitize=fuzzer,address,undefined) ==="
printf '%s\n' "${summary[@]}"
echo "fuzz targets: $((${#targets[@]} - failed)) passed, ${failed} failed"
[[ $failed -eq 0 ]]
