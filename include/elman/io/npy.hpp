// SPDX-License-Identifier: MIT
// numpy .npy arrays (format 1.0-3.0): read float32/float64 arrays into Tensors, write Tensors back.
#pragma once

#include <elman/config.hpp>
#include <elman/io/detail/bytes.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

namespace detail {

/// The parsed header of a .npy file and where its data starts.
struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    Shape shape;
    std::size_t data_offset = 0;
};

/// Parses the Python dict literal numpy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
class NpyHeaderParser {
  public:
    NpyHeaderParser(std::string_view text, const std::string& source) : t_(text), source_(source) {}

    NpyHeader parse() {
        NpyHeader h;
        bool have_descr = false, have_order = false, have_shape = false;
        expect('{');
        while (true) {
            ws();
            if (peek() == '}') break;
            const std::string key = string();
            ws();
            expect(':');
            ws();
            if (key == "descr") {
                if (have_descr) fail("duplicate key 'descr'");
                if (peek() != '\'' && peek() != '"')
                    fail("'descr' is not a simple dtype string (structured arrays are not weights)");
                h.descr = string();
                have_descr = true;
            } else if (key == "fortran_order") {
                if (have_order) fail("duplicate key 'fortran_order'");
                if (consume("True"))
                    h.fortran_order = true;
                else if (consume("False"))
                    h.fortran_order = false;
                else
                    fail("'fortran_order' must be True or False");
                have_order = true;
            } else if (key == "shape") {
                if (have_shape) fail("duplicate key 'shape'");
                h.shape = shape();
                have_shape = true;
            } else {
                fail("unexpected key '" + key + "'");
            }
            ws();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            ws();
            if (peek() != '}') fail("expected ',' or '}'");
        }
        expect('}');
        ws();
        if (pos_ != t_.size()) fail("unexpected text after the header dict");
        if (!have_descr || !have_order || !have_shape) fail("header lacks 'descr', 'fortran_order' or 'shape'");
        return h;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const { throw FormatError(source_, "bad .npy header: " + what); }
    char peek() const { return pos_ < t_.size() ? t_[pos_] : '\0'; }
    void ws() {
        while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\t' || t_[pos_] == '\r'))
            ++pos_;
    }
    void expect(char c) {
        ws();
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    bool consume(std::string_view w) {
        if (t_.substr(pos_, w.size()) == w) {
            pos_ += w.size();
            return true;
        }
        return false;
    }
    std::string string() {
        const char q = peek();
        if (q != '\'' && q != '"') fail("expected a quoted string");
        const std::size_t end = t_.find(q, pos_ + 1);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string s(t_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return s;
    }
    Shape shape() {
        expect('(');
        std::vector<Index> dims;
        while (true) {
            ws();
            if (peek() == ')') break;
            if (peek() < '0' || peek() > '9') fail("shape entries must be non-negative integers");
            Index v = 0;
            while (peek() >= '0' && peek() <= '9') {
                if (v > (Index(1) << 40)) fail("absurd extent in 'shape'");
                v = v * 10 + (peek() - '0');
                ++pos_;
            }
            dims.push_back(v);
            ws();
            if (peek() == 'L') ++pos_;  // Python 2 longs
            ws();
            if (peek() == ',')
                ++pos_;
            else if (peek() != ')')
                fail("expected ',' or ')' in 'shape'");
        }
        expect(')');
        if (dims.size() > static_cast<std::size_t>(Shape::max_rank)) {
            fail("rank " + std::to_string(dims.size()) + " exceeds the supported maximum of " +
                 std::to_string(Shape::max_rank));
        }
        Shape s;
        switch (dims.size()) {
            case 0:
                s = Shape{};
                break;
            case 1:
                s = Shape{dims[0]};
                break;
            case 2:
                s = Shape{dims[0], dims[1]};
                break;
            case 3:
                s = Shape{dims[0], dims[1], dims[2]};
                break;
            default:
                s = Shape{dims[0], dims[1], dims[2], dims[3]};
                break;
        }
        return s;
    }

    std::string_view t_;
    const std::string& source_;
    std::size_t pos_ = 0;
};

inline NpyHeader parse_npy_header(std::string_view bytes, const std::string& source) {
    if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY")
        throw FormatError(source, "not a .npy file (bad magic)");
    const auto u8 = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i])); };
    const std::size_t major = u8(6);
    std::size_t header_len = 0, prefix = 0;
    if (major == 1) {
        header_len = u8(8) | (u8(9) << 8);
        prefix = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw FormatError(source, "truncated .npy header");
        header_len = u8(8) | (u8(9) << 8) | (u8(10) << 16) | (u8(11) << 24);
        prefix = 12;
    } else {
        throw FormatError(source, "unsupported .npy format version " + std::to_string(major));
    }
    if (header_len > bytes.size() - prefix) throw FormatError(source, "truncated .npy header");
    NpyHeader h = NpyHeaderParser(bytes.substr(prefix, header_len), source).parse();
    h.data_offset = prefix + header_len;
    return h;
}

/// numpy dtype string -> bytes per float, or throws naming the dtype.
inline int npy_float_width(const std::string& descr, const std::string& source, const std::string& what) {
    const bool little = !descr.empty() && (descr[0] == '<' || (descr[0] == '=' && host_is_little_endian()));
    const bool big = !descr.empty() && (descr[0] == '>' || (descr[0] == '=' && !host_is_little_endian()));
    const std::string kind = descr.size() > 1 ? descr.substr(1) : descr;
    if ((kind == "f4" || kind == "f8") && big) {
        throw FormatError(source, what + " has big-endian dtype '" + descr +
                                      "'; Keras weights are little-endian float32: save arr.astype('<f4')");
    }
    if ((kind == "f4" || kind == "f8") && little) return kind == "f4" ? 4 : 8;
    throw FormatError(
        source, what + " has dtype '" + descr + "'; expected float32 ('<f4')" +
                    (kind.size() && (kind[0] == 'i' || kind[0] == 'u') ? " (integer arrays are not weights)" : ""));
}

}  // namespace detail

/// Reads a .npy image held in memory. Accepts little-endian float32 (any Scalar) and float64 (double only),
/// C or Fortran order, rank <= 4; everything else (other dtypes, big-endian, truncated or trailing data,
/// absurd shapes) throws FormatError naming `source` before anything is allocated.
template <class Scalar>
Tensor<Scalar> read_npy(std::string_view bytes, const std::string& source) {
    const detail::NpyHeader h = detail::parse_npy_header(bytes, source);
    const int width = detail::npy_float_width(h.descr, source, "array");
    Index count = 0;
    try {
        count = h.shape.size();
    } catch (const std::exception&) {
        throw FormatError(source, "array shape " + h.shape.to_string() + " overflows");
    }
    const std::size_t available = bytes.size() - h.data_offset;
    if (static_cast<std::size_t>(count) > available / static_cast<std::size_t>(width) ||
        static_cast<std::size_t>(count) * static_cast<std::size_t>(width) != available) {
        throw FormatError(
            source,
            "array of shape " + h.shape.to_string() + " needs " +
                std::to_string(static_cast<unsigned long long>(count) * static_cast<unsigned>(width)) +
                " data bytes, the file has " + std::to_string(available) +
                (available < static_cast<std::size_t>(count) * static_cast<std::size_t>(width) ? " (truncated)" : ""));
    }
    Tensor<Scalar> t(h.shape);
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data() + h.data_offset);
    if (!h.fortran_order || h.shape.rank() < 2) {
        detail::decode_floats(data, static_cast<std::size_t>(count), width, true, t.data(), source, "array");
        return t;
    }
    // Fortran order: element (i0, i1, ...) is at i0 + d0 * (i1 + d1 * (...)); reorder into C order.
    std::vector<Scalar> column_major(static_cast<std::size_t>(count));
    detail::decode_floats(data, static_cast<std::size_t>(count), width, true, column_major.data(), source, "array");
    const int rank = h.shape.rank();
    Index idx[Shape::max_rank] = {0, 0, 0, 0};
    for (Index c = 0; c < count; ++c) {
        Index f = 0;
        for (int a = rank - 1; a >= 0; --a) f = f * h.shape[a] + idx[a];
        t.data()[c] = column_major[static_cast<std::size_t>(f)];
        for (int a = rank - 1; a >= 0; --a) {
            if (++idx[a] < h.shape[a]) break;
            idx[a] = 0;
        }
    }
    return t;
}

/// Reads the .npy file at `path` (see read_npy).
template <class Scalar>
Tensor<Scalar> load_npy(const std::string& path) {
    return read_npy<Scalar>(read_file(path), path);
}

/// The .npy (format 1.0) image of a tensor: '<f4' for float, '<f8' for double, C order, header padded to 64
/// bytes as numpy does, so `np.load` reads it back bit for bit.
template <class Scalar>
std::string npy_bytes(TensorView<const Scalar> t) {
    static_assert(std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value, "npy: float or double");
    std::string header =
        std::string("{'descr': '") + (sizeof(Scalar) == 4 ? "<f4" : "<f8") + "', 'fortran_order': False, 'shape': (";
    for (int i = 0; i < t.rank(); ++i)
        header += std::to_string(t.dim(i)) + (t.rank() == 1 || i + 1 < t.rank() ? ", " : "");
    if (t.rank() == 1) header.resize(header.size() - 1);
    header += "), }";
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xFF);
    out += static_cast<char>((header.size() >> 8) & 0xFF);
    out += header;
    const std::size_t n = static_cast<std::size_t>(t.size());
    const std::size_t start = out.size();
    out.resize(start + n * sizeof(Scalar));
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char b[sizeof(Scalar)];
        std::memcpy(b, t.data() + i, sizeof(Scalar));
        if (!detail::host_is_little_endian()) std::reverse(b, b + sizeof(Scalar));
        std::memcpy(&out[start + i * sizeof(Scalar)], b, sizeof(Scalar));
    }
    return out;
}

/// Writes `t` to `path` as .npy (see npy_bytes).
template <class Scalar>
void save_npy(const std::string& path, const Tensor<Scalar>& t) {
    write_file(path, npy_bytes<Scalar>(t.view()));
}

}  // namespace io
ELMAN_NAMESPACE_END
