#!/usr/bin/env bash
# Fails if any C++ file under include/ tests/ examples/ differs from what the pinned clang-format 14 makes of it.
#   bash tools/check_format.sh         # check (CI, CTest test format.clang_format)
#   bash tools/check_format.sh --fix   # reformat those files in place
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

clang_format=""
for candidate in clang-format-14 clang-format; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" --version | grep -q 'version 14\.'; then
        clang_format="$candidate"
        break
    fi
done
if [[ -z "$clang_format" ]]; then
    echo "check_format.sh: clang-format 14 not found (run tools/install-deps.sh)" >&2
    exit 1
fi

mapfile -t files < <(find include tests examples -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.inc' \) \
    -not -path '*/data/*' -not -path '*/node_modules/*' | LC_ALL=C sort)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "check_format.sh: no files to check" >&2
    exit 1
fi

if [[ "${1:-}" == "--fix" ]]; then
    "$clang_format" -i --style=file "${files[@]}"
    echo "check_format.sh: formatted ${#files[@]} files"
    exit 0
fi

bad=()
for file in "${files[@]}"; do
    if ! "$clang_format" --style=file "$file" | diff -u --label "$file" --label "$file (clang-format)" "$file" - \
        >/tmp/elman-format-diff.$$ 2>&1; then
        bad+=("$file")
        head -n 20 /tmp/elman-format-diff.$$
    fi
done
rm -f /tmp/elman-format-diff.$$
if [[ ${#bad[@]} -gt 0 ]]; then
    echo "check_format.sh: ${#bad[@]} of ${#files[@]} files need formatting: ${bad[*]}" >&2
    echo "check_format.sh: run 'bash tools/check_format.sh --fix'" >&2
    exit 1
fi
echo "check_format.sh: ${#files[@]} files formatted as .clang-format says"
