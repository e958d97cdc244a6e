// SPDX-License-Identifier: MIT
// Moved to <elman/train/optimizers.hpp>; this path stays for existing includes.
#pragma once

#include <elman/train/optimizers.hpp>
