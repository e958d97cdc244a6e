// The packed backend keeps its packed weights between calls: every way of changing the weights (set_weights,
// build, Parameter::modify / assign, optimizers) must make the next call use the new weights.
// Each check compares against a fresh layer given the same weights (which packs them anew): a stale cache gives
// the old weights' outputs and fails.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <utility>
#include <vector>

using elman::Index;
using elman::SimpleRNN;
using elman::Tensor;

using elman_test::fresh_call;
using elman_test::random_tensor;

namespace {

elman::SimpleRNNOptions sequence_options() {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    return o;
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
        CHECK(previous == fresh_call(layer, x).output.values());
        CHECK(layer(x).output.values() == previous);  // unchanged weights: same result from the cache

        auto expect_changed = [&](const char* how) {
            INFO(how);
            const auto now = layer(x).output.values();
            CHECK(now != previous);
            CHECK(now == fresh_call(layer, x).output.values());
            previous = now;
        };

        layer.set_weights(std::vector<Tensor<TestType>>{random_tensor<TestType>({F, U}, 2),
                                                        random_tensor<TestType>({U, U}, 3, -0.3, 0.3),
                                                        random_tensor<TestType>({U}, 4)});
        expect_changed("set_weights");

        layer.weights().kernel().modify([](auto& w) { w(F - 1, U - 1) += TestType(0.5); });  // last (padded) column
        expect_changed("kernel, one element");

        layer.weights().recurrent_kernel().modify([](auto& w) { w(0, 3) -= TestType(0.25); });
        expect_changed("recurrent_kernel, one element");

        layer.weights().bias().modify([](auto& w) { w(0, U - 1) = TestType(0.75); });
        expect_changed("bias, one element");

        // A Parameter reference kept across calls: every write through it is seen.
        auto& kernel = layer.weights().kernel();
        kernel.modify([](auto& w) { w *= TestType(0.5); });
        expect_changed("kernel, whole matrix");
        kernel.modify([](auto& w) { w *= TestType(2); });
        expect_changed("kernel, whole matrix again through the kept reference");

        auto& recurrent = layer.weights().recurrent_kernel();
        recurrent.assign(recurrent.value().transpose().eval());
        expect_changed("recurrent_kernel, assign");

        layer.weights().bias().modify([](auto& w) { w.setZero(); });
        expect_changed("bias, whole vector");

        // A copy carries the cache and its own version: changing the copy leaves the original alone.
        SimpleRNN<TestType> copy = layer;
        CHECK(copy(x).output.values() == previous);
        copy.weights().kernel().modify([](auto& w) { w(0, 0) += TestType(1); });
        const auto copy_out = copy(x).output.values();
        CHECK(copy_out != previous);
        CHECK(copy_out == fresh_call(copy, x).output.values());
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
    CHECK(first == fresh_call(layer, x).output.values());

    // Weights changed while the layer runs on the gemm backend must be seen when it switches back.
    layer.set_backend(elman::Backend::gemm);
    layer.weights().kernel().modify([](auto& w) { w.setConstant(0.125); });
    const auto gemm_out = layer(x).output.values();
    layer.set_backend(elman::Backend::packed);
    const auto packed_out = layer(x).output.values();
    CHECK(packed_out != first);
    CHECK(packed_out == fresh_call(layer, x).output.values());
    REQUIRE(gemm_out.size() == packed_out.size());
    CHECK(elman_test::max_relative_error(packed_out.data(), gemm_out.data(), Index(gemm_out.size())) <= 1e-13);
}

// The natural training loop: the variable list is built once and reused for every step, gradients are
// reassigned in between. Each step's call must run on the weights the optimizer just wrote: compared with a
// layer built afresh from get_weights() at every step, on the packed backend, 1 and 2 threads.
TEMPLATE_TEST_CASE("Packed weights: an optimizer loop with one variable list never runs on stale weights",
                   "[weights][cache][training]", float, double) {
    const Index B = 3, T = 4, F = 5, U = 19;  // U spans a partly padded panel
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        auto o = sequence_options();
        o.dropout = 0.25;
        o.recurrent_dropout = 0.25;
        o.seed = 3;
        SimpleRNN<TestType> layer(U, o);
        layer.set_threads(threads);
        layer.set_weights(std::vector<Tensor<TestType>>{random_tensor<TestType>({F, U}, 11),
                                                        random_tensor<TestType>({U, U}, 12, -0.3, 0.3),
                                                        random_tensor<TestType>({U}, 13)});
        const auto x = random_tensor<TestType>({B, T, F}, 14);
        const auto grad_output = random_tensor<TestType>({B, T, U}, 15);
        elman::Gradients<TestType> grads;
        grads.kernel.setZero(F, U);
        grads.recurrent_kernel.setZero(U, U);
        grads.bias.setZero(1, U);
        const auto vars = elman::trainable_variables(layer, grads);  // once, before the loop
        elman::SGD<TestType> sgd(0.1);
        elman::ForwardTrace<TestType> trace;
        elman::CallArgs<TestType> training;
        training.training = true;
        training.trace = &trace;
        for (int step = 0; step < 4; ++step) {
            INFO("step " << step);
            // Inference on the current weights equals a freshly built layer's.
            CHECK(layer(x).output.values() == fresh_call(layer, x).output.values());
            const auto result = layer(x, training);
            grads = elman::backward(layer, trace, result, grad_output);
            sgd.apply_gradients(vars);
        }
        CHECK(layer(x).output.values() == fresh_call(layer, x).output.values());
    }
}
