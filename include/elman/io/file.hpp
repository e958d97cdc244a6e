// SPDX-License-Identifier: MIT
// Whole-file reads and writes with size limits and errors that name the file.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// Largest file any elman loader reads into memory (weights of a SimpleRNN are far smaller).
inline constexpr std::size_t max_file_bytes = std::size_t(1) << 31;

/// The bytes of `path`. Throws FormatError("<path>: cannot open ...") etc.; never reads more than `limit`.
inline std::string read_file(const std::string& path, std::size_t limit = max_file_bytes) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw FormatError(path, std::string("cannot open for reading: ") + std::strerror(errno));
    std::string data;
    char buf[1 << 16];
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        if (n > 0) {
            if (data.size() + n > limit) {
                std::fclose(f);
                throw FormatError(path, "file is larger than the limit of " + std::to_string(limit) + " bytes");
            }
            data.append(buf, n);
        }
        if (n < sizeof buf) break;
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) throw FormatError(path, "read error");
    return data;
}

/// Writes `bytes` to `path` (replacing it). Throws FormatError on any I/O failure.
inline void write_file(const std::string& path, const std::string& bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw FormatError(path, std::string("cannot open for writing: ") + std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed) throw FormatError(path, "write error");
}

/// The temporary file a writer fills before it replaces `path` with it (replace_file).
inline std::string temp_path(const std::string& path) { return path + ".elman-tmp"; }

/// Renames `from` to `to`, replacing `to` (std::filesystem::rename: also on Windows, where std::rename does not
/// replace). On failure `from` is removed and FormatError names `to`.
inline void replace_file(const std::string& from, const std::string& to) {
    std::error_code ec;
    std::filesystem::rename(from, to, ec);
    if (ec) {
        std::remove(from.c_str());
        throw FormatError(to, "cannot write: " + ec.message());
    }
}

/// Writes `bytes` to temp_path(path) and renames it to `path` (replacing it): a failure leaves `path` as it
/// was and removes the temporary file.
inline void write_file_replacing(const std::string& path, const std::string& bytes) {
    const std::string temp = temp_path(path);
    try {
        write_file(temp, bytes);
    } catch (...) {
        std::remove(temp.c_str());
        throw;
    }
    replace_file(temp, path);
}

}  // namespace io
ELMAN_NAMESPACE_END
