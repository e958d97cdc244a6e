// Two translation units (this one and test_odr_b.cpp) include the umbrella header and are linked into one
// binary: a function defined in a header without `inline` (or a non-inline variable) fails to link, and both
// TUs must compute the same thing (fmt's ranges-odr-test idea).
#include <elman/elman.hpp>

#include <catch2/catch.hpp>

#include <typeinfo>
#include <vector>

namespace elman_odr {
// Defined in test_odr_b.cpp.
std::vector<double> forward_in_b(const elman::Tensor<double>& inputs);
const std::type_info& layer_type_in_b();

std::vector<double> forward_in_a(const elman::Tensor<double>& inputs) {
    elman::SimpleRNNOptions options;
    options.kernel_initializer = elman::Initializer::glorot_uniform(7);
    options.recurrent_initializer = elman::Initializer::orthogonal(1.0, 8);
    options.bias_initializer = elman::Initializer::random_uniform(-0.1, 0.1, 9);
    options.return_sequences = true;
    elman::SimpleRNN<double> rnn(3, options);
    return rnn(inputs).output.values();
}
}  // namespace elman_odr

TEST_CASE("odr: the umbrella header links from two translation units", "[odr]") {
    elman::Tensor<double> inputs({2, 4, 5});
    elman::Random rng(11);
    for (double& v : inputs.values()) v = rng.uniform();

    const std::vector<double> a = elman_odr::forward_in_a(inputs);
    const std::vector<double> b = elman_odr::forward_in_b(inputs);
    REQUIRE(a.size() == 2u * 4u * 3u);
    CHECK(a == b);
    CHECK(typeid(elman::SimpleRNN<double>) == elman_odr::layer_type_in_b());
}
