// SPDX-License-Identifier: MIT
// numpy .npy arrays (format 1.0-3.0): read float32/float64 arrays into Tensors, write Tensors back.
#pragma once

#include <elman/config.hpp>
#include <elman/io/detail/bytes.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/io/load_options.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
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
    /// `python2_longs`: accept `3L` in the shape (numpy does for format versions 1.0 and 2.0).
    NpyHeaderParser(std::string_view text, const std::string& source, bool python2_longs = true)
        : t_(text), source_(source), python2_longs_(python2_longs) {}

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
        // Python would end the literal at a newline and interpret a backslash; numpy writes neither.
        const std::string_view body = t_.substr(pos_ + 1, end - pos_ - 1);
        if (body.find_first_of("\\\n\r") != std::string_view::npos) fail("escape or line break in a header string");
        std::string s(t_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return s;
    }
    /// A Python 3 decimal integer literal: `0`, `00`, `12`, `1_000` (one underscore between digits); a
    /// leading zero before other digits (`02`) is a syntax error in Python 3, and so here.
    Index integer() {
        if (peek() < '0' || peek() > '9') fail("shape entries must be non-negative integers");
        const bool zero = peek() == '0';
        Index v = 0;
        for (;;) {
            if (peek() == '_') ++pos_;  // only between digits: the check below needs a digit next
            if (peek() < '0' || peek() > '9') {
                if (t_[pos_ - 1] == '_') fail("'_' must sit between digits in a shape entry");
                break;
            }
            if (zero && peek() != '0') fail("shape entry with a leading zero (not a Python 3 integer)");
            if (v > (Index(1) << 40)) fail("absurd extent in 'shape'");
            v = v * 10 + (peek() - '0');
            ++pos_;
        }
        return v;
    }
    Shape shape() {
        expect('(');
        std::vector<Index> dims;
        bool comma = false;  // `(3)` is the int 3 in Python, not a tuple: one entry needs its comma
        while (true) {
            ws();
            if (peek() == ')') break;
            dims.push_back(integer());
            ws();
            // Python 2 longs (`3L`): numpy drops the L only in format 1.0 and 2.0 headers.
            if (peek() == 'L' && python2_longs_) {
                ++pos_;
                ws();
            }
            if (peek() == ',') {
                ++pos_;
                comma = true;
            } else if (peek() != ')') {
                fail("expected ',' or ')' in 'shape'");
            }
        }
        if (dims.size() == 1 && !comma) fail("'shape' (n) is not a tuple; a 1-d shape is written (n,)");
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
    bool python2_longs_ = true;
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
    NpyHeader h = NpyHeaderParser(bytes.substr(prefix, header_len), source, major < 3).parse();
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

/// The element count of `h`'s array after the checks every reader makes before allocating: no overflow, at most
/// `options.max_array_bytes`, exactly the data bytes the image holds.
inline std::size_t npy_checked_count(const NpyHeader& h, std::size_t width, std::size_t image_size,
                                     const std::string& source, const LoadOptions& options) {
    Index count = 0;
    try {
        count = h.shape.size();
    } catch (const std::exception&) {
        throw FormatError(source, "array shape " + h.shape.to_string() + " overflows");
    }
    const auto n = static_cast<std::size_t>(count);
    if (n > options.max_array_bytes / width) {
        throw FormatError(source, "array of shape " + h.shape.to_string() + " is larger than the limit of " +
                                      std::to_string(options.max_array_bytes) +
                                      " bytes (io::LoadOptions::max_array_bytes)");
    }
    const std::size_t available = image_size - h.data_offset;
    if (n > available / width || n * width != available) {
        throw FormatError(source, "array of shape " + h.shape.to_string() + " needs " +
                                      std::to_string(static_cast<unsigned long long>(n * width)) +
                                      " data bytes, the file has " + std::to_string(available) +
                                      (available < n * width ? " (truncated)" : ""));
    }
    return n;
}

/// Reorders the elements of a Fortran-order array of `shape` into C order: element (i0, i1, ...) is at
/// i0 + d0 * (i1 + d1 * (...)) in `column_major`.
template <class T>
void fortran_to_c_order(const T* column_major, const Shape& shape, T* out) {
    const Index count = shape.size();
    const int rank = shape.rank();
    Index idx[Shape::max_rank] = {0, 0, 0, 0};
    for (Index c = 0; c < count; ++c) {
        Index f = 0;
        for (int a = rank - 1; a >= 0; --a) f = f * shape[a] + idx[a];
        out[c] = column_major[f];
        for (int a = rank - 1; a >= 0; --a) {
            if (++idx[a] < shape[a]) break;
            idx[a] = 0;
        }
    }
}

/// read_npy without the allocation-failure translation (read_npz applies it once for the whole archive).
template <class Scalar>
Tensor<Scalar> read_npy_image(std::string_view bytes, const std::string& source, const LoadOptions& options) {
    const detail::NpyHeader h = detail::parse_npy_header(bytes, source);
    const int width = detail::npy_float_width(h.descr, source, "array");
    const std::size_t count = npy_checked_count(h, static_cast<std::size_t>(width), bytes.size(), source, options);
    Tensor<Scalar> t(h.shape);
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data() + h.data_offset);
    if (!h.fortran_order || h.shape.rank() < 2) {
        detail::decode_floats(data, count, width, true, t.data(), source, "array");
        return t;
    }
    std::vector<Scalar> column_major(count);
    detail::decode_floats(data, count, width, true, column_major.data(), source, "array");
    fortran_to_c_order(column_major.data(), h.shape, t.data());
    return t;
}

}  // namespace detail

/// Reads a .npy image held in memory. Accepts little-endian float32 (any Scalar) and float64 (double only),
/// C or Fortran order, rank <= 4; everything else (other dtypes, big-endian, truncated or trailing data,
/// absurd shapes, arrays over `options.max_array_bytes`) throws FormatError naming `source` before anything is
/// allocated.
template <class Scalar>
Tensor<Scalar> read_npy(std::string_view bytes, const std::string& source, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(source,
                                           [&] { return detail::read_npy_image<Scalar>(bytes, source, options); });
}

/// Reads the .npy file at `path` (see read_npy).
template <class Scalar>
Tensor<Scalar> load_npy(const std::string& path, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(
        path, [&] { return read_npy<Scalar>(read_file(path, options.max_file_bytes), path, options); });
}

/// The element type of a .npy image: numpy's kind ('f' float, 'i' signed integer, 'u' unsigned, 'b' bool, ...)
/// and size in bytes, as its header's `descr` says ('<f4' -> {'f', 4, little}).
struct NpyDtype {
    char kind = '?';
    int bytes = 0;
    bool little_endian = true;
    /// numpy's name: "float32", "int64", ..., or the descr itself for other kinds.
    std::string name;
};

/// The dtype of the .npy image `bytes` (only its header is read); throws FormatError naming `source` for a
/// file that is not .npy.
inline NpyDtype npy_dtype(std::string_view bytes, const std::string& source) {
    const detail::NpyHeader h = detail::parse_npy_header(bytes, source);
    NpyDtype d;
    d.name = h.descr;
    const std::string& s = h.descr;
    if (s.size() < 3 || (s[0] != '<' && s[0] != '>' && s[0] != '=' && s[0] != '|')) return d;
    const bool host_little = detail::host_is_little_endian();
    d.little_endian = s[0] == '<' || (s[0] == '=' && host_little) || s[0] == '|';
    d.kind = s[1];
    d.bytes = 0;
    for (std::size_t i = 2; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9' || d.bytes > 64) return NpyDtype{'?', 0, true, h.descr};
        d.bytes = d.bytes * 10 + (s[i] - '0');
    }
    const char* kinds = d.kind == 'f' ? "float" : d.kind == 'i' ? "int" : d.kind == 'u' ? "uint" : nullptr;
    if (kinds) d.name = std::string(kinds) + std::to_string(8 * d.bytes);
    return d;
}

/// Reads a .npy image whose dtype is exactly T (float, double, std::int32_t or std::int64_t; either byte order,
/// C or Fortran order), without any conversion: for data such as model inputs, where the caller picks T from
/// npy_dtype. Another dtype, truncated or trailing data, and arrays over `options.max_array_bytes` throw
/// FormatError naming `source`.
template <class T>
Tensor<T> read_npy_array(std::string_view bytes, const std::string& source, const LoadOptions& options = {}) {
    static_assert(std::is_same<T, float>::value || std::is_same<T, double>::value ||
                      std::is_same<T, std::int32_t>::value || std::is_same<T, std::int64_t>::value,
                  "read_npy_array: float, double, int32 or int64");
    return detail::translate_alloc_failure(source, [&] {
        const NpyDtype d = npy_dtype(bytes, source);
        const char kind = std::is_floating_point<T>::value ? 'f' : 'i';
        if (d.kind != kind || d.bytes != static_cast<int>(sizeof(T))) {
            throw FormatError(source, "array has dtype " + d.name + ", expected " + (kind == 'f' ? "float" : "int") +
                                          std::to_string(8 * sizeof(T)));
        }
        const detail::NpyHeader h = detail::parse_npy_header(bytes, source);
        const std::size_t count = detail::npy_checked_count(h, sizeof(T), bytes.size(), source, options);
        std::vector<T> values(count);
        const bool swap = d.little_endian != detail::host_is_little_endian();
        for (std::size_t i = 0; i < count; ++i) {
            unsigned char b[sizeof(T)];
            std::memcpy(b, bytes.data() + h.data_offset + i * sizeof(T), sizeof(T));
            if (swap) std::reverse(b, b + sizeof(T));
            std::memcpy(&values[i], b, sizeof(T));
        }
        Tensor<T> t(h.shape);
        if (h.fortran_order && h.shape.rank() >= 2) {
            detail::fortran_to_c_order(values.data(), h.shape, t.data());
        } else if (count > 0) {
            std::memcpy(t.data(), values.data(), count * sizeof(T));
        }
        return t;
    });
}

/// The .npy (format 1.0) image of a tensor: '<f4' for float, '<f8' for double, '<i4' / '<i8' for std::int32_t /
/// std::int64_t (the dtypes read_npy_array reads), C order, header padded to 64 bytes as numpy does, so `np.load`
/// reads it back bit for bit.
template <class T>
std::string npy_bytes(TensorView<const T> t) {
    static_assert(std::is_same<T, float>::value || std::is_same<T, double>::value ||
                      std::is_same<T, std::int32_t>::value || std::is_same<T, std::int64_t>::value,
                  "npy_bytes: float, double, int32 or int64");
    const char kind = std::is_floating_point<T>::value ? 'f' : 'i';
    std::string header =
        std::string("{'descr': '<") + kind + std::to_string(sizeof(T)) + "', 'fortran_order': False, 'shape': (";
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
    out.resize(start + n * sizeof(T));
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char b[sizeof(T)];
        std::memcpy(b, t.data() + i, sizeof(T));
        if (!detail::host_is_little_endian()) std::reverse(b, b + sizeof(T));
        std::memcpy(&out[start + i * sizeof(T)], b, sizeof(T));
    }
    return out;
}

/// Writes `t` to `path` as .npy (see npy_bytes).
template <class T>
void save_npy(const std::string& path, const Tensor<T>& t) {
    write_file(path, npy_bytes<T>(t.view()));
}

}  // namespace io
ELMAN_NAMESPACE_END
