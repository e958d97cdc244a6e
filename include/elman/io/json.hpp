// SPDX-License-Identifier: MIT
// A small, hardened JSON reader and writer for Keras / TensorFlow.js configs, so the core needs no JSON library.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace json {

/// A JSON value. Objects keep their keys in insertion order (Keras configs are written in a fixed key order)
/// and never hold a key twice. Numbers remember whether they were written as integers, so `4` and `4.0`
/// round-trip the way Python's json module writes them.
class Value {
  public:
    enum class Type { Null, Bool, Number, String, Array, Object };

    Value() = default;
    Value(std::nullptr_t) {}
    Value(bool b) : type_(Type::Bool), bool_(b) {}
    Value(double d) : type_(Type::Number), number_(d) {}
    Value(int i) : Value(static_cast<long long>(i)) {}
    Value(long i) : Value(static_cast<long long>(i)) {}
    Value(long long i) : type_(Type::Number), number_(static_cast<double>(i)), integer_(i), is_integer_(true) {}
    Value(const char* s) : type_(Type::String), string_(s) {}
    Value(std::string s) : type_(Type::String), string_(std::move(s)) {}

    static Value array() {
        Value v;
        v.type_ = Type::Array;
        return v;
    }
    static Value object() {
        Value v;
        v.type_ = Type::Object;
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
    bool as_bool() const { return expect(Type::Bool), bool_; }
    double as_number() const { return expect(Type::Number), number_; }
    long long as_integer() const {
        if (!is_integer()) throw std::invalid_argument("JSON value is " + describe() + ", expected an integer");
        return integer_;
    }
    const std::string& as_string() const { return expect(Type::String), string_; }

    /// Array elements or object values (in key order).
    std::size_t size() const noexcept { return items_.size(); }
    const Value& operator[](std::size_t i) const { return items_.at(i); }
    const std::vector<Value>& items() const noexcept { return items_; }
    /// Object keys, parallel to items().
    const std::vector<std::string>& keys() const noexcept { return keys_; }

    /// Object member or nullptr (also nullptr when this is not an object).
    const Value* find(std::string_view key) const noexcept {
        if (type_ != Type::Object) return nullptr;
        for (std::size_t i = 0; i < keys_.size(); ++i)
            if (keys_[i] == key) return &items_[i];
        return nullptr;
    }
    bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

    /// Appends to an array.
    Value& push_back(Value v) {
        expect(Type::Array);
        items_.push_back(std::move(v));
        return items_.back();
    }
    /// Sets an object member: replaces an existing key in place, else appends it.
    Value& set(const std::string& key, Value v) {
        expect(Type::Object);
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            if (keys_[i] == key) return items_[i] = std::move(v);
        }
        keys_.push_back(key);
        items_.push_back(std::move(v));
        return items_.back();
    }

    /// "a string", "an object", ... for messages.
    std::string describe() const {
        switch (type_) {
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

    friend bool operator==(const Value& a, const Value& b) {
        if (a.type_ != b.type_) return false;
        switch (a.type_) {
            case Type::Null:
                return true;
            case Type::Bool:
                return a.bool_ == b.bool_;
            case Type::Number:
                return a.is_integer_ == b.is_integer_ &&
                       (a.number_ == b.number_ || (std::isnan(a.number_) && std::isnan(b.number_)));
            case Type::String:
                return a.string_ == b.string_;
            case Type::Array:
                return a.items_ == b.items_;
            case Type::Object:
                return a.keys_ == b.keys_ && a.items_ == b.items_;
        }
        return false;
    }
    friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

  private:
    friend class Parser;

    int expect(Type t) const {
        if (type_ != t) {
            Value probe;
            probe.type_ = t;
            throw std::invalid_argument("JSON value is " + describe() + ", expected " + probe.describe());
        }
        return 0;
    }

    Type type_ = Type::Null;
    bool bool_ = false;
    double number_ = 0.0;
    long long integer_ = 0;
    bool is_integer_ = false;
    std::string string_;
    std::vector<std::string> keys_;
    std::vector<Value> items_;
};

/// Limits that keep hostile input from exhausting the stack or memory.
struct ParseLimits {
    /// Deepest nesting of arrays/objects (a Keras model config is < 20 deep).
    int max_depth = 256;
    /// Longest accepted text in bytes.
    std::size_t max_bytes = std::size_t(256) << 20;
};

/// Recursive-descent parser for RFC 8259 JSON plus Python's `NaN`, `Infinity` and `-Infinity` (Python's json
/// module writes them for non-finite floats, so Keras configs may contain them). Rejects duplicate keys,
/// trailing data, control characters in strings, invalid escapes and lone surrogates.
class Parser {
  public:
    Parser(std::string_view text, std::string source, ParseLimits limits = {})
        : text_(text), source_(std::move(source)), limits_(limits) {}

    Value parse() {
        if (text_.size() > limits_.max_bytes) {
            fail("JSON text of " + std::to_string(text_.size()) + " bytes exceeds the limit of " +
                 std::to_string(limits_.max_bytes) + " bytes");
        }
        // A UTF-8 byte order mark is tolerated (some editors write one).
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
        skip_ws();
        Value v = parse_value(0);
        skip_ws();
        if (pos_ != text_.size()) fail("unexpected data after the JSON value");
        return v;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(source_, "malformed JSON at byte " + std::to_string(pos_) + ": " + what);
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

    static std::string printable(char c) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F) return std::string(1, c);
        const char* hex = "0123456789abcdef";
        return std::string("\\x") + hex[u >> 4] + hex[u & 15];
    }

    Value parse_object(int depth) {
        Value v = Value::object();
        ++pos_;  // '{'
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == '}') {
            ++pos_;
            return v;
        }
        for (;;) {
            skip_ws();
            if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key in an object");
            const std::size_t key_pos = pos_;
            std::string key = parse_string();
            if (v.contains(key)) {
                pos_ = key_pos;
                fail("duplicate key \"" + key + "\" in an object");
            }
            skip_ws();
            if (pos_ >= text_.size() || text_[pos_] != ':') fail("expected ':' after an object key");
            ++pos_;
            skip_ws();
            v.keys_.push_back(std::move(key));
            v.items_.push_back(parse_value(depth));
            skip_ws();
            if (pos_ >= text_.size()) fail("unexpected end of input inside an object");
            if (text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (text_[pos_] == '}') {
                ++pos_;
                return v;
            }
            fail("expected ',' or '}' in an object");
        }
    }

    Value parse_array(int depth) {
        Value v = Value::array();
        ++pos_;  // '['
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == ']') {
            ++pos_;
            return v;
        }
        for (;;) {
            skip_ws();
            v.items_.push_back(parse_value(depth));
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
            if (pos_ >= text_.size()) fail("unterminated string");
            const char c = text_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("unescaped control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
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
                    unsigned cp = hex4();
                    if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate in a \\u escape");
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (!consume("\\u")) fail("high surrogate not followed by a low surrogate");
                        const unsigned low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate not followed by a low surrogate");
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
    ParseLimits limits_;
    std::size_t pos_ = 0;
};

/// Parses `text`; errors are FormatError("<source>: malformed JSON at byte N: ...").
inline Value parse(std::string_view text, const std::string& source = "<json>", ParseLimits limits = {}) {
    return Parser(text, source, limits).parse();
}

namespace detail {

inline void write_string(std::string& out, const std::string& s) {
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

/// JSON text of `v`. `indent < 0` gives one line with Python's default separators (", " and ": "), which is
/// what Keras stores in HDF5 `model_config`; `indent >= 0` pretty-prints.
inline std::string dump(const Value& v, int indent = -1) {
    std::string out;
    detail::write(out, v, indent, 0);
    return out;
}

}  // namespace json
}  // namespace io
ELMAN_NAMESPACE_END
