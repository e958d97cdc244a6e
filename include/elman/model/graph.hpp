// SPDX-License-Identifier: MIT
// The layer graph of a model: layers, their applications (nodes) in execution order, and the value buffers.
#pragma once

#include <elman/config.hpp>
#include <elman/model/layer.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace model {

/// One output tensor of one node: `(layer name)[node index][tensor index]` in Keras' notation.
struct TensorRef {
    std::size_t layer = 0;
    std::size_t node = 0;
    std::size_t tensor = 0;
};

/// A model's layers and nodes. Nodes are stored in an order where every input is computed before it is used;
/// each node's outputs live in `values` (one buffer per graph tensor, reused between calls). Built by the config
/// reader (keras_config.hpp), run by Model.
template <class Scalar>
struct Graph {
    struct Node {
        std::size_t layer = 0;
        /// Index of this node among its layer's applications (Keras' node_index).
        std::size_t node_index = 0;
        std::vector<TensorRef> inbound;
        /// Value indices of the inputs and outputs.
        std::vector<std::size_t> inputs, outputs;
        /// Pointers into `values`, set once by `finish()` so a call builds no vectors.
        typename Layer<Scalar>::Inputs in_ptrs;
        typename Layer<Scalar>::Outputs out_ptrs;
    };

    std::string name;
    /// "Sequential" or "Functional" (Keras' class of the model: summary layout and layer list differ).
    std::string class_name;
    std::vector<std::unique_ptr<Layer<Scalar>>> layers;
    /// Nodes in execution order.
    std::vector<Node> nodes;
    std::vector<Value<Scalar>> values;
    std::vector<TensorSpec> specs;
    /// Value indices of the model's inputs (InputLayer outputs) and outputs, in Keras' order.
    std::vector<std::size_t> inputs, outputs;
    /// Layer index of each model input's InputLayer.
    std::vector<std::size_t> input_layers;

    /// Sets the nodes' buffer pointers (after `values` has its final size).
    void finish() {
        for (Node& n : nodes) {
            n.in_ptrs.clear();
            n.out_ptrs.clear();
            for (std::size_t v : n.inputs) n.in_ptrs.push_back(&values[v]);
            for (std::size_t v : n.outputs) n.out_ptrs.push_back(&values[v]);
        }
    }

    /// Runs every node once (the inputs must already be in their values).
    void run() {
        for (Node& n : nodes) layers[n.layer]->call(n.in_ptrs, n.out_ptrs);
    }
};

}  // namespace model
ELMAN_NAMESPACE_END
