// SPDX-License-Identifier: MIT
// Moved to <elman/train/backward.hpp>; this path stays for existing includes.
#pragma once

#include <elman/train/backward.hpp>
