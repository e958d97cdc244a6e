#!/usr/bin/env bash
# The comparison table of docs/performance.md: `bash tools/bench/compare.sh [compare.py options]`.
exec /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/compare.py" "$@"
