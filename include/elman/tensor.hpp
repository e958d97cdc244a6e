// SPDX-License-Identifier: MIT
// Row-major tensors: an owning `Tensor` and a non-owning `TensorView`, the layout numpy and Keras use.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/shape.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <type_traits>
#include <vector>

ELMAN_NAMESPACE_BEGIN

template <class Scalar>
using RowMajorMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Non-owning view of a contiguous row-major buffer with a shape. `T` may be const-qualified.
/// Building a view never copies: pass a numpy-like buffer as `TensorView<const float>(ptr, {B, T, F})`.
template <class T>
class TensorView {
  public:
    using value_type = std::remove_const_t<T>;

    TensorView() = default;
    TensorView(T* data, Shape shape) : data_(data), shape_(shape), size_(shape.size()) {
        if (data_ == nullptr && size_ != 0) {
            ELMAN_THROW(std::invalid_argument("elman::TensorView: null data pointer for shape " + shape_.to_string()));
        }
    }
    /// A mutable view converts to a const view.
    template <class U, class = std::enable_if_t<std::is_same<const U, T>::value && !std::is_same<U, T>::value>>
    TensorView(const TensorView<U>& other) noexcept : data_(other.data()), shape_(other.shape()), size_(other.size()) {}

    /// View of a row-major Eigen matrix as `{rows / timesteps, timesteps, cols}`: the natural way to hand a
    /// `[B*T, F]` matrix (rows ordered b*T+t) to the layer without copying.
    template <class Derived>
    static TensorView from_rows(const Eigen::PlainObjectBase<Derived>& m, Index timesteps) {
        static_assert(static_cast<int>(Derived::IsRowMajor) || Derived::ColsAtCompileTime == 1,
                      "from_rows needs a row-major matrix");
        if (timesteps <= 0 || m.rows() % timesteps != 0) {
            ELMAN_THROW(std::invalid_argument("elman::TensorView::from_rows: timesteps=" + std::to_string(timesteps) +
                                              " does not divide rows=" + std::to_string(m.rows())));
        }
        return TensorView(m.data(), {m.rows() / timesteps, timesteps, m.cols()});
    }

    T* data() const noexcept { return data_; }
    const Shape& shape() const noexcept { return shape_; }
    int rank() const noexcept { return shape_.rank(); }
    Index dim(int axis) const noexcept { return shape_[axis]; }
    /// Element count (computed once, when the view is made: calls read it many times).
    Index size() const noexcept { return size_; }

    /// The tensor as a row-major matrix `[prod(shape[:-1]), shape[-1]]` (rank >= 1).
    Eigen::Map<
        std::conditional_t<std::is_const<T>::value, const RowMajorMatrix<value_type>, RowMajorMatrix<value_type>>>
    matrix() const {
        const int rank = shape_.rank();
        if (rank == 0) return {data_, size_, 1};
        Index rows = 1;  // the product of the leading extents (no division: calls map their operands every time)
        for (int axis = 0; axis + 1 < rank; ++axis) rows *= shape_[axis];
        return {data_, rows, shape_[rank - 1]};
    }

  private:
    template <class>
    friend class Tensor;
    // For Tensor::view(): the owner's element count is already known, and a default Tensor (rank 0, no
    // elements) has a null buffer that the checking constructor would refuse.
    TensorView(T* data, Shape shape, Index size) noexcept : data_(data), shape_(shape), size_(size) {}

    T* data_ = nullptr;
    Shape shape_;
    Index size_ = 0;
};

/// Owning row-major tensor (Keras weights, layer outputs). Element (i, j, k) of a `[d0, d1, d2]` tensor is
/// `data()[(i * d1 + j) * d2 + k]`, exactly numpy's C order.
template <class Scalar>
class Tensor {
  public:
    Tensor() = default;
    explicit Tensor(Shape shape) : shape_(shape), data_(static_cast<std::size_t>(shape.size()), Scalar(0)) {}
    Tensor(Shape shape, std::vector<Scalar> values) : shape_(shape), data_(std::move(values)) {
        if (static_cast<Index>(data_.size()) != shape_.size()) {
            ELMAN_THROW(std::invalid_argument("elman::Tensor: " + std::to_string(data_.size()) +
                                              " values do not fill shape " + shape_.to_string()));
        }
    }
    /// Copy of any view (e.g. to keep a caller's buffer).
    template <class T>
    explicit Tensor(const TensorView<T>& view) : shape_(view.shape()), data_(view.data(), view.data() + view.size()) {}
    /// Copy of an Eigen matrix with the same shape ([rows, cols]); any storage order.
    template <class Derived>
    static Tensor from_matrix(const Eigen::MatrixBase<Derived>& m) {
        Tensor t({m.rows(), m.cols()});
        t.matrix() = m.template cast<Scalar>();
        return t;
    }
    /// Copy of an Eigen vector as a rank-1 tensor (e.g. a Keras bias).
    template <class Derived>
    static Tensor from_vector(const Eigen::MatrixBase<Derived>& v) {
        Tensor t({v.size()});
        std::copy(v.derived().data(), v.derived().data() + v.size(), t.data_.begin());
        return t;
    }

    const Shape& shape() const noexcept { return shape_; }
    int rank() const noexcept { return shape_.rank(); }
    Index dim(int axis) const noexcept { return shape_[axis]; }
    Index size() const noexcept { return static_cast<Index>(data_.size()); }
    Scalar* data() noexcept { return data_.data(); }
    const Scalar* data() const noexcept { return data_.data(); }
    std::vector<Scalar>& values() noexcept { return data_; }
    const std::vector<Scalar>& values() const noexcept { return data_; }

    Scalar& operator()(Index i) { return data_[static_cast<std::size_t>(i)]; }
    Scalar operator()(Index i) const { return data_[static_cast<std::size_t>(i)]; }
    Scalar& operator()(Index i, Index j) { return data_[offset(i, j)]; }
    Scalar operator()(Index i, Index j) const { return data_[offset(i, j)]; }
    Scalar& operator()(Index i, Index j, Index k) { return data_[offset(i, j, k)]; }
    Scalar operator()(Index i, Index j, Index k) const { return data_[offset(i, j, k)]; }

    TensorView<Scalar> view() noexcept { return {data_.data(), shape_, size()}; }
    TensorView<const Scalar> view() const noexcept { return {data_.data(), shape_, size()}; }
    operator TensorView<const Scalar>() const noexcept { return view(); }

    /// Row-major matrix map `[prod(shape[:-1]), shape[-1]]`: `[B,U]` as is, `[B,T,U]` as rows b*T+t.
    Eigen::Map<RowMajorMatrix<Scalar>> matrix() { return view().matrix(); }
    Eigen::Map<const RowMajorMatrix<Scalar>> matrix() const { return view().matrix(); }

    /// Reshape in place (same element count; storage reused when possible).
    void resize(const Shape& shape) {
        // Repeated calls of one shape end here. (A default tensor has rank 0 and no element; resizing it to rank 0
        // gives it its one element.)
        if (shape == shape_ && (shape.rank() > 0 || !data_.empty())) return;
        const auto n = static_cast<std::size_t>(shape.size());
        data_.resize(n);
        shape_ = shape;
    }

  private:
    std::size_t offset(Index i, Index j) const { return static_cast<std::size_t>(i * shape_[1] + j); }
    std::size_t offset(Index i, Index j, Index k) const {
        return static_cast<std::size_t>((i * shape_[1] + j) * shape_[2] + k);
    }

    Shape shape_;
    std::vector<Scalar> data_;
};

ELMAN_NAMESPACE_END
