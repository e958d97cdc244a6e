// SPDX-License-Identifier: MIT
// SimpleRNN <-> Keras layer config JSON (`get_config` / `from_config`), in Keras' and TensorFlow.js' spellings.
#pragma once

#include <elman/activation_registry.hpp>
#include <elman/config.hpp>
#include <elman/constraints.hpp>
#include <elman/initializers.hpp>
#include <elman/io/error.hpp>
#include <elman/io/json.hpp>
#include <elman/regularizers.hpp>
#include <elman/simple_rnn_options.hpp>

#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// Everything a Keras SimpleRNN config describes: what `SimpleRNN<Scalar, Activation>(units, options)` needs,
/// with the activation as its canonical Keras name (`visit_layer`, loaded_layer.hpp, builds the layer with it as
/// a KerasActivation).
struct LayerConfig {
    Index units = 0;
    /// Canonical Keras name: "tanh", "linear", "hard_sigmoid", ...
    std::string activation = "tanh";
    SimpleRNNOptions options{};
    /// Keras `dtype` ("float32" unless the model was built otherwise); informational, the C++ Scalar decides.
    std::string dtype = "float32";
    /// Static sequence length from `batch_input_shape` / `input_shape` (0 = None); kept for the round trip.
    Index timesteps = 0;
    /// Keras `trainable`; informational (elman trains whatever it is asked to), kept for the round trip.
    bool trainable = true;
};

/// Largest weight count ((input_dim + units + 1) x units) or stateful state (batch_size x units) a config may
/// ask for; 2^28 values (1 GiB as float32) is far beyond any real SimpleRNN, and refusing more keeps a
/// hostile config from allocating unbounded memory.
inline constexpr long long max_config_values = 1LL << 28;

namespace detail {

/// tfjs spells some names in camelCase ("hardSigmoid", "glorotUniform", "leCunNormal", "l1l2"); Keras uses
/// snake_case aliases or CamelCase class names. camelCase -> snake_case; class names and snake_case unchanged.
inline std::string keras_spelling(const std::string& name) {
    if (name == "leCunNormal") return "lecun_normal";
    if (name == "leCunUniform") return "lecun_uniform";
    if (name == "l1l2") return "l1_l2";
    if (name.empty() || !std::islower(static_cast<unsigned char>(name[0]))) return name;
    std::string out;
    for (char c : name) {
        if (std::isupper(static_cast<unsigned char>(c))) {
            out += '_';
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
            out += c;
        }
    }
    return out;
}

/// Reads typed members of one JSON object, reporting "<source>: <context>: `key` ..." on any problem, and
/// checks at the end that no key was left unread (Keras' constructors reject unknown keyword arguments, so
/// an unknown key means a config this library would misread).
class ConfigReader {
  public:
    ConfigReader(const json::Value& object, std::string source, std::string context)
        : object_(object), source_(std::move(source)), context_(std::move(context)) {
        if (!object_.is_object()) fail("expected a JSON object, got " + object_.describe());
        used_.assign(object_.size(), false);
    }

    [[noreturn]] void fail(const std::string& what) const { throw FormatError(source_, context_ + ": " + what); }
    [[noreturn]] void fail_key(const std::string& key, const std::string& what) const { fail("`" + key + "` " + what); }
    const std::string& source() const noexcept { return source_; }
    const std::string& context() const noexcept { return context_; }

    /// The member or nullptr; marks it as read.
    const json::Value* get(const std::string& key) {
        for (std::size_t i = 0; i < object_.size(); ++i) {
            if (object_.keys()[i] == key) {
                used_[i] = true;
                return &object_[i];
            }
        }
        return nullptr;
    }
    bool get_bool(const std::string& key, bool fallback) {
        const json::Value* v = get(key);
        if (!v) return fallback;
        if (!v->is_bool()) fail_key(key, "must be true or false, got " + v->describe());
        return v->as_bool();
    }
    double get_number(const std::string& key, double fallback) {
        const json::Value* v = get(key);
        if (!v) return fallback;
        if (!v->is_number()) fail_key(key, "must be a number, got " + v->describe());
        return v->as_number();
    }
    long long get_integer(const std::string& key, long long fallback) {
        const json::Value* v = get(key);
        if (!v) return fallback;
        return integer(key, *v);
    }
    long long integer(const std::string& key, const json::Value& v) const {
        // An integral float (tfjs and Python may write 4.0) is accepted; 4.5 is not.
        if (v.is_integer()) return v.as_integer();
        if (v.is_number() && std::floor(v.as_number()) == v.as_number() && std::abs(v.as_number()) < 9.0e15) {
            return static_cast<long long>(v.as_number());
        }
        fail_key(key, "must be an integer, got " + (v.is_number() ? std::to_string(v.as_number()) : v.describe()));
    }
    std::string get_string(const std::string& key, const std::string& fallback) {
        const json::Value* v = get(key);
        if (!v) return fallback;
        if (!v->is_string()) fail_key(key, "must be a string, got " + v->describe());
        return v->as_string();
    }
    std::optional<std::uint64_t> get_seed(const std::string& key = "seed") {
        const json::Value* v = get(key);
        if (!v || v->is_null()) return std::nullopt;
        // Python ints are unbounded and TF folds seeds to 64 bits; negative seeds keep their bit pattern.
        return static_cast<std::uint64_t>(integer(key, *v));
    }
    void ignore(const std::string& key) { get(key); }

    /// Throws for the first key nobody read.
    void finish() const {
        for (std::size_t i = 0; i < object_.size(); ++i) {
            if (!used_[i]) fail("unknown key `" + object_.keys()[i] + "`");
        }
    }

  private:
    const json::Value& object_;
    std::string source_;
    std::string context_;
    std::vector<bool> used_;
};

/// `{"class_name": ..., "config": {...}}` -> (class name, config reader); a bare string -> (name, nullptr).
struct Serialized {
    std::string class_name;
    const json::Value* config = nullptr;
};

inline Serialized split_serialized(const json::Value& v, const std::string& source, const std::string& what) {
    if (v.is_string()) return {v.as_string(), nullptr};
    if (!v.is_object()) {
        throw FormatError(source,
                          what + " must be a name or a {\"class_name\", \"config\"} object, got " + v.describe());
    }
    ConfigReader r(v, source, what);
    Serialized s;
    s.class_name = r.get_string("class_name", "");
    if (s.class_name.empty()) r.fail("missing or empty `class_name`");
    s.config = r.get("config");
    r.ignore("module");           // Keras 3 serialisation adds these three (shared_object_id: objects shared between
    r.ignore("registered_name");  // layers, such as one initializer instance; nothing for inference)
    r.ignore("shared_object_id");
    r.finish();
    if (s.config && !s.config->is_object()) r.fail_key("config", "must be an object, got " + s.config->describe());
    return s;
}

/// The `key` activation of a layer config (a name in Keras' or tfjs' spelling, a serialized
/// `{"class_name": ...}` or null = linear) as its canonical Keras name; `fallback` when the key is absent.
inline std::string read_activation(ConfigReader& r, const std::string& key, const std::string& fallback) {
    const json::Value* act = r.get(key);
    if (!act) return fallback;
    std::string name = "linear";
    if (!act->is_null()) {
        const Serialized s = split_serialized(*act, r.source(), r.context() + ": `" + key + "`");
        name = keras_spelling(s.class_name);
    }
    try {
        return canonical_activation_name(name);  // the registry's names: "None" -> "linear"
    } catch (const std::invalid_argument& e) {
        r.fail(e.what());
    }
}

/// A layer's `dtype` key: a dtype name ("float32", "int32" for an id input, ...) or a serialized dtype policy
/// (Keras 3 `{"class_name": "DTypePolicy", "config": {"name": "float32"}}`, tf.keras' `Policy`). Returns the name,
/// `fallback` when the key is absent or null. Refuses what changes the arithmetic elman would reproduce:
/// quantized layers (Keras 3 `QuantizedDTypePolicy` / `QuantizedFloat8DTypePolicy` / `GPTQDTypePolicy`, whose
/// weights are int8 or float8 with scales) and float16 / bfloat16 computation (`float16`, `mixed_float16`, ...).
inline std::string read_dtype(ConfigReader& r, const std::string& fallback) {
    const json::Value* dt = r.get("dtype");
    if (!dt || dt->is_null()) return fallback;
    if (!dt->is_string() && !dt->is_object())
        r.fail_key("dtype", "must be a dtype name or a dtype policy, got " + dt->describe());
    std::string name;
    if (dt->is_string()) {
        name = dt->as_string();
    } else {
        const Serialized s = split_serialized(*dt, r.source(), r.context() + ": `dtype`");
        if (s.class_name != "DTypePolicy" && s.class_name != "FloatDTypePolicy" && s.class_name != "Policy") {
            r.fail_key("dtype", "is a " + s.class_name +
                                    (s.class_name.find("Quantized") != std::string::npos ||
                                             s.class_name.find("GPTQ") != std::string::npos
                                         ? " (a quantized layer: int8 / float8 weights with scales), which elman "
                                           "does not run; save the model before quantizing it"
                                         : ", not a dtype policy elman knows (DTypePolicy, FloatDTypePolicy, Policy)"));
        }
        if (!s.config) r.fail_key("dtype", "policy has no `config`");
        ConfigReader pr(*s.config, r.source(), r.context() + ": `dtype` policy config");
        name = pr.get_string("name", "");
        pr.finish();
        if (name.empty()) r.fail_key("dtype", "policy has no `name`");
    }
    if (name.find("float16") != std::string::npos)  // float16, bfloat16, mixed_float16, mixed_bfloat16
        r.fail_key("dtype", "is '" + name +
                                "': the layer computes in 16-bit floats, which elman does not "
                                "reproduce (it computes in float32 or float64)");
    return name;
}

inline Initializer read_initializer(const json::Value* v, const std::string& source, const std::string& key) {
    const std::string what = "SimpleRNN config: `" + key + "`";
    if (!v || v->is_null()) return Initializer::glorot_uniform();  // Keras' add_weight default for floats
    const Serialized s = split_serialized(*v, source, what);
    const std::string name = keras_spelling(s.class_name);
    if (!s.config) {
        try {
            return Initializer::from_name(name);
        } catch (const std::invalid_argument& e) {
            throw FormatError(source, what + ": " + e.what());
        }
    }
    ConfigReader r(*s.config, source, what + " (" + s.class_name + ")");
    auto done = [&](Initializer init) {
        r.ignore("dtype");  // Keras 1 / tfjs may store it; irrelevant here
        r.finish();
        return init;
    };
    try {
        // The name table (initializers.hpp) decides which names exist; the kind decides the config keys.
        const Initializer preset = Initializer::from_name(name);
        using K = Initializer::Kind;
        switch (preset.kind()) {
            case K::Zeros:
            case K::Ones:
                return done(preset);
            case K::Constant:
                return done(Initializer::constant(r.get_number("value", preset.value())));
            case K::RandomUniform: {
                const double lo = r.get_number("minval", preset.minval()), hi = r.get_number("maxval", preset.maxval());
                return done(Initializer::random_uniform(lo, hi, r.get_seed()));
            }
            case K::RandomNormal:
            case K::TruncatedNormal: {
                const double mean = r.get_number("mean", preset.mean()),
                             stddev = r.get_number("stddev", preset.stddev());
                return done(preset.kind() == K::TruncatedNormal
                                ? Initializer::truncated_normal(mean, stddev, r.get_seed())
                                : Initializer::random_normal(mean, stddev, r.get_seed()));
            }
            case K::Orthogonal: {
                const double gain = r.get_number("gain", preset.gain());
                return done(Initializer::orthogonal(gain, r.get_seed()));
            }
            case K::Identity:
                return done(Initializer::identity(r.get_number("gain", preset.gain())));
            case K::VarianceScaling:
                break;
        }
        // VarianceScaling and its named presets. tfjs writes the presets with their scale/mode/distribution;
        // when those differ from the preset, the explicit values win (that is what gets computed).
        const std::optional<std::uint64_t> seed = r.get_seed();
        const Initializer named = Initializer::from_name(name, seed);
        const json::Value* scale = r.get("scale");
        const json::Value* mode = r.get("mode");
        const json::Value* dist = r.get("distribution");
        if (!scale && !mode && !dist) return done(named);
        const double sc =
            scale ? (scale->is_number() ? scale->as_number() : (r.fail_key("scale", "must be a number"), 0.0))
                  : named.scale();
        auto mode_name = [](Initializer::FanMode m) {
            return m == Initializer::FanMode::FanIn    ? "fan_in"
                   : m == Initializer::FanMode::FanOut ? "fan_out"
                                                       : "fan_avg";
        };
        auto dist_name = [](Initializer::Distribution d) {
            return d == Initializer::Distribution::Uniform             ? "uniform"
                   : d == Initializer::Distribution::UntruncatedNormal ? "untruncated_normal"
                                                                       : "truncated_normal";
        };
        std::string m = mode_name(named.mode()), d = dist_name(named.distribution());
        if (mode) {
            if (!mode->is_string()) r.fail_key("mode", "must be a string");
            m = keras_spelling(mode->as_string());
            if (m == "fan_in" || m == "fanIn") m = "fan_in";
        }
        if (dist) {
            if (!dist->is_string()) r.fail_key("distribution", "must be a string");
            d = keras_spelling(dist->as_string());
        }
        const Initializer explicit_vs = Initializer::variance_scaling(sc, m, d, seed);
        const bool same_as_preset = named.class_name() != "VarianceScaling" && explicit_vs.scale() == named.scale() &&
                                    explicit_vs.mode() == named.mode() &&
                                    explicit_vs.distribution() == named.distribution();
        return done(same_as_preset ? named : explicit_vs);
    } catch (const std::invalid_argument& e) {
        r.fail(e.what());
    }
}

/// The frame the regularizer and constraint readers share: null gives nothing, a bare name `T::from_name`, a
/// serialized object `read(reader, name)` on its config (whose unknown keys are then refused); the objects' own
/// argument errors become FormatErrors naming the key.
template <class T, class Read>
std::optional<T> read_serialized(const json::Value* v, const std::string& source, const std::string& key, Read read) {
    if (!v || v->is_null()) return std::nullopt;
    const std::string what = "SimpleRNN config: `" + key + "`";
    const Serialized s = split_serialized(*v, source, what);
    const std::string name = keras_spelling(s.class_name);
    try {
        if (!s.config) return T::from_name(name);
        ConfigReader r(*s.config, source, what + " (" + s.class_name + ")");
        T result = read(r, name);
        r.finish();
        return result;
    } catch (const std::invalid_argument& e) {
        throw FormatError(source, what + ": " + e.what());
    }
}

inline std::optional<Regularizer> read_regularizer(const json::Value* v, const std::string& source,
                                                   const std::string& key) {
    return read_serialized<Regularizer>(v, source, key, [](ConfigReader& r, const std::string& name) {
        // The name table (regularizers.hpp) gives the class and that name's defaults ('l1_l2' 0.01, 'L1L2' 0).
        const std::optional<Regularizer> preset = Regularizer::lookup(name);
        if (!preset) r.fail("unknown regularizer; expected L1, L2 or L1L2");
        const std::string cls = preset->class_name();
        if (cls == "L1") return Regularizer::L1(r.get_number("l1", preset->l1()));
        if (cls == "L2") return Regularizer::L2(r.get_number("l2", preset->l2()));
        const double l1 = r.get_number("l1", preset->l1());
        return Regularizer::L1L2(l1, r.get_number("l2", preset->l2()));
    });
}

inline std::optional<Constraint> read_constraint(const json::Value* v, const std::string& source,
                                                 const std::string& key) {
    return read_serialized<Constraint>(v, source, key, [](ConfigReader& r, const std::string& name) {
        auto axis = [&] {
            const long long a = r.get_integer("axis", 0);
            if (a < -2 || a > 1)
                r.fail_key("axis", "must be -2, -1, 0 or 1 for SimpleRNN weights, got " + std::to_string(a));
            return static_cast<int>(a);
        };
        // The name table (constraints.hpp) decides which names exist; the kind decides the config keys.
        const std::optional<Constraint> preset = Constraint::lookup(name);
        if (!preset) r.fail("unknown constraint; expected MaxNorm, NonNeg, UnitNorm or MinMaxNorm");
        switch (preset->kind()) {
            case Constraint::Kind::MaxNorm: {
                const double max_value = r.get_number("max_value", preset->max_value());
                return Constraint::max_norm(max_value, axis());
            }
            case Constraint::Kind::NonNeg:
                return Constraint::non_neg();
            case Constraint::Kind::UnitNorm:
                return Constraint::unit_norm(axis());
            case Constraint::Kind::MinMaxNorm:
                break;
        }
        const double lo = r.get_number("min_value", preset->min_value());
        const double hi = r.get_number("max_value", preset->max_value());
        const double rate = r.get_number("rate", preset->rate());
        return Constraint::min_max_norm(lo, hi, rate, axis());
    });
}

inline json::Value seed_json(const std::optional<std::uint64_t>& seed) {
    if (!seed) return json::Value();
    // A seed above LLONG_MAX is written as its bit pattern (a negative int), which the reader maps back.
    return json::Value(static_cast<long long>(*seed));
}

inline json::Value serialized(const std::string& class_name, json::Value config) {
    json::Value v = json::Value::object();
    v.set("class_name", class_name);
    v.set("config", std::move(config));
    return v;
}

inline json::Value initializer_json(const Initializer& init) {
    json::Value c = json::Value::object();
    using K = Initializer::Kind;
    const std::string& cls = init.class_name();
    switch (init.kind()) {
        case K::Zeros:
        case K::Ones:
            break;
        case K::Constant:
            c.set("value", init.value());
            break;
        case K::RandomUniform:
            c.set("minval", init.minval());
            c.set("maxval", init.maxval());
            c.set("seed", seed_json(init.seed()));
            break;
        case K::RandomNormal:
        case K::TruncatedNormal:
            c.set("mean", init.mean());
            c.set("stddev", init.stddev());
            c.set("seed", seed_json(init.seed()));
            break;
        case K::Orthogonal:
            c.set("gain", init.gain());
            c.set("seed", seed_json(init.seed()));
            break;
        case K::Identity:
            c.set("gain", init.gain());
            break;
        case K::VarianceScaling:
            if (cls == "VarianceScaling") {
                using M = Initializer::FanMode;
                using D = Initializer::Distribution;
                c.set("scale", init.scale());
                c.set("mode", init.mode() == M::FanIn ? "fan_in" : init.mode() == M::FanOut ? "fan_out" : "fan_avg");
                c.set("distribution", init.distribution() == D::Uniform             ? "uniform"
                                      : init.distribution() == D::UntruncatedNormal ? "untruncated_normal"
                                                                                    : "truncated_normal");
            }
            c.set("seed", seed_json(init.seed()));
            break;
    }
    return serialized(cls, std::move(c));
}

inline json::Value regularizer_json(const std::optional<Regularizer>& reg) {
    if (!reg) return json::Value();
    json::Value c = json::Value::object();
    const std::string cls = reg->class_name();
    // Keras stores the factors as float32 and writes them back through float(), i.e. as float32 values.
    if (cls != "L2") c.set("l1", static_cast<double>(static_cast<float>(reg->l1())));
    if (cls != "L1") c.set("l2", static_cast<double>(static_cast<float>(reg->l2())));
    return serialized(cls, std::move(c));
}

inline json::Value constraint_json(const std::optional<Constraint>& con) {
    if (!con) return json::Value();
    json::Value c = json::Value::object();
    using K = Constraint::Kind;
    switch (con->kind()) {
        case K::MaxNorm:
            // Keras' default is the int 2 and get_config writes max_value back as given: an integral value
            // is written as an integer, like `{"max_value": 2, "axis": 0}`.
            if (std::floor(con->max_value()) == con->max_value() && std::abs(con->max_value()) < 9.0e15) {
                c.set("max_value", static_cast<long long>(con->max_value()));
            } else {
                c.set("max_value", con->max_value());
            }
            c.set("axis", con->axis());
            break;
        case K::NonNeg:
            break;
        case K::UnitNorm:
            c.set("axis", con->axis());
            break;
        case K::MinMaxNorm:
            c.set("min_value", con->min_value());
            c.set("max_value", con->max_value());
            c.set("rate", con->rate());
            c.set("axis", con->axis());
            break;
    }
    return serialized(con->class_name(), std::move(c));
}

}  // namespace detail

/// Reads a SimpleRNN config: either the layer entry `{"class_name": "SimpleRNN", "config": {...}}` of a model
/// config or the bare `config` object, in Keras' (TF 2.x, and Keras 3's extra `seed`) or TensorFlow.js'
/// spelling. Initializers, regularizers and constraints may be names or `{"class_name", "config"}` objects.
/// Every problem (missing/negative `units`, wrong types, unknown keys or names, an activation this library
/// does not have) throws FormatError naming `source`.
inline LayerConfig parse_layer_config(const json::Value& value, const std::string& source) {
    const json::Value* cfg = &value;
    if (value.is_object() && value.contains("class_name")) {
        detail::ConfigReader outer(value, source, "layer");
        const std::string cls = outer.get_string("class_name", "");
        if (cls != "SimpleRNN") outer.fail("class_name is \"" + cls + "\", expected \"SimpleRNN\"");
        cfg = outer.get("config");
        if (!cfg) outer.fail("missing `config`");
        for (const char* k : {"name", "inbound_nodes", "module", "registered_name", "build_config"}) outer.ignore(k);
        outer.finish();
    }
    const json::Value* name = cfg->find("name");
    detail::ConfigReader r(*cfg, source,
                           name && name->is_string() ? "SimpleRNN config of layer '" + name->as_string() + "'"
                                                     : std::string("SimpleRNN config"));
    LayerConfig lc;
    SimpleRNNOptions& o = lc.options;
    o.name = r.get_string("name", o.name);
    if (o.name.empty()) r.fail_key("name", "must not be empty");
    lc.trainable = r.get_bool("trainable", true);
    r.ignore("enable_caching_device");
    r.ignore("implementation");  // Keras' from_config drops it too
    lc.dtype = detail::read_dtype(r, lc.dtype);
    const json::Value* units = r.get("units");
    if (!units) r.fail("missing `units`");
    const long long u = r.integer("units", *units);
    if (u <= 0 || u > (1LL << 24)) r.fail_key("units", "must be a positive integer <= 2^24, got " + std::to_string(u));
    lc.units = static_cast<Index>(u);

    lc.activation = detail::read_activation(r, "activation", lc.activation);
    o.use_bias = r.get_bool("use_bias", o.use_bias);
    o.kernel_initializer = detail::read_initializer(r.get("kernel_initializer"), source, "kernel_initializer");
    if (const json::Value* v = r.get("recurrent_initializer"))
        o.recurrent_initializer = detail::read_initializer(v, source, "recurrent_initializer");
    if (const json::Value* v = r.get("bias_initializer"))
        o.bias_initializer = detail::read_initializer(v, source, "bias_initializer");
    if (!cfg->contains("kernel_initializer")) o.kernel_initializer = Initializer::glorot_uniform();
    o.kernel_regularizer = detail::read_regularizer(r.get("kernel_regularizer"), source, "kernel_regularizer");
    o.recurrent_regularizer = detail::read_regularizer(r.get("recurrent_regularizer"), source, "recurrent_regularizer");
    o.bias_regularizer = detail::read_regularizer(r.get("bias_regularizer"), source, "bias_regularizer");
    o.activity_regularizer = detail::read_regularizer(r.get("activity_regularizer"), source, "activity_regularizer");
    o.kernel_constraint = detail::read_constraint(r.get("kernel_constraint"), source, "kernel_constraint");
    o.recurrent_constraint = detail::read_constraint(r.get("recurrent_constraint"), source, "recurrent_constraint");
    o.bias_constraint = detail::read_constraint(r.get("bias_constraint"), source, "bias_constraint");
    o.dropout = r.get_number("dropout", 0.0);
    o.recurrent_dropout = r.get_number("recurrent_dropout", 0.0);
    o.return_sequences = r.get_bool("return_sequences", false);
    o.return_state = r.get_bool("return_state", false);
    o.go_backwards = r.get_bool("go_backwards", false);
    o.stateful = r.get_bool("stateful", false);
    o.unroll = r.get_bool("unroll", false);
    o.time_major = r.get_bool("time_major", false);
    o.zero_output_for_mask = r.get_bool("zero_output_for_mask", false);
    o.seed = r.get_seed("seed");

    // Input shape: `batch_input_shape` [batch, timesteps, features] (any may be null), or Keras' constructor
    // forms `input_shape` [timesteps, features] / `input_dim` / `batch_size`.
    auto extent = [&](const std::string& key, const json::Value& e) -> Index {
        if (e.is_null()) return 0;
        const long long n = r.integer(key, e);
        if (n <= 0 || n > (1LL << 31)) r.fail_key(key, "has an invalid extent " + std::to_string(n));
        return static_cast<Index>(n);
    };
    auto shape_of = [&](const std::string& key, std::size_t rank) -> const json::Value* {
        const json::Value* s = r.get(key);
        if (!s || s->is_null()) return nullptr;
        if (!s->is_array() || s->size() != rank) {
            r.fail_key(key, "must be a list of " + std::to_string(rank) + " extents (integers or null)");
        }
        return s;
    };
    if (const json::Value* s = shape_of("batch_input_shape", 3)) {
        o.batch_size = extent("batch_input_shape", (*s)[0]);
        lc.timesteps = extent("batch_input_shape", (*s)[1]);
        o.input_dim = extent("batch_input_shape", (*s)[2]);
    }
    if (const json::Value* s = shape_of("input_shape", 2)) {
        lc.timesteps = extent("input_shape", (*s)[0]);
        o.input_dim = extent("input_shape", (*s)[1]);
    }
    if (const json::Value* d = r.get("input_dim"); d && !d->is_null()) o.input_dim = extent("input_dim", *d);
    r.ignore("input_length");
    if (const json::Value* b = r.get("batch_size"); b && !b->is_null()) o.batch_size = extent("batch_size", *b);
    r.finish();
    if (o.time_major && o.stateful) r.fail("time_major stateful layers are not supported by Keras either");
    // Building the layer allocates (input_dim + units + 1) x units weights and, when stateful with a static
    // batch, a batch_size x units state: refuse sizes no real SimpleRNN has before anything is allocated.
    const long long params = (static_cast<long long>(o.input_dim) + u + 1) * u;
    if (params > max_config_values) {
        r.fail("input dimension " + std::to_string(o.input_dim) + " and units " + std::to_string(u) + " need " +
               std::to_string(params) + " weights, more than the limit of " + std::to_string(max_config_values));
    }
    if (o.stateful && static_cast<long long>(o.batch_size) * u > max_config_values) {
        r.fail("stateful batch_size " + std::to_string(o.batch_size) + " x units " + std::to_string(u) +
               " state values exceed the limit of " + std::to_string(max_config_values));
    }
    return lc;
}

/// Text overload: parses `text` as JSON first.
inline LayerConfig parse_layer_config(std::string_view text, const std::string& source) {
    return parse_layer_config(json::parse(text, source), source);
}
/// Text overloads for std::string and string literals (json::Value converts from both, so without these a
/// call with JSON text would be ambiguous).
inline LayerConfig parse_layer_config(const std::string& text, const std::string& source) {
    return parse_layer_config(std::string_view(text), source);
}
inline LayerConfig parse_layer_config(const char* text, const std::string& source) {
    return parse_layer_config(std::string_view(text), source);
}

/// Keras `get_config()` of a layer described by `lc`: the keys, order, defaults and `{"class_name", "config"}`
/// forms of TF 2.4 (docs/keras-semantics.md#config), so Keras' `SimpleRNN.from_config` and `model_from_json`
/// accept it. `batch_input_shape` is written when the input dimension or a static batch is known.
inline json::Value to_config(const LayerConfig& lc) {
    const SimpleRNNOptions& o = lc.options;
    json::Value c = json::Value::object();
    c.set("name", o.name);
    c.set("trainable", lc.trainable);
    if (o.input_dim > 0 || o.batch_size > 0 || lc.timesteps > 0) {
        json::Value shape = json::Value::array();
        shape.push_back(o.batch_size > 0 ? json::Value(static_cast<long long>(o.batch_size)) : json::Value());
        shape.push_back(lc.timesteps > 0 ? json::Value(static_cast<long long>(lc.timesteps)) : json::Value());
        shape.push_back(o.input_dim > 0 ? json::Value(static_cast<long long>(o.input_dim)) : json::Value());
        c.set("batch_input_shape", std::move(shape));
    }
    c.set("dtype", lc.dtype);
    c.set("return_sequences", o.return_sequences);
    c.set("return_state", o.return_state);
    c.set("go_backwards", o.go_backwards);
    c.set("stateful", o.stateful);
    c.set("unroll", o.unroll);
    c.set("time_major", o.time_major);
    if (o.zero_output_for_mask) c.set("zero_output_for_mask", true);
    c.set("units", static_cast<long long>(lc.units));
    c.set("activation", lc.activation);
    c.set("use_bias", o.use_bias);
    c.set("kernel_initializer", detail::initializer_json(o.kernel_initializer));
    c.set("recurrent_initializer", detail::initializer_json(o.recurrent_initializer));
    c.set("bias_initializer", detail::initializer_json(o.bias_initializer));
    c.set("kernel_regularizer", detail::regularizer_json(o.kernel_regularizer));
    c.set("recurrent_regularizer", detail::regularizer_json(o.recurrent_regularizer));
    c.set("bias_regularizer", detail::regularizer_json(o.bias_regularizer));
    c.set("activity_regularizer", detail::regularizer_json(o.activity_regularizer));
    c.set("kernel_constraint", detail::constraint_json(o.kernel_constraint));
    c.set("recurrent_constraint", detail::constraint_json(o.recurrent_constraint));
    c.set("bias_constraint", detail::constraint_json(o.bias_constraint));
    c.set("dropout", o.dropout);
    c.set("recurrent_dropout", o.recurrent_dropout);
    if (o.seed) c.set("seed", detail::seed_json(o.seed));
    return c;
}

/// The LayerConfig of an existing layer (any `SimpleRNN<...>` instantiation). A built layer records its input dimension, so the config carries a
/// `batch_input_shape` and Keras can build the layer (and load its weights) straight from it. Throws
/// std::invalid_argument for a user-defined activation, which has no Keras name.
template <class Layer>
LayerConfig layer_config(const Layer& layer) {
    using Scalar = typename Layer::scalar_type;
    LayerConfig lc;
    lc.units = layer.units();
    lc.activation = layer.activation_name();
    if (lc.activation == "custom") {
        throw std::invalid_argument("SimpleRNN '" + layer.name() +
                                    "': a custom activation has no Keras name, so the layer has no Keras config");
    }
    lc.options = layer.options();
    if (layer.built() && layer.input_dim() > 0) lc.options.input_dim = layer.input_dim();
    lc.dtype = std::is_same<Scalar, double>::value ? "float64" : "float32";
    return lc;
}

/// Keras `layer.get_config()` as JSON (see the LayerConfig overload).
template <class Layer, class = typename Layer::activation_type>
json::Value to_config(const Layer& layer) {
    return to_config(layer_config(layer));
}

/// `{"class_name": "SimpleRNN", "config": {...}}`: the layer's entry in a Keras model config.
inline json::Value to_layer_json(const LayerConfig& lc) { return detail::serialized("SimpleRNN", to_config(lc)); }

}  // namespace io
ELMAN_NAMESPACE_END
