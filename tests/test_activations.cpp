// Each Keras activation against its scalar definition (docs/keras-semantics.md#activations), and its backward pass
// against central finite differences; plus the registry that maps Keras names to types.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <tuple>

using elman::Index;

namespace {

using Array = Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Array sample_points() {
    // A grid across the interesting ranges (knees of hard_sigmoid, softplus cut-offs, large magnitudes).
    Array z(3, 16);
    const double values[] = {-40, -20,  -14.5, -13,   -5, -2.5, -2.4, -1,   -0.3, -1e-3, 0.0,  1e-3,
                             0.3, 1,    2.4,   2.5,   3,  5,    13,   14.5, 20,   40,    -0.7, 0.7,
                             1.5, -1.5, 0.05,  -0.05, 8,  -8,   0.9,  -0.9, 1.1,  -1.1,  4,    -4,
                             0.2, -0.2, 6,     -6,    10, -10,  0.4,  -0.4, 0.6,  -0.6,  2,    -2};
    for (Index i = 0; i < z.size(); ++i) z.data()[i] = values[i];
    return z;
}

template <class Act>
Array forward(const Array& z) {
    Array y(z.rows(), z.cols());
    Act{}.forward(z, y);
    return y;
}

template <class Act>
void check_elementwise(const std::function<double(double)>& reference, double tolerance = 1e-12) {
    const Array z = sample_points();
    const Array y = forward<Act>(z);
    for (Index i = 0; i < z.size(); ++i) {
        INFO(Act::keras_name << "(" << z.data()[i] << ")");
        CHECK(y.data()[i] == Approx(reference(z.data()[i])).epsilon(tolerance).margin(1e-300));
    }
    // float agrees with double to float precision.
    const Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> zf = z.cast<float>();
    Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> yf(z.rows(), z.cols());
    Act{}.forward(zf, yf);
    for (Index i = 0; i < z.size(); ++i) {
        const double yd = reference(double(zf.data()[i]));
        INFO(Act::keras_name << " float (" << zf.data()[i] << ")");
        CHECK(std::abs(double(yf.data()[i]) - yd) <= 4e-6 * std::max(1.0, std::abs(yd)));
    }
}

/// Backward pass vs central differences of sum(gy * act(z)), away from kinks.
template <class Act>
void check_backward(std::initializer_list<double> kinks = {}) {
    Array z = sample_points();
    for (Index i = 0; i < z.size(); ++i) {
        for (double k : kinks)
            if (std::abs(z.data()[i] - k) < 1e-4) z.data()[i] += 0.0123;
        if (std::abs(z.data()[i]) > 15) z.data()[i] /= 4;  // keep exp() moderate for the difference quotient
    }
    Array gy(z.rows(), z.cols());
    elman::Random rng(5);
    for (Index i = 0; i < gy.size(); ++i) gy.data()[i] = rng.uniform(-1, 1);
    const Array y = forward<Act>(z);
    Array gz(z.rows(), z.cols());
    Act{}.backward(z, y, gy, gz);
    const double h = 1e-6;
    for (Index i = 0; i < z.size(); ++i) {
        Array zp = z, zm = z;
        zp.data()[i] += h;
        zm.data()[i] -= h;
        const double numeric = ((forward<Act>(zp) - forward<Act>(zm)) * gy).sum() / (2 * h);
        INFO(Act::keras_name << "'(" << z.data()[i] << ")");
        CHECK(gz.data()[i] == Approx(numeric).epsilon(1e-6).margin(1e-7));
    }
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

TEST_CASE("Activations match Keras' definitions", "[activations]") {
    check_elementwise<elman::Linear>([](double z) { return z; });
    check_elementwise<elman::Tanh>([](double z) { return std::tanh(z); });
    check_elementwise<elman::Relu>([](double z) { return z > 0 ? z : 0.0; });
    check_elementwise<elman::Sigmoid>(sigmoid);
    check_elementwise<elman::HardSigmoid>([](double z) { return std::min(1.0, std::max(0.0, 0.2 * z + 0.5)); });
    check_elementwise<elman::Elu>([](double z) { return z > 0 ? z : std::exp(z) - 1; });
    check_elementwise<elman::Selu>([](double z) {
        return 1.0507009873554804934193349852946 * (z > 0 ? z : 1.6732632423543772848170429916717 * (std::exp(z) - 1));
    });
    check_elementwise<elman::Softplus>([](double z) { return std::log1p(std::exp(z)); }, 1e-9);
    check_elementwise<elman::Softsign>([](double z) { return z / (1 + std::abs(z)); });
    check_elementwise<elman::Swish>([](double z) { return z * sigmoid(z); });
    check_elementwise<elman::Gelu>([](double z) { return 0.5 * z * (1 + std::erf(z / std::sqrt(2.0))); }, 1e-10);
    check_elementwise<elman::Exponential>([](double z) { return std::exp(z); });
}

TEST_CASE("hard_sigmoid is TF 2.4's (slope 0.2, knees at +-2.5), not Keras 3's relu6(x+3)/6", "[activations]") {
    Array z(1, 3);
    z << -2.5, 1.0, 2.6;
    const Array y = forward<elman::HardSigmoid>(z);
    CHECK(y(0, 0) == 0.0);
    CHECK(y(0, 1) == Approx(0.7));
    CHECK(y(0, 2) == 1.0);
}

TEST_CASE("Softmax normalises each row over the units, stably", "[activations]") {
    Array z(2, 3);
    z << 1, 2, 3, 1000, 1000, 1000;
    const Array y = forward<elman::Softmax>(z);
    const double e = std::exp(1.0), d = 1 + e + e * e;
    CHECK(y(0, 0) == Approx(1 / d));
    CHECK(y(0, 2) == Approx(e * e / d));
    CHECK(y(1, 0) == Approx(1.0 / 3));
    CHECK(y.rowwise().sum().isApproxToConstant(1.0));
}

TEST_CASE("Activation backward passes match finite differences", "[activations][gradients]") {
    check_backward<elman::Linear>();
    check_backward<elman::Tanh>();
    check_backward<elman::Relu>({0.0});
    check_backward<elman::Sigmoid>();
    check_backward<elman::HardSigmoid>({-2.5, 2.5});
    check_backward<elman::Elu>({0.0});
    check_backward<elman::Selu>({0.0});
    check_backward<elman::Softplus>({-13.9, 13.9});
    check_backward<elman::Softsign>({0.0});
    check_backward<elman::Swish>();
    check_backward<elman::Gelu>();
    check_backward<elman::Exponential>();
    check_backward<elman::Softmax>();
}

TEST_CASE("Kinks use TF's one-sided choices", "[activations][gradients]") {
    Array z(1, 4), gy = Array::Ones(1, 4), gz(1, 4);
    z << 0.0, -2.5, 2.5, 0.0;
    elman::Relu{}.backward(z, forward<elman::Relu>(z), gy, gz);
    CHECK(gz(0, 0) == 0.0);  // relu'(0) = 0
    elman::HardSigmoid{}.backward(z, forward<elman::HardSigmoid>(z), gy, gz);
    CHECK(gz(0, 1) == Approx(0.2));  // TF passes the gradient at the exact knees
    CHECK(gz(0, 2) == Approx(0.2));
}

namespace {

/// What TF 2.4's gradient gives at a NaN pre-activation, per unit of incoming gradient: NaN for the activations
/// whose gradient reads the NaN, a number for those whose TF kernel masks it out (ReluGrad: gy * (z > 0);
/// EluGrad / SeluGrad: select(y < 0, ..., gy [* scale]); hard_sigmoid through minimum/maximum: 0).
double tf_gradient_at_nan(const std::string& name) {
    if (name == "linear") return 1.0;
    if (name == "relu" || name == "hard_sigmoid" || name == "hard_sigmoid_keras3") return 0.0;
    if (name == "elu") return 1.0;
    if (name == "selu") return elman::Selu::scale;
    return std::numeric_limits<double>::quiet_NaN();
}

template <class Scalar, class Act>
void check_nan_propagation() {
    using A = Eigen::Array<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Scalar nan = std::numeric_limits<Scalar>::quiet_NaN();
    // 17 columns: NaN inside a SIMD packet, in the scalar tail and next to ordinary values.
    A z(3, 17);
    for (Index i = 0; i < z.size(); ++i) z.data()[i] = static_cast<Scalar>(0.37 * double(i % 7) - 1.1);
    z(0, 3) = nan;
    z(1, 16) = nan;
    z(2, 0) = -nan;
    A y(3, 17), gz(3, 17);
    const A gy = A::Constant(3, 17, Scalar(0.5));
    Act{}.forward(z, y);
    Act{}.backward(z, y, gy, gz);
    const std::string name = Act::keras_name;
    const double expected_grad = 0.5 * tf_gradient_at_nan(name);
    for (Index r = 0; r < z.rows(); ++r) {
        for (Index c = 0; c < z.cols(); ++c) {
            INFO(name << " " << (sizeof(Scalar) == 4 ? "float" : "double") << " at (" << r << ", " << c << ")");
            // Softmax normalises a row, so one NaN makes its whole row NaN; element-wise ones only that element.
            const bool nan_in = std::isnan(z(r, c)) || (name == "softmax" && z.row(r).isNaN().any());
            CHECK(std::isnan(y(r, c)) == nan_in);
            if (!std::isnan(z(r, c))) continue;
            if (std::isnan(expected_grad)) {
                CHECK(std::isnan(gz(r, c)));
            } else {
                CHECK(double(gz(r, c)) == Approx(expected_grad).epsilon(1e-6));
            }
        }
    }
}

template <class... Acts>
void check_nan_propagation_all(std::tuple<Acts...>*) {
    (check_nan_propagation<float, Acts>(), ...);
    (check_nan_propagation<double, Acts>(), ...);
}

}  // namespace

TEST_CASE("Every activation propagates NaN forward, and backward gives NaN or TF 2.4's value", "[activations][nan]") {
    // Every activation the registry knows (KerasActivations), so a new one is covered without editing this test.
    check_nan_propagation_all(static_cast<elman::KerasActivations*>(nullptr));
}

TEST_CASE("relu keeps -0 and NaN like TF's max(z, 0), elu and selu kinks are TF's", "[activations][nan]") {
    Array z(1, 4), gy = Array::Ones(1, 4), gz(1, 4);
    z << -0.0, std::numeric_limits<double>::quiet_NaN(), -3.0, 0.0;
    const Array y = forward<elman::Relu>(z);
    CHECK(y(0, 0) == 0.0);
    CHECK(std::signbit(y(0, 0)));
    CHECK(std::isnan(y(0, 1)));
    CHECK(y(0, 2) == 0.0);
    // TF's EluGrad / SeluGrad read the output: at z = 0 (y = 0) they pass gy (times scale for selu).
    elman::Elu{}.backward(z, forward<elman::Elu>(z), gy, gz);
    CHECK(gz(0, 3) == 1.0);
    CHECK(gz(0, 2) == Approx(std::exp(-3.0)));
    elman::Selu{}.backward(z, forward<elman::Selu>(z), gy, gz);
    CHECK(gz(0, 3) == Approx(elman::Selu::scale));
    CHECK(gz(0, 2) == Approx(elman::Selu::scale * elman::Selu::alpha * std::exp(-3.0)));
}

namespace {
/// A user activation: leaky ReLU with a run-time slope, plugged in through the documented interface.
struct LeakyRelu : elman::ElementwiseActivation<LeakyRelu> {
    static constexpr const char* keras_name = "leaky_relu";
    double alpha = 0.1;
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        y = (z > S(0)).select(z, S(alpha) * z);
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        using S = typename Z::Scalar;
        d = (z > S(0)).select(S(1), S(alpha) + S(0) * z);
    }
};
struct Unnamed {
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        y = z.sin();
    }
};
}  // namespace

TEST_CASE("User functors plug in as the Activation parameter, with their state", "[activations][custom]") {
    LeakyRelu leaky;
    leaky.alpha = 0.5;
    elman::SimpleRNN<double, LeakyRelu> layer(1, {}, leaky);
    CHECK(std::string(layer.activation_name()) == "leaky_relu");
    CHECK(layer.activation().alpha == 0.5);
    layer.set_weights(std::vector<elman::Tensor<double>>{
        elman::Tensor<double>({1, 1}, {1.0}), elman::Tensor<double>({1, 1}, {0.0}), elman::Tensor<double>({1}, {0.0})});
    CHECK(layer(elman::Tensor<double>({1, 1, 1}, {-2.0})).output(0, 0) == -1.0);
    CHECK(std::string(elman::activation_name<Unnamed>()) == "custom");
    elman::SimpleRNN<float, Unnamed> unnamed(2);
    CHECK(unnamed(elman::Tensor<float>({1, 2, 3})).output.shape() == elman::Shape{1, 2});
}

TEST_CASE("visit_activation maps every TF 2.4 name to its type", "[activations][registry]") {
    const char* names[] = {"tanh",     "linear",   "relu",  "sigmoid", "hard_sigmoid", "elu",    "selu",
                           "softplus", "softsign", "swish", "gelu",    "exponential",  "softmax"};
    for (const char* name : names) {
        const std::string resolved =
            elman::visit_activation(name, [](auto act) { return std::string(decltype(act)::keras_name); });
        CHECK(resolved == name);
    }
    CHECK(elman::visit_activation("None", [](auto act) { return std::string(decltype(act)::keras_name); }) == "linear");
    CHECK_THROWS_WITH(elman::visit_activation("leaky_relu", [](auto) { return 0; }),
                      Catch::Contains("Unknown activation function: leaky_relu"));
}

TEST_CASE("KerasActivation is the typed activation chosen at run time", "[activations][registry]") {
    using elman::KerasActivation;
    CHECK(std::string(KerasActivation().name()) == "tanh");
    CHECK(KerasActivation().is<elman::Tanh>());
    CHECK(std::string(KerasActivation("None").name()) == "linear");
    CHECK(std::string(KerasActivation("").name()) == "linear");
    CHECK(KerasActivation("relu") == KerasActivation::of<elman::Relu>());
    CHECK(KerasActivation("relu") != KerasActivation::of<elman::Elu>());
    CHECK_THROWS_WITH(KerasActivation("leaky_relu"), Catch::Contains("Unknown activation function: leaky_relu") &&
                                                         Catch::Contains("Expected one of the Keras names") &&
                                                         Catch::Contains("hard_sigmoid_keras3"));
    // Every name: forward and backward are the typed activation's, bit for bit (softmax along rows included).
    Eigen::ArrayXXd z(3, 5), gy(3, 5);
    for (Index i = 0; i < z.size(); ++i) {
        z.data()[i] = -3.0 + 0.43 * static_cast<double>(i);
        gy.data()[i] = 0.5 - 0.07 * static_cast<double>(i);
    }
    for (const std::string& name : elman_test::keras_activation_names()) {
        INFO(name);
        const KerasActivation runtime(name);
        CHECK(std::string(runtime.name()) == name);
        runtime.visit([&](auto typed) {
            Eigen::ArrayXXd y_typed(3, 5), y_runtime(3, 5), g_typed(3, 5), g_runtime(3, 5);
            typed.forward(z, y_typed);
            runtime.forward(z, y_runtime);
            CHECK((y_typed == y_runtime).all());
            typed.backward(z, y_typed, gy, g_typed);
            runtime.backward(z, y_runtime, gy, g_runtime);
            CHECK((g_typed == g_runtime).all());
            CHECK(runtime == KerasActivation::of<decltype(typed)>());
        });
    }
}

TEST_CASE("SimpleRNN<float, KerasActivation> gives the typed layer's results bit for bit", "[activations][registry]") {
    // The typed float tanh layer runs the packed kernels' SIMD tanh (elman/isa.hpp): the run-time one must too.
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    o.input_dim = 5;
    o.kernel_initializer = elman::Initializer::glorot_uniform(3);
    o.recurrent_initializer = elman::Initializer::orthogonal(1.0, 4);
    o.bias_initializer = elman::Initializer::random_uniform(-0.3, 0.3, 5);
    elman::SimpleRNN<float> typed(19, o);
    elman::SimpleRNN<float, elman::KerasActivation> runtime(19, o, elman::KerasActivation("tanh"));
    CHECK(std::string(runtime.activation_name()) == "tanh");
    const auto x = elman_test::random_tensor<float>(elman::Shape{3, 7, 5}, 11, -2.0, 2.0);
    const auto a = typed(x).output, b = runtime(x).output;
    REQUIRE(a.shape() == b.shape());
    for (Index i = 0; i < a.size(); ++i) CHECK(a(i) == b(i));
}
