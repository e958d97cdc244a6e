// SPDX-License-Identifier: MIT
// One TU of the configuration-ABI test: ELMAN_HAVE_ZLIB (from the elman::zlib target): compressed .npz members decode.
#include <elman/elman.hpp>
#include <elman/io/npz.hpp>

#include <typeinfo>

#include "probe.hpp"

ConfigProbe probe_zlib(const std::string& compressed_npz) {
    elman::SimpleRNN<float> rnn(2);
    return {elman::abi_config_probe_default_backend(), static_cast<int>(rnn.backend()),
            typeid(elman::SimpleRNN<float>).name(), abi_config_probe_npz(compressed_npz)};
}
