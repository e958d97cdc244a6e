// Hostile files (issue 12): each is loaded in a forked child under an address-space limit (RLIMIT_AS, except under
// AddressSanitizer, which reserves terabytes of address space) and a CPU-time limit (RLIMIT_CPU), and must end in
// io::FormatError naming the file: not std::bad_alloc, not a signal (SIGXCPU = quadratic time). The small files
// are committed (tools/io_fixtures/make_hostile_files.py); the large ones are built here at run time.
#include <elman/io/detail/zip.hpp>
#include <elman/io/load_options.hpp>
#include <elman/io/npz.hpp>
#include <elman/io/tfjs.hpp>
#if defined(ELMAN_TEST_WITH_HDF5)
#include <elman/io/hdf5.hpp>
#endif

#include <catch2/catch.hpp>

#include "limited_child.hpp"
#include "temp_dir.hpp"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#if defined(ELMAN_HAVE_ZLIB)
#include <zlib.h>
#endif

namespace {

namespace fs = std::filesystem;
using elman::io::FormatError;
using elman::io::LoadOptions;

const std::string hostile_dir = std::string(ELMAN_TEST_DATA_DIR) + "/io/hostile/";

/// Checks that `load` ends in a FormatError whose message names `file` and contains `problem`.
template <class Load>
void check_refused(Load&& load, const std::string& file, const std::string& problem) {
    const elman_test::Outcome o = elman_test::run_limited(load);
    INFO("child ended with '" << o.kind << "': " << o.message);
    CHECK(o.kind == 'F');
    CHECK_THAT(o.message, Catch::StartsWith(file + ": ") && Catch::Contains(problem));
}

using TempDir = elman_test::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) { elman::io::write_file(path, bytes); }

void le(std::string& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

/// A one-member ZIP (deflate) whose directory claims `claimed` bytes for the raw deflate data `raw`.
std::string zip_with_raw_member(const std::string& name, const std::string& raw, std::uint64_t claimed,
                                std::uint32_t crc) {
    std::string out;
    auto common = [&](std::string& s) {
        le(s, 20, 2);
        le(s, 0, 2);
        le(s, 8, 2);
        le(s, 0, 2);
        le(s, 0x21, 2);
        le(s, crc, 4);
        le(s, raw.size(), 4);
        le(s, claimed, 4);
        le(s, name.size(), 2);
        le(s, 0, 2);
    };
    le(out, 0x04034b50u, 4);
    common(out);
    out += name + raw;
    std::string directory;
    le(directory, 0x02014b50u, 4);
    le(directory, 20, 2);
    common(directory);
    for (int i = 0; i < 3; ++i) le(directory, 0, 2);  // comment length, disk, internal attributes
    le(directory, 0, 4);
    le(directory, 0, 4);
    directory += name;
    const std::size_t cd_offset = out.size();
    out += directory;
    le(out, 0x06054b50u, 4);
    le(out, 0, 4);
    le(out, 1, 2);
    le(out, 1, 2);
    le(out, directory.size(), 4);
    le(out, cd_offset, 4);
    le(out, 0, 2);
    return out;
}

/// `members` tiny arrays arr_0.npy ... (the last one named `last` when given).
std::string many_member_npz(std::size_t members, const std::string& last = "") {
    const elman::Tensor<float> tiny(elman::Shape{1});
    const std::string npy = elman::io::npy_bytes<float>(tiny.view());
    std::vector<elman::io::detail::ZipEntry> entries;
    entries.reserve(members);
    for (std::size_t i = 0; i < members; ++i) entries.push_back({"arr_" + std::to_string(i) + ".npy", npy});
    if (!last.empty()) entries.back().name = last;
    return elman::io::detail::write_zip(entries, "<test>");
}

}  // namespace

TEST_CASE("hostile: an .npz with 160k members is refused in linear time", "[io][hostile]") {
    TempDir dir;
    const std::string many = dir.file("many.npz"), duplicate = dir.file("duplicate.npz");
    write_bytes(many, many_member_npz(160000));
    write_bytes(duplicate, many_member_npz(160000, "arr_0.npy"));
    check_refused([&] { elman::io::load_npz_weights<float>(many); }, many, "recurrent_kernel[, bias]), found 160000");
    check_refused([&] { elman::io::load_npz<float>(duplicate); }, duplicate, "duplicate entry 'arr_0.npy'");
}

TEST_CASE("hostile: ZIP members over the array cap or claiming more than they inflate to", "[io][hostile]") {
    TempDir dir;
    // A deflate stream of one stored block holding 16 bytes, then 3 MiB of padding, under a claim of 3 GiB:
    // within the 1032:1 ratio, so only the output that really appears may cost memory.
    std::string raw = "\x01";
    le(raw, 16, 2);
    le(raw, 0xFFFF ^ 16, 2);
    raw += std::string(16, '\0') + std::string(std::size_t(3) << 20, '\0');
    const std::string claims = dir.file("claims_3gib.npz");
    write_bytes(claims, zip_with_raw_member("arr_0.npy", raw, std::uint64_t(3) << 30, 0));
    check_refused([&] { elman::io::load_npz<float>(claims); }, claims,
                  "bad ZIP/.npz archive: entry 'arr_0.npy' claims 3221225472 bytes, more than the limit of 1073741824");
    LoadOptions generous;
    generous.max_array_bytes = std::size_t(8) << 30;
#if defined(ELMAN_HAVE_ZLIB)
    check_refused([&] { elman::io::load_npz<float>(claims, generous); }, claims,
                  "bad ZIP/.npz archive: entry 'arr_0.npy': corrupt deflate data (16 bytes, the directory claims");

    // A deflate bomb: 1 MiB of full-flush blocks, each inflating to 1 MiB of zeros, after a 1 GiB float32 header.
    const std::string header = [] {
        std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (268435456,), }";
        h.append(64 - (10 + h.size() + 1) % 64, ' ');
        std::string out = "\x93NUMPY\x01";
        out += '\0';
        le(out, h.size() + 1, 2);
        return out + h + "\n";
    }();
    auto compress = [](const std::string& data) {
        z_stream zs{};
        REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        zs.avail_in = static_cast<uInt>(data.size());
        zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
        zs.avail_out = static_cast<uInt>(out.size());
        REQUIRE(deflate(&zs, Z_FULL_FLUSH) == Z_OK);
        out.resize(zs.total_out);
        deflateEnd(&zs);
        return out;
    };
    const std::string zeros(std::size_t(1) << 20, '\0');
    const std::string block = compress(zeros);
    std::string bomb = compress(header);
    for (int i = 0; i < 1024; ++i) bomb += block;
    bomb += std::string("\x03\x00", 2);  // a final, empty fixed-Huffman block
    const std::string bomb_path = dir.file("bomb.npz");
    write_bytes(bomb_path, zip_with_raw_member("arr_0.npy", bomb, header.size() + (std::uint64_t(1) << 30), 0));
    check_refused([&] { elman::io::load_npz<float>(bomb_path); }, bomb_path, "more than the limit of 1073741824");
#endif
}

TEST_CASE("hostile: tfjs shards listed twice, over the total, or outside the model's folder", "[io][hostile]") {
    const std::string repeated = hostile_dir + "tfjs_repeated_shard/model.json";
    check_refused([&] { elman::io::load_tfjs<float>(repeated); }, repeated,
                  "weightsManifest lists shard 'weights.bin' more than once");

    const std::string model_dir = std::string(ELMAN_TEST_DATA_DIR) + "/io/tfjs/tanh_sequences/";
    const std::string model_json = elman::io::read_file(model_dir + "model.json");
    LoadOptions small;
    small.max_file_bytes = 100;  // the one shard has 128 bytes
    check_refused(
        [&] {
            elman::io::read_tfjs<float>(
                model_json, "m.json", [](const std::string&) { return std::string(128, '\0'); }, {}, small);
        },
        "m.json", "weight shards exceed the size limit of 100 bytes");

    TempDir dir;
    const std::string json = dir.file("model.json");
    write_bytes(json, model_json);
    fs::create_symlink(fs::canonical(model_dir + "weights.bin"), dir.path / "weights.bin");
    check_refused([&] { elman::io::load_tfjs<float>(json); }, json, "outside the model's folder");

    // A symlink that stays inside the folder is an ordinary shard.
    fs::remove(dir.path / "weights.bin");
    fs::copy_file(model_dir + "weights.bin", dir.path / "real.bin");
    fs::create_symlink("real.bin", dir.path / "weights.bin");
    CHECK(elman::io::load_tfjs<float>(json).weights.size() == 3);
    CHECK(elman::io::detail::path_is_inside("/m/a/b", "/m/a"));
    CHECK_FALSE(elman::io::detail::path_is_inside("/m/ab", "/m/a"));
    CHECK_FALSE(elman::io::detail::path_is_inside("/m/a", "/m/a"));
}

TEST_CASE("hostile: arrays over LoadOptions::max_array_bytes are refused before allocation", "[io][hostile]") {
    const elman::Tensor<float> t(elman::Shape{4, 4});
    const std::string npy = elman::io::npy_bytes<float>(t.view());
    LoadOptions tiny;
    tiny.max_array_bytes = 63;
    CHECK_THROWS_WITH(elman::io::read_npy<float>(npy, "t.npy", tiny),
                      "t.npy: array of shape (4, 4) is larger than the limit of 63 bytes "
                      "(io::LoadOptions::max_array_bytes)");
    tiny.max_array_bytes = 64;
    CHECK(elman::io::read_npy<float>(npy, "t.npy", tiny).size() == 16);
}

#if defined(ELMAN_TEST_WITH_HDF5)
TEST_CASE("hostile: .h5 files that read outside the file or declare more than they store", "[io][hostile]") {
    const std::string f32 = hostile_dir + "h5_huge_chunked_f32.h5", f64 = hostile_dir + "h5_huge_chunked_f64.h5";
    // Within the 1 GiB cap (float32) but with nothing stored: refused before libhdf5 fills 1 GiB with zeros.
    check_refused([&] { elman::io::load_keras_h5<float>(f32); }, f32,
                  "declares 1073741824 bytes but only 0 are stored");
    check_refused([&] { elman::io::load_keras_h5<double>(f64); }, f64,
                  "declares 2147483648 bytes, more than the limit of 1073741824");
    LoadOptions generous;
    generous.max_array_bytes = std::size_t(8) << 30;
    check_refused([&] { elman::io::load_keras_h5<double>(f64, {}, generous); }, f64,
                  "declares 2147483648 bytes but only 0 are stored");

    struct Case {
        const char* file;
        const char* problem;
    };
    for (const Case c :
         {Case{"h5_external_storage.h5", "keeps its data in the external file '/etc/passwd'"},
          Case{"h5_external_link.h5", "is an external link (refused"},
          Case{"h5_soft_to_external_link.h5", "is reached through an external link to h5_link_target.h5"},
          Case{"h5_virtual.h5", "is a virtual dataset"}, Case{"h5_plugin_filter.h5", "uses HDF5 filter 32000"}}) {
        const std::string path = hostile_dir + c.file;
        check_refused([&] { elman::io::load_keras_h5<float>(path); }, path, c.problem);
    }
}

TEST_CASE("hostile: .h5 with 120k layer names is refused in linear time", "[io][hostile]") {
    TempDir dir;
    auto write = [&](const std::string& path, bool duplicate) {
        elman::io::detail::H5Quiet quiet;
        elman::io::detail::H5Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        REQUIRE(file.valid());
        std::vector<std::string> names;
        for (int i = 0; i < 120000; ++i) names.push_back("layer_" + std::to_string(i));
        if (duplicate) names.back() = names.front();
        // Keras' layout for attributes over HDF5's 64 KiB header limit: layer_names0, layer_names1, ...
        for (std::size_t start = 0, chunk = 0; start < names.size(); start += 5000, ++chunk) {
            const std::vector<std::string> part(names.begin() + static_cast<std::ptrdiff_t>(start),
                                                names.begin() + static_cast<std::ptrdiff_t>(start + 5000));
            elman::io::detail::h5_write_strings(file.get(), "layer_names" + std::to_string(chunk), part, false, path);
        }
    };
    const std::string distinct = dir.file("distinct.h5"), duplicate = dir.file("duplicate.h5");
    write(distinct, false);
    write(duplicate, true);
    check_refused([&] { elman::io::load_keras_h5<float>(distinct); }, distinct,
                  "layer_names lists 'layer_0' but there is no such group");
    check_refused([&] { elman::io::load_keras_h5<float>(duplicate); }, duplicate,
                  "duplicate layer name 'layer_0' in layer_names");
}
#endif
