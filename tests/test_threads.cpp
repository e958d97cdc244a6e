// set_threads: the packed backend splits the batch across threads and must give bit-identical results, trace
// included, for every option that changes the loop (mask, go_backwards, time_major, sequences, state).
#include "support.hpp"

#include <elman/backward.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using elman::Index;
using elman::SimpleRNN;
using elman::Tensor;

using elman_test::random_tensor;

namespace {

template <class Scalar>
struct Run {
    elman::Result<Scalar> result;
    elman::ForwardTrace<Scalar> trace;
};

template <class Scalar>
Run<Scalar> run(int threads, const elman::SimpleRNNOptions& o, const Tensor<Scalar>& x, const Tensor<double>* mask,
                const Tensor<Scalar>* h0, Index F, Index U) {
    SimpleRNN<Scalar> layer(U, o);
    std::vector<Tensor<Scalar>> w{random_tensor<Scalar>({F, U}, 1), random_tensor<Scalar>({U, U}, 2, -0.3, 0.3),
                                  random_tensor<Scalar>({U}, 3)};
    layer.set_weights(w);
    layer.set_threads(threads);
    CHECK(layer.threads() == threads);
    Run<Scalar> r;
    elman::CallArgs<Scalar> args;
    args.trace = &r.trace;
    if (mask) args.mask = *mask;
    if (h0) args.initial_state = h0->view();
    r.result = layer(x, args);
    return r;
}

template <class M>
bool same(const M& a, const M& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && (a.array() == b.array()).all();
}

}  // namespace

TEMPLATE_TEST_CASE("Threads give bit-identical results", "[threads]", float, double) {
    const Index B = 37, T = 9, F = 20, U = 70;
    for (int variant = 0; variant < 5; ++variant) {
        elman::SimpleRNNOptions o;
        o.return_sequences = variant != 1;
        o.return_state = true;
        o.go_backwards = variant == 2;
        o.time_major = variant == 3;
        o.zero_output_for_mask = variant == 4;
        const auto x = o.time_major ? random_tensor<TestType>({T, B, F}, 4) : random_tensor<TestType>({B, T, F}, 4);
        auto mask =
            o.time_major ? random_tensor<double>({T, B}, 5, 0.0, 1.0) : random_tensor<double>({B, T}, 5, 0.0, 1.0);
        for (auto& m : mask.values()) m = m < 0.3 ? 0.0 : 1.0;
        const auto h0 = random_tensor<TestType>({B, U}, 6);
        const bool masked = variant >= 2;
        const auto one = run<TestType>(1, o, x, masked ? &mask : nullptr, &h0, F, U);
        for (int threads : {2, 3, 8, 64}) {
            INFO("variant " << variant << ", " << threads << " threads");
            const auto many = run<TestType>(threads, o, x, masked ? &mask : nullptr, &h0, F, U);
            CHECK(many.result.output.values() == one.result.output.values());
            CHECK(many.result.state->values() == one.result.state->values());
            CHECK(same(many.trace.states, one.trace.states));
            CHECK(same(many.trace.preactivations, one.trace.preactivations));
            CHECK(same(many.trace.activations, one.trace.activations));
            CHECK((many.trace.step_mask == one.trace.step_mask).all());
        }
    }
}

TEST_CASE("Thread count is validated and ignored where it cannot help", "[threads]") {
    SimpleRNN<float> layer(4);
    CHECK(layer.threads() == 1);
    CHECK_THROWS_WITH(layer.set_threads(0), Catch::Contains("threads") && Catch::Contains("got 0"));
    CHECK(layer.threads() == 1);
    layer.set_threads(4);
    // Batch 1 cannot be split; a batch of 0 has nothing to split.
    const auto x = random_tensor<float>({1, 3, 2}, 7);
    CHECK(layer(x).output.shape() == elman::Shape{1, 4});
    CHECK(layer(Tensor<float>({0, 3, 2})).output.shape() == elman::Shape{0, 4});
}

TEST_CASE("Backends agree to rounding", "[threads][backend]") {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    SimpleRNN<double> packed(33, o), gemm(33, o);
    CHECK(packed.backend() == elman::default_backend);
    std::vector<Tensor<double>> w{random_tensor<double>({7, 33}, 8), random_tensor<double>({33, 33}, 9, -0.3, 0.3),
                                  random_tensor<double>({33}, 10)};
    packed.set_weights(w);
    gemm.set_weights(w);
    packed.set_backend(elman::Backend::packed);
    gemm.set_backend(elman::Backend::gemm);
    const auto x = random_tensor<double>({5, 11, 7}, 11);
    elman::ForwardTrace<double> packed_trace, gemm_trace;
    elman::CallArgs<double> packed_args, gemm_args;
    packed_args.trace = &packed_trace;
    gemm_args.trace = &gemm_trace;
    CHECK(elman_test::max_relative_error(packed(x, packed_args).output, gemm(x, gemm_args).output) <= 1e-13);
    // The backward pass reads the trace: every block must be filled on both paths.
    CHECK(packed_trace.states.isApprox(gemm_trace.states, 1e-13));
    CHECK(packed_trace.preactivations.isApprox(gemm_trace.preactivations, 1e-13));
    CHECK(packed_trace.activations.isApprox(gemm_trace.activations, 1e-13));
}

TEST_CASE("Persistent workers: repeated calls, changing thread counts and batch sizes", "[threads][pool]") {
    const Index T = 6, F = 5, U = 40;
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    SimpleRNN<float> one(U, o), many(U, o);
    std::vector<Tensor<float>> w{random_tensor<float>({F, U}, 12), random_tensor<float>({U, U}, 13, -0.3, 0.3),
                                 random_tensor<float>({U}, 14)};
    one.set_weights(w);
    many.set_weights(w);
    int round = 0;
    for (int threads : {2, 3, 2, 1, 4, 2}) {
        many.set_threads(threads);
        for (Index batch : {1, 2, 3, 7, 2, 9}) {
            INFO(threads << " threads, batch " << batch);
            const auto x = random_tensor<float>({batch, T, F}, static_cast<std::uint64_t>(100 + round++));
            CHECK(many(x).output.values() == one(x).output.values());
        }
    }
}

TEST_CASE("Persistent workers: copied, moved and assigned layers run correctly", "[threads][pool]") {
    const Index B = 6, T = 5, F = 4, U = 33;
    SimpleRNN<double> reference(U);
    reference.set_weights(std::vector<Tensor<double>>{
        random_tensor<double>({F, U}, 15), random_tensor<double>({U, U}, 16), random_tensor<double>({U}, 17)});
    const auto x = random_tensor<double>({B, T, F}, 18);
    const auto expected = reference(x).output.values();

    SimpleRNN<double> layer = reference;
    layer.set_threads(3);
    CHECK(layer(x).output.values() == expected);  // workers started
    SimpleRNN<double> copy = layer;               // the copy starts its own workers
    CHECK(copy.threads() == 3);
    CHECK(copy(x).output.values() == expected);
    CHECK(layer(x).output.values() == expected);
    SimpleRNN<double> moved = std::move(copy);  // the workers move along
    CHECK(moved(x).output.values() == expected);
    SimpleRNN<double> assigned = reference;
    CHECK(assigned(x).output.values() == expected);
    assigned = layer;  // copy assignment: thread count copied, workers not
    CHECK(assigned.threads() == 3);
    CHECK(assigned(x).output.values() == expected);
    assigned = std::move(moved);  // move assignment: the target's workers are joined, the source's taken over
    CHECK(assigned(x).output.values() == expected);
    {
        SimpleRNN<double> short_lived = layer;
        CHECK(short_lived(x).output.values() == expected);
    }  // joins its workers
    CHECK(layer(x).output.values() == expected);
}

TEST_CASE("SlicePool runs every slice exactly once", "[threads][pool]") {
    elman::detail::SlicePool pool;
    CHECK(pool.workers() == 0);
    for (int round = 0; round < 200; ++round) {
        const Index count = 1 + round % 5;
        std::vector<int> hits(static_cast<std::size_t>(count), 0);
        auto body = [&hits](Index s) noexcept { ++hits[static_cast<std::size_t>(s)]; };
        pool.run(count, body);
        CHECK(hits == std::vector<int>(static_cast<std::size_t>(count), 1));
    }
    CHECK(pool.workers() == 4);  // grown to the largest count seen, kept between runs
    elman::detail::SlicePool copy = pool;
    CHECK(copy.workers() == 0);
    elman::detail::SlicePool moved = std::move(pool);
    CHECK(moved.workers() == 4);
    moved.stop();
    CHECK(moved.workers() == 0);
    std::vector<int> hits(3, 0);
    auto body = [&hits](Index s) noexcept { ++hits[static_cast<std::size_t>(s)]; };
    moved.run(3, body);
    CHECK(hits == std::vector<int>(3, 1));
}

// Training calls with dropout and recurrent_dropout run on the packed product and on threads: the masks are
// drawn once per call in one order, so every thread count gives the same bits, trace included; the gemm backend
// (another summation order, one thread) agrees to rounding with the same masks.
TEMPLATE_TEST_CASE("Dropout training calls: packed and threaded, bit-identical across thread counts",
                   "[threads][dropout]", float, double) {
    const Index B = 23, T = 6, F = 11, U = 37;
    const auto x = random_tensor<TestType>({B, T, F}, 40);
    auto call = [&](int threads, elman::Backend backend) {
        elman::SimpleRNNOptions o;
        o.return_sequences = true;
        o.return_state = true;
        o.dropout = 0.3;
        o.recurrent_dropout = 0.2;
        o.seed = 99;
        SimpleRNN<TestType> layer(U, o);
        layer.set_weights(std::vector<Tensor<TestType>>{random_tensor<TestType>({F, U}, 41),
                                                        random_tensor<TestType>({U, U}, 42, -0.3, 0.3),
                                                        random_tensor<TestType>({U}, 43)});
        layer.set_threads(threads);
        layer.set_backend(backend);
        Run<TestType> r;
        elman::CallArgs<TestType> args;
        args.training = true;
        args.trace = &r.trace;
        r.result = layer(x, args);
        return r;
    };
    const auto one = call(1, elman::Backend::packed);
    REQUIRE(one.trace.dropout_mask.size() == B * F);
    REQUIRE(one.trace.recurrent_dropout_mask.size() == B * U);
    CHECK((one.trace.dropout_mask.array() == 0).any());
    for (int threads : {2, 3, 5}) {
        INFO(threads << " threads");
        const auto many = call(threads, elman::Backend::packed);
        CHECK(many.result.output.values() == one.result.output.values());
        CHECK(many.result.state->values() == one.result.state->values());
        CHECK(same(many.trace.inputs, one.trace.inputs));
        CHECK(same(many.trace.states, one.trace.states));
        CHECK(same(many.trace.preactivations, one.trace.preactivations));
        CHECK(same(many.trace.dropout_mask, one.trace.dropout_mask));
        CHECK(same(many.trace.recurrent_dropout_mask, one.trace.recurrent_dropout_mask));
    }
    const auto gemm = call(1, elman::Backend::gemm);
    CHECK(same(gemm.trace.dropout_mask, one.trace.dropout_mask));
    CHECK(same(gemm.trace.recurrent_dropout_mask, one.trace.recurrent_dropout_mask));
    const double tol = std::is_same<TestType, float>::value ? 1e-4 : 1e-12;
    CHECK(elman_test::max_relative_error(gemm.result.output, one.result.output) <= tol);
}

// backward() runs on the layer's threads (batch slices for the reverse recurrence, row blocks of the weight
// gradients, several k blocks here since T*B > 256): every gradient is bit-identical for any thread count, for
// every option that changes the backward loop, dropout included.
TEMPLATE_TEST_CASE("backward: bit-identical gradients across thread counts", "[threads][backward]", float, double) {
    const Index B = 23, T = 25, F = 11, U = 37;
    for (int variant = 0; variant < 6; ++variant) {
        elman::SimpleRNNOptions o;
        o.return_sequences = variant != 1;
        o.return_state = true;
        o.go_backwards = variant == 2;
        o.time_major = variant == 3;
        o.zero_output_for_mask = variant == 4;
        o.use_bias = variant != 5;
        o.dropout = variant == 5 ? 0.3 : 0.0;
        o.recurrent_dropout = variant == 5 ? 0.2 : 0.0;
        o.seed = 5;
        const auto x = o.time_major ? random_tensor<TestType>({T, B, F}, 50) : random_tensor<TestType>({B, T, F}, 50);
        auto mask =
            o.time_major ? random_tensor<double>({T, B}, 51, 0.0, 1.0) : random_tensor<double>({B, T}, 51, 0.0, 1.0);
        for (auto& m : mask.values()) m = m < 0.3 ? 0.0 : 1.0;
        const bool masked = variant >= 2 && variant <= 4;
        auto gradients = [&](int threads) {
            SimpleRNN<TestType> layer(U, o);
            std::vector<Tensor<TestType>> w{random_tensor<TestType>({F, U}, 52),
                                            random_tensor<TestType>({U, U}, 53, -0.3, 0.3)};
            if (o.use_bias) w.push_back(random_tensor<TestType>({U}, 54));
            layer.set_weights(w);
            layer.set_threads(threads);
            elman::ForwardTrace<TestType> trace;
            elman::CallArgs<TestType> args;
            args.training = true;
            args.trace = &trace;
            if (masked) args.mask = mask;
            const auto result = layer(x, args);
            const auto g_out = random_tensor<TestType>(result.output.shape(), 55);
            const auto g_state = random_tensor<TestType>({B, U}, 56);
            return elman::backward(layer, trace, result, g_out, g_state.view());
        };
        const auto one = gradients(1);
        for (int threads : {2, 3, 8}) {
            INFO("variant " << variant << ", " << threads << " threads");
            const auto many = gradients(threads);
            CHECK(same(many.kernel, one.kernel));
            CHECK(same(many.recurrent_kernel, one.recurrent_kernel));
            CHECK(same(many.bias, one.bias));
            CHECK(many.inputs.values() == one.inputs.values());
            CHECK(many.initial_state.values() == one.initial_state.values());
        }
    }
}

// The documented way to use one model from several threads: each thread its own copy of the layer (or its own
// stream). Concurrent calls on copies give the sequential results (run under TSan/ASan in the sanitizer builds).
TEST_CASE("Copies of a layer and separate streams run concurrently from several threads", "[threads][lifecycle]") {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    SimpleRNN<float> layer(24, o);
    layer.set_weights(std::vector<Tensor<float>>{random_tensor<float>({5, 24}, 50),
                                                 random_tensor<float>({24, 24}, 51, -0.3, 0.3),
                                                 random_tensor<float>({24}, 52)});
    const auto x = random_tensor<float>({3, 7, 5}, 53);
    const auto expected = layer(x).output.values();
    elman::SimpleRNNStream<float> reference_stream(layer, 3);
    const auto expected_step = Tensor<float>::from_matrix(reference_stream.step(x.data())).values();

    std::vector<std::vector<float>> outputs(4), steps(4);
    std::vector<std::thread> workers;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        workers.emplace_back([&, i] {
            SimpleRNN<float> copy = layer;  // each thread its own layer ...
            copy.set_threads(i % 2 == 0 ? 1 : 2);
            elman::SimpleRNNStream<float> stream(copy, 3);  // ... and its own stream
            for (int round = 0; round < 20; ++round) outputs[i] = copy(x).output.values();
            steps[i] = Tensor<float>::from_matrix(stream.step(x.data())).values();
        });
    }
    for (auto& w : workers) w.join();
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        INFO("thread " << i);
        CHECK(outputs[i] == expected);
        CHECK(steps[i] == expected_step);
    }
}
