// A scratch folder for one test, removed with everything in it when the test ends.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace elman_test {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& prefix = "elman_test") {
        std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    /// The path of `name` inside the folder.
    std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace elman_test
