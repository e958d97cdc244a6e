// What the ODR test (test_odr_a.cpp, test_odr_b.cpp) takes from each translation unit: addresses of entities that
// must exist once per program. A header function that became `static` (or moved into an unnamed namespace), or a
// namespace-scope constant that lost `inline`, gets one copy per translation unit: the addresses then differ.
// (One that lost `inline` altogether fails to link.)
#pragma once

#include <elman/elman.hpp>
#include <elman/io/detail/zip.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace elman_odr {

struct Probe {
    // Inline functions (crc32 also owns a function-local static table: one per program only if it is inline).
    std::uint32_t (*crc32)(const unsigned char*, std::size_t, std::uint32_t);
    std::string (*expected_shape_string)(std::initializer_list<elman::Index>);
    // Implicitly inline: function template instantiations, static and non-static member functions.
    void (*packed_gemm)(elman::Index, const float*, elman::Index, const elman::detail::PackedWeights<float>&, float*,
                        elman::Index);
    elman::Initializer (*initializer_from_name)(const std::string&, std::optional<std::uint64_t>);
    std::uint64_t (elman::Random::*next_u64)();
    // Inline variables: C++17 `inline constexpr` and static constexpr data members.
    const elman::Backend* default_backend;
    const double* constraint_epsilon;
    const double* selu_alpha;
};

inline Probe make_probe() {
    return Probe{&elman::io::detail::crc32,          &elman::detail::expected_shape_string,
                 &elman::detail::packed_gemm<float>, &elman::Initializer::from_name,
                 &elman::Random::next_u64,           &elman::default_backend,
                 &elman::Constraint::epsilon,        &elman::Selu::alpha};
}

// The layer call on given weights (so both translation units run the same inline code on the same numbers).
inline std::vector<double> forward(const std::vector<elman::Tensor<double>>& weights,
                                   const elman::Tensor<double>& inputs) {
    elman::SimpleRNNOptions options;
    options.input_dim = inputs.dim(2);
    options.return_sequences = true;
    elman::SimpleRNN<double> rnn(weights[2].dim(0), options);
    rnn.set_weights(weights);
    return rnn(inputs).output.values();
}

Probe probe_in_b();
std::vector<double> forward_in_b(const std::vector<elman::Tensor<double>>& weights,
                                 const elman::Tensor<double>& inputs);

}  // namespace elman_odr
