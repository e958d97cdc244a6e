// SPDX-License-Identifier: MIT
// The seam between model file formats and the model runtime: a layer asks for its weights by layer name.
#pragma once

#include <elman/config.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace model {

/// One weight a layer expects, in Keras `layer.weights` order.
struct WeightSpec {
    /// The weight's path below the layer, spelled as Keras 2 / TensorFlow.js name it without the layer prefix
    /// and the ":0" suffix: "kernel", "recurrent_kernel", "bias", "embeddings", and for Bidirectional
    /// "forward_<inner layer>/kernel" ... "backward_<inner layer>/bias".
    std::string name;
    /// The shape Keras gives it (`[F, U]` kernel, `[U]` bias, ...).
    Shape shape;
};

/// What the runtime asks a format for: every weight of one layer.
struct WeightRequest {
    /// Keras layer name, unique in the model (a shared layer is asked once).
    std::string layer;
    /// Keras class name ("Dense", "SimpleRNN", "Bidirectional", "TimeDistributed", "Embedding").
    std::string class_name;
    /// The weights in Keras order, with the shapes the model config implies.
    std::vector<WeightSpec> expected;
};

/// Supplies a model's weights to `Model` while it is built. This is the only thing a file format has to
/// implement besides handing over the model config JSON, so tfjs shards, Keras .h5 groups and .keras
/// `vars/<i>` datasets all plug in here.
///
/// Contract:
/// - `weights(request)` is called once per layer that has weights, in model config order (layers without
///   weights are not asked). It returns that layer's tensors in Keras `get_weights()` order. A provider may
///   match stored names against `request.expected[i].name` or rely on the stored order; either way it must not
///   reorder by guesswork. It returns an empty vector when it has nothing for the layer.
/// - The runtime checks count and shapes against `request.expected` and throws io::FormatError naming
///   `source()`, the layer, the expected and the found shapes; a provider need not check them itself, but may
///   throw io::FormatError for problems only it can see (dtype, truncated data).
/// - `unrequested()` is called after every layer was asked: stored weight groups no layer asked for (a model
///   is never loaded while the file holds weights it does not use). Return their layer names.
template <class Scalar>
class WeightsProvider {
  public:
    virtual ~WeightsProvider() = default;
    /// The file (or buffer) the weights come from, for messages.
    virtual std::string source() const = 0;
    virtual std::vector<Tensor<Scalar>> weights(const WeightRequest& request) = 0;
    virtual std::vector<std::string> unrequested() const = 0;
};

/// A provider over tensors already in memory, keyed by layer name (tests, and models assembled in code).
template <class Scalar>
class InMemoryWeights final : public WeightsProvider<Scalar> {
  public:
    explicit InMemoryWeights(std::string source = "<weights>") : source_(std::move(source)) {}

    /// Sets the weights of `layer` in Keras order (replacing earlier ones).
    void set(const std::string& layer, std::vector<Tensor<Scalar>> tensors) { layers_[layer] = std::move(tensors); }

    std::string source() const override { return source_; }
    std::vector<Tensor<Scalar>> weights(const WeightRequest& request) override {
        requested_.insert(request.layer);
        const auto it = layers_.find(request.layer);
        return it == layers_.end() ? std::vector<Tensor<Scalar>>{} : it->second;
    }
    std::vector<std::string> unrequested() const override {
        std::vector<std::string> names;
        for (const auto& entry : layers_)
            if (!requested_.count(entry.first)) names.push_back(entry.first);
        return names;
    }

  private:
    std::string source_;
    std::map<std::string, std::vector<Tensor<Scalar>>> layers_;
    std::set<std::string> requested_;
};

}  // namespace model
ELMAN_NAMESPACE_END
