// SPDX-License-Identifier: MIT
// A read-only view of a Keras timestep mask of any arithmetic dtype (non-zero = keep the step).
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN

/// Keras casts a mask of any dtype to bool; this view does the same without copying. Shape `[B, T]`
/// (or `[B, T, 1]`, also accepted by Keras); with `time_major` layers, `[T, B]`. The layer checks the shape
/// against its inputs; the view itself refuses only a null `data` for a non-empty shape (as TensorView does).
class MaskView {
  public:
    MaskView() = default;

    /// Throws std::invalid_argument when `data` is null and `shape` has elements.
    template <class T, class = std::enable_if_t<std::is_arithmetic<T>::value>>
    MaskView(const T* data, Shape shape) : data_(data), shape_(shape), element_size_(sizeof(T)), read_(&read_as<T>) {
        if (data_ == nullptr && shape_.size() != 0) throw_null(shape_);
    }
    /// `MaskView(nullptr, shape)`: a null pointer of no particular dtype; valid only for an empty shape (a mask
    /// of zero elements), otherwise std::invalid_argument as above.
    MaskView(std::nullptr_t, Shape shape) : shape_(shape), read_(&read_as<bool>) {
        if (shape_.size() != 0) throw_null(shape_);
    }

    template <class T, class = std::enable_if_t<std::is_arithmetic<std::remove_const_t<T>>::value>>
    MaskView(const TensorView<T>& view)
        : MaskView(static_cast<const std::remove_const_t<T>*>(view.data()), view.shape()) {}

    template <class T, class = std::enable_if_t<std::is_arithmetic<T>::value>>
    MaskView(const Tensor<T>& tensor) : MaskView(tensor.data(), tensor.shape()) {}

    const Shape& shape() const noexcept { return shape_; }
    bool empty() const noexcept { return read_ == nullptr; }

    /// The viewed memory: first byte and length (to detect a mask that aliases a buffer being written).
    const void* data() const noexcept { return data_; }
    std::size_t bytes() const noexcept { return data_ ? static_cast<std::size_t>(shape_.size()) * element_size_ : 0; }

    /// Whether flat element `i` (row-major) keeps its step.
    bool keep(Index i) const noexcept { return read_(data_, i); }

  private:
    [[noreturn]] static void throw_null(const Shape& shape) {
        ELMAN_THROW(std::invalid_argument("elman::MaskView: `data` is a null pointer for a mask of shape " +
                                          shape.to_string()));
    }

    template <class T>
    static bool read_as(const void* data, Index i) noexcept {
        return static_cast<const T*>(data)[i] != T(0);
    }

    const void* data_ = nullptr;
    Shape shape_;
    std::size_t element_size_ = 0;
    bool (*read_)(const void*, Index) noexcept = nullptr;
};

ELMAN_NAMESPACE_END
