// SPDX-License-Identifier: MIT
// One TU of the configuration-ABI test: no configuration macro: the packed backend, and .npz readers without zlib.
#include <elman/elman.hpp>
#include <elman/io/npz.hpp>

#include <typeinfo>

#include "probe.hpp"

ConfigProbe probe_plain(const std::string& compressed_npz) {
    elman::SimpleRNN<float> rnn(2);
    return {elman::abi_config_probe_default_backend(), static_cast<int>(rnn.backend()),
            typeid(elman::SimpleRNN<float>).name(), abi_config_probe_npz(compressed_npz)};
}
