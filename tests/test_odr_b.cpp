// Second translation unit of the ODR test; see test_odr_a.cpp.
#include <elman/elman.hpp>

#include <typeinfo>
#include <vector>

namespace elman_odr {
std::vector<double> forward_in_b(const elman::Tensor<double>& inputs);
const std::type_info& layer_type_in_b();

std::vector<double> forward_in_b(const elman::Tensor<double>& inputs) {
    elman::SimpleRNNOptions options;
    options.kernel_initializer = elman::Initializer::glorot_uniform(7);
    options.recurrent_initializer = elman::Initializer::orthogonal(1.0, 8);
    options.bias_initializer = elman::Initializer::random_uniform(-0.1, 0.1, 9);
    options.return_sequences = true;
    elman::SimpleRNN<double> rnn(3, options);
    return rnn(inputs).output.values();
}

const std::type_info& layer_type_in_b() { return typeid(elman::SimpleRNN<double>); }
}  // namespace elman_odr
