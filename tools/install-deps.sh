#!/usr/bin/env bash
# Installs what building and testing elman needs, from Debian 12 packages only. Idempotent: when everything is
# present it only asks dpkg and returns. This list is the one place dependencies are named; add yours here.
set -euo pipefail

packages=(
    # toolchain
    cmake ninja-build g++ clang pkg-config python3
    # the library's only dependency
    libeigen3-dev
    # tests
    catch2 nlohmann-json3-dev
    # tools/check_format.sh (pinned to clang-format 14)
    clang-format-14
    # tools/fuzz.sh: libFuzzer and the sanitizer runtimes for clang++ 14 (only recommended by clang, which
    # --no-install-recommends skips)
    libclang-rt-14-dev
    # include/elman/io: compressed .npz and Keras .h5 (optional and auto-detected, but CI should test them)
    zlib1g-dev libhdf5-dev
    # tools/test.sh aarch64-qemu: the cross compiler (with its libstdc++/libc for arm64) and the user-mode emulator
    g++-aarch64-linux-gnu qemu-user-static
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps.sh: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
    sudo=(sudo)
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
