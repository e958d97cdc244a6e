// MaskView (mask.hpp): a view of a Keras timestep mask of any arithmetic dtype. Construction from every
// supported source, keep() as Keras' cast to bool (non-zero keeps), the null-pointer refusal TensorView also
// makes, and the shape checks a layer applies to a mask.
#include <elman/mask.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/tensor.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

using elman::Index;
using elman::MaskView;
using elman::Shape;

namespace {

template <class T>
void check_keeps(const MaskView& m, const std::vector<bool>& expected) {
    REQUIRE(!m.empty());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO(typeid(T).name() << " element " << i);
        CHECK(m.keep(static_cast<Index>(i)) == expected[i]);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("MaskView reads every arithmetic dtype as Keras' cast to bool", "[mask]", bool, char, signed char,
                   unsigned char, std::int16_t, std::uint16_t, std::int32_t, std::uint32_t, std::int64_t, std::uint64_t,
                   float, double) {
    // A plain array: std::vector<bool> has no data().
    const TestType values[] = {TestType(1), TestType(0), TestType(1), TestType(0), TestType(1), TestType(1)};
    const std::vector<bool> keeps = {true, false, true, false, true, true};
    SECTION("from a pointer and a shape") {
        const MaskView m(values, Shape{2, 3});
        CHECK(m.shape() == Shape{2, 3});
        check_keeps<TestType>(m, keeps);
    }
    SECTION("from a const and a mutable TensorView") {
        TestType buffer[6];
        for (int i = 0; i < 6; ++i) buffer[i] = values[i];
        const elman::TensorView<TestType> mutable_view(buffer, {2, 3, 1});
        const elman::TensorView<const TestType> const_view(values, {2, 3});
        const MaskView a(mutable_view), b(const_view);
        CHECK(a.shape() == Shape{2, 3, 1});
        CHECK(b.shape() == Shape{2, 3});
        check_keeps<TestType>(a, keeps);
        check_keeps<TestType>(b, keeps);
    }
}

TEMPLATE_TEST_CASE("MaskView from a Tensor of any scalar", "[mask]", int, float, double) {
    const elman::Tensor<TestType> t({1, 4}, {TestType(0), TestType(2), TestType(-1), TestType(0)});
    const MaskView m(t);
    CHECK(m.shape() == Shape{1, 4});
    check_keeps<TestType>(m, {false, true, true, false});
}

TEST_CASE("MaskView::keep is 'non-zero', like tf.cast(mask, bool)", "[mask]") {
    const double values[] = {
        0.0, -0.0, 1e-300, -2.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()};
    const MaskView m(values, Shape{1, 6});
    CHECK(!m.keep(0));
    CHECK(!m.keep(1));  // -0 == 0
    CHECK(m.keep(2));   // any non-zero value keeps, however small
    CHECK(m.keep(3));   // negative values keep
    CHECK(m.keep(4));   // NaN != 0: tf.cast(NaN, bool) is True
    CHECK(m.keep(5));
    const std::int8_t bytes[] = {0, -128, 127};
    const MaskView b(bytes, Shape{1, 3});
    CHECK(!b.keep(0));
    CHECK(b.keep(1));
    CHECK(b.keep(2));
}

TEST_CASE("A default MaskView is empty: no mask", "[mask]") {
    const MaskView m;
    CHECK(m.empty());
    CHECK(m.shape() == Shape{});
}

TEST_CASE("MaskView refuses a null pointer for a non-empty shape, like TensorView", "[mask]") {
    const float* null_floats = nullptr;
    CHECK_THROWS_AS(MaskView(null_floats, Shape{2, 5}), std::invalid_argument);
    CHECK_THROWS_WITH(MaskView(null_floats, Shape{2, 5}), Catch::Contains("MaskView") && Catch::Contains("`data`") &&
                                                              Catch::Contains("null") && Catch::Contains("(2, 5)"));
    CHECK_THROWS_WITH(MaskView(nullptr, Shape{2, 5}),
                      Catch::Contains("MaskView") && Catch::Contains("`data`") && Catch::Contains("(2, 5)"));
    const bool* null_bools = nullptr;
    CHECK_THROWS_AS(MaskView(null_bools, Shape{}), std::invalid_argument);  // rank 0 has one element
    // A null pointer is fine when there is nothing to read, as for TensorView.
    CHECK_NOTHROW(MaskView(null_floats, Shape{0, 5}));
    CHECK_NOTHROW(MaskView(nullptr, Shape{3, 0}));
    CHECK(MaskView(nullptr, Shape{3, 0}).shape() == Shape{3, 0});
    // The same call through TensorView is refused there already.
    CHECK_THROWS_AS(elman::TensorView<const float>(nullptr, {2, 5}), std::invalid_argument);
}

TEST_CASE("MaskView shape errors", "[mask]") {
    SECTION("a negative extent is refused when the view must check its size") {
        CHECK_THROWS_WITH(MaskView(static_cast<const int*>(nullptr), Shape{-1, 2}), Catch::Contains("negative extent"));
    }
    SECTION("a layer refuses a mask whose shape does not match its inputs, naming `mask`") {
        elman::SimpleRNN<float> rnn(2);
        const elman::Tensor<float> x({2, 4, 3});
        const std::vector<std::uint8_t> keep(8, 1), short_keep(6, 1);
        elman::CallArgs<float> ok;
        ok.mask = MaskView(keep.data(), Shape{2, 4});
        CHECK_NOTHROW(rnn(x, ok));
        ok.mask = MaskView(keep.data(), Shape{2, 4, 1});  // Keras also accepts [B, T, 1]
        CHECK_NOTHROW(rnn(x, ok));
        elman::CallArgs<float> bad;
        bad.mask = MaskView(short_keep.data(), Shape{2, 3});
        CHECK_THROWS_WITH(rnn(x, bad),
                          Catch::Contains("`mask`") && Catch::Contains("expected shape=(2, 4), found shape=(2, 3)"));
        bad.mask = MaskView(keep.data(), Shape{4, 2});
        CHECK_THROWS_AS(rnn(x, bad), std::invalid_argument);
        bad.mask = MaskView(keep.data(), Shape{2, 4, 2});
        CHECK_THROWS_AS(rnn(x, bad), std::invalid_argument);
    }
}
