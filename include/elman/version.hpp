// SPDX-License-Identifier: MIT
// The one place the library version is written; CMake reads these three lines.
#pragma once

#define ELMAN_VERSION_MAJOR 1
#define ELMAN_VERSION_MINOR 0
#define ELMAN_VERSION_PATCH 0

#define ELMAN_VERSION (ELMAN_VERSION_MAJOR * 10000 + ELMAN_VERSION_MINOR * 100 + ELMAN_VERSION_PATCH)
