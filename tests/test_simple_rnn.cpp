// SimpleRNN behaviour that golden files cannot pin down: configuration, errors and the strong guarantee,
// dropout, stateful edge cases, time_major and zero_output_for_mask. Where numbers are checked, they are
// checked against a plain-loop transcription of docs/keras-semantics.md#forward-loop (naive_forward below), itself checked against the
// golden data in test_golden.cpp through the layer.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

using elman::Index;
using elman::Shape;
using elman::SimpleRNN;
using elman::SimpleRNNOptions;
using elman::Tensor;

using elman_test::random_tensor;
using elman_test::randomize_weights;

namespace {

/// docs/keras-semantics.md#forward-loop in loops, batch-major only, tanh, with optional per-call dropout multipliers.
struct NaiveResult {
    std::vector<double> sequence;  // [B, T, U] processing order
    std::vector<double> last, state;
};
NaiveResult naive_forward(const std::vector<Tensor<double>>& w, const Tensor<double>& x, const Tensor<double>* mask,
                          const Tensor<double>* h0, bool go_backwards, bool zero_output_for_mask,
                          const elman::RowMajorMatrix<double>* dx = nullptr,
                          const elman::RowMajorMatrix<double>* dh = nullptr) {
    const Index B = x.dim(0), T = x.dim(1), F = x.dim(2), U = w[1].dim(0);
    NaiveResult r;
    r.sequence.assign(static_cast<std::size_t>(B * T * U), 0.0);
    r.last.assign(static_cast<std::size_t>(B * U), 0.0);
    r.state.assign(static_cast<std::size_t>(B * U), 0.0);
    for (Index b = 0; b < B; ++b) {
        std::vector<double> h(static_cast<std::size_t>(U), 0.0), y(static_cast<std::size_t>(U), 0.0);
        if (h0)
            for (Index u = 0; u < U; ++u) h[static_cast<std::size_t>(u)] = (*h0)(b, u);
        for (Index p = 0; p < T; ++p) {
            const Index t = go_backwards ? T - 1 - p : p;
            std::vector<double> c(static_cast<std::size_t>(U));
            for (Index u = 0; u < U; ++u) {
                double xw = 0.0, hu = 0.0;
                for (Index f = 0; f < F; ++f) xw += x(b, t, f) * (dx ? (*dx)(b, f) : 1.0) * w[0](f, u);
                for (Index k = 0; k < U; ++k)
                    hu += h[static_cast<std::size_t>(k)] * (dh ? (*dh)(b, k) : 1.0) * w[1](k, u);
                c[static_cast<std::size_t>(u)] = std::tanh(xw + (w.size() > 2 ? w[2](u) : 0.0) + hu);
            }
            const bool keep = !mask || (*mask)(b, t) != 0.0;
            if (keep) {
                h = c;
                y = c;
            } else if (zero_output_for_mask) {
                std::fill(y.begin(), y.end(), 0.0);
            }
            for (Index u = 0; u < U; ++u)
                r.sequence[static_cast<std::size_t>((b * T + p) * U + u)] = y[static_cast<std::size_t>(u)];
        }
        for (Index u = 0; u < U; ++u) {
            r.last[static_cast<std::size_t>(b * U + u)] = y[static_cast<std::size_t>(u)];
            r.state[static_cast<std::size_t>(b * U + u)] = h[static_cast<std::size_t>(u)];
        }
    }
    return r;
}

template <class T>
double max_abs_diff(const T* a, const std::vector<double>& b) {
    double worst = 0.0;
    for (std::size_t i = 0; i < b.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
    return worst;
}

template <class T>
Tensor<double> to_double(const Tensor<T>& t) {
    return Tensor<double>(t.shape(), std::vector<double>(t.values().begin(), t.values().end()));
}
template <class T>
std::vector<Tensor<double>> to_double(const std::vector<Tensor<T>>& ts) {
    std::vector<Tensor<double>> out;
    for (const auto& t : ts) out.push_back(to_double(t));
    return out;
}
/// Agreement expected between the layer and the double-precision loops.
template <class T>
constexpr double loop_tolerance() {
    return std::is_same<T, double>::value ? 1e-12 : 2e-6;
}

/// Snapshot of everything a failed call must leave untouched.
template <class Layer>
struct LayerSnapshot {
    explicit LayerSnapshot(const Layer& l) : built(l.built()), weights(l.get_weights()), states(l.states()) {}
    bool built;
    std::vector<Tensor<typename Layer::scalar_type>> weights;
    Tensor<typename Layer::scalar_type> states;
    bool same_as(const Layer& l) const {
        if (l.built() != built) return false;
        const auto now = l.get_weights();
        if (now.size() != weights.size()) return false;
        for (std::size_t i = 0; i < now.size(); ++i)
            if (now[i].shape() != weights[i].shape() || now[i].values() != weights[i].values()) return false;
        return l.states().shape() == states.shape() && l.states().values() == states.values();
    }
};

}  // namespace

TEMPLATE_TEST_CASE("Keras documentation example shapes", "[simple_rnn]", float, double) {
    const auto inputs = random_tensor<TestType>({32, 10, 8}, 1, 0.0, 1.0);
    SimpleRNN<TestType> rnn(4);
    CHECK(rnn(inputs).output.shape() == Shape{32, 4});
    CHECK_FALSE(rnn(inputs).state.has_value());

    SimpleRNNOptions o;
    o.return_sequences = true;
    o.return_state = true;
    SimpleRNN<TestType> seq(4, o);
    const auto r = seq(inputs);
    CHECK(r.output.shape() == Shape{32, 10, 4});
    REQUIRE(r.state.has_value());
    CHECK(r.state->shape() == Shape{32, 4});
    // The last sequence step is the final state (no mask).
    for (Index b = 0; b < 32; ++b)
        for (Index u = 0; u < 4; ++u) CHECK(r.output(b, 9, u) == (*r.state)(b, u));
}

TEST_CASE("Constructor arguments follow Keras normalisation", "[simple_rnn][config]") {
    CHECK_THROWS_AS(SimpleRNN<float>(0), std::invalid_argument);
    CHECK_THROWS_WITH(SimpleRNN<float>(-1), Catch::Contains("`units` must be a positive integer, got -1"));
    CHECK_THROWS_AS(SimpleRNN<float>(std::numeric_limits<Index>::max()), std::length_error);

    SimpleRNNOptions o;
    o.dropout = -0.5;
    o.recurrent_dropout = 7.0;
    SimpleRNN<float> a(3, o);
    CHECK(a.dropout() == 0.0);
    CHECK(a.recurrent_dropout() == 1.0);
    o.dropout = std::numeric_limits<double>::quiet_NaN();
    o.recurrent_dropout = 0.25;
    SimpleRNN<float> b(3, o);
    CHECK(b.dropout() == 0.0);
    CHECK(b.recurrent_dropout() == 0.25);

    SimpleRNN<float> defaults(5);
    CHECK(defaults.use_bias());
    CHECK_FALSE(defaults.return_sequences());
    CHECK_FALSE(defaults.return_state());
    CHECK_FALSE(defaults.go_backwards());
    CHECK_FALSE(defaults.stateful());
    CHECK_FALSE(defaults.unroll());
    CHECK(defaults.name() == "simple_rnn");
    CHECK(std::string(defaults.activation_name()) == "tanh");
    CHECK(std::string(SimpleRNN<double, elman::Linear>(1).activation_name()) == "linear");
    CHECK(defaults.options().kernel_initializer.class_name() == "GlorotUniform");
    CHECK(defaults.options().recurrent_initializer.class_name() == "Orthogonal");
    CHECK(defaults.options().bias_initializer.class_name() == "Zeros");
    CHECK_FALSE(defaults.built());
    CHECK(defaults.get_weights().empty());
}

TEMPLATE_TEST_CASE("Weights are built from input_dim or on the first call, in Keras layout", "[simple_rnn][weights]",
                   float, double) {
    SimpleRNNOptions o;
    o.input_dim = 3;
    SimpleRNN<TestType> eager(4, o);
    REQUIRE(eager.built());
    auto w = eager.get_weights();
    REQUIRE(w.size() == 3);
    CHECK(w[0].shape() == Shape{3, 4});
    CHECK(w[1].shape() == Shape{4, 4});
    CHECK(w[2].shape() == Shape{4});
    // Default initializers: orthogonal recurrent kernel, zero bias, glorot-uniform kernel within its limit.
    const auto recurrent = w[1].matrix();
    CHECK((recurrent.transpose() * recurrent - elman::RowMajorMatrix<TestType>::Identity(4, 4)).cwiseAbs().maxCoeff() <
          1e-5);
    CHECK(w[2].matrix().cwiseAbs().maxCoeff() == 0);
    CHECK(w[0].matrix().cwiseAbs().maxCoeff() <= std::sqrt(6.0 / 7.0));

    SimpleRNN<TestType> lazy(4);
    lazy(random_tensor<TestType>({2, 3, 5}, 2));
    REQUIRE(lazy.built());
    CHECK(lazy.input_dim() == 5);
    CHECK_THROWS_AS(lazy.build(6), std::invalid_argument);

    o.use_bias = false;
    SimpleRNN<TestType> no_bias(4, o);
    CHECK(no_bias.get_weights().size() == 2);

    // Keras layout: kernel row i holds the weights from input feature i (checked through a one-hot input).
    SimpleRNN<TestType, elman::Linear> linear(2);
    linear.set_weights(std::vector<Tensor<TestType>>{Tensor<TestType>({3, 2}, {1, 2, 3, 4, 5, 6}),
                                                     Tensor<TestType>({2, 2}, {0, 0, 0, 0}),
                                                     Tensor<TestType>({2}, {10, 20})});
    const auto out = linear(Tensor<TestType>({1, 1, 3}, {0, 1, 0})).output;
    CHECK(out(0, 0) == 13);
    CHECK(out(0, 1) == 24);
    // get_weights returns what set_weights stored, unchanged.
    const auto back = linear.get_weights();
    CHECK(back[0].values() == std::vector<TestType>{1, 2, 3, 4, 5, 6});
    CHECK(back[2].values() == std::vector<TestType>{10, 20});
}

TEMPLATE_TEST_CASE("set_weights checks count and shapes before changing anything", "[simple_rnn][weights][errors]",
                   float, double) {
    SimpleRNNOptions o;
    o.input_dim = 8;
    SimpleRNN<TestType> layer(4, o);
    const LayerSnapshot<SimpleRNN<TestType>> before(layer);
    const Tensor<TestType> kernel({8, 4}), recurrent({4, 4}), bias({4}), wrong({4, 8});
    CHECK_THROWS_WITH(layer.set_weights(std::vector<Tensor<TestType>>{kernel, recurrent}),
                      Catch::Contains("weight list of length 2, but the layer was expecting 3 weights"));
    CHECK_THROWS_WITH(layer.set_weights(std::vector<Tensor<TestType>>{wrong, recurrent, bias}),
                      Catch::Contains("layer weight shape (8, 4) not compatible with provided weight shape (4, 8)"));
    CHECK_THROWS_WITH(layer.set_weights(std::vector<Tensor<TestType>>{kernel, recurrent, Tensor<TestType>({5})}),
                      Catch::Contains("(4,) not compatible with provided weight shape (5,)"));
    CHECK(before.same_as(layer));
}

TEMPLATE_TEST_CASE("Bad call arguments throw, name the argument and leave the layer unchanged", "[simple_rnn][errors]",
                   float, double) {
    SimpleRNNOptions o;
    o.stateful = true;
    o.batch_size = 2;
    SimpleRNN<TestType> layer(3, o);
    const auto x = random_tensor<TestType>({2, 4, 5}, 3);
    layer(x);  // builds, stores a non-zero state
    REQUIRE(!layer.states().matrix().isZero(0));
    const LayerSnapshot<SimpleRNN<TestType>> before(layer);

    using Args = elman::CallArgs<TestType>;
    const Tensor<TestType> rank2({2, 5});
    CHECK_THROWS_WITH(layer(rank2), Catch::Contains("expected ndim=3, found ndim=2") && Catch::Contains("(2, 5)"));
    CHECK_THROWS_WITH(
        layer(Tensor<TestType>({2, 4, 6})),
        Catch::Contains("`inputs`") && Catch::Contains("expected shape=(2, None, 5), found shape=(2, 4, 6)"));
    CHECK_THROWS_WITH(layer(Tensor<TestType>({2, 0, 5})), Catch::Contains("timesteps must be >= 1"));
    CHECK_THROWS_WITH(layer(Tensor<TestType>({3, 4, 5})),
                      Catch::Contains("expected shape=(2, None, 5), found shape=(3, 4, 5)"));
    {
        Args args;
        const Tensor<float> mask({2, 3});
        args.mask = mask;
        CHECK_THROWS_WITH(layer(x, args),
                          Catch::Contains("`mask`") && Catch::Contains("expected shape=(2, 4), found shape=(2, 3)"));
    }
    {
        Args args;
        const Tensor<TestType> h0({2, 4});
        args.initial_state = h0.view();
        CHECK_THROWS_WITH(layer(x, args), Catch::Contains("`initial_state`") &&
                                              Catch::Contains("expected shape=(2, 3), found shape=(2, 4)"));
    }
    CHECK_THROWS_AS(layer(elman::TensorView<const TestType>(x.data(), {2, -4, 5})), std::invalid_argument);
    CHECK(before.same_as(layer));

    // An unbuilt layer stays unbuilt after a failed first call.
    SimpleRNN<TestType> fresh(3);
    Args args;
    const Tensor<TestType> h0({2, 7});
    args.initial_state = h0.view();
    CHECK_THROWS_AS(fresh(x, args), std::invalid_argument);
    CHECK_FALSE(fresh.built());
    // Absurd sizes: the element count overflows before anything is allocated.
    const Index huge = std::numeric_limits<Index>::max() / 2;
    CHECK_THROWS_AS(fresh(elman::TensorView<const TestType>(x.data(), {huge, huge, 5})), std::length_error);
    CHECK_FALSE(fresh.built());
}

TEMPLATE_TEST_CASE("Masks of any dtype and shape (B, T) or (B, T, 1), masked steps are NaN-safe", "[simple_rnn][mask]",
                   float, double) {
    SimpleRNNOptions o;
    o.return_sequences = true;
    SimpleRNN<TestType> layer(3, o);
    auto x = random_tensor<TestType>({2, 4, 2}, 4);
    randomize_weights(layer, 2, 5);
    const Tensor<float> mask_f({2, 4}, {1, 0, 1, 1, 0, 1, 1, 0});
    const Tensor<int> mask_i({2, 4, 1}, {7, 0, -1, 2, 0, 3, 1, 0});
    const bool mask_b[] = {true, false, true, true, false, true, true, false};
    using Args = elman::CallArgs<TestType>;
    Args a1, a2, a3;
    a1.mask = mask_f;
    a2.mask = mask_i;
    a3.mask = elman::MaskView(mask_b, {2, 4});
    const auto r1 = layer(x, a1), r2 = layer(x, a2), r3 = layer(x, a3);
    CHECK(r1.output.values() == r2.output.values());
    CHECK(r1.output.values() == r3.output.values());
    // Select, not blend: NaN inputs at masked steps never reach outputs.
    x(0, 1, 0) = std::numeric_limits<TestType>::quiet_NaN();
    x(1, 3, 1) = std::numeric_limits<TestType>::infinity();
    const auto r4 = layer(x, a1);
    CHECK(r4.output.values() == r1.output.values());
    // Leading masked steps output zeros (output carry starts at zero), even with a non-zero initial state.
    Args a5 = a1;
    const auto h0 = random_tensor<TestType>({2, 3}, 6);
    a5.initial_state = h0.view();
    const auto r5 = layer(x, a5);
    for (Index u = 0; u < 3; ++u) CHECK(r5.output(1, 0, u) == 0);
}

TEMPLATE_TEST_CASE("Masking, go_backwards, initial_state and zero_output_for_mask match the reference loops",
                   "[simple_rnn][mask]", float, double) {
    for (int variant = 0; variant < 8; ++variant) {
        const bool go_backwards = variant & 1, zero_output = variant & 2, with_h0 = variant & 4;
        SimpleRNNOptions o;
        o.return_sequences = true;
        o.return_state = true;
        o.go_backwards = go_backwards;
        o.zero_output_for_mask = zero_output;
        SimpleRNN<TestType> layer(4, o);
        randomize_weights(layer, 3, 10 + static_cast<std::uint64_t>(variant));
        const auto x = random_tensor<TestType>({3, 6, 3}, 20);
        const Tensor<TestType> mask({3, 6}, {0, 0, 1, 1, 0, 1, /**/ 1, 1, 1, 1, 1, 0, /**/ 0, 0, 0, 0, 0, 0});
        const auto h0 = random_tensor<TestType>({3, 4}, 21);
        elman::CallArgs<TestType> args;
        args.mask = mask;
        if (with_h0) args.initial_state = h0.view();
        const auto r = layer(x, args);
        const auto xd = to_double(x), maskd = to_double(mask), h0d = to_double(h0);
        const auto ref = naive_forward(to_double(layer.get_weights()), xd, &maskd, with_h0 ? &h0d : nullptr,
                                       go_backwards, zero_output);
        INFO("variant " << variant);
        CHECK(max_abs_diff(r.output.data(), ref.sequence) < loop_tolerance<TestType>());
        CHECK(max_abs_diff(r.state->data(), ref.state) < loop_tolerance<TestType>());
        // The fully masked sample keeps its initial state (or zeros) and outputs zeros.
        for (Index u = 0; u < 4; ++u) {
            CHECK((*r.state)(2, u) == (with_h0 ? h0(2, u) : TestType(0)));
            CHECK(r.output(2, 5, u) == 0.0);
        }
    }
}

TEMPLATE_TEST_CASE("time_major inputs give the transposed batch-major results", "[simple_rnn][time_major]", float,
                   double) {
    SimpleRNNOptions o;
    o.return_sequences = true;
    o.return_state = true;
    SimpleRNN<TestType> batch_major(3, o);
    o.time_major = true;
    SimpleRNN<TestType> time_major(3, o);
    randomize_weights(batch_major, 2, 30);
    time_major.set_weights(batch_major.get_weights());
    const auto x = random_tensor<TestType>({2, 5, 2}, 31);
    Tensor<TestType> xt({5, 2, 2});
    const Tensor<TestType> mask({2, 5}, {1, 1, 0, 1, 1, 0, 1, 1, 1, 0});
    Tensor<TestType> mask_t({5, 2});
    for (Index b = 0; b < 2; ++b)
        for (Index t = 0; t < 5; ++t) {
            mask_t(t, b) = mask(b, t);
            for (Index f = 0; f < 2; ++f) xt(t, b, f) = x(b, t, f);
        }
    elman::CallArgs<TestType> a, at;
    a.mask = mask;
    at.mask = mask_t;
    const auto r = batch_major(x, a);
    const auto rt = time_major(xt, at);
    REQUIRE(rt.output.shape() == Shape{5, 2, 3});
    for (Index b = 0; b < 2; ++b)
        for (Index t = 0; t < 5; ++t)
            for (Index u = 0; u < 3; ++u) CHECK(rt.output(t, b, u) == Approx(r.output(b, t, u)).margin(1e-6));
    CHECK(rt.state->values() == r.state->values());
}

// unroll is a performance switch in Keras: an unrolled layer must compute the recurrence itself (checked
// against the independent reference loops, not against another elman layer), and report the flag.
TEST_CASE("unroll is accepted, reported, and the layer still computes the reference recurrence",
          "[simple_rnn][unroll]") {
    SimpleRNNOptions o;
    o.return_sequences = true;
    o.unroll = true;
    SimpleRNN<double> unrolled(3, o);
    CHECK(unrolled.unroll());
    CHECK(unrolled.options().unroll);
    randomize_weights(unrolled, 2, 40);
    const auto x = random_tensor<double>({2, 5, 2}, 41);
    const auto reference = naive_forward(unrolled.get_weights(), x, nullptr, nullptr, false, false);
    const auto y = unrolled(x).output.values();
    REQUIRE(y.size() == reference.sequence.size());
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(reference.sequence[i]).margin(1e-12));
}

TEMPLATE_TEST_CASE("Dropout: one mask per call and sample, reused at every step, inverted scaling",
                   "[simple_rnn][dropout]", float, double) {
    SimpleRNNOptions o;
    o.dropout = 0.4;
    o.recurrent_dropout = 0.3;
    o.return_sequences = true;
    o.return_state = true;
    o.seed = 123;
    SimpleRNN<TestType> layer(6, o);
    randomize_weights(layer, 5, 50);
    const auto x = random_tensor<TestType>({4, 7, 5}, 51);

    // Inference: dropout is a no-op, identical to a layer without dropout.
    SimpleRNN<TestType> plain(6, [] {
        SimpleRNNOptions p;
        p.return_sequences = true;
        p.return_state = true;
        return p;
    }());
    plain.set_weights(layer.get_weights());
    CHECK(layer(x).output.values() == plain(x).output.values());

    // Training: the recorded masks hold only 0 and 1/(1-rate), and the outputs equal the reference loops with those masks.
    elman::ForwardTrace<TestType> trace;
    elman::CallArgs<TestType> args;
    args.training = true;
    args.trace = &trace;
    const auto r = layer(x, args);
    REQUIRE(trace.dropout_mask.rows() == 4);
    REQUIRE(trace.dropout_mask.cols() == 5);
    REQUIRE(trace.recurrent_dropout_mask.rows() == 4);
    REQUIRE(trace.recurrent_dropout_mask.cols() == 6);
    for (Index i = 0; i < trace.dropout_mask.size(); ++i) {
        const double v = double(trace.dropout_mask.data()[i]);
        CHECK((v == 0.0 || v == Approx(double(TestType(1.0 / 0.6))).epsilon(1e-15)));
    }
    for (Index i = 0; i < trace.recurrent_dropout_mask.size(); ++i) {
        const double v = double(trace.recurrent_dropout_mask.data()[i]);
        CHECK((v == 0.0 || v == Approx(double(TestType(1.0 / 0.7))).epsilon(1e-15)));
    }
    const elman::RowMajorMatrix<double> dx = trace.dropout_mask.template cast<double>();
    const elman::RowMajorMatrix<double> dh = trace.recurrent_dropout_mask.template cast<double>();
    const auto ref =
        naive_forward(to_double(layer.get_weights()), to_double(x), nullptr, nullptr, false, false, &dx, &dh);
    CHECK(max_abs_diff(r.output.data(), ref.sequence) < loop_tolerance<TestType>());
    CHECK(max_abs_diff(r.state->data(), ref.state) < loop_tolerance<TestType>());

    // New masks on every call.
    elman::ForwardTrace<TestType> trace2;
    args.trace = &trace2;
    layer(x, args);
    CHECK(trace2.dropout_mask != trace.dropout_mask);

    // Same seed, same masks.
    layer.seed_dropout(99);
    args.trace = &trace;
    layer(x, args);
    layer.seed_dropout(99);
    args.trace = &trace2;
    layer(x, args);
    CHECK(trace2.dropout_mask == trace.dropout_mask);
    CHECK(trace2.recurrent_dropout_mask == trace.recurrent_dropout_mask);
}

TEMPLATE_TEST_CASE("Dropout keep rate is 1 - rate", "[simple_rnn][dropout]", float, double) {
    SimpleRNNOptions o;
    o.dropout = 0.25;
    o.seed = 7;
    SimpleRNN<TestType> layer(2, o);
    const auto x = random_tensor<TestType>({400, 1, 50}, 60);
    elman::ForwardTrace<TestType> trace;
    elman::CallArgs<TestType> args;
    args.training = true;
    args.trace = &trace;
    layer(x, args);
    const double kept = (trace.dropout_mask.array() != TestType(0)).template cast<double>().mean();
    CHECK(kept == Approx(0.75).margin(0.01));  // 20000 draws: 5 sigma ~ 0.015
}

TEMPLATE_TEST_CASE("Dropout rate 1.0 is accepted at construction and inference, rejected in training",
                   "[simple_rnn][dropout]", float, double) {
    SimpleRNNOptions o;
    o.dropout = 1.5;  // clipped to 1
    o.stateful = true;
    SimpleRNN<TestType> layer(2, o);
    const auto x = random_tensor<TestType>({3, 2, 4}, 70);
    CHECK_NOTHROW(layer(x));
    const LayerSnapshot<SimpleRNN<TestType>> before(layer);
    elman::CallArgs<TestType> args;
    args.training = true;
    CHECK_THROWS_WITH(layer(x, args), Catch::Contains("`dropout`") && Catch::Contains("range [0, 1), got 1"));
    CHECK(before.same_as(layer));
    SimpleRNNOptions r;
    r.recurrent_dropout = 1.0;
    SimpleRNN<TestType> rec(2, r);
    CHECK_THROWS_WITH(rec(x, args), Catch::Contains("`recurrent_dropout`"));
}

TEMPLATE_TEST_CASE("Stateful layers carry the final state and follow Keras' reset_states rules",
                   "[simple_rnn][stateful]", float, double) {
    SimpleRNN<TestType> not_stateful(3);
    CHECK_THROWS_AS(not_stateful.reset_states(), std::logic_error);
    CHECK_THROWS_WITH(not_stateful.reset_states(), Catch::Contains("Layer must be stateful."));

    SimpleRNNOptions o;
    o.stateful = true;
    SimpleRNN<TestType> unknown_batch(3, o);
    CHECK_THROWS_AS(unknown_batch.reset_states(), std::logic_error);
    CHECK_THROWS_WITH(unknown_batch.reset_states(), Catch::Contains("needs to know its batch size"));

    o.batch_size = 2;
    o.return_state = true;
    SimpleRNN<TestType> layer(3, o);
    // Before the buffer exists, reset_states(values) creates zeros and ignores the values (Keras).
    const auto values = random_tensor<TestType>({2, 3}, 80);
    layer.reset_states(values.view());
    CHECK(layer.states().matrix().isZero(0));
    randomize_weights(layer, 4, 81);

    SimpleRNNOptions p;
    p.return_state = true;
    SimpleRNN<TestType> plain(3, p);
    plain.set_weights(layer.get_weights());
    const auto x1 = random_tensor<TestType>({2, 5, 4}, 82), x2 = random_tensor<TestType>({2, 3, 4}, 83);
    elman::CallArgs<TestType> carry;
    const auto s1 = layer(x1);
    const auto p1 = plain(x1);
    CHECK(s1.state->values() == p1.state->values());
    CHECK(layer.states().values() == s1.state->values());
    // Second call continues from the stored state; T may change between calls.
    carry.initial_state = p1.state->view();
    CHECK(layer(x2).output.values() == plain(x2, carry).output.values());

    // TF 2.4: a non-zero stored state wins over an explicit initial_state ...
    const auto h0 = random_tensor<TestType>({2, 3}, 84);
    elman::CallArgs<TestType> with_h0;
    with_h0.initial_state = h0.view();
    elman::CallArgs<TestType> from_stored;
    const Tensor<TestType> stored = layer.states();
    from_stored.initial_state = stored.view();
    CHECK(layer(x1, with_h0).output.values() == plain(x1, from_stored).output.values());
    // ... and after reset_states() (all zeros) the explicit initial_state is used.
    layer.reset_states();
    CHECK(layer.states().matrix().isZero(0));
    CHECK(layer(x1, with_h0).output.values() == plain(x1, with_h0).output.values());

    // reset_states(values) sets the buffer; count and shape are checked.
    layer.reset_states(values.view());
    CHECK(layer.states().values() == values.values());
    const Tensor<TestType> wrong({3, 3});
    CHECK_THROWS_WITH(
        layer.reset_states(wrong.view()),
        Catch::Contains("State 0 is incompatible with layer simple_rnn: expected shape=(2, 3), found shape=(3, 3)"));
    CHECK_THROWS_WITH(layer.reset_states(std::vector<elman::TensorView<const TestType>>{values.view(), values.view()}),
                      Catch::Contains("expects 1 states, but it received 2 state values"));
    CHECK(layer.states().values() == values.values());

    // The batch size is fixed: a call with another batch throws and keeps the state.
    CHECK_THROWS_WITH(layer(random_tensor<TestType>({3, 5, 4}, 85)),
                      Catch::Contains("expected shape=(2, None, 4), found shape=(3, 5, 4)"));
    CHECK(layer.states().values() == values.values());
}

TEMPLATE_TEST_CASE("A stateful layer without batch_size takes the batch of its first call", "[simple_rnn][stateful]",
                   float, double) {
    SimpleRNNOptions o;
    o.stateful = true;
    SimpleRNN<TestType> layer(2, o);
    layer(random_tensor<TestType>({5, 3, 2}, 90));
    CHECK(layer.states().dim(0) == 5);
    CHECK_NOTHROW(layer.reset_states());
    CHECK_THROWS_AS(layer(random_tensor<TestType>({4, 3, 2}, 91)), std::invalid_argument);
}

TEMPLATE_TEST_CASE("Zero-sized batch gives empty outputs", "[simple_rnn]", float, double) {
    SimpleRNNOptions o;
    o.return_sequences = true;
    o.return_state = true;
    SimpleRNN<TestType> layer(3, o);
    const auto r = layer(Tensor<TestType>({0, 4, 2}));
    CHECK(r.output.shape() == Shape{0, 4, 3});
    CHECK(r.state->shape() == Shape{0, 3});
}

TEMPLATE_TEST_CASE("Views take numpy-layout buffers and Eigen matrices without copying", "[simple_rnn][tensor]", float,
                   double) {
    SimpleRNN<TestType> layer(2);
    randomize_weights(layer, 3, 100);
    std::vector<TestType> buffer(2 * 4 * 3);
    for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<TestType>(0.1 * double(i) - 1.0);
    const auto from_buffer = layer(elman::TensorView<const TestType>(buffer.data(), {2, 4, 3})).output;
    elman::RowMajorMatrix<TestType> rows = Eigen::Map<elman::RowMajorMatrix<TestType>>(buffer.data(), 8, 3);
    const auto view = elman::TensorView<const TestType>::from_rows(rows, 4);
    CHECK(view.data() == rows.data());
    CHECK(layer(view).output.values() == from_buffer.values());
    CHECK_THROWS_AS(elman::TensorView<const TestType>::from_rows(rows, 3), std::invalid_argument);
    CHECK_THROWS_AS(elman::TensorView<const TestType>(nullptr, {1, 1, 1}), std::invalid_argument);
}

TEMPLATE_TEST_CASE("Regularization loss is Keras' sum of penalties on current weights", "[simple_rnn][regularizers]",
                   float, double) {
    SimpleRNNOptions o;
    o.input_dim = 2;
    o.kernel_regularizer = elman::Regularizer::L1(0.1);
    o.recurrent_regularizer = elman::Regularizer::L2(0.2);
    o.bias_regularizer = elman::Regularizer::L1L2(0.3, 0.4);
    o.activity_regularizer = elman::Regularizer::L2(0.5);
    o.return_state = true;
    SimpleRNN<TestType, elman::Linear> layer(2, o);
    CHECK(SimpleRNN<TestType>(2).regularization_loss() == 0.0);
    layer.set_weights(std::vector<Tensor<TestType>>{Tensor<TestType>({2, 2}, {1, -2, 3, -4}),
                                                    Tensor<TestType>({2, 2}, {0.5, 0, 0, -1}),
                                                    Tensor<TestType>({2}, {-1, 2})});
    const double f01 = double(0.1f), f02 = double(0.2f), f03 = double(0.3f), f04 = double(0.4f), f05 = double(0.5f);
    const double expected = f01 * 10 + f02 * 1.25 + (f03 * 3 + f04 * 5);
    CHECK(double(layer.regularization_loss()) ==
          Approx(expected).epsilon(std::is_same<TestType, double>::value ? 1e-12 : 1e-6));
    // Activity term: every returned tensor's penalty divided by its batch size.
    const auto r = layer(Tensor<TestType>({2, 1, 2}, {1, 0, 0, 1}));
    const double out_sq = double(r.output.matrix().squaredNorm()), state_sq = double(r.state->matrix().squaredNorm());
    CHECK(double(layer.activity_regularization_loss(r)) ==
          Approx(f05 * (out_sq + state_sq) / 2.0).epsilon(std::is_same<TestType, double>::value ? 1e-12 : 1e-6));
}

TEMPLATE_TEST_CASE("A moved-from layer is unbuilt and refuses calls until assigned", "[simple_rnn][lifecycle]", float,
                   double) {
    SimpleRNNOptions o;
    o.input_dim = 3;
    o.stateful = true;
    o.batch_size = 2;
    SimpleRNN<TestType> a(4, o);
    const auto x = random_tensor<TestType>({2, 5, 3}, 120);
    SimpleRNN<TestType> reference = a;
    const auto expected = reference(x).output.values();

    SimpleRNN<TestType> b = std::move(a);
    CHECK_FALSE(a.built());  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
    CHECK(a.get_weights().empty());
    CHECK(a.states().size() == 0);
    CHECK_THROWS_AS(a(x), std::logic_error);
    CHECK_THROWS_WITH(a(x), Catch::Contains("moved from"));
    CHECK_THROWS_AS(a.build(3), std::logic_error);
    CHECK_THROWS_AS(a.set_weights(b.get_weights()), std::logic_error);
    CHECK(b(x).output.values() == expected);

    // Move assignment: the target takes everything, the source becomes moved-from.
    SimpleRNN<TestType> c(4);
    c = std::move(b);
    CHECK_THROWS_AS(b(x), std::logic_error);
    c.reset_states();
    CHECK(c(x).output.values() == expected);

    // Assigning a layer to a moved-from one makes it usable again.
    a = reference;
    a.reset_states();
    CHECK(a(x).output.values() == expected);
}

TEMPLATE_TEST_CASE("Inputs and initial_state may alias the Result being written", "[simple_rnn][lifecycle]", float,
                   double) {
    SimpleRNNOptions seq;
    seq.return_sequences = true;
    seq.return_state = true;
    SimpleRNN<TestType> first(4, seq);
    randomize_weights(first, 3, 121);
    SimpleRNNOptions back = seq;
    back.go_backwards = true;
    SimpleRNN<TestType> grows(6, back), same(4, back);
    randomize_weights(grows, 4, 122);
    randomize_weights(same, 4, 123);
    const auto x = random_tensor<TestType>({2, 5, 3}, 124);

    // The stacked-layer loop with one reused Result: outputs grow ([2, 5, 4] -> [2, 5, 6]) or keep their shape.
    elman::Result<TestType> r;
    first.call(x, {}, r);
    const Tensor<TestType> h1 = r.output;
    grows.call(r.output, {}, r);
    CHECK(r.output.values() == grows(h1).output.values());

    first.call(x, {}, r);
    same.call(r.output, {}, r);
    CHECK(r.output.values() == same(h1).output.values());

    // initial_state viewing the result's own state.
    first.call(x, {}, r);
    const Tensor<TestType> h_last = *r.state;
    elman::CallArgs<TestType> args;
    args.initial_state = r.state->view();
    first.call(x, args, r);
    elman::CallArgs<TestType> copied;
    copied.initial_state = h_last.view();
    CHECK(r.output.values() == first(x, copied).output.values());

    // A mask viewing the result is refused before anything changes.
    first.call(x, {}, r);
    const auto before = r.output.values();
    elman::CallArgs<TestType> masked;
    masked.mask = elman::MaskView(r.output.data(), Shape{2, 5});
    CHECK_THROWS_WITH(first.call(x, masked, r), Catch::Contains("`mask` shares memory with the Result"));
    CHECK(r.output.values() == before);

    // Inputs viewing the trace the call records into: its recorded inputs (same shape), and its states as a
    // longer sequence ([2, 6, 4]), which makes the trace grow while the call reads them.
    elman::ForwardTrace<TestType> trace;
    elman::CallArgs<TestType> traced;
    traced.trace = &trace;
    first.call(x, traced, r);
    first.call(elman::TensorView<const TestType>(trace.inputs.data(), x.shape()), traced, r);
    CHECK(r.output.values() == first(x).output.values());
    first.call(x, traced, r);
    const Tensor<TestType> states(Shape{2, 6, 4}, std::vector<TestType>(trace.states.data(), trace.states.data() + 48));
    elman::Result<TestType> from_trace;
    same.call(elman::TensorView<const TestType>(trace.states.data(), Shape{2, 6, 4}), traced, from_trace);
    CHECK(trace.timesteps == 6);
    CHECK(from_trace.output.values() == same(states).output.values());
}
