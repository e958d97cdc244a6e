// SPDX-License-Identifier: MIT
// A copy of the single header re-versioned to 0.9.0 by `amalgamate.py --version 0.9.0`, linked with tu_current.cpp.
#include <elman/elman.hpp>

#include <typeinfo>

#include "probe.hpp"

ELMAN_NAMESPACE_BEGIN
// Same name and signature as in tu_current.cpp, different body. Without a version-tagged inline namespace the two
// definitions would be one entity (an ODR violation the linker resolves silently by keeping one of them), and
// one of the probes below would report the other copy's version.
ELMAN_ABI_PROBE_NOINLINE inline int abi_probe() { return ELMAN_VERSION; }
ELMAN_NAMESPACE_END

namespace old {
int version() { return elman::abi_probe(); }
const char* layer_type_name() { return typeid(elman::SimpleRNN<float>).name(); }
double forward() { return elman_abi_probe_forward<elman::SimpleRNN<double>, elman::Tensor<double>>(); }
}  // namespace old
