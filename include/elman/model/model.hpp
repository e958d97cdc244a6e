// SPDX-License-Identifier: MIT
// elman::Model: a whole Keras model (Sequential or Functional) built from its config and weights; predict,
// summary, layer access, reset_states.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/io/error.hpp>
#include <elman/io/json.hpp>
#include <elman/model/graph.hpp>
#include <elman/model/keras_config.hpp>
#include <elman/model/layer.hpp>
#include <elman/model/recurrent_layers.hpp>
#include <elman/model/weights.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// One model input: a view of float32, float64, int32 or int64 data (integer ids for Embedding may come as
/// integers or as floats). Converted to the model's Scalar when a call copies it in.
class ModelInput {
  public:
    enum class Dtype { Float32, Float64, Int32, Int64 };

    ModelInput(TensorView<const float> v) : data_(v.data()), shape_(v.shape()), dtype_(Dtype::Float32) {}
    ModelInput(TensorView<const double> v) : data_(v.data()), shape_(v.shape()), dtype_(Dtype::Float64) {}
    ModelInput(TensorView<const std::int32_t> v) : data_(v.data()), shape_(v.shape()), dtype_(Dtype::Int32) {}
    ModelInput(TensorView<const std::int64_t> v) : data_(v.data()), shape_(v.shape()), dtype_(Dtype::Int64) {}
    template <class T,
              class = std::enable_if_t<std::is_same<T, float>::value || std::is_same<T, double>::value ||
                                       std::is_same<T, std::int32_t>::value || std::is_same<T, std::int64_t>::value>>
    ModelInput(const Tensor<T>& t) : ModelInput(t.view()) {}

    const Shape& shape() const noexcept { return shape_; }
    Dtype dtype() const noexcept { return dtype_; }

    /// Copies the values into `out` (resized), converting to Scalar.
    template <class Scalar>
    void copy_to(Tensor<Scalar>& out) const {
        out.resize(shape_);
        const Index n = shape_.size();
        switch (dtype_) {
            case Dtype::Float32:
                convert(static_cast<const float*>(data_), n, out.data());
                break;
            case Dtype::Float64:
                convert(static_cast<const double*>(data_), n, out.data());
                break;
            case Dtype::Int32:
                convert(static_cast<const std::int32_t*>(data_), n, out.data());
                break;
            case Dtype::Int64:
                convert(static_cast<const std::int64_t*>(data_), n, out.data());
                break;
        }
    }

  private:
    template <class T, class Scalar>
    static void convert(const T* in, Index n, Scalar* out) {
        for (Index i = 0; i < n; ++i) out[i] = static_cast<Scalar>(in[i]);
    }
    const void* data_;
    Shape shape_;
    Dtype dtype_;
};

/// Where a model's config came from, as far as saving it back depends on it (io/save_model.hpp).
struct ModelOrigin {
    /// `keras_version` the file recorded ("2.12.0", "3.9.2", "1.2.2"; "tfjs" for a TensorFlow.js model; empty
    /// for a config given in code).
    std::string keras_version;
    /// The model was built with Keras 3's meaning of the names that changed (io::KerasSemantics): its config
    /// spells Keras 3's hard_sigmoid `hard_sigmoid_keras3`.
    bool keras3_semantics = false;
};

/// A Keras model, in float or double: the layers and graph a model config describes, with the weights a
/// model::WeightsProvider supplies (docs/model.md). Inference is Keras' `model(x, training=False)`: dropout and
/// noise layers are the identity, masks propagate as Keras' compute_mask, stateful layers keep their state
/// between calls until reset_states().
///
/// Buffers: every tensor of the graph has a buffer owned by the model and reused, so repeated predict calls with
/// one input shape allocate nothing beyond what the layers' own calls do (the `predict(inputs, outputs)` form;
/// the returning form allocates its result). A model is movable, not copyable; one model per thread at a time.
template <class Scalar = float>
class Model {
    static_assert(std::is_floating_point<Scalar>::value, "Model: Scalar must be a floating-point type");

  public:
    using scalar_type = Scalar;

    /// Builds the model described by `topology` (a Keras / tfjs model config: `{"class_name": "Sequential" |
    /// "Functional" | "Model", "config": {...}}`, optionally inside tfjs' `{"model_config": ...}`) and loads its
    /// weights from `weights`. Every problem (an unsupported layer class or config key, an unknown layer in
    /// inbound_nodes, wrong weight counts or shapes, weights for layers the model lacks) throws io::FormatError
    /// naming `source` (for the config) or `weights.source()` and the layer. `origin` is kept for saving the
    /// model back (the loaders fill it in).
    static Model from_config(const io::json::Value& topology, model::WeightsProvider<Scalar>& weights,
                             const std::string& source, ModelOrigin origin = {}) {
        Model m;
        m.graph_ = model::detail::build_graph<Scalar>(topology, source);
        if (origin.keras3_semantics) {
            const std::string differs = m.keras3_difference();
            if (!differs.empty())
                throw io::FormatError(source, differs +
                                                  " receives a mask, and Keras 3 merges masks (and masked values) "
                                                  "differently from TF 2.x, whose rule elman implements; "
                                                  "LoadOptions::semantics = tf2 gives TF 2.x's numbers");
        }
        model::detail::load_weights(m.graph_, weights);
        m.config_ = topology;
        m.origin_ = std::move(origin);
        return m;
    }

    /// The model config the model was built from, as the readers take it (Keras 1 keys already translated to
    /// Keras 2, Keras 3's hard_sigmoid spelled `hard_sigmoid_keras3`); io/save_model.hpp writes it back in the
    /// spelling of the file format it saves.
    const io::json::Value& config() const noexcept { return config_; }
    const ModelOrigin& origin() const noexcept { return origin_; }
    /// The first layer application Keras 3 computes differently from TF 2.x (Layer::differs_in_keras3), as
    /// "layer 'name' (Class)"; empty when there is none.
    std::string keras3_difference() const {
        std::vector<model::TensorSpec> specs;
        for (const auto& n : graph_.nodes) {
            specs.clear();
            for (const std::size_t v : n.inputs) specs.push_back(graph_.specs[v]);
            const model::Layer<Scalar>& l = *graph_.layers[n.layer];
            if (l.differs_in_keras3(specs)) return "layer '" + l.name() + "' (" + l.class_name() + ")";
        }
        return {};
    }
    /// Keras `model.layers` (a Sequential model lists no InputLayer), for writers that walk every layer.
    std::vector<const model::Layer<Scalar>*> layers() const {
        std::vector<const model::Layer<Scalar>*> out;
        for (const std::size_t i : listed_layers()) out.push_back(graph_.layers[i].get());
        return out;
    }

    Model(Model&&) noexcept = default;
    Model& operator=(Model&&) noexcept = default;
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    /// Keras model name.
    const std::string& name() const noexcept { return graph_.name; }
    std::size_t input_count() const noexcept { return graph_.inputs.size(); }
    std::size_t output_count() const noexcept { return graph_.outputs.size(); }
    /// Static shapes (batch first, -1 = None) of the inputs and outputs, in Keras' order.
    model::Dims input_shape(std::size_t i) const { return graph_.specs.at(graph_.inputs.at(i)).shape; }
    model::Dims output_shape(std::size_t i) const { return graph_.specs.at(graph_.outputs.at(i)).shape; }
    /// Names of the input layers, in input order.
    std::string input_name(std::size_t i) const { return graph_.layers.at(graph_.input_layers.at(i))->name(); }

    /// `model.predict(inputs)` writing every output into `outputs` (resized; buffers reused). Throws
    /// std::invalid_argument for a wrong input count or shape, naming the input layer.
    void predict(const std::vector<ModelInput>& inputs, std::vector<Tensor<Scalar>>& outputs) {
        if (inputs.size() != graph_.inputs.size()) {
            ELMAN_THROW(std::invalid_argument("Model '" + graph_.name + "' expects " +
                                              std::to_string(graph_.inputs.size()) + " input(s), got " +
                                              std::to_string(inputs.size())));
        }
        for (std::size_t i = 0; i < inputs.size(); ++i) check_input(i, inputs[i].shape());
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            model::Value<Scalar>& v = graph_.values[graph_.inputs[i]];
            inputs[i].copy_to(v.data);
            v.has_mask = false;
        }
        graph_.run();
        outputs.resize(graph_.outputs.size());
        for (std::size_t i = 0; i < graph_.outputs.size(); ++i) {
            const Tensor<Scalar>& v = graph_.values[graph_.outputs[i]].data;
            outputs[i].resize(v.shape());
            std::copy(v.data(), v.data() + v.size(), outputs[i].data());
        }
    }
    /// Same, returning the outputs.
    std::vector<Tensor<Scalar>> predict(const std::vector<ModelInput>& inputs) {
        std::vector<Tensor<Scalar>> out;
        predict(inputs, out);
        return out;
    }

    /// Keras `model.reset_states()`: every stateful layer's state := zeros.
    void reset_states() {
        for (auto& l : graph_.layers)
            if (l->stateful()) l->reset_states();
    }

    /// Layer names in Keras `model.layers` order (a Sequential model lists no InputLayer, as Keras).
    std::vector<std::string> layer_names() const {
        std::vector<std::string> names;
        for (const std::size_t i : listed_layers()) names.push_back(graph_.layers[i]->name());
        return names;
    }
    /// The layer called `name` (std::invalid_argument listing the layers when there is none).
    model::Layer<Scalar>& layer(const std::string& name) { return *graph_.layers[layer_index(name)]; }
    const model::Layer<Scalar>& layer(const std::string& name) const { return *graph_.layers[layer_index(name)]; }
    /// The SimpleRNN layer called `name`: a `SimpleRNN<Scalar, KerasActivation>` (weights, states, options,
    /// `activation_name()`, and every call of the library's SimpleRNN).
    model::AnySimpleRNN<Scalar>& simple_rnn(const std::string& name) {
        auto* l = dynamic_cast<model::SimpleRNNLayer<Scalar>*>(&layer(name));
        if (!l) wrong_class(name, "SimpleRNN");
        return l->rnn();
    }
    /// The Bidirectional layer called `name` (forward_layer(), backward_layer()).
    model::BidirectionalLayer<Scalar>& bidirectional(const std::string& name) {
        auto* l = dynamic_cast<model::BidirectionalLayer<Scalar>*>(&layer(name));
        if (!l) wrong_class(name, "Bidirectional");
        return *l;
    }

    /// Keras `count_params()`.
    Index count_params() const {
        Index n = 0;
        for (const auto& l : graph_.layers) n += l->param_count();
        return n;
    }

    /// The table Keras' `model.summary()` prints (TF 2.4 layout): per layer "name (Class)", output shape with
    /// None for unknown extents, parameter count (and "Connected to" for Functional models), then the totals.
    std::string summary() const {
        const bool seq = sequential_like();
        const int line = seq ? 65 : 98;
        const std::vector<int> pos = seq ? std::vector<int>{29, 55, 65} : std::vector<int>{32, 53, 65, 98};
        std::string out = "Model: \"" + graph_.name + "\"\n" + std::string(static_cast<std::size_t>(line), '_') + "\n";
        std::vector<std::string> head{"Layer (type)", "Output Shape", "Param #"};
        if (!seq) head.push_back("Connected to");
        out += row(head, pos) + std::string(static_cast<std::size_t>(line), '=') + "\n";
        const std::vector<std::size_t> listed = listed_layers();
        // Each layer's nodes, gathered once: a scan of every node per layer made summary() quadratic.
        std::vector<std::vector<std::size_t>> nodes_of(graph_.layers.size());
        for (std::size_t n = 0; n < graph_.nodes.size(); ++n) nodes_of[graph_.nodes[n].layer].push_back(n);
        Index total = 0, trainable = 0;
        for (std::size_t i = 0; i < listed.size(); ++i) {
            const std::size_t li = listed[i];
            const model::Layer<Scalar>& l = *graph_.layers[li];
            std::vector<std::string> connections;
            for (const std::size_t n : nodes_of[li])
                for (const model::TensorRef& r : graph_.nodes[n].inbound)
                    connections.push_back(graph_.layers[r.layer]->name() + "[" + std::to_string(r.node) + "][" +
                                          std::to_string(r.tensor) + "]");
            const Index params = l.param_count();
            total += params;
            if (l.trainable()) trainable += params;
            std::vector<std::string> fields{l.name() + " (" + l.class_name() + ")", output_shape_text(li, nodes_of[li]),
                                            std::to_string(params)};
            if (!seq) fields.push_back(connections.empty() ? "" : connections[0]);
            out += row(fields, pos);
            for (std::size_t c = 1; !seq && c < connections.size(); ++c) out += row({"", "", "", connections[c]}, pos);
            out += std::string(static_cast<std::size_t>(line), i + 1 == listed.size() ? '=' : '_') + "\n";
        }
        out += "Total params: " + grouped(total) + "\nTrainable params: " + grouped(trainable) +
               "\nNon-trainable params: " + grouped(total - trainable) + "\n" +
               std::string(static_cast<std::size_t>(line), '_') + "\n";
        return out;
    }

  private:
    Model() = default;

    void check_input(std::size_t i, const Shape& s) const {
        const model::Dims& d = graph_.specs[graph_.inputs[i]].shape;
        bool ok = s.rank() == static_cast<int>(d.size());
        for (int k = 0; ok && k < s.rank(); ++k)
            ok = d[static_cast<std::size_t>(k)] < 0 || d[static_cast<std::size_t>(k)] == s[k];
        if (!ok) {
            ELMAN_THROW(std::invalid_argument("Model '" + graph_.name + "': input " + std::to_string(i) + " ('" +
                                              input_name(i) + "') has shape " + s.to_string() + ", expected " +
                                              model::dims_string(d)));
        }
    }

    std::size_t layer_index(const std::string& name) const {
        for (std::size_t i = 0; i < graph_.layers.size(); ++i)
            if (graph_.layers[i]->name() == name) return i;
        std::string list;
        for (const auto& l : graph_.layers) list += (list.empty() ? "" : ", ") + l->name();
        ELMAN_THROW(
            std::invalid_argument("Model '" + graph_.name + "' has no layer '" + name + "' (layers: " + list + ")"));
    }

    [[noreturn]] void wrong_class(const std::string& name, const char* expected) const {
        ELMAN_THROW(std::invalid_argument("Model '" + graph_.name + "': layer '" + name + "' is a " +
                                          graph_.layers[layer_index(name)]->class_name() + ", not a " + expected));
    }

    /// Indices of the layers Keras' `model.layers` lists (a Sequential model's InputLayer is not listed).
    std::vector<std::size_t> listed_layers() const {
        std::vector<std::size_t> v;
        for (std::size_t i = 0; i < graph_.layers.size(); ++i)
            if (!(graph_.class_name == "Sequential" && graph_.layers[i]->class_name() == "InputLayer")) v.push_back(i);
        return v;
    }

    // Keras prints the plain table when the model is Sequential or every node has at most one input tensor.
    bool sequential_like() const {
        if (graph_.class_name == "Sequential") return true;
        if (graph_.inputs.size() > 1 || graph_.outputs.size() > 1) return false;
        std::vector<int> uses(graph_.layers.size(), 0);
        for (const auto& n : graph_.nodes) {
            if (n.inbound.size() > 1 || ++uses[n.layer] > 1) return false;
        }
        return true;
    }

    std::string output_shape_text(std::size_t li, const std::vector<std::size_t>& nodes) const {
        std::string text;
        bool first = true;
        for (const std::size_t node : nodes) {
            const auto& n = graph_.nodes[node];
            std::string t;
            if (n.outputs.size() == 1 && graph_.layers[li]->class_name() != "InputLayer") {
                t = model::dims_string(graph_.specs[n.outputs[0]].shape);
            } else {
                t = "[";
                for (std::size_t k = 0; k < n.outputs.size(); ++k)
                    t += (k ? ", " : "") + model::dims_string(graph_.specs[n.outputs[k]].shape);
                t += "]";
            }
            if (!first && t != text) return "multiple";
            text = t;
            first = false;
        }
        return text;
    }

    static std::string row(const std::vector<std::string>& fields, const std::vector<int>& pos) {
        std::string line;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) line = line.substr(0, line.size() - 1) + " ";
            line += fields[i];
            line = line.substr(0, static_cast<std::size_t>(pos[i]));
            line += std::string(static_cast<std::size_t>(pos[i]) - line.size(), ' ');
        }
        return line + "\n";
    }

    static std::string grouped(Index n) {
        std::string digits = std::to_string(n), out;
        for (std::size_t i = 0; i < digits.size(); ++i) {
            if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
            out += digits[i];
        }
        return out;
    }

    model::Graph<Scalar> graph_;
    io::json::Value config_;
    ModelOrigin origin_;
};

ELMAN_NAMESPACE_END
