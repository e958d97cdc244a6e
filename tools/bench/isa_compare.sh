#!/usr/bin/env bash
# Runtime ISA dispatch against -march=native, in one run: the benchmark suite built twice (elman_bench with
# -O3 -march=native, elman_bench_nomarch with -O3 and no -march flag), run interleaved on the forward float
# packed benchmarks of S2-S6, median of the rounds, ratio = no-march / native (target <= 1.15).
#
#   bash tools/bench/isa_compare.sh [rounds (default 5)] [threads (default 1)]
#
# Builds into _build/bench-isa (g++ Release). Only run on an otherwise quiet machine for publishable numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds="${1:-5}"
threads="${2:-1}"
dir=_build/bench-isa
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DELMAN_BUILD_TESTS=OFF \
    -DELMAN_BUILD_EXAMPLES=OFF -DELMAN_INSTALL=OFF -DELMAN_BUILD_BENCHMARKS=ON -DELMAN_BENCH_NATIVE=ON >/dev/null
cmake --build "$dir" -j 2 --target elman_bench elman_bench_nomarch >/dev/null
filter="^forward/float/S[2-6]/packed/threads:${threads}/"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 0; r < rounds; ++r)); do
    for bin in elman_bench elman_bench_nomarch; do
        "$dir/benchmarks/$bin" --benchmark_filter="$filter" --benchmark_min_time=0.3 --benchmark_format=csv \
            2>/dev/null | grep '^"forward' >"$out/$bin.$r.csv"
    done
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import csv, glob, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
times = {}
for bin in ("elman_bench", "elman_bench_nomarch"):
    for path in glob.glob(os.path.join(out, bin + ".*.csv")):
        for row in csv.reader(open(path)):
            times.setdefault((bin, row[0]), []).append(float(row[2]))  # real_time (us)
names = sorted({name for _, name in times})
print("{:<36} {:>12} {:>12} {:>7}".format("benchmark (median of %d, us)" % rounds, "native", "no-march", "ratio"))
for name in names:
    native = statistics.median(times[("elman_bench", name)])
    plain = statistics.median(times[("elman_bench_nomarch", name)])
    print("{:<36} {:>12.1f} {:>12.1f} {:>7.3f}".format(name, native, plain, plain / native))
PY
