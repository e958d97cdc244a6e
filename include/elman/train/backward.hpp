// SPDX-License-Identifier: MIT
// Backpropagation through time for SimpleRNN: gradients of one call from what the call recorded.
#pragma once

#include <elman/config.hpp>
#include <elman/detail/backward_engine.hpp>
#include <elman/detail/errors.hpp>
#include <elman/detail/resize.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <optional>
#include <string>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN

/// Gradients of a scalar loss with respect to everything one SimpleRNN call depended on. Weight gradients
/// have the layer's weight types and Keras layouts (row-major; the bias a `[1, U]` row), data gradients are
/// Tensors shaped like the data.
template <class Scalar>
struct Gradients {
    using Matrix = RowMajorMatrix<Scalar>;
    /// d loss / d kernel `[F, U]`.
    Matrix kernel;
    /// d loss / d recurrent_kernel `[U, U]`.
    Matrix recurrent_kernel;
    /// d loss / d bias `[1, U]`; 0 x 0 without use_bias.
    Matrix bias;
    /// d loss / d inputs, shaped like the call's inputs (`[B, T, F]`, or `[T, B, F]` when time_major).
    Tensor<Scalar> inputs;
    /// d loss / d h_{-1} `[B, U]`: the state entering the first processed step, whatever its source (the
    /// `initial_state` argument, zeros, or a stateful layer's stored state). For a stateful layer this is
    /// informational only: as in Keras, no gradient flows into earlier calls. If TF 2.4's stateful rule made
    /// the call ignore an explicit `initial_state`, that argument's true gradient is zero.
    Tensor<Scalar> initial_state;
};

/// Whether backward() adds the layer's own penalties (see backward()).
enum class Regularization { include, exclude };

namespace detail {

// std::type_identity (C++20): keeps a parameter out of template argument deduction, so a mutable
// TensorView<Scalar> or a Tensor converts to the TensorView<const Scalar> parameter.
template <class T>
struct non_deduced {
    using type = T;
};
template <class T>
using non_deduced_t = typename non_deduced<T>::type;

// The layer's side of backward(): its weights, activation, threads and backward workspaces.
struct BackwardAccess {
    template <class Scalar, class Activation>
    static void run(const SimpleRNN<Scalar, Activation>& layer, const ForwardTrace<Scalar>& trace,
                    const UpstreamGradients<Scalar>& upstream, const BackwardOutputs<Scalar>& out) {
        layer.backward_engine_.run(layer.weights_, layer.activation_, trace, upstream, layer.engine_.pool(),
                                   layer.engine_.threads(), out);
    }
};

// `grad += d(penalty(t) / t.dim(0)) / d t`: Keras' activity regularization of one returned tensor.
template <class Scalar>
void add_activity_gradient(const Regularizer& regularizer, const Tensor<Scalar>& t, RowMajorMatrix<Scalar>& grad) {
    if (t.dim(0) == 0) return;
    RowMajorMatrix<Scalar> g = RowMajorMatrix<Scalar>::Zero(grad.rows(), grad.cols());
    regularizer.add_gradient(t.matrix(), g);
    grad += g / static_cast<Scalar>(t.dim(0));
}

}  // namespace detail

/// Backpropagation through time (docs/keras-semantics.md, gradients) for one call of `layer`, from the ForwardTrace
/// that call recorded (`CallArgs::trace`) and the Result it returned, written into `gradients`. The forward
/// recurrence is not re-run: every value comes from the trace, so dropout masks, the step mask, go_backwards and the
/// stateful initial state are exactly the call's. `gradients`' buffers are reused: a training loop that keeps one
/// Gradients object allocates nothing after its first step (the by-value overload below allocates every result).
///
/// @param grad_output  d loss / d `result.output`, same shape (`[B, U]`, or the `[B, T, U]` sequence in
///                     processing order with return_sequences; `[T, B, U]` when time_major).
/// @param grad_state   d loss / d final state `[B, U]` (the returned state with return_state); none = zero.
/// @param regularization  `include` (default): the result is the gradient of
///                     `loss + layer.regularization_loss() + layer.activity_regularization_loss(result)`, i.e.
///                     Keras' training objective; `exclude`: of `loss` alone.
///
/// Masked steps pass the state and output gradients straight through to the previous step and contribute
/// nothing to the weights or inputs; zero_output_for_mask stops the output gradient at masked steps; the output
/// gradient left over before the first step is dropped (Keras' output carry starts at a constant zero).
///
/// Runs on the layer's packed kernels (whatever its backend) and on `layer.threads()` threads, with results
/// bit-identical for every thread count; it counts as a call of the layer: not concurrently with another call or
/// backward on the same layer.
///
/// Throws std::invalid_argument when the trace is empty or from another layer shape, or when `result`,
/// `grad_output` or `grad_state` do not have the call's shapes (naming the argument, expected vs. actual), before
/// anything is written; `grad_output` and `grad_state` must not view `gradients`' buffers.
template <class Scalar, class Activation>
void backward(const SimpleRNN<Scalar, Activation>& layer, const ForwardTrace<Scalar>& trace,
              const Result<Scalar>& result, detail::non_deduced_t<TensorView<const Scalar>> grad_output,
              Gradients<Scalar>& gradients,
              detail::non_deduced_t<std::optional<TensorView<const Scalar>>> grad_state = std::nullopt,
              Regularization regularization = Regularization::include) {
    using RowMatrix = RowMajorMatrix<Scalar>;
    const std::string& name = layer.name();
    const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
    const bool time_major = trace.time_major;

    // ---- validation: everything is checked before any work ----
    if (T <= 0 || trace.states.rows() != (T + 1) * B || trace.preactivations.rows() != T * B) {
        detail::throw_invalid(name, "trace",
                              "is empty or incomplete: pass a ForwardTrace through CallArgs::trace in "
                              "the call being differentiated");
    }
    if (!layer.built() || U != layer.units() || F != layer.input_dim() || trace.inputs.rows() != B * T ||
        trace.inputs.cols() != F) {
        detail::throw_invalid(name, "trace",
                              "does not belong to this layer: expected units=" + std::to_string(layer.units()) +
                                  ", features=" + std::to_string(layer.input_dim()) +
                                  ", got units=" + std::to_string(U) + ", features=" + std::to_string(F));
    }
    const Shape output_shape = trace.return_sequences ? (time_major ? Shape{T, B, U} : Shape{B, T, U}) : Shape{B, U};
    if (result.output.shape() != output_shape) {
        detail::throw_shape_error(name, "result.output", output_shape.to_string(), result.output.shape(),
                                  "the Result of the call that filled the trace");
    }
    if (grad_output.shape() != output_shape) {
        detail::throw_shape_error(name, "grad_output", output_shape.to_string(), grad_output.shape(),
                                  "one gradient per element of the returned output");
    }
    if (grad_state && grad_state->shape() != Shape{B, U}) {
        detail::throw_shape_error(name, "grad_state", Shape{B, U}.to_string(), grad_state->shape(),
                                  "one gradient per element of the final state");
    }

    const auto& opts = layer.options();
    const bool with_penalties = regularization == Regularization::include;

    // Upstream gradients, plus the activity regularizer's on every returned tensor. They are copied only for
    // that, or when they view `gradients` (reusing one Gradients across stacked layers), which is rewritten below.
    auto views_gradients = [&gradients](TensorView<const Scalar> v) {
        auto hits = [&v](const Scalar* p, Index n) {
            return detail::overlaps(v.data(), static_cast<std::size_t>(v.size()) * sizeof(Scalar), p,
                                    static_cast<std::size_t>(n) * sizeof(Scalar));
        };
        return hits(gradients.kernel.data(), gradients.kernel.size()) ||
               hits(gradients.recurrent_kernel.data(), gradients.recurrent_kernel.size()) ||
               hits(gradients.bias.data(), gradients.bias.size()) ||
               hits(gradients.inputs.data(), gradients.inputs.size()) ||
               hits(gradients.initial_state.data(), gradients.initial_state.size());
    };
    const bool activity = with_penalties && opts.activity_regularizer;
    detail::UpstreamGradients<Scalar> upstream{grad_output.data(), grad_state ? grad_state->data() : nullptr};
    RowMatrix g_out, g_state;
    if (activity || views_gradients(grad_output)) {
        g_out = grad_output.matrix();
        if (activity) detail::add_activity_gradient(*opts.activity_regularizer, result.output, g_out);
        upstream.output = g_out.data();
    }
    if ((activity && result.state) || (grad_state && views_gradients(*grad_state))) {
        g_state = grad_state ? RowMatrix(grad_state->matrix()) : RowMatrix::Zero(B, U);
        if (activity && result.state) detail::add_activity_gradient(*opts.activity_regularizer, *result.state, g_state);
        upstream.state = g_state.data();
    }

    // ---- the backward recurrence and the weight gradients (detail/backward_engine.hpp) ----
    Gradients<Scalar>& g = gradients;
    detail::fit(g.kernel, F, U);
    detail::fit(g.recurrent_kernel, U, U);
    detail::fit(g.bias, layer.use_bias() ? 1 : 0, layer.use_bias() ? U : 0);
    g.inputs.resize(time_major ? Shape{T, B, F} : Shape{B, T, F});
    g.initial_state.resize(Shape{B, U});
    detail::BackwardOutputs<Scalar> out;
    out.kernel = &g.kernel;
    out.recurrent_kernel = &g.recurrent_kernel;
    out.bias = layer.use_bias() ? &g.bias : nullptr;
    out.inputs = g.inputs.data();
    out.initial_state = g.initial_state.data();
    detail::BackwardAccess::run(layer, trace, upstream, out);

    if (with_penalties) {
        if (opts.kernel_regularizer) opts.kernel_regularizer->add_gradient(layer.kernel(), g.kernel);
        if (opts.recurrent_regularizer)
            opts.recurrent_regularizer->add_gradient(layer.recurrent_kernel(), g.recurrent_kernel);
        if (opts.bias_regularizer && layer.use_bias()) opts.bias_regularizer->add_gradient(layer.bias(), g.bias);
    }
}

/// As above, returning new Gradients.
template <class Scalar, class Activation>
Gradients<Scalar> backward(const SimpleRNN<Scalar, Activation>& layer, const ForwardTrace<Scalar>& trace,
                           const Result<Scalar>& result, detail::non_deduced_t<TensorView<const Scalar>> grad_output,
                           detail::non_deduced_t<std::optional<TensorView<const Scalar>>> grad_state = std::nullopt,
                           Regularization regularization = Regularization::include) {
    Gradients<Scalar> gradients;
    backward(layer, trace, result, grad_output, gradients, grad_state, regularization);
    return gradients;
}

ELMAN_NAMESPACE_END
