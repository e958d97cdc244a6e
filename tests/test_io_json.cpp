// io/json.hpp, the JSON reader/writer behind every config: nesting and size limits, duplicate keys, Python's
// NaN/Infinity, unicode escapes, number edge cases, truncated input and trailing data (moved out of
// test_io_config.cpp, which tests the SimpleRNN config on top of it).
#include <elman/io/json.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

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
        CHECK_THAT(json_error(R"("\ud83d")"), Contains("high surrogate not followed by a low surrogate"));
        CHECK_THAT(json_error(R"("\ud83d\u0041")"), Contains("high surrogate not followed by a low surrogate"));
        CHECK_THAT(json_error(R"("\ude00")"), Contains("lone low surrogate"));
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
