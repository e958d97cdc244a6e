// Backpropagation through time (include/elman/backward.hpp) against central finite differences in double
// precision, for every configuration family of the forward pass.
//
// The objective is L = sum(gO * output) + sum(gS * state) [+ the layer's regularization losses], with fixed random
// upstream gradients gO, gS; every weight, input and initial-state element is perturbed by +-1e-5 and the central
// difference is compared with backward(). Tolerance: |analytic - numeric| <= 1e-6 * max(|analytic|, |numeric|, 1e-3)
// (the floor keeps near-zero gradients from turning the finite-difference noise, ~1e-10, into a relative error).
// A float run of every case must agree with the double analytic gradient to 1e-4 of the gradient's scale.
#include "support.hpp"

#include <elman/backward.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace {

using elman::Index;

struct Setup {
    elman::SimpleRNNOptions options{};
    Index batch = 3, timesteps = 5, features = 4, units = 3;
    std::vector<int> mask{};       // [B, T] ([T, B] when time_major), empty = no mask
    bool initial_state = false;    // pass an explicit initial_state
    bool training = false;         // training call (dropout)
    bool stateful_warmup = false;  // stateful: one call before the differentiated one fills the stored state
    double input_scale = 1.0;
    std::uint64_t seed = 7;
};

template <class Scalar>
elman::Tensor<Scalar> uniform_tensor(elman::Random& rng, elman::Shape shape, double scale) {
    elman::Tensor<Scalar> t(shape);
    for (auto& v : t.values()) v = static_cast<Scalar>(rng.uniform(-scale, scale));
    return t;
}

// One differentiable call of a layer with everything but the perturbed value held fixed.
template <class Scalar, class Act>
struct Problem {
    Setup setup;
    elman::SimpleRNN<Scalar, Act> layer;
    elman::Tensor<Scalar> x, h0, g_out, g_state, stored;
    elman::Tensor<int> mask;

    static elman::SimpleRNNOptions layer_options(Setup s) {
        s.options.input_dim = s.features;
        if (s.options.stateful) s.options.batch_size = s.batch;
        s.options.bias_initializer = elman::Initializer::random_uniform(-0.5, 0.5, s.seed + 3);
        s.options.kernel_initializer = elman::Initializer::glorot_uniform(s.seed + 1);
        s.options.recurrent_initializer = elman::Initializer::orthogonal(1.0, s.seed + 2);
        return s.options;
    }

    explicit Problem(const Setup& s, Act act = {}) : setup(s), layer(s.units, layer_options(s), act) {
        elman::Random rng(s.seed);
        const bool tm = s.options.time_major;
        const elman::Shape in_shape =
            tm ? elman::Shape{s.timesteps, s.batch, s.features} : elman::Shape{s.batch, s.timesteps, s.features};
        x = uniform_tensor<Scalar>(rng, in_shape, s.input_scale);
        h0 = uniform_tensor<Scalar>(rng, {s.batch, s.units}, 0.8);
        const elman::Shape out_shape = s.options.return_sequences ? (tm ? elman::Shape{s.timesteps, s.batch, s.units}
                                                                        : elman::Shape{s.batch, s.timesteps, s.units})
                                                                  : elman::Shape{s.batch, s.units};
        g_out = uniform_tensor<Scalar>(rng, out_shape, 1.0);
        g_state = uniform_tensor<Scalar>(rng, {s.batch, s.units}, 1.0);
        if (!s.mask.empty()) {
            mask = elman::Tensor<int>(tm ? elman::Shape{s.timesteps, s.batch} : elman::Shape{s.batch, s.timesteps},
                                      s.mask);
        }
        if (s.options.stateful && s.stateful_warmup) {
            // A first call leaves a non-zero stored state; the differentiated call starts from it.
            layer(x);
            stored = layer.states();
        }
    }

    elman::Result<Scalar> call(elman::ForwardTrace<Scalar>* trace) {
        if (setup.options.stateful) {
            if (stored.size() != 0) {
                layer.reset_states(stored);
            } else {
                layer.reset_states();
            }
        }
        layer.seed_dropout(setup.seed + 11);  // the same dropout masks on every evaluation
        elman::CallArgs<Scalar> args;
        if (mask.size() != 0) args.mask = mask;
        args.training = setup.training;
        if (setup.initial_state) args.initial_state = h0.view();
        args.trace = trace;
        return layer(x, args);
    }

    double objective() {
        const auto r = call(nullptr);
        double total = 0;
        for (Index i = 0; i < r.output.size(); ++i) total += double(g_out(i)) * double(r.output(i));
        if (r.state)
            for (Index i = 0; i < r.state->size(); ++i) total += double(g_state(i)) * double((*r.state)(i));
        return total + double(layer.regularization_loss()) + double(layer.activity_regularization_loss(r));
    }

    elman::Gradients<Scalar> analytic() {
        elman::ForwardTrace<Scalar> trace;
        const auto r = call(&trace);
        std::optional<elman::TensorView<const Scalar>> gs;
        if (r.state) gs = g_state.view();
        return elman::backward(layer, trace, r, g_out.view(), gs);
    }
};

struct Check {
    double worst = 0.0;
    std::string where;
};

void compare(Check& check, const std::string& what, Index i, double analytic, double numeric) {
    const double err = std::abs(analytic - numeric) / std::max({std::abs(analytic), std::abs(numeric), 1e-3});
    if (!(err <= check.worst) || std::isnan(err)) {
        check.worst = std::isnan(err) ? INFINITY : err;
        check.where = what + "[" + std::to_string(i) + "]: analytic " + std::to_string(analytic) + ", numeric " +
                      std::to_string(numeric);
    }
}

// Central differences of problem.objective() over `n` elements read by `get(i)` and written by `set(i, v)`.
template <class P, class Get, class Set>
void check_elements(P& problem, Check& check, const std::string& what, Get get, Set set, Index n,
                    const double* analytic) {
    const double eps = 1e-5;
    for (Index i = 0; i < n; ++i) {
        const double saved = get(i);
        set(i, saved + eps);
        const double up = problem.objective();
        set(i, saved - eps);
        const double down = problem.objective();
        set(i, saved);
        compare(check, what, i, analytic[i], (up - down) / (2 * eps));
    }
}

// A layer weight: written through its Parameter, so the packed backend sees every perturbation.
template <class P>
void check_parameter(P& problem, Check& check, const std::string& what, elman::Parameter<double>& parameter,
                     const double* analytic) {
    check_elements(
        problem, check, what, [&](Index i) { return parameter.value().data()[i]; },
        [&](Index i, double v) { parameter.modify([&](auto& w) { w.data()[i] = v; }); }, parameter.size(), analytic);
}

// Plain data (inputs, initial state).
template <class P>
void check_values(P& problem, Check& check, const std::string& what, double* values, Index n, const double* analytic) {
    check_elements(
        problem, check, what, [&](Index i) { return values[i]; }, [&](Index i, double v) { values[i] = v; }, n,
        analytic);
}

template <class Act>
void check_gradients(const Setup& setup, Act act = {}) {
    Problem<double, Act> p(setup, act);
    const auto g = p.analytic();
    Check check;
    auto& layer = p.layer;
    check_parameter(p, check, "kernel", layer.weights().kernel(), g.kernel.data());
    check_parameter(p, check, "recurrent_kernel", layer.weights().recurrent_kernel(), g.recurrent_kernel.data());
    REQUIRE(g.bias.size() == layer.bias().size());
    check_parameter(p, check, "bias", layer.weights().bias(), g.bias.data());
    REQUIRE(g.inputs.shape() == p.x.shape());
    check_values(p, check, "inputs", p.x.data(), p.x.size(), g.inputs.data());
    REQUIRE(g.initial_state.shape() == elman::Shape{setup.batch, setup.units});
    if (setup.initial_state && !(setup.options.stateful && setup.stateful_warmup)) {
        check_values(p, check, "initial_state", p.h0.data(), p.h0.size(), g.initial_state.data());
    }
    if (setup.options.stateful && setup.stateful_warmup) {
        check_values(p, check, "stored state", p.stored.data(), p.stored.size(), g.initial_state.data());
    }
    INFO(check.where);
    CHECK(check.worst < 1e-6);

    // The float instantiation computes the same gradients (float rounding only).
    Problem<float, Act> pf(setup, act);
    std::vector<elman::Tensor<float>> weights;
    for (const auto& w : p.layer.get_weights())
        weights.emplace_back(w.shape(), std::vector<float>(w.values().begin(), w.values().end()));
    pf.layer.set_weights(weights);
    const auto gf = pf.analytic();
    double scale = 1.0;
    for (Index i = 0; i < g.kernel.size(); ++i) scale = std::max(scale, std::abs(g.kernel.data()[i]));
    for (Index i = 0; i < g.inputs.size(); ++i) scale = std::max(scale, std::abs(g.inputs(i)));
    double worst = 0;
    auto cmp = [&](const float* a, const double* e, Index n) {
        for (Index i = 0; i < n; ++i) worst = std::max(worst, std::abs(double(a[i]) - e[i]) / scale);
    };
    cmp(gf.kernel.data(), g.kernel.data(), g.kernel.size());
    cmp(gf.recurrent_kernel.data(), g.recurrent_kernel.data(), g.recurrent_kernel.size());
    cmp(gf.bias.data(), g.bias.data(), g.bias.size());
    cmp(gf.inputs.data(), g.inputs.data(), g.inputs.size());
    cmp(gf.initial_state.data(), g.initial_state.data(), g.initial_state.size());
    CHECK(worst < 1e-4);
}

// Masks in source order, B=3, T=5: leading masked steps, a fully masked row, a middle gap.
const std::vector<int> kMixedMask{0, 0, 1, 1, 0,  //
                                  0, 0, 0, 0, 0,  //
                                  1, 0, 0, 1, 1};
const std::vector<int> kTrailingMask{1, 1, 1, 0, 0,  //
                                     1, 1, 1, 1, 1,  //
                                     1, 0, 1, 1, 0};

}  // namespace

TEST_CASE("backward: every combination of return_sequences, return_state, go_backwards, use_bias, initial_state",
          "[backward]") {
    for (int bits = 0; bits < 32; ++bits) {
        Setup s;
        s.options.return_sequences = bits & 1;
        s.options.return_state = bits & 2;
        s.options.go_backwards = bits & 4;
        s.options.use_bias = !(bits & 8);
        s.initial_state = bits & 16;
        s.seed = 100 + static_cast<std::uint64_t>(bits);
        INFO("config bits " << bits);
        check_gradients<elman::Tanh>(s);
    }
}

TEST_CASE("backward: masks (leading, fully masked row, gaps, trailing) with and without initial_state",
          "[backward][mask]") {
    for (int bits = 0; bits < 16; ++bits) {
        Setup s;
        s.mask = (bits & 8) ? kTrailingMask : kMixedMask;
        s.options.return_sequences = bits & 1;
        s.options.go_backwards = bits & 2;
        s.initial_state = bits & 4;
        s.options.return_state = true;
        s.seed = 200 + static_cast<std::uint64_t>(bits);
        INFO("mask config bits " << bits);
        check_gradients<elman::Tanh>(s);
    }
    SECTION("zero_output_for_mask") {
        for (int seq = 0; seq < 2; ++seq) {
            Setup s;
            s.mask = kMixedMask;
            s.options.zero_output_for_mask = true;
            s.options.return_sequences = seq;
            s.initial_state = true;
            check_gradients<elman::Tanh>(s);
        }
    }
    SECTION("all steps masked: only the initial state gets a gradient, from the returned state") {
        Setup s;
        s.mask.assign(15, 0);
        s.initial_state = true;
        s.options.return_state = true;
        s.options.return_sequences = true;
        check_gradients<elman::Tanh>(s);
        Problem<double, elman::Tanh> p(s);
        const auto g = p.analytic();
        CHECK(g.kernel.isZero(0));
        CHECK(g.recurrent_kernel.isZero(0));
        CHECK(g.bias.isZero(0));
        CHECK(g.inputs.matrix().isZero(0));
        CHECK(g.initial_state.matrix() == p.g_state.matrix());  // passed straight through
    }
}

TEST_CASE("backward: time_major layout", "[backward]") {
    for (int seq = 0; seq < 2; ++seq) {
        Setup s;
        s.options.time_major = true;
        s.options.return_sequences = seq;
        s.options.return_state = true;
        s.options.go_backwards = true;
        s.initial_state = true;
        s.mask = {1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1};  // [T=5, B=3]
        check_gradients<elman::Tanh>(s);
    }
}

TEST_CASE("backward: dropout and recurrent_dropout use the call's masks", "[backward][dropout]") {
    for (int bits = 0; bits < 4; ++bits) {
        Setup s;
        s.options.dropout = 0.3;
        s.options.recurrent_dropout = 0.4;
        s.training = true;
        s.options.return_sequences = bits & 1;
        s.options.go_backwards = bits & 2;
        s.options.return_state = true;
        s.initial_state = true;
        s.mask = kMixedMask;
        s.seed = 300 + static_cast<std::uint64_t>(bits);
        check_gradients<elman::Tanh>(s);
    }
    SECTION("the trace really holds dropout masks") {
        Setup s;
        s.options.dropout = 0.3;
        s.options.recurrent_dropout = 0.4;
        s.training = true;
        Problem<double, elman::Tanh> p(s);
        elman::ForwardTrace<double> trace;
        p.call(&trace);
        CHECK(trace.dropout_mask.rows() == 3);
        CHECK((trace.dropout_mask.array() == 0).any());
        CHECK((trace.recurrent_dropout_mask.array() == 0).any());
    }
}

TEST_CASE("backward: stateful layers start from the stored state, no gradient across calls", "[backward][stateful]") {
    for (int bits = 0; bits < 4; ++bits) {
        Setup s;
        s.options.stateful = true;
        s.stateful_warmup = true;
        s.options.return_sequences = bits & 1;
        s.options.go_backwards = bits & 2;
        s.options.return_state = true;
        s.initial_state = true;  // ignored: the stored state is non-zero (TF 2.4 rule)
        s.mask = kMixedMask;
        check_gradients<elman::Tanh>(s);
    }
    SECTION("right after reset_states the explicit initial_state is used and differentiated") {
        Setup s;
        s.options.stateful = true;
        s.options.return_state = true;
        s.initial_state = true;
        check_gradients<elman::Tanh>(s);
    }
}

TEST_CASE("backward: every activation's derivative", "[backward][activation]") {
    // Through KerasActivation: the typed activation's own backward, one layer instantiation for all of them.
    for (const std::string& name : elman_test::keras_activation_names()) {
        DYNAMIC_SECTION(name) {
            for (int seq = 0; seq < 2; ++seq) {
                Setup s;
                s.options.return_sequences = seq;
                s.options.return_state = true;
                s.initial_state = true;
                s.mask = kMixedMask;
                s.input_scale = 0.7;
                s.seed = 400 + static_cast<std::uint64_t>(seq);
                check_gradients(s, elman::KerasActivation(name));
            }
        }
    }
}

TEST_CASE("backward: regularizers add their gradients (weights and activity)", "[backward][regularizers]") {
    const std::vector<elman::Regularizer> regularizers{elman::Regularizer::L1(0.05), elman::Regularizer::L2(0.07),
                                                       elman::Regularizer::L1L2(0.02, 0.03)};
    for (const auto& reg : regularizers) {
        for (int bits = 0; bits < 4; ++bits) {
            Setup s;
            s.options.kernel_regularizer = reg;
            s.options.recurrent_regularizer = reg;
            s.options.bias_regularizer = reg;
            s.options.activity_regularizer = reg;
            s.options.return_sequences = bits & 1;
            s.options.return_state = bits & 2;
            s.options.time_major = bits & 2;  // time-major sequences divide the activity penalty by T (Keras quirk)
            s.mask = (bits & 2) ? std::vector<int>{} : kMixedMask;
            s.initial_state = true;
            INFO(reg.class_name() << " bits " << bits);
            check_gradients<elman::Tanh>(s);
        }
    }
    SECTION("Regularization::exclude gives the gradient of the upstream loss alone") {
        Setup s;
        s.options.kernel_regularizer = elman::Regularizer::L2(0.5);
        s.options.activity_regularizer = elman::Regularizer::L2(0.5);
        Problem<double, elman::Tanh> with(s);
        Setup plain_setup = s;
        plain_setup.options.kernel_regularizer.reset();
        plain_setup.options.activity_regularizer.reset();
        Problem<double, elman::Tanh> plain(plain_setup);
        elman::ForwardTrace<double> trace;
        const auto r = with.call(&trace);
        const auto g =
            elman::backward(with.layer, trace, r, with.g_out.view(), std::nullopt, elman::Regularization::exclude);
        const auto g_plain = plain.analytic();
        CHECK(g.kernel.isApprox(g_plain.kernel, 1e-14));
        CHECK(g.inputs.matrix().isApprox(g_plain.inputs.matrix(), 1e-14));
    }
}

TEST_CASE("backward: bad arguments throw naming the argument", "[backward][errors]") {
    Setup s;
    s.options.return_sequences = true;
    Problem<double, elman::Tanh> p(s);
    elman::ForwardTrace<double> trace;
    const auto r = p.call(&trace);
    auto message = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no exception");
    };
    elman::Tensor<double> wrong({3, 4});
    CHECK_THAT(message([&] { elman::backward(p.layer, trace, r, wrong.view()); }),
               Catch::Contains("grad_output") && Catch::Contains("(3, 5, 3)") && Catch::Contains("(3, 4)"));
    CHECK_THAT(message([&] { elman::backward(p.layer, trace, r, p.g_out.view(), wrong.view()); }),
               Catch::Contains("grad_state") && Catch::Contains("(3, 3)"));
    elman::ForwardTrace<double> empty;
    CHECK_THAT(message([&] { elman::backward(p.layer, empty, r, p.g_out.view()); }), Catch::Contains("trace"));
    elman::SimpleRNN<double> other(5, [] {
        elman::SimpleRNNOptions o;
        o.input_dim = 4;
        o.return_sequences = true;
        return o;
    }());
    CHECK_THAT(message([&] { elman::backward(other, trace, r, p.g_out.view()); }),
               Catch::Contains("trace") && Catch::Contains("units=5"));
    elman::Result<double> wrong_result;
    wrong_result.output = wrong;
    CHECK_THAT(message([&] { elman::backward(p.layer, trace, wrong_result, p.g_out.view()); }),
               Catch::Contains("result.output"));
}

// The reusing overload writes the same values as the by-value one, keeps its buffers when the shapes repeat,
// resizes them when they change, and reads a grad_output that views its own input gradient (one Gradients reused
// down a stack of layers) correctly.
TEST_CASE("backward: into a reused Gradients, including upstream gradients that view it", "[backward]") {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    o.return_state = true;
    const Index B = 3, T = 4, U = 5;
    // Two layers of equal width, so layer 1's input gradient [B, T, U] can feed layer 0 as its grad_output.
    elman::SimpleRNN<double> layer(U, o);
    layer.set_weights(std::vector<elman::Tensor<double>>{elman_test::random_tensor<double>({U, U}, 1),
                                                         elman_test::random_tensor<double>({U, U}, 2, -0.4, 0.4),
                                                         elman_test::random_tensor<double>({U}, 3)});
    const auto x = elman_test::random_tensor<double>({B, T, U}, 4);
    elman::ForwardTrace<double> trace;
    elman::CallArgs<double> args;
    args.trace = &trace;
    const auto r = layer(x, args);
    const auto g_out = elman_test::random_tensor<double>({B, T, U}, 5);
    const auto g_state = elman_test::random_tensor<double>({B, U}, 6);
    const auto expected = elman::backward(layer, trace, r, g_out, g_state.view());

    elman::Gradients<double> g;
    elman::backward(layer, trace, r, g_out, g, g_state.view());
    CHECK(g.kernel == expected.kernel);
    CHECK(g.recurrent_kernel == expected.recurrent_kernel);
    CHECK(g.bias == expected.bias);
    CHECK(g.inputs.values() == expected.inputs.values());
    CHECK(g.initial_state.values() == expected.initial_state.values());
    const double* kept = g.inputs.data();
    elman::backward(layer, trace, r, g_out, g, g_state.view());
    CHECK(g.inputs.data() == kept);  // same shapes: no reallocation
    CHECK(g.inputs.values() == expected.inputs.values());

    // grad_output = this Gradients' own input gradient, grad_state = its own initial-state gradient.
    const elman::Tensor<double> fed = g.inputs, fed_state = g.initial_state;
    const auto chained = elman::backward(layer, trace, r, fed, fed_state.view());
    elman::backward(layer, trace, r, g.inputs.view(), g, g.initial_state.view());
    CHECK(g.kernel == chained.kernel);
    CHECK(g.inputs.values() == chained.inputs.values());
    CHECK(g.initial_state.values() == chained.initial_state.values());

    // Another shape: the buffers follow it.
    const auto x2 = elman_test::random_tensor<double>({B + 1, T - 1, U}, 7);
    const auto r2 = layer(x2, args);
    const auto g_out2 = elman_test::random_tensor<double>({B + 1, T - 1, U}, 8);
    elman::backward(layer, trace, r2, g_out2, g);
    const auto expected2 = elman::backward(layer, trace, r2, g_out2);
    CHECK(g.inputs.shape() == expected2.inputs.shape());
    CHECK(g.inputs.values() == expected2.inputs.values());
    CHECK(g.recurrent_kernel == expected2.recurrent_kernel);
}
