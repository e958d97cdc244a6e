// SimpleRNNStream (stream.hpp): stepping one timestep at a time gives the whole-sequence call's numbers, for
// dynamic and compile-time sizes, and refuses what it cannot do. Its zero-allocation promise is proven by the
// separate executable in tests/no_alloc/.
#include "support.hpp"

// The single-header build (ELMAN_SINGLE_HEADER) has only elman/elman.hpp, which includes stream.hpp.
#if __has_include(<elman/stream.hpp>)
#include <elman/stream.hpp>
#endif

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

using elman::Index;
using elman::SimpleRNN;
using elman::SimpleRNNStream;
using elman::Tensor;

using elman_test::random_tensor;

namespace {

template <class Layer>
void randomize(Layer& layer, Index features, std::uint64_t seed) {
    using Scalar = typename Layer::scalar_type;
    std::vector<Tensor<Scalar>> w{random_tensor<Scalar>({features, layer.units()}, seed),
                                  random_tensor<Scalar>({layer.units(), layer.units()}, seed + 1, -0.5, 0.5)};
    if (layer.use_bias()) w.push_back(random_tensor<Scalar>({layer.units()}, seed + 2, -0.3, 0.3));
    layer.set_weights(w);
}

template <class Scalar>
double tolerance() {
    return std::is_same<Scalar, double>::value ? 1e-12 : 2e-5;
}

// Steps `stream` through x [B, T, F] and returns the [B, T, U] sequence of states.
template <class Stream, class Scalar>
Tensor<Scalar> step_through(Stream& stream, const Tensor<Scalar>& x) {
    const Index B = x.dim(0), T = x.dim(1), F = x.dim(2), U = stream.units();
    Tensor<Scalar> seq({B, T, U});
    std::vector<Scalar> frame(static_cast<std::size_t>(B * F));
    for (Index t = 0; t < T; ++t) {
        for (Index b = 0; b < B; ++b)
            for (Index f = 0; f < F; ++f) frame[static_cast<std::size_t>(b * F + f)] = x.data()[(b * T + t) * F + f];
        const auto& h = stream.step(frame.data());
        for (Index b = 0; b < B; ++b)
            for (Index u = 0; u < U; ++u) seq.data()[(b * T + t) * U + u] = h(b, u);
    }
    return seq;
}

template <class Scalar, class Act>
void check_against_call(Index B, Index T, Index F, Index U, bool use_bias, std::uint64_t seed) {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    o.use_bias = use_bias;
    SimpleRNN<Scalar, Act> layer(U, o);
    randomize(layer, F, seed);
    const auto x = random_tensor<Scalar>({B, T, F}, seed + 7);
    const auto expected = layer(x).output;
    SimpleRNNStream<Scalar, Act> stream(layer, B);
    const auto stepped = step_through(stream, x);
    INFO("B=" << B << " T=" << T << " F=" << F << " U=" << U << " bias=" << use_bias);
    CHECK(elman_test::max_relative_error(stepped, expected) <= tolerance<Scalar>());
}

}  // namespace

TEMPLATE_TEST_CASE("SimpleRNNStream steps give the whole-sequence call's outputs", "[stream]", float, double) {
    check_against_call<TestType, elman::Tanh>(1, 20, 16, 32, true, 1);
    check_against_call<TestType, elman::Tanh>(3, 9, 5, 37, true, 2);    // units not a multiple of the packet
    check_against_call<TestType, elman::Tanh>(2, 7, 1, 1, false, 3);    // one unit: single-column matrices
    check_against_call<TestType, elman::Tanh>(4, 5, 0, 3, true, 4);     // no input features (Keras allows it)
    check_against_call<TestType, elman::Tanh>(2, 6, 33, 129, true, 5);  // wide: several column chunks
    check_against_call<TestType, elman::Relu>(2, 8, 6, 10, true, 6);
    check_against_call<TestType, elman::Softmax>(2, 8, 6, 10, true, 7);  // row-wise activation
}

TEMPLATE_TEST_CASE("Compile-time sizes give the same numbers as dynamic sizes", "[stream][fixed_size]", float, double) {
    elman::SimpleRNNOptions sequences;
    sequences.return_sequences = true;
    SimpleRNN<TestType> layer(32, sequences);
    randomize(layer, 16, 11);
    const auto x = random_tensor<TestType>({2, 12, 16}, 12);

    SimpleRNNStream<TestType> dynamic_stream(layer, 2);
    SimpleRNNStream<TestType, elman::Tanh, 32, 16> fixed_stream(layer, 2);
    // Same kernel and summation order; only the trip counts are compile-time, so the results are identical.
    const auto fixed = step_through(fixed_stream, x);
    CHECK(elman_test::max_relative_error(fixed, step_through(dynamic_stream, x)) == 0.0);
    CHECK(elman_test::max_relative_error(fixed, layer(x).output) <= tolerance<TestType>());

    // One unit and no features: a depth of one.
    SimpleRNN<TestType> tiny(1);
    randomize(tiny, 0, 13);
    SimpleRNNStream<TestType, elman::Tanh, 1, 0> tiny_stream(tiny, 3);
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    SimpleRNN<TestType> tiny_dynamic(1, o);
    tiny_dynamic.set_weights(tiny.get_weights());
    const Tensor<TestType> empty_x({3, 4, 0});
    CHECK(elman_test::max_relative_error(step_through(tiny_stream, empty_x), tiny_dynamic(empty_x).output) <=
          tolerance<TestType>());
}

TEST_CASE("Compile-time sizes are enforced", "[fixed_size]") {
    SimpleRNN<float> layer(8);
    layer.build(4);
    using Fixed = SimpleRNNStream<float, elman::Tanh, 8, 4>;
    CHECK_NOTHROW(Fixed(layer));
    SimpleRNN<float> other_units(7);
    other_units.build(4);
    CHECK_THROWS_WITH(Fixed(other_units), Catch::Contains("`units` is 7, the stream's compile-time size is 8"));
    SimpleRNN<float> other_features(8);
    other_features.build(5);
    CHECK_THROWS_WITH(Fixed(other_features), Catch::Contains("`input_dim` is 5, the stream's compile-time size is 4"));
}

TEST_CASE("SimpleRNNStream starts from a stateful layer's state and resets", "[stream]") {
    elman::SimpleRNNOptions o;
    o.stateful = true;
    o.return_sequences = true;
    SimpleRNN<double> layer(6, o);
    randomize(layer, 4, 21);
    const auto warmup = random_tensor<double>({2, 3, 4}, 22);
    const auto x = random_tensor<double>({2, 5, 4}, 23);
    layer(warmup);  // leaves a non-zero stored state
    SimpleRNNStream<double> stream(layer, 2);
    CHECK(stream.state() == layer.states().matrix());
    const auto stepped = step_through(stream, x);
    CHECK(elman_test::max_relative_error(stepped, layer(x).output) <= 1e-12);
    CHECK(elman_test::max_relative_error(Tensor<double>::from_matrix(stream.state()), layer.states()) <= 1e-12);

    stream.reset();
    CHECK(stream.state().isZero(0));
    const auto h0 = random_tensor<double>({2, 6}, 24);
    stream.reset(h0);
    CHECK(elman_test::max_relative_error(Tensor<double>::from_matrix(stream.state()), h0) == 0.0);
    CHECK_THROWS_AS(stream.reset(Tensor<double>({2, 5})), std::invalid_argument);
}

TEST_CASE("SimpleRNNStream refuses what it cannot do", "[stream]") {
    SimpleRNN<float> unbuilt(4);
    CHECK_THROWS_AS(SimpleRNNStream<float>(unbuilt), std::logic_error);
    elman::SimpleRNNOptions o;
    o.go_backwards = true;
    o.input_dim = 3;
    SimpleRNN<float> backwards(4, o);
    CHECK_THROWS_WITH(SimpleRNNStream<float>(backwards), Catch::Contains("go_backwards"));

    SimpleRNN<float> layer(4);
    randomize(layer, 3, 31);
    CHECK_THROWS_AS(SimpleRNNStream<float>(layer, 0), std::invalid_argument);
    SimpleRNNStream<float> stream(layer, 2);
    CHECK_THROWS_WITH(stream.step(Tensor<float>({2, 4})), Catch::Contains("[2, 3]"));
    CHECK_THROWS_AS(stream.step(Tensor<float>({1, 3})), std::invalid_argument);
    CHECK_NOTHROW(stream.step(Tensor<float>({2, 1, 3})));
    SimpleRNN<float> other(5);
    randomize(other, 3, 32);
    CHECK_THROWS_AS(stream.update_weights(other), std::invalid_argument);

    // update_weights picks up new weights.
    SimpleRNN<float> retrained(4);
    randomize(retrained, 3, 33);
    stream.update_weights(retrained);
    stream.reset();
    const auto x = random_tensor<float>({2, 1, 3}, 34);
    const auto& h = stream.step(x);
    CHECK(elman_test::max_relative_error(Tensor<float>::from_matrix(h), retrained(x).output) <= 2e-5);
}

TEST_CASE("SimpleRNNStream::update_weights takes the new bias and refuses another use_bias", "[stream]") {
    SimpleRNN<float> biased(2);
    biased.set_weights(std::vector<Tensor<float>>{Tensor<float>({1, 2}), Tensor<float>({2, 2}),
                                                  Tensor<float>({2}, std::vector<float>{0.5f, -0.5f})});
    SimpleRNNStream<float> stream(biased);
    const Tensor<float> x({1, 1});
    CHECK(stream.step(x)(0, 0) == Approx(std::tanh(0.5f)));

    // Same use_bias: the new bias replaces the old one (here zero).
    SimpleRNN<float> zero_bias(2);
    zero_bias.set_weights(std::vector<Tensor<float>>{Tensor<float>({1, 2}), Tensor<float>({2, 2}), Tensor<float>({2})});
    stream.update_weights(zero_bias);
    stream.reset();
    CHECK(stream.step(x).isZero(0));

    // A layer without bias is refused (the stream was made for one with a bias), and nothing changes.
    elman::SimpleRNNOptions no_bias;
    no_bias.use_bias = false;
    SimpleRNN<float> unbiased(2, no_bias);
    unbiased.set_weights(std::vector<Tensor<float>>{Tensor<float>({1, 2}), Tensor<float>({2, 2})});
    CHECK_THROWS_WITH(stream.update_weights(unbiased),
                      Catch::Contains("use_bias=false") && Catch::Contains("use_bias=true"));
    stream.reset();
    CHECK(stream.step(x).isZero(0));
}
