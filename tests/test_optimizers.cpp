// Optimizers and variables (include/elman/train/optimizers.hpp, variable.hpp): Keras' update formulas on
// hand-computed numbers, constraints after every update, L2 weight decay, and a SimpleRNN + Dense model whose
// loss goes down.
#include "support.hpp"

#include <elman/dense.hpp>
#include <elman/train/backward.hpp>
#include <elman/train/optimizers.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

using elman::Index;
using Mat = elman::RowMajorMatrix<double>;

// A 1-D weight for the optimizer tests: a Parameter and its gradient, paired by var().
struct Weight1D {
    explicit Weight1D(Index n) : value(1, n, true), grad(Mat::Zero(1, n)) {}
    void set(std::initializer_list<double> v) {
        value.modify([&](auto& w) { std::copy(v.begin(), v.end(), w.data()); });
    }
    double operator()(Index i) const { return value.value()(0, i); }
    elman::Variable<double> var(const char* name = "w") { return {name, value, grad}; }
    elman::Parameter<double> value;
    Mat grad;
};

std::string what_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "no exception";
}

}  // namespace

TEST_CASE("SGD: Keras' plain, momentum and Nesterov updates", "[optimizers]") {
    Weight1D w(2);
    Mat& g = w.grad;
    SECTION("defaults: lr 0.01, no momentum") {
        elman::SGD<double> sgd;
        CHECK(sgd.learning_rate() == 0.01);
        CHECK(sgd.momentum() == 0.0);
        CHECK_FALSE(sgd.nesterov());
        w.set({1.0, -2.0});
        g << 0.5, 4.0;
        sgd.apply_gradients({w.var()});
        CHECK(w(0) == Approx(1.0 - 0.005).epsilon(1e-15));
        CHECK(w(1) == Approx(-2.0 - 0.04).epsilon(1e-15));
        CHECK(sgd.iterations() == 1);
    }
    SECTION("momentum 0.9: v = 0.9 v - lr g; w += v") {
        elman::SGD<double> sgd(0.1, 0.9);
        w.set({1.0, 0.0});
        g << 1.0, -1.0;
        sgd.apply_gradients({w.var()});  // v = -0.1, 0.1
        CHECK(w(0) == Approx(0.9));
        CHECK(w(1) == Approx(0.1));
        sgd.apply_gradients({w.var()});  // v = -0.19, 0.19
        CHECK(w(0) == Approx(0.71));
        CHECK(w(1) == Approx(0.29));
    }
    SECTION("Nesterov: w += momentum v - lr g") {
        elman::SGD<double> sgd(0.1, 0.9, true);
        w.set({1.0, 0.0});
        g << 1.0, -1.0;
        sgd.apply_gradients({w.var()});  // v = -0.1; w += -0.09 - 0.1
        CHECK(w(0) == Approx(0.81));
        sgd.apply_gradients({w.var()});  // v = -0.19; w += -0.171 - 0.1
        CHECK(w(0) == Approx(0.539));
        CHECK(w(1) == Approx(0.461));
    }
}

TEST_CASE("Adam: Keras defaults and update formula", "[optimizers]") {
    elman::Adam<double> adam;
    CHECK(adam.learning_rate() == 0.001);
    CHECK(adam.beta_1() == 0.9);
    CHECK(adam.beta_2() == 0.999);
    CHECK(adam.epsilon() == 1e-7);
    Weight1D w(2);
    Mat& g = w.grad;
    w.set({1.0, 1.0});
    g << 0.5, -2.0;
    adam.apply_gradients({w.var()});
    // t = 1: m = 0.1 g, v = 0.001 g^2, lr_t = 0.001 sqrt(0.001) / 0.1, so the step is
    // 0.001 sqrt(0.001) g / (sqrt(0.001) |g| + 1e-7): slightly less than lr in magnitude.
    CHECK(w(0) == Approx(1.0 - 0.001 * 0.0158113883 / (0.0158113883 + 1e-7)).epsilon(1e-12));
    CHECK(w(1) == Approx(1.0 + 0.001 * 0.0632455532 / (0.0632455532 + 1e-7)).epsilon(1e-12));
    // t = 2 with g halved: m = 0.09 g1 + 0.1 g2, v = 0.000999 g1^2 + 0.001 g2^2 (g1 = 0.5, g2 = 0.25).
    const double w0 = w(0);
    g << 0.25, -1.0;
    adam.apply_gradients({w.var()});
    const double m = 0.9 * 0.05 + 0.1 * 0.25, v = 0.999 * 0.00025 + 0.001 * 0.0625;
    const double lr_t = 0.001 * std::sqrt(1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
    CHECK(w(0) == Approx(w0 - lr_t * m / (std::sqrt(v) + 1e-7)).epsilon(1e-12));
    CHECK(adam.iterations() == 2);
}

TEST_CASE("Optimizers minimise a quadratic", "[optimizers]") {
    auto run = [](auto& opt, int steps) {
        Weight1D w(3);
        Mat target(1, 3);
        w.set({2.0, -1.0, 0.5});
        target << -1.0, 0.25, 3.0;
        for (int i = 0; i < steps; ++i) {
            w.grad = 2.0 * (w.value.value() - target);
            opt.apply_gradients({w.var()});
        }
        return (w.value.value() - target).norm();
    };
    elman::SGD<double> sgd(0.1);
    elman::SGD<double> momentum(0.05, 0.9, true);
    elman::Adam<double> adam(0.05);
    CHECK(run(sgd, 200) < 1e-6);
    CHECK(run(momentum, 300) < 1e-6);
    CHECK(run(adam, 2000) < 1e-3);
}

TEST_CASE("Constraints hold after every optimizer step", "[optimizers][constraints]") {
    elman::SimpleRNNOptions o;
    o.input_dim = 3;
    o.kernel_initializer = elman::Initializer::random_uniform(-2, 2, 1);
    o.recurrent_initializer = elman::Initializer::random_uniform(-2, 2, 2);
    o.bias_initializer = elman::Initializer::random_uniform(-2, 2, 3);
    o.kernel_constraint = elman::Constraint::max_norm(0.5);
    o.recurrent_constraint = elman::Constraint::non_neg();
    o.bias_constraint = elman::Constraint::unit_norm();
    o.return_sequences = true;
    elman::SimpleRNN<double> rnn(4, o);
    elman::Random rng(5);
    elman::Tensor<double> x({2, 6, 3}), target({2, 6, 4});
    for (auto& v : x.values()) v = rng.uniform(-1, 1);
    for (auto& v : target.values()) v = rng.uniform(-1, 1);
    elman::SGD<double> sgd(0.5, 0.9);
    for (int step = 0; step < 5; ++step) {
        elman::ForwardTrace<double> trace;
        elman::CallArgs<double> args;
        args.trace = &trace;
        const auto r = rnn(x, args);
        elman::Tensor<double> grad(r.output.shape());
        grad.matrix() = 2.0 * (r.output.matrix() - target.matrix());
        const auto g = elman::backward(rnn, trace, r, grad.view());
        sgd.apply_gradients(elman::trainable_variables(rnn, g));
        for (Index j = 0; j < 4; ++j) CHECK(rnn.kernel().col(j).norm() <= 0.5 + 1e-12);
        CHECK((rnn.recurrent_kernel().array() >= 0).all());
        CHECK(rnn.bias().norm() == Approx(1.0).epsilon(1e-6));
    }
    CHECK((rnn.recurrent_kernel().array() == 0).any());  // the constraint had work to do
}

TEST_CASE("An L2 weight penalty shrinks the weights (Keras: gradient 2 l2 w, no 1/2)", "[optimizers][regularizers]") {
    elman::SimpleRNNOptions o;
    o.input_dim = 2;
    o.kernel_regularizer = elman::Regularizer::L2(0.1);
    o.recurrent_regularizer = elman::Regularizer::L2(0.1);
    o.bias_regularizer = elman::Regularizer::L2(0.1);
    o.bias_initializer = elman::Initializer::ones();
    o.kernel_initializer = elman::Initializer::glorot_uniform(3);
    o.recurrent_initializer = elman::Initializer::orthogonal(1.0, 4);
    elman::SimpleRNN<double> rnn(3, o);
    const auto kernel0 = rnn.kernel();
    const double loss0 = rnn.regularization_loss();
    CHECK(loss0 == Approx(0.1 * (rnn.kernel().squaredNorm() + rnn.recurrent_kernel().squaredNorm() + 3.0)));
    elman::Tensor<double> x({1, 4, 2}), zero({1, 3});
    elman::SGD<double> sgd(0.5);
    for (int step = 0; step < 3; ++step) {
        elman::ForwardTrace<double> trace;
        elman::CallArgs<double> args;
        args.trace = &trace;
        const auto r = rnn(x, args);
        // No data loss at all: only the penalty moves the weights, w <- w (1 - lr 2 l2) ~ 0.9 w.
        sgd.apply_gradients(elman::trainable_variables(rnn, elman::backward(rnn, trace, r, zero.view())));
    }
    // Keras stores the factor as float32, so 0.1 is 0.100000001490116...
    const double decay = std::pow(1.0 - 0.5 * 2.0 * rnn.options().kernel_regularizer->l2(), 3);
    CHECK(rnn.kernel().isApprox(kernel0 * decay, 1e-14));
    CHECK(rnn.bias()(0) == Approx(decay).epsilon(1e-14));
    CHECK(rnn.regularization_loss() < 0.6 * loss0);
}

TEST_CASE("SimpleRNN + Dense trained with Adam fits a small sequence task", "[optimizers][training]") {
    // Predict the running mean of a scalar sequence at every step (return_sequences).
    elman::SimpleRNNOptions o;
    o.input_dim = 1;
    o.return_sequences = true;
    o.kernel_initializer = elman::Initializer::glorot_uniform(1);
    o.recurrent_initializer = elman::Initializer::orthogonal(1.0, 2);
    elman::SimpleRNN<float> rnn(8, o);
    elman::Dense<float> head(8, 1, elman::Initializer::glorot_uniform(3));
    elman::Random rng(11);
    const Index B = 16, T = 10;
    elman::Tensor<float> x({B, T, 1}), y({B, T, 1});
    for (Index b = 0; b < B; ++b) {
        float sum = 0;
        for (Index t = 0; t < T; ++t) {
            x(b, t, 0) = static_cast<float>(rng.uniform(-1, 1));
            sum += x(b, t, 0);
            y(b, t, 0) = sum / static_cast<float>(t + 1);
        }
    }
    elman::Adam<float> adam(0.01f);
    auto step = [&] {
        elman::ForwardTrace<float> trace;
        elman::CallArgs<float> args;
        args.trace = &trace;
        const auto r = rnn(x, args);
        const auto pred = head(r.output);
        elman::Tensor<float> grad(pred.shape());
        grad.matrix() = (pred.matrix() - y.matrix()) * (2.0f / static_cast<float>(pred.size()));
        const float loss = (pred.matrix() - y.matrix()).squaredNorm() / static_cast<float>(pred.size());
        const auto gh = head.backward(r.output, grad);
        const auto gr = elman::backward(rnn, trace, r, gh.inputs.view());
        auto vars = elman::trainable_variables(rnn, gr);
        for (auto& v : elman::trainable_variables(head, gh)) vars.push_back(v);
        adam.apply_gradients(vars);
        return loss;
    };
    const float first = step();
    float last = first;
    for (int i = 0; i < 300; ++i) last = step();
    INFO("loss " << first << " -> " << last);
    CHECK(last < 0.05f * first);
}

TEST_CASE("Optimizers reject bad arguments with clear messages", "[optimizers][errors]") {
    CHECK_THAT(what_of([] { elman::SGD<float>(-1.0); }), Catch::Contains("learning_rate"));
    CHECK_THAT(what_of([] { elman::SGD<float>(0.1, 1.5); }), Catch::Contains("momentum"));
    CHECK_THAT(what_of([] { elman::Adam<float>(0.1, 1.0); }), Catch::Contains("beta_1"));
    CHECK_THAT(what_of([] { elman::Adam<float>(0.1, 0.9, std::nan("")); }), Catch::Contains("beta_2"));
    elman::Parameter<double> w(1, 2, true);
    Mat g(1, 3), g2 = Mat::Zero(1, 2);
    CHECK_THAT(what_of([&] { elman::Variable<double>("kernel", w, g); }),
               Catch::Contains("kernel") && Catch::Contains("(1, 3)") && Catch::Contains("(1, 2)"));
    elman::Adam<double> adam;
    elman::Variable<double> kept("w", w, g2);
    adam.apply_gradients({kept});
    // The gradient object is referred to, not copied: a later reshape is caught at the next update.
    g2.resize(2, 2);
    CHECK_THAT(what_of([&] { adam.apply_gradients({kept}); }),
               Catch::Contains("'w'") && Catch::Contains("(2, 2)") && Catch::Contains("(1, 2)"));
    g2.setZero(1, 2);
    CHECK_THAT(what_of([&] { adam.apply_gradients({}); }),
               Catch::Contains("same variables") && Catch::Contains("1 variables of sizes [2]"));
}
