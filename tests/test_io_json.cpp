// io/json.hpp, the JSON reader/writer behind every config: nesting and size limits, duplicate keys, Python's
// NaN/Infinity, unicode escapes, number edge cases, truncated input and trailing data (moved out of
// test_io_config.cpp, which tests the SimpleRNN config on top of it).
#include <elman/io/json.hpp>

#include <catch2/catch.hpp>

#include "limited_child.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

namespace io = elman::io;
namespace json = elman::io::json;
using Catch::Contains;

std::string json_error(const std::string& text) {
    try {
        json::parse(text, "t.json");
    } catch (const io::FormatError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("JSON reader edge cases", "[io][json]") {
    SECTION("nesting is limited, never a stack overflow") {
        const std::string ok = std::string(256, '[') + std::string(256, ']');
        CHECK_NOTHROW(json::parse(ok));
        CHECK_THAT(json_error(std::string(257, '[') + std::string(257, ']')),
                   Contains("nesting deeper than 256 levels"));
        CHECK_THAT(json_error(std::string(1000000, '[')), Contains("nesting deeper than 256 levels"));
        CHECK_THAT(json_error(std::string(1000000, '{')), Contains("expected a string key"));
        json::ParseLimits tight;
        tight.max_depth = 2;
        CHECK_THROWS_AS(json::parse(R"({"a": {"b": [1]}})", "t.json", tight), io::FormatError);
        tight.max_bytes = 4;
        CHECK_THAT(std::string([&] {
                       try {
                           json::parse("[1, 2]", "t.json", tight);
                       } catch (const io::FormatError& e) {
                           return std::string(e.what());
                       }
                       return std::string();
                   }()),
                   Contains("exceeds the limit of 4 bytes"));
    }
    SECTION("duplicate keys are rejected") {
        CHECK_THAT(json_error(R"({"a": 1, "b": 2, "a": 3})"), Contains("duplicate key \"a\""));
    }
    SECTION("NaN and Infinity as Python writes them") {
        const json::Value v = json::parse(R"([NaN, Infinity, -Infinity])");
        CHECK(std::isnan(v[0].as_number()));
        CHECK(v[1].as_number() == std::numeric_limits<double>::infinity());
        CHECK(v[2].as_number() == -std::numeric_limits<double>::infinity());
        CHECK(json::dump(v) == "[NaN, Infinity, -Infinity]");
        CHECK_THAT(json_error("[nan]"), Contains("unexpected character 'n'"));
        CHECK_THAT(json_error("[-NaN]"), Contains("invalid number"));
        CHECK_THAT(json_error("[Inf]"), Contains("unexpected character 'I'"));
    }
    SECTION("unicode escapes") {
        CHECK(json::parse(R"("caf\u00e9")").as_string() == "caf\xC3\xA9");
        CHECK(json::parse(R"("\u20AC")").as_string() == "\xE2\x82\xAC");
        CHECK(json::parse(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");
        CHECK(json::parse(R"("\u0000")").as_string() == std::string(1, '\0'));
        CHECK(json::dump(json::Value(std::string("a\0b\x1f", 4))) == R"("a\u0000b\u001f")");
        // Lone surrogates are refused (Python's json would accept them), the message points at the escape.
        CHECK_THAT(json_error(R"("\ud83d")"), Contains("at byte 1: high surrogate not followed by a low surrogate"));
        CHECK_THAT(json_error(R"(["x", "\ud83d\u0041"])"),
                   Contains("at byte 7: high surrogate not followed by a low surrogate"));
        CHECK_THAT(json_error(R"("\ud83d\ud83d")"), Contains("high surrogate not followed by a low surrogate"));
        CHECK_THAT(json_error(R"("ab\ude00")"), Contains("at byte 3: lone low surrogate"));
        CHECK(json::parse(R"("\udbff\udfff")").as_string() == "\xF4\x8F\xBF\xBF");
        CHECK_THAT(json_error(R"("\u12G4")"), Contains("invalid hex digit"));
        CHECK_THAT(json_error(R"("\u12)"), Contains("truncated \\u escape"));
        CHECK_THAT(json_error(R"("\x41")"), Contains("invalid escape '\\x'"));
        CHECK_THAT(json_error("\"a\tb\""), Contains("unescaped control character"));
    }
    SECTION("huge and tiny numbers") {
        CHECK(json::parse("9223372036854775807").as_integer() == std::numeric_limits<long long>::max());
        CHECK(json::parse("-9223372036854775808").as_integer() == std::numeric_limits<long long>::min());
        const json::Value big = json::parse("18446744073709551616");
        CHECK(!big.is_integer());
        CHECK(big.as_number() == 18446744073709551616.0);
        CHECK(json::parse("1e400").as_number() == std::numeric_limits<double>::infinity());
        CHECK(json::parse("-1e400").as_number() == -std::numeric_limits<double>::infinity());
        CHECK(json::parse("1e-400").as_number() == 0.0);
        CHECK(std::signbit(json::parse("-1e-400").as_number()));
        CHECK(json::parse(std::string(400, '9')).as_number() == std::numeric_limits<double>::infinity());
        CHECK(json::parse("0." + std::string(400, '0') + "1").as_number() == 0.0);
        CHECK(json::dump(json::parse("[4, 4.0, 0.1, 1e+20, -0.0]")) == "[4, 4.0, 0.1, 1e+20, -0.0]");
        CHECK_THAT(json_error("01"), Contains("leading zero"));
        CHECK_THAT(json_error("1."), Contains("no digits after '.'"));
        CHECK_THAT(json_error("1e"), Contains("no digits in the exponent"));
        CHECK_THAT(json_error("-"), Contains("invalid number"));
        CHECK_THAT(json_error("+1"), Contains("unexpected character '+'"));
    }
    SECTION("truncated input and trailing data") {
        CHECK_THAT(json_error(""), Contains("unexpected end of input, expected a value"));
        CHECK_THAT(json_error("   "), Contains("unexpected end of input"));
        CHECK_THAT(json_error("[1, 2"), Contains("unexpected end of input inside an array"));
        CHECK_THAT(json_error(R"({"a": 1)"), Contains("unexpected end of input inside an object"));
        CHECK_THAT(json_error(R"({"a")"), Contains("expected ':'"));
        CHECK_THAT(json_error(R"("abc)"), Contains("unterminated string"));
        CHECK_THAT(json_error("tru"), Contains("unexpected character 't'"));
        CHECK_THAT(json_error("[1, 2,]"), Contains("unexpected character ']'"));
        CHECK_THAT(json_error("{} {}"), Contains("unexpected data after the JSON value"));
        CHECK_THAT(json_error(std::string("[1]\0", 4)), Contains("unexpected data after the JSON value"));
        CHECK_THAT(json_error("\xff"), Contains("unexpected character '\\xff'"));
        CHECK_NOTHROW(json::parse("\xEF\xBB\xBF[1]"));
    }
}

TEST_CASE("JSON strings must be well-formed UTF-8", "[io][json]") {
    SECTION("every sequence length at its range limits reads unchanged") {
        for (const std::string s : {"\x7F", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                                    "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "caf\xC3\xA9"}) {
            INFO(s.size());
            CHECK(json::parse("\"" + s + "\"").as_string() == s);
            CHECK(json::parse("{\"" + s + "\": 1}").keys()[0] == s);
        }
    }
    SECTION("invalid sequences are refused at the byte where they start") {
        const std::pair<const char*, const char*> bad[] = {
            {"\x80", "a continuation byte alone"},
            {"\xBF", "a continuation byte alone"},
            {"\xC0\x80", "overlong NUL"},
            {"\xC1\xBF", "overlong ASCII"},
            {"\xE0\x80\x80", "overlong 3-byte"},
            {"\xE0\x9F\xBF", "overlong 3-byte"},
            {"\xF0\x80\x80\x80", "overlong 4-byte"},
            {"\xF0\x8F\xBF\xBF", "overlong 4-byte"},
            {"\xED\xA0\x80", "UTF-8 high surrogate"},
            {"\xED\xBF\xBF", "UTF-8 low surrogate"},
            {"\xF4\x90\x80\x80", "above U+10FFFF"},
            {"\xF5\x80\x80\x80", "lead byte F5"},
            {"\xFF", "lead byte FF"},
            {"\xE2\x82", "truncated before the quote"},
            {"\xC3\x28", "bad continuation"},
            {"\xF0\x9F\x98", "truncated 4-byte"},
        };
        for (const auto& [bytes, what] : bad) {
            INFO(what);
            CHECK_THAT(json_error(std::string("[\"ok\", \"ab") + bytes + "\"]"),
                       Contains("t.json: malformed JSON at byte 10: invalid UTF-8 in a string"));
            CHECK_THAT(json_error(std::string("{\"") + bytes + "\": 0}"), Contains("at byte 2: invalid UTF-8"));
        }
        CHECK_THAT(json_error("\"\xF0\x9F\x98"), Contains("invalid UTF-8"));  // truncated at the end of the text
    }
    SECTION("dump refuses strings the reader would refuse") {
        CHECK_THROWS_AS(json::dump(json::Value(std::string("a\xC0\x80"))), std::invalid_argument);
        json::Value o = json::Value::object();
        o.set("\xED\xA0\x80", 1);
        CHECK_THROWS_WITH(json::dump(o), Contains("not valid UTF-8 at byte 0"));
        CHECK(json::dump(json::Value("\xF0\x9F\x98\x80")) == "\"\xF0\x9F\x98\x80\"");
    }
}

TEST_CASE("JSON objects: lookup and duplicate keys at scale", "[io][json]") {
    // 200k distinct keys in a scrambled order, so neither sorted nor reverse input is what gets tested.
    constexpr long long n = 200000;
    const auto key = [](long long i) { return "k" + std::to_string((i * 7919) % n); };
    std::string text = "{";
    for (long long i = 0; i < n; ++i) text += (i ? ", \"" : "\"") + key(i) + "\": " + std::to_string(i);
    SECTION("every member is found, in insertion order") {
        const json::Value v = json::parse(text + "}");
        REQUIRE(v.size() == std::size_t(n));
        for (long long i = 0; i < n; i += 997) {
            CHECK(v.keys()[std::size_t(i)] == key(i));
            const json::Value* m = v.find(key(i));
            REQUIRE(m != nullptr);
            CHECK(m->as_integer() == i);
        }
        CHECK(v.find("k") == nullptr);
        CHECK(v.find(std::to_string(n)) == nullptr);
        CHECK(!v.contains("k" + std::to_string(n)));
    }
    SECTION("a repeated key is named with the byte offset of its second occurrence") {
        const std::string dup = ", \"" + key(n / 2) + "\": 0";
        CHECK_THAT(json_error(text + dup + "}"),
                   Contains("at byte " + std::to_string(text.size() + 2) + ": duplicate key \"" + key(n / 2) + "\""));
        // The first repetition in text order is the one reported, also when several keys repeat.
        CHECK_THAT(json_error(R"({"b": 1, "a": 2, "c": 3, "a": 4, "b": 5})"),
                   Contains("at byte 25: duplicate key \"a\""));
        CHECK_THAT(json_error(R"({"x": {"a": 1, "b": 2}, "y": {"b": 1, "b": 2}})"),
                   Contains("at byte 38: duplicate key \"b\""));
        // Keys equal as bytes, not as written: "\u0061" is "a".
        CHECK_THAT(json_error(R"({"a": 1, "\u0061": 2})"), Contains("duplicate key \"a\""));
        CHECK_NOTHROW(json::parse(R"({"a": 1, "A": 2, "a ": 3, "": 4})"));
    }
}

TEST_CASE("JSON values: copies, moves, set and empty containers", "[io][json]") {
    // Scalars inline, everything else behind one pointer.
    CHECK(sizeof(json::Value) <= 2 * sizeof(void*));
    json::Value o = json::Value::object();
    CHECK(o.size() == 0);
    CHECK(o.keys().empty());
    CHECK(o.find("a") == nullptr);
    for (const char* k : {"z", "b", "y", "a", "c"}) o.set(k, k);
    o.set("b", 2);  // replaced in place
    CHECK(o.keys() == std::vector<std::string>{"z", "b", "y", "a", "c"});
    CHECK(o.find("b")->as_integer() == 2);
    CHECK(o.find("c")->as_string() == "c");
    json::Value copy = o;
    CHECK(copy == o);
    copy.set("a", json::Value::array());
    CHECK(copy != o);
    CHECK(o.find("a")->as_string() == "a");
    json::Value moved = std::move(copy);
    CHECK(moved.find("a")->is_array());
    json::Value a = json::Value::array();
    CHECK(a == json::parse("[]"));
    CHECK(json::Value::object() == json::parse("{}"));
    CHECK(json::Value("") == json::parse(R"("")"));
    CHECK(json::parse(R"("")").as_string().empty());
    CHECK(json::Value::array() != json::Value::object());
    a.push_back(1);
    a.push_back("x");
    a.push_back(json::Value::object());
    CHECK(json::dump(a) == R"([1, "x", {}])");
    json::Value& alias = a;
    a = alias;  // self-assignment keeps the value
    CHECK(a.size() == 3);
    CHECK(json::Value(9007199254740993LL) != json::Value(9007199254740992LL));  // integers compare exactly
    CHECK(json::Value(1) != json::Value(1.0));
    CHECK_THROWS_AS(json::Value(1).as_string(), std::invalid_argument);
    CHECK_THROWS_AS(json::Value("x").set("a", 1), std::invalid_argument);
}

TEST_CASE("JSON running out of memory is a FormatError", "[io][json]") {
    // 40 MB of numbers need several hundred MB parsed; a child process gets only 64 MB more address space
    // than it has, so the parse must fail, and with the library's error type.
    if (!elman_test::address_space_limited) {
        WARN("not run: sanitizers reserve terabytes of address space, so RLIMIT_AS cannot be applied");
        return;
    }
    std::string text = "[0";
    text.reserve(40u << 20);
    while (text.size() < (40u << 20) - 2) text += ",0";
    text += "]";
    elman_test::ChildLimits limits;
    limits.extra_address_space = rlim_t(64) << 20;
    limits.require_address_space_limit = true;
    const elman_test::Outcome o = elman_test::run_limited([&] { (void)json::parse(text, "big.json"); }, limits);
    if (o.kind == 'U') {
        WARN("not run: " << o.message << " (qemu-user ignores RLIMIT_AS)");
        return;
    }
    INFO("child ended with '" << o.kind << "': " << o.message);
    CHECK(o.kind == 'F');
    CHECK_THAT(o.message, Catch::StartsWith("big.json: out of memory reading JSON text of"));
}

TEST_CASE("JSON long number arrays are held packed and read like any array", "[io][json]") {
    // 64+ numbers switch to the packed form: values, integer-ness, order and the text written back are kept.
    std::string text = "[";
    for (int i = 0; i < 200; ++i)
        text += (i ? ", " : "") + (i % 3 == 0 ? std::to_string(i) + ".5" : std::to_string(i - 100));
    text += ", 9223372036854775807, -9223372036854775808, 1e300, NaN]";
    const json::Value v = json::parse(text, "t.json");
    REQUIRE(v.is_array());
    REQUIRE(v.size() == 204);
    CHECK(v[0].as_number() == 0.5);
    CHECK(!v[0].is_integer());
    CHECK(v[1].as_integer() == -99);
    CHECK(v[200].as_integer() == 9223372036854775807LL);
    CHECK(v[201].as_integer() == std::numeric_limits<long long>::min());
    CHECK(v[202].as_number() == 1e300);
    CHECK(std::isnan(v[203].as_number()));
    CHECK(json::parse(json::dump(v), "again.json") == v);
    CHECK(json::dump(json::parse(text.substr(0, text.find(", 9223")) + "]", "t.json")) ==
          text.substr(0, text.find(", 9223")) + "]");
    // Copies, equality with the same array built by hand, and modification (which unpacks).
    json::Value built = json::Value::array();
    for (const json::Value& x : v.items()) built.push_back(x);
    CHECK(built == v);
    json::Value copy = v;
    CHECK(copy == v);
    copy.push_back(json::Value("end"));
    CHECK(copy.size() == 205);
    CHECK(copy[204].as_string() == "end");
    CHECK(copy != v);
    CHECK(v.size() == 204);
    json::Value moved = std::move(copy);
    CHECK(moved.size() == 205);
    // A non-number after the packed start turns the array back into a plain one, in order.
    std::string mixed = "[";
    for (int i = 0; i < 100; ++i) mixed += std::to_string(i) + ", ";
    mixed += "\"x\", [1], null, 7]";
    const json::Value m = json::parse(mixed, "t.json");
    REQUIRE(m.size() == 104);
    CHECK(m[99].as_integer() == 99);
    CHECK(m[100].as_string() == "x");
    CHECK(m[101][0].as_integer() == 1);
    CHECK(m[102].is_null());
    CHECK(m[103].as_integer() == 7);
    // Inside objects and nested arrays too.
    const json::Value o = json::parse("{\"a\": [" + text.substr(1) + ", \"b\": [[" + text.substr(1) + "]}", "t.json");
    CHECK(*o.find("a") == v);
    CHECK((*o.find("b"))[0] == v);
}
