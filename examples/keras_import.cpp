// Load a SimpleRNN trained in Keras or TensorFlow.js and run it.
//
//   example_keras_import [model-file] [layer-name]
//
// model-file: a tfjs `model.json` (shards next to it), a Keras `.h5` (when built with HDF5), or an `.npz`
// of `layer.get_weights()` together with a `model.json`/`.h5` config given as a third argument. Without
// arguments it loads the committed fixture tests/data/io/tfjs/stacked_sharded/model.json (path baked in
// at build time as ELMAN_EXAMPLE_DATA_DIR, or found relative to the source tree). See docs/keras-import.md.
#include <elman/elman.hpp>
#include <elman/io/npz.hpp>
#include <elman/io/tfjs.hpp>
#if defined(ELMAN_HAVE_HDF5)
#include <elman/io/hdf5.hpp>
#endif

#include <exception>
#include <iostream>
#include <string>

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

elman::io::LoadedLayer<float> load(const std::string& path, const elman::io::LayerSelector& which) {
    if (ends_with(path, ".json")) return elman::io::load_tfjs<float>(path, which);
#if defined(ELMAN_HAVE_HDF5)
    if (ends_with(path, ".h5")) return elman::io::load_keras_h5<float>(path, which);
#endif
    throw std::invalid_argument("unsupported model file '" + path + "' (expected model.json" +
#if defined(ELMAN_HAVE_HDF5)
                                std::string(" or .h5)")
#else
                                std::string("; this build has no HDF5 for .h5)")
#endif
    );
}

}  // namespace

int main(int argc, char** argv) {
#if defined(ELMAN_EXAMPLE_DATA_DIR)
    const std::string fixture = std::string(ELMAN_EXAMPLE_DATA_DIR) + "/io/tfjs/stacked_sharded/model.json";
#else
    const std::string fixture = "tests/data/io/tfjs/stacked_sharded/model.json";
#endif
    const std::string path = argc > 1 ? argv[1] : fixture;
    const elman::io::LayerSelector which =
        argc > 2 ? elman::io::LayerSelector::by_name(argv[2]) : elman::io::LayerSelector{};
    try {
        elman::io::LoadedLayer<float> loaded;
        if (ends_with(path, ".npz")) {
            // Weights only: the layer's config comes from the model file given third.
            if (argc < 4)
                throw std::invalid_argument(
                    "an .npz holds weights only: pass a model.json or .h5 with the config third");
            loaded = elman::io::load_npz_weights<float>(path);
            loaded.config = load(argv[3], which).config;
        } else {
            loaded = load(path, which);
        }
        std::cout << "loaded '" << loaded.config->options.name << "' from " << loaded.source << ": units "
                  << loaded.config->units << ", activation " << loaded.config->activation << ", kernel "
                  << loaded.weights[0].shape().to_string() << "\n";
        // Run it on a ramp input [batch 1, 4 steps, features] and print the result.
        const elman::Index features = loaded.weights[0].dim(0);
        elman::Tensor<float> x({1, 4, features});
        for (elman::Index i = 0; i < x.size(); ++i) x(i) = 0.1f * static_cast<float>(i % 7) - 0.3f;
        elman::io::visit_layer(loaded, [&](auto& layer) {
            const auto y = layer(x).output;
            std::cout << "output " << y.shape().to_string() << ":";
            for (elman::Index i = 0; i < y.size(); ++i) std::cout << ' ' << y(i);
            std::cout << "\n";
            // Its Keras config, as model_from_json / SimpleRNN.from_config read it.
            std::cout << elman::io::json::dump(elman::io::to_config(layer)) << "\n";
        });
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
