// The packed backend keeps its packed weights between calls: every way of changing the weights (set_weights,
// build, kernel_mutable, recurrent_kernel_mutable, bias_mutable) must make the next call use the new weights.
// Each check compares against a fresh layer given the same weights (which packs them anew): a stale cache gives
// the old weights' outputs and fails.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <utility>
#include <vector>

using elman::Index;
using elman::SimpleRNN;
using elman::Tensor;

using elman_test::random_tensor;

namespace {

elman::SimpleRNNOptions sequence_options() {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    return o;
}

// Output of a freshly made layer holding `layer`'s current weights (same backend, same threads).
template <class Layer>
std::vector<typename Layer::scalar_type> fresh_output(const Layer& layer,
                                                      const Tensor<typename Layer::scalar_type>& x) {
    Layer fresh(layer.units(), layer.options());
    fresh.set_weights(layer.get_weights());
    fresh.set_threads(layer.threads());
    return fresh(x).output.values();
}

}  // namespace

TEMPLATE_TEST_CASE("Packed weights follow every weight change", "[weights][cache]", float, double) {
    const Index B = 5, T = 4, F = 6, U = 70;  // 70 units: several panels, the last one padded
    const auto x = random_tensor<TestType>({B, T, F}, 1);
    for (int threads : {1, 2}) {
        INFO(threads << " threads");
        SimpleRNN<TestType> layer(U, sequence_options());
        layer.set_threads(threads);
        REQUIRE(layer.backend() == elman::Backend::packed);

        // Built (and packed) by the first call, with the initializers' weights.
        auto previous = layer(x).output.values();
        CHECK(previous == fresh_output(layer, x));
        CHECK(layer(x).output.values() == previous);  // unchanged weights: same result from the cache

        auto expect_changed = [&](const char* how) {
            INFO(how);
            const auto now = layer(x).output.values();
            CHECK(now != previous);
            CHECK(now == fresh_output(layer, x));
            previous = now;
        };

        layer.set_weights(std::vector<Tensor<TestType>>{random_tensor<TestType>({F, U}, 2),
                                                        random_tensor<TestType>({U, U}, 3, -0.3, 0.3),
                                                        random_tensor<TestType>({U}, 4)});
        expect_changed("set_weights");

        layer.kernel_mutable()(F - 1, U - 1) += TestType(0.5);  // last row, last (padded-panel) column
        expect_changed("kernel_mutable, one element");

        layer.recurrent_kernel_mutable()(0, 3) -= TestType(0.25);
        expect_changed("recurrent_kernel_mutable, one element");

        layer.bias_mutable()(U - 1) = TestType(0.75);
        expect_changed("bias_mutable, one element");

        // An optimizer-style update: obtain the reference, then write the whole matrix.
        auto& kernel = layer.kernel_mutable();
        kernel *= TestType(0.5);
        expect_changed("kernel_mutable, whole matrix");

        auto& recurrent = layer.recurrent_kernel_mutable();
        recurrent = recurrent.transpose().eval();
        expect_changed("recurrent_kernel_mutable, whole matrix");

        layer.bias_mutable().setZero();
        expect_changed("bias_mutable, whole vector");

        // A copy carries the cache and its own version: changing the copy leaves the original alone.
        SimpleRNN<TestType> copy = layer;
        CHECK(copy(x).output.values() == previous);
        copy.kernel_mutable()(0, 0) += TestType(1);
        const auto copy_out = copy(x).output.values();
        CHECK(copy_out != previous);
        CHECK(copy_out == fresh_output(copy, x));
        CHECK(layer(x).output.values() == previous);

        // Assigning a layer brings its weights (and the cache) along.
        layer = copy;
        CHECK(layer(x).output.values() == copy_out);
    }
}

TEST_CASE("Packed weights: set_weights on an unbuilt layer and on the gemm backend switch", "[weights][cache]") {
    const Index F = 3, U = 9;
    const auto x = random_tensor<double>({2, 3, F}, 5);
    SimpleRNN<double> layer(U, sequence_options());
    layer.set_weights(std::vector<Tensor<double>>{random_tensor<double>({F, U}, 6), random_tensor<double>({U, U}, 7),
                                                  random_tensor<double>({U}, 8)});
    const auto first = layer(x).output.values();
    CHECK(first == fresh_output(layer, x));

    // Weights changed while the layer runs on the gemm backend must be seen when it switches back.
    layer.set_backend(elman::Backend::gemm);
    layer.kernel_mutable().setConstant(0.125);
    const auto gemm_out = layer(x).output.values();
    layer.set_backend(elman::Backend::packed);
    const auto packed_out = layer(x).output.values();
    CHECK(packed_out != first);
    CHECK(packed_out == fresh_output(layer, x));
    REQUIRE(gemm_out.size() == packed_out.size());
    CHECK(elman_test::max_relative_error(packed_out.data(), gemm_out.data(), Index(gemm_out.size())) <= 1e-13);
}
