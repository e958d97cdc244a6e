// elman::Tensor / elman::TensorView (include/elman/tensor.hpp): shapes, numpy C order, matrix() maps, views that
// never copy, the null and size checks and their messages.
#include <elman/tensor.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

using elman::Index;
using elman::Shape;
using elman::Tensor;
using elman::TensorView;

TEST_CASE("Tensor: shape, size and zero initialisation", "[tensor]") {
    const Tensor<float> t(Shape{2, 3, 4});
    CHECK(t.shape() == Shape{2, 3, 4});
    CHECK(t.rank() == 3);
    CHECK(t.dim(0) == 2);
    CHECK(t.dim(1) == 3);
    CHECK(t.dim(2) == 4);
    CHECK(t.size() == 24);
    CHECK(t.values() == std::vector<float>(24, 0.0f));

    CHECK(Tensor<double>(Shape{5}).size() == 5);
    CHECK(Tensor<double>(Shape{0, 7}).size() == 0);
    CHECK(Tensor<double>(Shape{}).size() == 1);  // rank 0: one element, like numpy
}

TEST_CASE("Tensor: element (i, j, k) is at offset (i * d1 + j) * d2 + k (numpy C order)", "[tensor]") {
    Tensor<int> t(Shape{2, 3, 4});
    for (Index i = 0; i < t.size(); ++i) t(i) = static_cast<int>(i);
    for (Index i = 0; i < 2; ++i)
        for (Index j = 0; j < 3; ++j)
            for (Index k = 0; k < 4; ++k) CHECK(t(i, j, k) == static_cast<int>((i * 3 + j) * 4 + k));
    Tensor<int> m(Shape{3, 5});
    m(2, 1) = 7;
    CHECK(m.data()[2 * 5 + 1] == 7);
    CHECK(m.values()[11] == 7);
    const Tensor<int>& cm = m;
    CHECK(cm(2, 1) == 7);
    CHECK(cm(11) == 7);
}

TEST_CASE("Tensor: values must fill the shape, with a message naming both", "[tensor]") {
    CHECK_NOTHROW(Tensor<float>(Shape{2, 3}, std::vector<float>(6, 1.0f)));
    CHECK_THROWS_AS(Tensor<float>(Shape{2, 3}, std::vector<float>(5)), std::invalid_argument);
    CHECK_THROWS_WITH(Tensor<float>(Shape{2, 3}, std::vector<float>(5)),
                      "elman::Tensor: 5 values do not fill shape (2, 3)");
    CHECK_THROWS_WITH(Tensor<float>(Shape{4}, std::vector<float>(7)), "elman::Tensor: 7 values do not fill shape (4,)");
    CHECK_THROWS_WITH(Tensor<float>(Shape{2, -1}), Catch::Contains("negative extent in shape (2, -1)"));
    const Index huge = Index(1) << 40;
    CHECK_THROWS_AS(Tensor<float>(Shape{huge, huge}), std::length_error);  // not a bad_alloc, not a wrap-around
    CHECK_THROWS_WITH(Shape({1, 2, 3, 4, 5}), Catch::Contains("rank 5 exceeds the supported maximum of 4"));
}

TEST_CASE("Tensor::matrix() maps the leading axes to rows and the last to columns, row-major, in place", "[tensor]") {
    Tensor<double> t(Shape{2, 3, 4});
    for (Index i = 0; i < t.size(); ++i) t(i) = static_cast<double>(i);
    auto m = t.matrix();
    STATIC_REQUIRE(decltype(m)::IsRowMajor);
    CHECK(m.rows() == 6);
    CHECK(m.cols() == 4);
    CHECK(m.data() == t.data());
    for (Index b = 0; b < 2; ++b)
        for (Index s = 0; s < 3; ++s)
            for (Index f = 0; f < 4; ++f) CHECK(m(b * 3 + s, f) == t(b, s, f));
    m(5, 3) = -1.0;  // writes through
    CHECK(t(1, 2, 3) == -1.0);

    const Tensor<double> v(Shape{5}, {1, 2, 3, 4, 5});
    const auto vm = v.matrix();
    STATIC_REQUIRE(std::is_const<std::remove_pointer_t<decltype(vm.data())>>::value);
    CHECK(vm.rows() == 1);
    CHECK(vm.cols() == 5);
    CHECK(vm(0, 4) == 5.0);
    CHECK(Tensor<double>(Shape{0, 5}).matrix().rows() == 0);
}

TEST_CASE("Tensor::from_matrix keeps (i, j) whatever the storage order, from_vector gives rank 1", "[tensor]") {
    Eigen::MatrixXd col_major(2, 3);
    col_major << 1, 2, 3, 4, 5, 6;
    const auto t = Tensor<float>::from_matrix(col_major);
    CHECK(t.shape() == Shape{2, 3});
    CHECK(t.values() == std::vector<float>{1, 2, 3, 4, 5, 6});  // row-major, not Eigen's column-major memory
    CHECK(Tensor<double>::from_matrix(col_major.transpose()).values() == std::vector<double>{1, 4, 2, 5, 3, 6});
    Eigen::Matrix<double, 2, 2, Eigen::RowMajor> row_major;
    row_major << 7, 8, 9, 10;
    CHECK(Tensor<double>::from_matrix(row_major).values() == std::vector<double>{7, 8, 9, 10});
    CHECK(Tensor<double>::from_matrix(Eigen::MatrixXd(0, 4)).shape() == Shape{0, 4});

    Eigen::VectorXf bias(3);
    bias << 0.5f, -1.0f, 2.0f;
    const auto b = Tensor<float>::from_vector(bias);
    CHECK(b.shape() == Shape{3});
    CHECK(b.values() == std::vector<float>{0.5f, -1.0f, 2.0f});
    Eigen::RowVectorXd row(2);
    row << 3.0, 4.0;
    CHECK(Tensor<double>::from_vector(row).values() == std::vector<double>{3.0, 4.0});
}

TEST_CASE("TensorView: never copies, const conversion, Tensor copies a view", "[tensor]") {
    std::vector<float> buffer(12);
    for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<float>(i);
    TensorView<float> view(buffer.data(), {3, 4});
    CHECK(view.data() == buffer.data());
    CHECK(view.shape() == Shape{3, 4});
    CHECK(view.rank() == 2);
    CHECK(view.dim(1) == 4);
    CHECK(view.size() == 12);
    view.matrix()(2, 1) = 100.0f;  // writes the caller's buffer
    CHECK(buffer[9] == 100.0f);

    const TensorView<const float> cview = view;  // mutable -> const
    CHECK(cview.data() == buffer.data());
    CHECK(cview.shape() == view.shape());
    STATIC_REQUIRE(std::is_convertible<TensorView<float>, TensorView<const float>>::value);
    STATIC_REQUIRE_FALSE(std::is_convertible<TensorView<const float>, TensorView<float>>::value);
    STATIC_REQUIRE_FALSE(std::is_convertible<TensorView<double>, TensorView<const float>>::value);

    Tensor<float> copy(cview);  // owning copy: later writes to the buffer do not reach it
    buffer[0] = -5.0f;
    CHECK(copy.shape() == Shape{3, 4});
    CHECK(copy(0) == 0.0f);
    CHECK(copy(2, 1) == 100.0f);

    Tensor<float> owner(Shape{2, 2}, {1, 2, 3, 4});
    CHECK(owner.view().data() == owner.data());
    const Tensor<float>& const_owner = owner;
    const TensorView<const float> converted = const_owner;
    CHECK(converted.data() == owner.data());
    CHECK(converted.shape() == owner.shape());
}

TEST_CASE("TensorView: null data is rejected unless the shape is empty", "[tensor]") {
    CHECK_THROWS_AS(TensorView<const float>(nullptr, {2, 3}), std::invalid_argument);
    CHECK_THROWS_WITH(TensorView<const float>(nullptr, {2, 3}),
                      "elman::TensorView: null data pointer for shape (2, 3)");
    CHECK_NOTHROW(TensorView<const float>(nullptr, {0, 3}));
    CHECK(TensorView<const float>(nullptr, {4, 0}).size() == 0);
    float x = 1.0f;
    // A view validates its extents when it is made (it stores its element count).
    CHECK_THROWS_WITH((TensorView<float>(&x, {1, -2})), Catch::Contains("negative extent in shape (1, -2)"));
    CHECK(TensorView<float>(&x, {1, 1}).size() == 1);
}

TEST_CASE("TensorView::from_rows views B*T x F rows as B x T x F without copying", "[tensor]") {
    elman::RowMajorMatrix<double> m(6, 4);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<double>(i);
    const auto v = TensorView<const double>::from_rows(m, 3);
    CHECK(v.shape() == Shape{2, 3, 4});
    CHECK(v.data() == m.data());
    CHECK(Tensor<double>(v)(1, 2, 3) == m(1 * 3 + 2, 3));
    CHECK(TensorView<const double>::from_rows(m, 6).shape() == Shape{1, 6, 4});
    Eigen::VectorXd column(4);  // one feature: a column vector is row-major memory too
    column << 1, 2, 3, 4;
    CHECK(TensorView<const double>::from_rows(column, 2).shape() == Shape{2, 2, 1});
    CHECK_THROWS_WITH(TensorView<const double>::from_rows(m, 4),
                      "elman::TensorView::from_rows: timesteps=4 does not divide rows=6");
    CHECK_THROWS_AS(TensorView<const double>::from_rows(m, 0), std::invalid_argument);
    CHECK_THROWS_AS(TensorView<const double>::from_rows(m, -3), std::invalid_argument);
}

TEST_CASE("Tensor::resize reshapes in place", "[tensor]") {
    Tensor<float> t(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
    t.resize({3, 2});
    CHECK(t.shape() == Shape{3, 2});
    CHECK(t.values() == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(t(2, 1) == 6.0f);
    t.resize({4});
    CHECK(t.size() == 4);
    CHECK(t.shape() == Shape{4});
    t.resize({2, 5});
    CHECK(t.size() == 10);
    CHECK(t.matrix().rows() == 2);
}

TEST_CASE("Tensor: a default tensor views as empty, and resizing to its own shape gives it its element", "[tensor]") {
    const Tensor<float> empty;
    const TensorView<const float> v = empty.view();  // used to throw inside noexcept (std::terminate)
    CHECK(v.size() == 0);
    CHECK(v.rank() == 0);
    CHECK(v.matrix().size() == 0);
    Tensor<float> t;
    t.resize(Shape{});
    CHECK(t.size() == 1);
    t.resize({2, 3});
    t.resize({2, 3});  // unchanged: keeps the storage and the values
    CHECK(t.size() == 6);
    CHECK(t.shape() == Shape{2, 3});
}

TEST_CASE("Shape: equality compares rank and extents, size checks overflow", "[tensor]") {
    CHECK(Shape{2, 3} == Shape{2, 3});
    CHECK(Shape{2, 3} != Shape{3, 2});
    CHECK(Shape{2, 3} != Shape{2, 3, 1});
    CHECK(Shape{} == Shape{});
    CHECK(Shape{0, 5}.size() == 0);
    CHECK(Shape{3, 4, 5}.size() == 60);
    const Index big = Index(1) << 32;
    CHECK_THROWS_AS((Shape{big, big}.size()), std::length_error);
    CHECK_THROWS_AS((Shape{2, -1}.size()), std::invalid_argument);
}
