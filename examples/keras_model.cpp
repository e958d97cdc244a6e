// Run a whole Keras model in C++: load the model file, print its summary, predict.
//
//   example_keras_model [MODEL [CONFIG.json]]
//
// MODEL: a Keras .h5 (model.save), a Keras 3 .keras, or a TensorFlow.js model.json; a weights-only .h5
// (model.save_weights) takes the model.to_json() text as CONFIG.json. Without arguments it loads the committed
// fixture tests/data/model/seq_embedding/model.json (Embedding(mask_zero) -> SimpleRNN -> Dense). The inputs are
// made up here: one sample, 4 timesteps where the model leaves the length open, ids 1, 2, 3, ... for integer
// inputs of an Embedding, a ramp of floats otherwise. See docs/model.md.
#if defined(ELMAN_HAVE_HDF5)
#include <elman/io/load_model.hpp>
#else
#include <elman/io/tfjs_model.hpp>
#endif

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

elman::Model<float> load(const std::string& path, const char* config) {
#if defined(ELMAN_HAVE_HDF5)
    return config ? elman::io::load_model<float>(path, config) : elman::io::load_model<float>(path);
#else
    if (config) throw std::invalid_argument("this build has no HDF5, so it reads no weights-only .h5");
    return elman::io::load_tfjs_model<float>(path);  // this build has no HDF5: tfjs model.json only
#endif
}

}  // namespace

int main(int argc, char** argv) {
#if defined(ELMAN_EXAMPLE_DATA_DIR)
    const std::string fixture = std::string(ELMAN_EXAMPLE_DATA_DIR) + "/model/seq_embedding/model.json";
#else
    const std::string fixture = "tests/data/model/seq_embedding/model.json";
#endif
    const std::string path = argc > 1 ? argv[1] : fixture;
    try {
        elman::Model<float> model = load(path, argc > 2 ? argv[2] : nullptr);
        std::cout << model.summary() << "\n";

        // One made-up sample per input: None extents (the batch, an open sequence length) become 1 and 4.
        std::vector<elman::Tensor<float>> inputs;
        for (std::size_t i = 0; i < model.input_count(); ++i) {
            std::vector<elman::Index> dims = model.input_shape(i);
            for (std::size_t d = 0; d < dims.size(); ++d)
                if (dims[d] < 0) dims[d] = d == 0 ? 1 : 4;
            elman::Tensor<float> x(elman::model::to_shape(dims));
            // Small positive integers are valid ids for any Embedding and fine values for any other input.
            for (elman::Index k = 0; k < x.size(); ++k) x.data()[k] = static_cast<float>(1 + k % 3);
            inputs.push_back(std::move(x));
        }
        std::vector<elman::ModelInput> views(inputs.begin(), inputs.end());
        const std::vector<elman::Tensor<float>> outputs = model.predict(views);
        for (std::size_t o = 0; o < outputs.size(); ++o) {
            std::cout << "output " << o << " " << outputs[o].shape().to_string() << ":";
            for (elman::Index k = 0; k < outputs[o].size() && k < 8; ++k) std::cout << " " << outputs[o].data()[k];
            std::cout << (outputs[o].size() > 8 ? " ...\n" : "\n");
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
