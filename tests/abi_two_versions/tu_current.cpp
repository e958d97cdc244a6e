// SPDX-License-Identifier: MIT
// The current elman (through the elman::elman target), linked into one program with a 0.9.0 copy (tu_old.cpp).
#include <elman/elman.hpp>

#include <typeinfo>

#include "probe.hpp"

ELMAN_NAMESPACE_BEGIN
// Same name and signature as in tu_old.cpp, different body. Without a version-tagged inline namespace the two
// definitions would be one entity (an ODR violation the linker resolves silently by keeping one of them), and
// one of the probes below would report the other copy's version.
ELMAN_ABI_PROBE_NOINLINE inline int abi_probe() { return ELMAN_VERSION; }
ELMAN_NAMESPACE_END

namespace current {
int version() { return elman::abi_probe(); }
const char* layer_type_name() { return typeid(elman::SimpleRNN<float>).name(); }
double forward() { return elman_abi_probe_forward<elman::SimpleRNN<double>, elman::Tensor<double>>(); }
}  // namespace current
