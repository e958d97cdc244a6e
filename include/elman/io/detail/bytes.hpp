// SPDX-License-Identifier: MIT
// Byte-level helpers shared by the io readers (npy, tfjs, hdf5): host byte order and IEEE float decoding.
// Internal (elman::io::detail); no JSON, no layer, so a numpy reader pulls in neither.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

inline bool host_is_little_endian() noexcept {
    const std::uint16_t probe = 1;
    unsigned char first = 0;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

/// Decodes `count` IEEE floats of `bytes_per_value` (4 or 8) bytes in the given byte order into `out`.
/// Float32 data fills float or double exactly; float64 data is accepted only for a double layer, since
/// narrowing would silently change the weights.
template <class Scalar>
void decode_floats(const unsigned char* bytes, std::size_t count, int bytes_per_value, bool little_endian, Scalar* out,
                   const std::string& source, const std::string& what) {
    if (bytes_per_value == 8 && !std::is_same<Scalar, double>::value) {
        throw FormatError(source, what +
                                      " holds float64 values but the layer is float32; convert the weights "
                                      "with .astype('float32') (as Keras stores them) or load into a double layer");
    }
    if (bytes_per_value != 4 && bytes_per_value != 8) {
        throw FormatError(source,
                          what + " holds " + std::to_string(8 * bytes_per_value) + "-bit floats; expected float32");
    }
    const bool swap = little_endian != host_is_little_endian();
    unsigned char buf[8];
    for (std::size_t i = 0; i < count; ++i) {
        const unsigned char* p = bytes + i * static_cast<std::size_t>(bytes_per_value);
        for (int b = 0; b < bytes_per_value; ++b) buf[b] = swap ? p[bytes_per_value - 1 - b] : p[b];
        if (bytes_per_value == 4) {
            float f;
            std::memcpy(&f, buf, 4);
            out[i] = static_cast<Scalar>(f);
        } else {
            double d;
            std::memcpy(&d, buf, 8);
            out[i] = static_cast<Scalar>(d);
        }
    }
}

}  // namespace detail
}  // namespace io
ELMAN_NAMESPACE_END
