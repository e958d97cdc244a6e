// A plain inference call that repeats the previous call's set-up (same extents, options, threads, backend and
// output shape) skips sizing the workspaces and the output and only runs the recurrence. Every change between
// calls must still give what a fresh layer computes: each check below calls one layer with one reused Result
// through a sequence of calls that change one thing at a time, and compares every call with a fresh copy of the
// layer called once (same weights, threads and backend: bit-identical results).
#include "support.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

using elman::Index;
using elman::Result;
using elman::Shape;
using elman::SimpleRNN;
using elman::SimpleRNNOptions;
using elman::Tensor;

using elman_test::fresh_call;
using elman_test::random_tensor;
using elman_test::randomize_weights;

namespace {

template <class Scalar>
void check_same(const Result<Scalar>& actual, const Result<Scalar>& expected) {
    CHECK(actual.output.shape() == expected.output.shape());
    CHECK(actual.output.values() == expected.output.values());
    REQUIRE(actual.state.has_value() == expected.state.has_value());
    if (actual.state) CHECK(actual.state->values() == expected.state->values());
}

}  // namespace

TEMPLATE_TEST_CASE("Repeated plain calls into one Result follow every change between calls", "[simple_rnn][reuse]",
                   float, double) {
    const Index F = 3, U = 20;
    for (bool return_sequences : {false, true}) {
        for (bool go_backwards : {false, true}) {
            SimpleRNNOptions o;
            o.return_sequences = return_sequences;
            o.return_state = true;
            o.go_backwards = go_backwards;
            o.dropout = 0.25;
            o.recurrent_dropout = 0.25;
            SimpleRNN<TestType> layer(U, o);
            randomize_weights(layer, F, 11);
            Result<TestType> r;
            std::string step;
            auto call = [&](const Tensor<TestType>& x, const elman::CallArgs<TestType>& args = {}) {
                INFO("return_sequences=" << return_sequences << " go_backwards=" << go_backwards << ": " << step);
                layer.call(x, args, r);
                check_same(r, fresh_call(layer, x, args));
            };
            const auto x1 = random_tensor<TestType>({1, 1, F}, 1), x1b = random_tensor<TestType>({1, 1, F}, 2);
            const auto x4 = random_tensor<TestType>({4, 3, F}, 3), x4b = random_tensor<TestType>({4, 3, F}, 4);

            step = "first call";
            call(x1);
            step = "repeat, same inputs";
            call(x1);
            step = "repeat, other inputs (another buffer)";
            call(x1b);
            step = "more samples and timesteps";
            call(x4);
            call(x4b);
            step = "more timesteps only (the same [B, U] output without return_sequences)";
            call(random_tensor<TestType>({4, 5, F}, 7));
            step = "fewer again";
            call(x1);

            step = "an initial_state, then a repeat with another one";
            const auto h0 = random_tensor<TestType>({4, U}, 5), h0b = random_tensor<TestType>({4, U}, 6);
            elman::CallArgs<TestType> with_state;
            with_state.initial_state = h0.view();
            call(x4, with_state);
            with_state.initial_state = h0b.view();
            call(x4, with_state);
            step = "back to zeros";
            call(x4);

            step = "a masked call between plain ones";
            const Tensor<TestType> mask({4, 3}, {1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1});
            elman::CallArgs<TestType> masked;
            masked.mask = elman::MaskView(mask.data(), Shape{4, 3});
            call(x4, masked);
            call(x4);

            step = "a training call with dropout between plain ones (its own numbers are random)";
            elman::CallArgs<TestType> training;
            training.training = true;
            layer.call(x4, training, r);
            call(x4);

            step = "a traced call between plain ones";
            elman::ForwardTrace<TestType> trace;
            elman::CallArgs<TestType> traced;
            traced.trace = &trace;
            call(x4, traced);
            call(x4);

            step = "two threads, then one";
            layer.set_threads(2);
            call(x4);
            call(x4);
            layer.set_threads(1);
            call(x4);

            step = "the gemm backend, then packed again";
            layer.set_backend(elman::Backend::gemm);
            call(x4);
            layer.set_backend(elman::Backend::packed);
            call(x4);

            step = "new weights";
            randomize_weights(layer, F, 21);
            call(x4);

            step = "the Result's output reshaped by the caller (same element count)";
            r.output.resize(return_sequences ? Shape{3, 4, U} : Shape{2, 2, U});
            call(x4);
            step = "the Result's state dropped by the caller";
            r.state.reset();
            call(x4);

            step = "another Result, then the first one again";
            Result<TestType> other;
            layer.call(x4b, {}, other);
            check_same(other, fresh_call(layer, x4b, {}));
            const auto kept = r.output.values();
            layer.call(x4, {}, other);
            CHECK(r.output.values() == kept);  // the first Result is not written by calls into another
            call(x4b);

            step = "a copy of the layer, and the layer after it";
            SimpleRNN<TestType> copy = layer;
            Result<TestType> from_copy;
            copy.call(x4, {}, from_copy);
            check_same(from_copy, fresh_call(layer, x4, {}));
            copy.call(x4b, {}, from_copy);
            check_same(from_copy, fresh_call(layer, x4b, {}));
            call(x4);

            step = "a moved layer";
            SimpleRNN<TestType> moved = std::move(copy);
            moved.call(x4b, {}, from_copy);
            check_same(from_copy, fresh_call(layer, x4b, {}));
        }
    }
}

TEMPLATE_TEST_CASE("Repeated plain calls of a stateful layer carry the state, into one Result or another",
                   "[simple_rnn][reuse][stateful]", float, double) {
    const Index F = 2, U = 9;
    SimpleRNNOptions o;
    o.stateful = true;
    o.batch_size = 2;
    o.return_state = true;
    SimpleRNN<TestType> layer(U, o);
    randomize_weights(layer, F, 31);
    Result<TestType> r, other;
    for (int i = 0; i < 6; ++i) {
        INFO("call " << i);
        const auto x = random_tensor<TestType>({2, 1, F}, 40 + static_cast<std::uint64_t>(i));
        const Tensor<TestType> stored = layer.states();
        Result<TestType>& into = i == 3 ? other : r;
        layer.call(x, {}, into);
        check_same(into, fresh_call(layer, x, {}, &stored));
        CHECK(layer.states().values() == into.state->values());
        if (i == 4) layer.reset_states();
    }
}

TEMPLATE_TEST_CASE("Inputs that view the Result of a repeated call are read before they are overwritten",
                   "[simple_rnn][reuse]", float, double) {
    // One layer fed its own output: the second call has the first's shapes (a repeat) but reads the Result
    // it writes. With go_backwards the first step writes output row 0, the last step's input.
    SimpleRNNOptions o;
    o.return_sequences = true;
    o.go_backwards = true;
    SimpleRNN<TestType> layer(4, o);
    randomize_weights(layer, 4, 51);
    const auto x = random_tensor<TestType>({2, 3, 4}, 52);
    Result<TestType> r;
    layer.call(x, {}, r);
    const Tensor<TestType> h1 = r.output;
    layer.call(x, {}, r);
    layer.call(r.output, {}, r);
    CHECK(r.output.values() == layer(h1).output.values());
}
