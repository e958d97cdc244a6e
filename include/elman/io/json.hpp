// SPDX-License-Identifier: MIT
// A small, hardened JSON reader and writer for Keras / TensorFlow.js configs, so the core needs no JSON library.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace json {

namespace detail {

/// Length of the well-formed UTF-8 sequence starting at `s[i]` (RFC 3629: no overlong forms, no UTF-16
/// surrogates U+D800..U+DFFF, nothing above U+10FFFF), or 0 when the bytes there are not one.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = at(i);
    if (b < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte; later ones are always 80..BF
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0) lo = 0xA0;  // overlong below U+0800
        if (b == 0xED) hi = 0x9F;  // U+D800..U+DFFF
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0) lo = 0x90;  // overlong below U+10000
        if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;  // a continuation byte, C0/C1 (overlong ASCII) or F5..FF
    }
    if (s.size() - i < n) return 0;
    if (at(i + 1) < lo || at(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
    return n;
}

/// Byte offset of the first byte of `s` that does not start a well-formed UTF-8 sequence, or npos.
inline std::size_t first_invalid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return i;
        i += n;
    }
    return std::string_view::npos;
}

}  // namespace detail

/// A JSON value. Objects keep their keys in insertion order (Keras configs are written in a fixed key order)
/// and never hold a key twice. Numbers remember whether they were written as integers, so `4` and `4.0`
/// round-trip the way Python's json module writes them.
///
/// A Value is 16 bytes: scalars are stored inline, a string, array or object behind one pointer that stays
/// null while it is empty. That keeps a parsed document within a small constant of its text size (see
/// docs/keras-import.md, "JSON reader guarantees"). Object members are indexed by key, so find() and set()
/// cost O(log n) comparisons.
class Value {
  public:
    enum class Type { Null, Bool, Number, String, Array, Object };

    Value() noexcept {}
    Value(std::nullptr_t) noexcept {}
    Value(bool b) noexcept : type_(Type::Bool) { u_.b = b; }
    Value(double d) noexcept : type_(Type::Number) { u_.d = d; }
    Value(int i) noexcept : Value(static_cast<long long>(i)) {}
    Value(long i) noexcept : Value(static_cast<long long>(i)) {}
    Value(long long i) noexcept : type_(Type::Number), is_integer_(true) { u_.i = i; }
    Value(const char* s) : Value(std::string(s)) {}
    Value(std::string s) : type_(Type::String) { u_.s = s.empty() ? nullptr : new std::string(std::move(s)); }

    Value(const Value& other)
        : type_(other.type_), is_integer_(other.is_integer_), packed_(other.packed_), u_(other.u_) {
        // u_ now aliases other's pointer (or null); replace it with an owned copy.
        if (type_ == Type::String && u_.s) u_.s = new std::string(*u_.s);
        if (type_ == Type::Array && packed_) u_.n = new NumberArray{other.u_.n->bits, other.u_.n->integer, {}};
        if (type_ == Type::Array && !packed_ && u_.a) u_.a = new std::vector<Value>(*u_.a);
        if (type_ == Type::Object && u_.o) u_.o = new Members(*u_.o);
    }
    Value(Value&& other) noexcept
        : type_(other.type_), is_integer_(other.is_integer_), packed_(other.packed_), u_(other.u_) {
        other.type_ = Type::Null;
        other.packed_ = false;
        other.u_ = Payload{};
    }
    Value& operator=(const Value& other) {
        if (this != &other) *this = Value(other);
        return *this;
    }
    Value& operator=(Value&& other) noexcept {
        if (this != &other) {
            release();
            type_ = other.type_;
            is_integer_ = other.is_integer_;
            packed_ = other.packed_;
            u_ = other.u_;
            other.type_ = Type::Null;
            other.packed_ = false;
            other.u_ = Payload{};
        }
        return *this;
    }
    ~Value() { release(); }

    static Value array() {
        Value v;
        v.type_ = Type::Array;
        v.u_.a = nullptr;
        return v;
    }
    static Value object() {
        Value v;
        v.type_ = Type::Object;
        v.u_.o = nullptr;
        return v;
    }

    Type type() const noexcept { return type_; }
    bool is_null() const noexcept { return type_ == Type::Null; }
    bool is_bool() const noexcept { return type_ == Type::Bool; }
    bool is_number() const noexcept { return type_ == Type::Number; }
    /// A number written without fraction or exponent that fits a signed 64-bit integer.
    bool is_integer() const noexcept { return type_ == Type::Number && is_integer_; }
    bool is_string() const noexcept { return type_ == Type::String; }
    bool is_array() const noexcept { return type_ == Type::Array; }
    bool is_object() const noexcept { return type_ == Type::Object; }

    /// Typed access; each throws std::invalid_argument naming both types when the value has another type.
    bool as_bool() const { return expect(Type::Bool), u_.b; }
    /// An integer reads as the nearest double.
    double as_number() const { return expect(Type::Number), is_integer_ ? static_cast<double>(u_.i) : u_.d; }
    long long as_integer() const {
        if (!is_integer()) throw std::invalid_argument("JSON value is " + describe() + ", expected an integer");
        return u_.i;
    }
    const std::string& as_string() const { return expect(Type::String), u_.s ? *u_.s : no_string(); }

    /// Array elements or object values (in key order); empty for scalars.
    std::size_t size() const noexcept {
        if (type_ == Type::Array) return packed_ ? u_.n->bits.size() : u_.a ? u_.a->size() : 0;
        if (type_ == Type::Object) return u_.o ? u_.o->items.size() : 0;
        return 0;
    }
    const Value& operator[](std::size_t i) const { return items().at(i); }
    /// A long array of numbers is held packed (8 bytes and a bit per number, see Parser); its first items() or
    /// operator[] call builds the Value list once (which may throw std::bad_alloc), so a const Value holding one
    /// must not be read from two threads at once before that.
    const std::vector<Value>& items() const {
        if (type_ == Type::Array && packed_) return u_.n->values();
        if (type_ == Type::Array && u_.a) return *u_.a;
        if (type_ == Type::Object && u_.o) return u_.o->items;
        return no_items();
    }
    /// Object keys, parallel to items().
    const std::vector<std::string>& keys() const noexcept {
        if (type_ == Type::Object && u_.o) return u_.o->keys;
        return no_keys();
    }

    /// Object member or nullptr (also nullptr when this is not an object).
    const Value* find(std::string_view key) const noexcept {
        if (type_ != Type::Object || !u_.o) return nullptr;
        const Members& m = *u_.o;
        const auto it = m.lower_bound(key);
        return it != m.order.end() && m.keys[*it] == key ? &m.items[*it] : nullptr;
    }
    bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

    /// Appends to an array.
    Value& push_back(Value v) {
        expect(Type::Array);
        if (packed_) unpack();
        if (!u_.a) u_.a = new std::vector<Value>();
        u_.a->push_back(std::move(v));
        return u_.a->back();
    }
    /// Sets an object member: replaces an existing key in place, else appends it.
    Value& set(const std::string& key, Value v) {
        expect(Type::Object);
        if (!u_.o) u_.o = new Members();
        Members& m = *u_.o;
        const auto it = m.lower_bound(key);
        if (it != m.order.end() && m.keys[*it] == key) return m.items[*it] = std::move(v);
        const std::size_t i = m.keys.size();
        const std::ptrdiff_t at = it - m.order.begin();
        m.keys.push_back(key);
        try {
            m.items.push_back(std::move(v));
            m.order.insert(m.order.begin() + at, i);
        } catch (...) {
            m.keys.pop_back();
            if (m.items.size() > i) m.items.pop_back();
            throw;
        }
        return m.items.back();
    }

    /// "a string", "an object", ... for messages.
    std::string describe() const { return describe(type_); }

    friend bool operator==(const Value& a, const Value& b) {
        if (a.type_ != b.type_) return false;
        switch (a.type_) {
            case Type::Null:
                return true;
            case Type::Bool:
                return a.u_.b == b.u_.b;
            case Type::Number:
                if (a.is_integer_ != b.is_integer_) return false;
                if (a.is_integer_) return a.u_.i == b.u_.i;
                return a.u_.d == b.u_.d || (std::isnan(a.u_.d) && std::isnan(b.u_.d));
            case Type::String:
                return a.as_string() == b.as_string();
            case Type::Array:
                return a.items() == b.items();
            case Type::Object:
                return a.keys() == b.keys() && a.items() == b.items();
        }
        return false;
    }
    friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

  private:
    friend class Parser;

    /// A long array of numbers: each number's 8 bytes (a double, or an int64 when its bit in `integer` is set),
    /// and the Value list built from them on first request.
    struct NumberArray {
        std::vector<std::uint64_t> bits;
        std::vector<bool> integer;
        mutable std::vector<Value> items;

        Value at(std::size_t i) const {
            if (integer[i]) {
                long long x;
                std::memcpy(&x, &bits[i], sizeof x);
                return Value(x);
            }
            double d;
            std::memcpy(&d, &bits[i], sizeof d);
            return Value(d);
        }
        const std::vector<Value>& values() const {
            if (items.size() != bits.size()) {
                items.clear();
                items.reserve(bits.size());
                for (std::size_t i = 0; i < bits.size(); ++i) items.push_back(at(i));
            }
            return items;
        }
    };

    /// Turns a packed array into a plain one (before it is modified).
    void unpack() {
        auto* plain = new std::vector<Value>(u_.n->values());
        delete u_.n;
        u_.a = plain;
        packed_ = false;
    }

    /// An object's members in insertion order, plus their indices sorted by key for lookup.
    struct Members {
        std::vector<std::string> keys;
        std::vector<Value> items;
        std::vector<std::size_t> order;

        std::vector<std::size_t>::const_iterator lower_bound(std::string_view key) const noexcept {
            return std::lower_bound(order.begin(), order.end(), key,
                                    [this](std::size_t i, std::string_view k) { return keys[i] < k; });
        }
    };

    union Payload {
        bool b;
        double d;
        long long i;
        std::string* s;
        std::vector<Value>* a;
        NumberArray* n;
        Members* o;
    };

    static const std::string& no_string() noexcept {
        static const std::string none;
        return none;
    }
    static const std::vector<Value>& no_items() noexcept {
        static const std::vector<Value> none;
        return none;
    }
    static const std::vector<std::string>& no_keys() noexcept {
        static const std::vector<std::string> none;
        return none;
    }

    static std::string describe(Type t) {
        switch (t) {
            case Type::Null:
                return "null";
            case Type::Bool:
                return "a boolean";
            case Type::Number:
                return "a number";
            case Type::String:
                return "a string";
            case Type::Array:
                return "an array";
            case Type::Object:
                return "an object";
        }
        return "?";
    }

    int expect(Type t) const {
        if (type_ != t) throw std::invalid_argument("JSON value is " + describe() + ", expected " + describe(t));
        return 0;
    }

    void release() noexcept {
        switch (type_) {
            case Type::String:
                delete u_.s;
                break;
            case Type::Array:
                if (packed_)
                    delete u_.n;
                else
                    delete u_.a;
                break;
            case Type::Object:
                delete u_.o;
                break;
            default:
                break;
        }
        u_ = Payload{};
        packed_ = false;
    }

    Type type_ = Type::Null;
    bool is_integer_ = false;
    bool packed_ = false;  // an Array held as a NumberArray
    Payload u_{};
};

/// Limits that keep hostile input from exhausting the stack or memory.
struct ParseLimits {
    /// Deepest nesting of arrays/objects (a Keras model config is < 20 deep).
    int max_depth = 256;
    /// Longest accepted text in bytes.
    std::size_t max_bytes = std::size_t(256) << 20;
};

namespace detail {

/// The tokens of a JSON text (whitespace, literals, strings, numbers) and the error messages that point at a
/// byte: the part of the parser that knows nothing about arrays, objects or limits.
class Scanner {
  protected:
    Scanner(std::string_view text, std::string source) : text_(text), source_(std::move(source)) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(source_, "malformed JSON at byte " + std::to_string(pos_) + ": " + what);
    }
    [[noreturn]] void out_of_memory() const {
        throw FormatError(source_, "out of memory reading JSON text of " + std::to_string(text_.size()) +
                                       " bytes (at byte " + std::to_string(pos_) + ")");
    }

    void skip_ws() {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }
    bool consume(std::string_view word) {
        if (text_.substr(pos_, word.size()) == word) {
            pos_ += word.size();
            return true;
        }
        return false;
    }

    static std::string printable(char c) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F) return std::string(1, c);
        const char* hex = "0123456789abcdef";
        return std::string("\\x") + hex[u >> 4] + hex[u & 15];
    }

    unsigned hex4() {
        if (text_.size() - pos_ < 4) fail("truncated \\u escape");
        unsigned u = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = text_[pos_++];
            u <<= 4;
            if (h >= '0' && h <= '9')
                u |= unsigned(h - '0');
            else if (h >= 'a' && h <= 'f')
                u |= unsigned(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                u |= unsigned(h - 'A' + 10);
            else
                fail("invalid hex digit in a \\u escape");
        }
        return u;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    std::string parse_string() {
        ++pos_;  // opening quote
        std::string out;
        for (;;) {
            // Copy the run of bytes that need no attention in one go.
            const std::size_t run = pos_;
            while (pos_ < text_.size()) {
                const auto u = static_cast<unsigned char>(text_[pos_]);
                if (u == '"' || u == '\\' || u < 0x20 || u >= 0x80) break;
                ++pos_;
            }
            out.append(text_.data() + run, pos_ - run);
            if (pos_ >= text_.size()) fail("unterminated string");
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail("unescaped control character in a string");
            if (static_cast<unsigned char>(c) >= 0x80) {
                const std::size_t n = detail::utf8_sequence_length(text_, pos_);
                if (n == 0) fail("invalid UTF-8 in a string (overlong, surrogate, above U+10FFFF or truncated)");
                out.append(text_.data() + pos_, n);
                pos_ += n;
                continue;
            }
            ++pos_;  // backslash
            if (pos_ >= text_.size()) fail("unterminated escape sequence");
            const char e = text_[pos_++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    // Lone surrogates are refused (see Parser); errors point at the escape.
                    const std::size_t escape = pos_ - 2;
                    unsigned cp = hex4();
                    if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        pos_ = escape;
                        fail("lone low surrogate in a \\u escape");
                    }
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        const bool pair = consume("\\u");
                        const unsigned low = pair ? hex4() : 0;
                        if (low < 0xDC00 || low > 0xDFFF) {
                            pos_ = escape;
                            fail("high surrogate not followed by a low surrogate");
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default:
                    --pos_;
                    fail(std::string("invalid escape '\\") + printable(e) + "'");
            }
        }
    }

    Value parse_number() {
        const std::size_t start = pos_;
        bool integral = true;
        if (text_[pos_] == '-') ++pos_;
        auto digits = [&] {
            const std::size_t from = pos_;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
            return pos_ - from;
        };
        const std::size_t int_start = pos_;
        const std::size_t int_digits = digits();
        if (int_digits == 0) fail("invalid number");
        if (int_digits > 1 && text_[int_start] == '0') fail("invalid number: leading zero");
        if (pos_ < text_.size() && text_[pos_] == '.') {
            integral = false;
            ++pos_;
            if (digits() == 0) fail("invalid number: no digits after '.'");
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
            if (digits() == 0) fail("invalid number: no digits in the exponent");
        }
        const char* first = text_.data() + start;
        const char* last = text_.data() + pos_;
        if (integral) {
            long long i = 0;
            const auto r = std::from_chars(first, last, i);
            if (r.ec == std::errc() && r.ptr == last) return Value(i);
            // Too large for 64 bits: keep it as a double, like Python would lose nothing we use.
        }
        double d = 0.0;
        const auto r = std::from_chars(first, last, d);
        if (r.ptr != last || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range)) fail("invalid number");
        if (r.ec == std::errc::result_out_of_range) {
            // Overflow -> +-inf, underflow -> +-0, as Python's float() does. Out of range means a negative
            // exponent or a "0." mantissa underflowed, anything else overflowed.
            const std::string_view lexeme(first, static_cast<std::size_t>(last - first));
            const std::size_t e = lexeme.find_first_of("eE");
            const bool tiny = (e != std::string_view::npos && e + 1 < lexeme.size() && lexeme[e + 1] == '-') ||
                              text_[int_start] == '0';
            d = tiny ? 0.0 : std::numeric_limits<double>::infinity();
            if (*first == '-') d = -d;
        }
        return Value(d);
    }

    std::string_view text_;
    std::string source_;
    std::size_t pos_ = 0;
};

}  // namespace detail

/// Recursive-descent parser for RFC 8259 JSON plus Python's `NaN`, `Infinity` and `-Infinity` (Python's json
/// module writes them for non-finite floats, so Keras configs may contain them). Rejects duplicate keys,
/// trailing data, control characters in strings, invalid escapes, strings that are not well-formed UTF-8 and
/// `\u` escapes of lone UTF-16 surrogates (Python accepts those, but they have no UTF-8 form, so a config
/// holding one could not be written back out as UTF-8).
///
/// Time is linear in the text (duplicate keys are found by sorting each object's keys once: O(n log n)
/// comparisons), memory a small constant per input byte, and running out of memory is a FormatError like any
/// other failure (never std::bad_alloc).
class Parser : private detail::Scanner {
  public:
    Parser(std::string_view text, std::string source, ParseLimits limits = {})
        : Scanner(text, std::move(source)), limits_(limits) {}

    Value parse() {
        if (text_.size() > limits_.max_bytes) {
            fail("JSON text of " + std::to_string(text_.size()) + " bytes exceeds the limit of " +
                 std::to_string(limits_.max_bytes) + " bytes");
        }
        try {
            // A UTF-8 byte order mark is tolerated (some editors write one).
            if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
            skip_ws();
            Value v = parse_value(0);
            skip_ws();
            if (pos_ != text_.size()) fail("unexpected data after the JSON value");
            return v;
        } catch (const std::bad_alloc&) {
            // Unwinding has freed the partial document by now, so building the message can succeed.
            out_of_memory();
        } catch (const std::length_error&) {
            out_of_memory();
        }
    }

  private:
    /// Makes room for one more element of a container still being read. Doubling, but never past what the
    /// rest of the text can hold (each further element needs at least `min_bytes` bytes), so a long array
    /// ends with little unused capacity.
    template <class T>
    void reserve_one(std::vector<T>& v, std::size_t min_bytes) const {
        if (v.size() < v.capacity()) return;
        const std::size_t most = v.size() + 1 + (text_.size() - pos_) / min_bytes;
        v.reserve(std::min(std::max<std::size_t>(2 * v.size(), 1), most));
    }

    Value parse_value(int depth) {
        if (pos_ >= text_.size()) fail("unexpected end of input, expected a value");
        const char c = text_[pos_];
        if (c == '{' || c == '[') {
            if (depth >= limits_.max_depth)
                fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
            return c == '{' ? parse_object(depth + 1) : parse_array(depth + 1);
        }
        if (c == '"') return Value(parse_string());
        if (consume("true")) return Value(true);
        if (consume("false")) return Value(false);
        if (consume("null")) return Value();
        if (consume("NaN")) return Value(std::numeric_limits<double>::quiet_NaN());
        if (consume("Infinity")) return Value(std::numeric_limits<double>::infinity());
        if (consume("-Infinity")) return Value(-std::numeric_limits<double>::infinity());
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
        fail(std::string("unexpected character '") + printable(c) + "'");
    }

    Value parse_object(int depth) {
        Value v = Value::object();
        ++pos_;  // '{'
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == '}') {
            ++pos_;
            return v;
        }
        v.u_.o = new Value::Members();
        Value::Members& m = *v.u_.o;
        // Where each key of this object starts, for the duplicate-key message; nested objects push and pop
        // above `base`, so this object's entries stay contiguous.
        const std::size_t base = key_pos_.size();
        for (;;) {
            skip_ws();
            if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key in an object");
            // A member is at least `"":0` plus a separator.
            reserve_one(key_pos_, 5);
            key_pos_.push_back(pos_);
            reserve_one(m.keys, 5);
            m.keys.push_back(parse_string());
            skip_ws();
            if (pos_ >= text_.size() || text_[pos_] != ':') fail("expected ':' after an object key");
            ++pos_;
            skip_ws();
            reserve_one(m.items, 5);
            m.items.push_back(parse_value(depth));
            skip_ws();
            if (pos_ >= text_.size()) fail("unexpected end of input inside an object");
            if (text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (text_[pos_] == '}') {
                index_members(m, base);
                key_pos_.resize(base);
                ++pos_;
                return v;
            }
            fail("expected ',' or '}' in an object");
        }
    }

    /// Sorts the member indices by key (ties by position) and refuses the first key, in text order, that
    /// repeats an earlier one. The sort compares an 8-byte big-endian prefix of each key held next to its
    /// index first, and the keys themselves only on equal prefixes: comparing through the index alone reads a
    /// key scattered in memory at every step, which made a 200k-key object cost several times more per key
    /// than a 25k-key one (cache misses, not comparisons).
    void index_members(Value::Members& m, std::size_t base) {
        struct KeyRef {
            std::uint64_t prefix;
            std::size_t index;
        };
        std::vector<KeyRef> refs(m.keys.size());
        for (std::size_t i = 0; i < refs.size(); ++i) {
            const std::string& k = m.keys[i];
            std::uint64_t prefix = 0;
            for (std::size_t b = 0; b < 8; ++b)
                prefix = (prefix << 8) | (b < k.size() ? static_cast<unsigned char>(k[b]) : 0u);
            refs[i] = {prefix, i};
        }
        // std::string::compare orders bytes as unsigned char, as the prefix does; a zero-padded prefix can tie
        // only keys that agree on their first bytes, and the full comparison decides those.
        std::sort(refs.begin(), refs.end(), [&](const KeyRef& a, const KeyRef& b) {
            if (a.prefix != b.prefix) return a.prefix < b.prefix;
            const int c = m.keys[a.index].compare(m.keys[b.index]);
            return c < 0 || (c == 0 && a.index < b.index);
        });
        m.order.resize(refs.size());
        std::size_t duplicate = m.keys.size();
        for (std::size_t k = 0; k < refs.size(); ++k) {
            m.order[k] = refs[k].index;
            if (k > 0 && refs[k].prefix == refs[k - 1].prefix && m.keys[refs[k].index] == m.keys[refs[k - 1].index])
                duplicate = std::min(duplicate, refs[k].index);
        }
        if (duplicate < m.keys.size()) {
            pos_ = key_pos_[base + duplicate];
            fail("duplicate key \"" + m.keys[duplicate] + "\" in an object");
        }
    }

    /// An array whose first `pack_after` elements are all numbers continues as a NumberArray: 8 bytes and a bit
    /// per number instead of a 16-byte Value, which bounds what a long number array costs per input byte (a
    /// number and its comma are at least 2 bytes). Shorter arrays (shapes, configs) stay plain.
    static constexpr std::size_t pack_after = 64;

    /// A number's 8 bytes as a NumberArray stores them (the int64 or the double).
    static std::uint64_t bits_of(const Value& x) noexcept {
        std::uint64_t bits;
        if (x.is_integer_)
            std::memcpy(&bits, &x.u_.i, sizeof bits);
        else
            std::memcpy(&bits, &x.u_.d, sizeof bits);
        return bits;
    }

    static bool all_numbers(const std::vector<Value>& items) noexcept {
        for (const Value& x : items)
            if (!x.is_number()) return false;
        return true;
    }

    static void pack(Value& v) {
        auto* n = new Value::NumberArray();
        try {
            const std::vector<Value>& items = *v.u_.a;
            n->bits.reserve(2 * items.size());
            n->integer.reserve(2 * items.size());
            for (const Value& x : items) {
                n->bits.push_back(bits_of(x));
                n->integer.push_back(x.is_integer_);
            }
        } catch (...) {
            delete n;
            throw;
        }
        delete v.u_.a;
        v.u_.n = n;
        v.packed_ = true;
    }

    Value parse_array(int depth) {
        Value v = Value::array();
        ++pos_;  // '['
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == ']') {
            ++pos_;
            return v;
        }
        v.u_.a = new std::vector<Value>();
        for (;;) {
            skip_ws();
            Value item = parse_value(depth);
            if (v.packed_ && item.is_number()) {
                Value::NumberArray& n = *v.u_.n;
                // An element is at least one byte plus a separator.
                reserve_one(n.bits, 2);
                n.bits.push_back(bits_of(item));
                n.integer.push_back(item.is_integer_);
            } else {
                if (v.packed_) v.unpack();
                std::vector<Value>& items = *v.u_.a;
                reserve_one(items, 2);
                items.push_back(std::move(item));
                if (items.size() == pack_after && all_numbers(items)) pack(v);
            }
            skip_ws();
            if (pos_ >= text_.size()) fail("unexpected end of input inside an array");
            if (text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (text_[pos_] == ']') {
                ++pos_;
                return v;
            }
            fail("expected ',' or ']' in an array");
        }
    }

    ParseLimits limits_;
    std::vector<std::size_t> key_pos_;
};

/// Parses `text`; errors are FormatError("<source>: malformed JSON at byte N: ...").
inline Value parse(std::string_view text, const std::string& source = "<json>", ParseLimits limits = {}) {
    return Parser(text, source, limits).parse();
}

namespace detail {

inline void write_string(std::string& out, const std::string& s) {
    // The reader refuses anything else, so the writer must not produce it.
    if (const std::size_t bad = first_invalid_utf8(s); bad != std::string::npos) {
        throw std::invalid_argument("JSON string is not valid UTF-8 at byte " + std::to_string(bad) + " of " +
                                    std::to_string(s.size()));
    }
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    const char* hex = "0123456789abcdef";
                    out += "\\u00";
                    out += hex[(c >> 4) & 15];
                    out += hex[c & 15];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

inline void write_number(std::string& out, const Value& v) {
    if (v.is_integer()) {
        out += std::to_string(v.as_integer());
        return;
    }
    const double d = v.as_number();
    if (std::isnan(d)) {
        out += "NaN";
        return;
    }
    if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
        return;
    }
    char buf[64];
    // Shortest text that reads back to the same double (what Python's repr gives).
    const auto r = std::to_chars(buf, buf + sizeof buf, d);
    std::string text(buf, r.ptr);
    // A float that looks like an integer gets ".0", as Python writes it, so it reads back as a float.
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    out += text;
}

inline void write(std::string& out, const Value& v, int indent, int level) {
    auto newline = [&](int l) {
        if (indent < 0) return;
        out += '\n';
        out.append(static_cast<std::size_t>(indent * l), ' ');
    };
    switch (v.type()) {
        case Value::Type::Null:
            out += "null";
            return;
        case Value::Type::Bool:
            out += v.as_bool() ? "true" : "false";
            return;
        case Value::Type::Number:
            write_number(out, v);
            return;
        case Value::Type::String:
            write_string(out, v.as_string());
            return;
        case Value::Type::Array:
        case Value::Type::Object: {
            const bool object = v.is_object();
            out += object ? '{' : '[';
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (i) out += indent < 0 ? ", " : ",";
                newline(level + 1);
                if (object) {
                    write_string(out, v.keys()[i]);
                    out += ": ";
                }
                write(out, v[i], indent, level + 1);
            }
            if (v.size() > 0) newline(level);
            out += object ? '}' : ']';
            return;
        }
    }
}

}  // namespace detail

/// JSON text of `v`. Throws std::invalid_argument for a string or key that is not well-formed UTF-8 (as the
/// reader would refuse it). `indent < 0` gives one line with Python's default separators (", " and ": "), which is
/// what Keras stores in HDF5 `model_config`; `indent >= 0` pretty-prints.
inline std::string dump(const Value& v, int indent = -1) {
    std::string out;
    detail::write(out, v, indent, 0);
    return out;
}

}  // namespace json
}  // namespace io
ELMAN_NAMESPACE_END
