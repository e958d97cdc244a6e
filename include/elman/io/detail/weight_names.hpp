// SPDX-License-Identifier: MIT
// Matching stored weight names to SimpleRNN's kernel / recurrent_kernel / bias, shared by the npz, tfjs and
// hdf5 readers. Internal (elman::io::detail).
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>

#include <cstddef>
#include <string>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

/// Position of kernel, recurrent_kernel and bias in a list of weight names such as
/// "simple_rnn_1/simple_rnn_cell_1/kernel:0" (Keras .h5) or "encoder/kernel" (tfjs): matched by the last
/// path component without the ":0" suffix, never by a hard-coded path, so uniquified names load.
struct WeightSlots {
    std::size_t kernel = 0, recurrent_kernel = 0, bias = 0;
    bool has_bias = false;
};

inline std::string weight_role(const std::string& name) {
    std::string base = name.substr(name.find_last_of('/') == std::string::npos ? 0 : name.find_last_of('/') + 1);
    const std::size_t colon = base.find(':');
    if (colon != std::string::npos) base.resize(colon);
    return base;
}

inline WeightSlots weight_slots(const std::vector<std::string>& names, const std::string& source,
                                const std::string& layer) {
    WeightSlots s;
    bool have_k = false, have_r = false;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string role = weight_role(names[i]);
        bool* seen = role == "kernel"             ? &have_k
                     : role == "recurrent_kernel" ? &have_r
                     : role == "bias"             ? &s.has_bias
                                                  : nullptr;
        if (!seen) {
            throw FormatError(source, "layer '" + layer + "': unexpected weight '" + names[i] +
                                          "' (a SimpleRNN has kernel, recurrent_kernel and bias)");
        }
        if (*seen) throw FormatError(source, "layer '" + layer + "': duplicate weight '" + names[i] + "'");
        *seen = true;
        (role == "kernel" ? s.kernel : role == "recurrent_kernel" ? s.recurrent_kernel : s.bias) = i;
    }
    if (!have_k) throw FormatError(source, "layer '" + layer + "': missing weight 'kernel'");
    if (!have_r) throw FormatError(source, "layer '" + layer + "': missing weight 'recurrent_kernel'");
    return s;
}

}  // namespace detail
}  // namespace io
ELMAN_NAMESPACE_END
