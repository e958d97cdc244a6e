// SPDX-License-Identifier: MIT
// Shared by the two translation units of the two-versions test; included after one copy of elman.
#pragma once

#include <vector>

#if defined(__GNUC__) || defined(__clang__)
#define ELMAN_ABI_PROBE_NOINLINE __attribute__((noinline))
#else
#define ELMAN_ABI_PROBE_NOINLINE
#endif

// One forward pass through whichever elman copy the including TU sees; both copies must agree.
template <class Layer, class Tensor>
double elman_abi_probe_forward() {
    Layer rnn(2);
    rnn.set_weights(std::vector<Tensor>{Tensor({1, 2}, {0.5, -0.3}), Tensor({2, 2}, {0.25, 0.1, -0.2, 0.4}),
                                        Tensor({2}, {0.1, -0.05})});
    const Tensor inputs({1, 3, 1}, {1.0, -2.0, 0.5});
    const auto output = rnn(inputs).output;
    return output(0, 0) + 10.0 * output(0, 1);
}

namespace current {
int version();
const char* layer_type_name();
double forward();
}  // namespace current
namespace old {
int version();
const char* layer_type_name();
double forward();
}  // namespace old
