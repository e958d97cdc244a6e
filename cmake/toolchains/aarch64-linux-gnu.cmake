# Cross-compiling for 64-bit ARM Linux with Debian 12's g++-aarch64-linux-gnu; CTest runs the test programs
# under qemu-user-static (no binfmt registration needed). Used by `bash tools/test.sh aarch64-qemu`:
#
#   cmake -S . -B _build/aarch64 -G Ninja --toolchain cmake/toolchains/aarch64-linux-gnu.cmake
#
# Eigen, Catch2 and nlohmann-json are header-only: their CMake packages are found where the host installed them
# (/usr/share, /usr/lib/cmake), and their headers come from /usr/include, which the cross compiler searches last,
# after its own /usr/aarch64-linux-gnu/include. Libraries are searched for in the aarch64 root only, so nothing
# built for the host can enter a link.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# GCC notes on every std::pair<double, double> argument that its AArch64 passing changed in GCC 10.1; that only
# matters when linking objects built by GCC < 10, which this build never does.
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# -L: the dynamic loader and shared libraries (libstdc++, libc) of the aarch64 root.
find_program(ELMAN_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${ELMAN_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu")
