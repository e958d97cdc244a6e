// Second translation unit of the ODR test; see test_odr_a.cpp. Everything here is also taken in test_odr_a.cpp.
#include "odr_probe.hpp"

namespace elman_odr {

Probe probe_in_b() { return make_probe(); }

std::vector<double> forward_in_b(const std::vector<elman::Tensor<double>>& weights,
                                 const elman::Tensor<double>& inputs) {
    return forward(weights, inputs);
}

}  // namespace elman_odr
