// Replays every committed fuzz seed (fuzz/corpus/<target>/) and crash regression (fuzz/regressions/<target>/)
// through the same entry points the libFuzzer targets drive (fuzz/fuzz_entry_points.hpp), in the default
// suite, so no clang or libFuzzer is needed: each parser must succeed or throw elman::io::FormatError, never
// another exception, a crash or a sanitizer report, and must keep its round-trip properties.
#include "../fuzz/fuzz_entry_points.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path fuzz_dir = fs::path(ELMAN_TEST_DATA_DIR) / ".." / ".." / "fuzz";

using EntryPoint = void (*)(const std::uint8_t*, std::size_t);

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    if (!fs::is_directory(dir)) return files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void replay(const std::string& target, EntryPoint entry) {
    const auto seeds = files_in(fuzz_dir / "corpus" / target);
    // A missing or emptied corpus must not pass silently.
    REQUIRE(seeds.size() >= 5);
    auto all = seeds;
    for (const auto& f : files_in(fuzz_dir / "regressions" / target)) all.push_back(f);
    for (const auto& f : all) {
        INFO(f.string());
        const std::string bytes = bytes_of(f);
        CHECK_NOTHROW(entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    }
}

}  // namespace

TEST_CASE("fuzz corpus and regressions replay cleanly: json_parse", "[io][fuzz]") {
    replay("json_parse", elman_fuzz::json_parse);
}
TEST_CASE("fuzz corpus and regressions replay cleanly: layer_config", "[io][fuzz]") {
    replay("layer_config", elman_fuzz::layer_config);
}
TEST_CASE("fuzz corpus and regressions replay cleanly: npy", "[io][fuzz]") { replay("npy", elman_fuzz::npy); }
TEST_CASE("fuzz corpus and regressions replay cleanly: npz", "[io][fuzz]") { replay("npz", elman_fuzz::npz); }
TEST_CASE("fuzz corpus and regressions replay cleanly: tfjs", "[io][fuzz]") { replay("tfjs", elman_fuzz::tfjs); }

TEST_CASE("fuzz entry points let only FormatError through as a rejection", "[io][fuzz]") {
    // Hostile inputs that must be rejected (FormatError, swallowed by the entry point), not crash.
    const std::string deep(100000, '[');
    const std::string bomb_header =
        "\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }";
    const auto run = [](EntryPoint entry, const std::string& s) {
        entry(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    CHECK_NOTHROW(run(elman_fuzz::json_parse, deep));
    CHECK_NOTHROW(run(elman_fuzz::layer_config, deep));
    CHECK_NOTHROW(run(elman_fuzz::npy, bomb_header));
    CHECK_NOTHROW(run(elman_fuzz::npz, std::string(22, '\0')));
    CHECK_NOTHROW(run(elman_fuzz::tfjs, std::string()));
    // And a property violation is reported as an exception, so the replay test above can fail.
    CHECK_THROWS_AS(elman_fuzz::property_failed("x"), std::logic_error);
}

TEST_CASE("regression inputs are rejected for the reason they were added", "[io][fuzz]") {
    const auto message = [](const fs::path& f, auto&& parse) {
        const std::string bytes = bytes_of(fuzz_dir / "regressions" / f);
        REQUIRE(!bytes.empty());
        try {
            parse(bytes);
        } catch (const elman::io::FormatError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    // Two central-directory entries sharing one member's bytes (a ZIP bomb needs that) are refused.
    CHECK_THAT(
        message("npz/overlapping_members.npz", [](const std::string& b) { elman::io::read_npz<float>(b, "o.npz"); }),
        Catch::Contains("o.npz: bad ZIP/.npz archive: entry 'brr_0.npy' overlaps another entry"));
    // A stateful config with a static batch of 2e9 would allocate a 2e9 x units state when built.
    CHECK_THAT(message("layer_config/stateful_huge_batch.json",
                       [](const std::string& b) { elman::io::parse_layer_config(b, "s.json"); }),
               Catch::Contains("state values exceed the limit"));
    CHECK_THAT(message("layer_config/huge_input_dim.json",
                       [](const std::string& b) { elman::io::parse_layer_config(b, "h.json"); }),
               Catch::Contains("more than the limit"));
    CHECK_THAT(message("tfjs/stateful_huge_batch.bin",
                       [](const std::string& b) {
                           elman::io::read_tfjs<float>(b.substr(0, b.find('\0')), "m.json",
                                                       [&](const std::string&) { return b.substr(b.find('\0') + 1); });
                       }),
               Catch::Contains("m.json: ") && Catch::Contains("state values exceed the limit"));
}
