#!/usr/bin/env bash
# The README's first command: install the dependencies, build the quick-start example and run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/install-deps.sh
cmake -S . -B _build/quickstart -G Ninja -DCMAKE_BUILD_TYPE=Release -DELMAN_BUILD_TESTS=OFF -DELMAN_BUILD_EXAMPLES=ON
cmake --build _build/quickstart --target example_quickstart
./_build/quickstart/examples/example_quickstart
