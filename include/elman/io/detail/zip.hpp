// SPDX-License-Identifier: MIT
// The subset of ZIP that numpy's .npz uses: read stored / deflated (with zlib) entries, write stored entries.
// Internal (elman::io::detail): the user API is io/npz.hpp.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/load_options.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#if defined(ELMAN_HAVE_ZLIB)
#include <zlib.h>
#endif

// ELMAN_HAVE_ZLIB changes what inflate_entry does, hence read_zip and the .npz readers above it: those live in
// an inline namespace named after the setting, so a program whose translation units disagree (a target that
// links elman::zlib next to one that does not) gets two sets of symbols, each TU its own, not an ODR violation.
// Nothing else depends on zlib, so types (ZipEntry, NamedArray, LoadedLayer) and the writers stay untagged.
#if defined(ELMAN_HAVE_ZLIB)
#define ELMAN_IO_ZLIB_ABI_NAMESPACE with_zlib
#else
#define ELMAN_IO_ZLIB_ABI_NAMESPACE without_zlib
#endif

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

/// CRC-32 (ISO-HDLC, zlib's and ZIP's) of `n` bytes, continuing from `crc` (0 to start).
inline std::uint32_t crc32(const unsigned char* data, std::size_t n, std::uint32_t crc = 0) {
    // Slicing-by-8: table k holds the CRC of a byte followed by k zero bytes, so one step folds in 8 bytes with 8
    // independent lookups instead of 8 dependent ones. Every member a reader returns is checksummed, so this
    // sets the speed of reading a stored .npz (several times the byte-at-a-time loop). Bytes are assembled
    // explicitly, so the result does not depend on the host's byte order.
    using Table = std::array<std::uint32_t, 256>;
    static const std::array<Table, 8> tables = [] {
        std::array<Table, 8> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[0][i] = c;
        }
        for (std::size_t k = 1; k < 8; ++k)
            for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
        return t;
    }();
    const auto word = [](const unsigned char* b) {
        return std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 | std::uint32_t(b[3]) << 24;
    };
    crc = ~crc;
    for (; n >= 8; data += 8, n -= 8) {
        const std::uint32_t lo = crc ^ word(data), hi = word(data + 4);
        crc = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^ tables[4][lo >> 24] ^
              tables[3][hi & 0xFF] ^ tables[2][(hi >> 8) & 0xFF] ^ tables[1][(hi >> 16) & 0xFF] ^ tables[0][hi >> 24];
    }
    for (; n > 0; ++data, --n) crc = tables[0][(crc ^ *data) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/// One archive member: its name and its (decompressed, CRC-checked) bytes.
struct ZipEntry {
    std::string name;
    std::string data;
};

/// Bounds-checked little-endian reads from the archive image.
class ZipCursor {
  public:
    ZipCursor(std::string_view bytes, const std::string& source) : b_(bytes), source_(source) {}
    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(source_, "bad ZIP/.npz archive: " + what);
    }
    void need(std::uint64_t offset, std::uint64_t len, const char* what) const {
        if (offset > b_.size() || len > b_.size() - offset)
            fail(std::string(what) + " lies outside the file (truncated?)");
    }
    std::uint64_t le(std::uint64_t offset, int n, const char* what) const {
        need(offset, static_cast<std::uint64_t>(n), what);
        std::uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i)
            v = (v << 8) | static_cast<unsigned char>(b_[offset + static_cast<std::uint64_t>(i)]);
        return v;
    }
    std::string_view bytes() const { return b_; }

  private:
    std::string_view b_;
    const std::string& source_;
};

inline namespace ELMAN_IO_ZLIB_ABI_NAMESPACE {

/// One zlib inflate stream for all deflated members of an archive (reset between members), so an archive of many
/// small members pays zlib's state and 32 KiB window once, not once per member.
class Inflater {
  public:
    Inflater() = default;
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    ~Inflater() {
#if defined(ELMAN_HAVE_ZLIB)
        if (open_) inflateEnd(&zs_);
#endif
    }

    /// The inflated bytes of a raw-deflate member that claims `size` bytes. The output grows with what zlib
    /// actually produces (first twice the compressed size, at least 64 KiB, then doubling; never beyond `size`),
    /// so a member that claims more than its data yields costs only what it yields; zlib's 32-bit counters are
    /// fed in slices, so members of 4 GiB and more (ZIP64) are not truncated.
    std::string inflate_entry(std::string_view compressed, std::uint64_t size, const ZipCursor& z,
                              const std::string& name) {
#if defined(ELMAN_HAVE_ZLIB)
        if (!open_) {
            if (inflateInit2(&zs_, -MAX_WBITS) != Z_OK) z.fail("entry '" + name + "': zlib initialisation failed");
            open_ = true;
        } else if (inflateReset(&zs_) != Z_OK) {
            z.fail("entry '" + name + "': zlib reset failed");
        }
        // A reset keeps the input pointer: an earlier member may have stopped with input left over.
        zs_.next_in = nullptr;
        zs_.avail_in = 0;
        constexpr std::uint64_t slice = std::uint64_t(1) << 30;  // below zlib's uInt limit
        // Real weights deflate to about their own size, so the first buffer usually holds the whole member; a bomb
        // (up to 1032:1) pays a few doublings, each bounded by what was already produced.
        const std::uint64_t first =
            std::max<std::uint64_t>(std::uint64_t(64) << 10, 2 * std::uint64_t(compressed.size()));
        std::string out;
        std::uint64_t in_pos = 0;
        int rc = Z_OK;
        char probe = 0;  // lives as long as zlib may touch it (inflate copies its output into its window)
        while (rc != Z_STREAM_END) {
            if (out.size() == size) {
                // Full: the stream must end now; anything more it would produce means the claimed size is wrong.
                zs_.next_out = reinterpret_cast<Bytef*>(&probe);
                zs_.avail_out = 1;
            } else {
                const std::uint64_t grow =
                    std::min<std::uint64_t>(std::max<std::uint64_t>(first, 2 * std::uint64_t(out.size())), size) -
                    out.size();
                const std::size_t old = out.size();
                out.resize(old + static_cast<std::size_t>(grow));
                zs_.next_out = reinterpret_cast<Bytef*>(&out[old]);
                zs_.avail_out = static_cast<uInt>(grow);
            }
            if (zs_.avail_in == 0 && in_pos < compressed.size()) {
                const std::uint64_t n = std::min<std::uint64_t>(slice, compressed.size() - in_pos);
                zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + in_pos));
                zs_.avail_in = static_cast<uInt>(n);
                in_pos += n;
            }
            const uInt avail_before = zs_.avail_out;
            const bool full = out.size() == size && avail_before == 1;
            rc = inflate(&zs_, Z_NO_FLUSH);
            const std::uint64_t produced = avail_before - zs_.avail_out;
            if (full) {
                if (produced != 0)
                    z.fail("entry '" + name + "': corrupt deflate data (more than the claimed " + std::to_string(size) +
                           " bytes)");
            } else {
                out.resize(out.size() - zs_.avail_out);
            }
            if (rc == Z_BUF_ERROR && zs_.avail_in == 0 && in_pos == compressed.size())
                z.fail("entry '" + name + "': corrupt deflate data (truncated stream)");
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                z.fail("entry '" + name + "': corrupt deflate data (zlib error " + std::to_string(rc) + ")");
        }
        if (out.size() != size) {
            z.fail("entry '" + name + "': corrupt deflate data (" + std::to_string(out.size()) +
                   " bytes, the directory claims " + std::to_string(size) + ")");
        }
        return out;
#else
        (void)compressed;
        (void)size;
        z.fail("entry '" + name +
               "' is deflate-compressed (np.savez_compressed), but elman was "
               "built without zlib: define ELMAN_HAVE_ZLIB and link zlib (CMake: elman::zlib), or "
               "save with np.savez");
#endif
    }

  private:
#if defined(ELMAN_HAVE_ZLIB)
    z_stream zs_{};
    bool open_ = false;
#endif
};

/// Every member of a ZIP archive (ZIP64 as numpy writes it included). Rejects encryption, methods other
/// than stored/deflate, duplicate names, CRC mismatches, any offset or size outside the file and members whose
/// local header + data overlap another's (so no two entries can decode the same bytes, and the total output is
/// bounded by the file size: stored 1:1, deflate at most 1032:1), and members larger than
/// `options.max_array_bytes`; sizes are checked before allocating, and a deflated member's output grows only
/// with what it inflates to. Time is linear in the number of members (names are checked with a hash set).
inline std::vector<ZipEntry> read_zip(std::string_view bytes, const std::string& source,
                                      const LoadOptions& options = {}) {
    ZipCursor z(bytes, source);
    if (bytes.size() < 22) z.fail("file too small to be an archive");
    // End of central directory: the last signature within the final 22 + 65535 bytes.
    std::uint64_t eocd = bytes.size();
    const std::uint64_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
    // memchr finds the candidates (the size check above covers at + 3), so a 64 KiB comment is scanned at
    // memchr's speed and only a 'P' costs a comparison; the last match wins.
    const char* const scan_end = bytes.data() + bytes.size() - 22 + 1;
    for (const char* at = bytes.data() + lowest;
         (at = static_cast<const char*>(std::memchr(at, 'P', static_cast<std::size_t>(scan_end - at)))) != nullptr;
         ++at) {
        if (at[1] == 'K' && at[2] == '\x05' && at[3] == '\x06') eocd = static_cast<std::uint64_t>(at - bytes.data());
    }
    if (eocd == bytes.size()) z.fail("no end-of-central-directory record (not a ZIP file, or truncated)");
    std::uint64_t count = z.le(eocd + 10, 2, "end record");
    std::uint64_t cd_size = z.le(eocd + 12, 4, "end record");
    std::uint64_t cd_offset = z.le(eocd + 16, 4, "end record");
    if ((count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) && eocd >= 20 &&
        z.le(eocd - 20, 4, "zip64 locator") == 0x07064b50u) {
        const std::uint64_t z64 = z.le(eocd - 20 + 8, 8, "zip64 locator");
        if (z.le(z64, 4, "zip64 end record") != 0x06064b50u) z.fail("bad ZIP64 end record");
        count = z.le(z64 + 32, 8, "zip64 end record");
        cd_size = z.le(z64 + 40, 8, "zip64 end record");
        cd_offset = z.le(z64 + 48, 8, "zip64 end record");
    }
    z.need(cd_offset, cd_size, "central directory");
    if (count > cd_size / 46) z.fail("entry count " + std::to_string(count) + " does not fit the central directory");
    std::vector<ZipEntry> entries;
    std::unordered_set<std::string_view> names;  // views into `bytes`, which outlives the set
    names.reserve(static_cast<std::size_t>(count));
    std::map<std::uint64_t, std::uint64_t> spans;  // start -> end of every member's local header + data
    Inflater inflater;
    std::uint64_t p = cd_offset;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (z.le(p, 4, "central directory entry") != 0x02014b50u) z.fail("bad central directory entry signature");
        const std::uint64_t flags = z.le(p + 8, 2, "central directory entry");
        const std::uint64_t method = z.le(p + 10, 2, "central directory entry");
        const std::uint64_t crc = z.le(p + 16, 4, "central directory entry");
        std::uint64_t csize = z.le(p + 20, 4, "central directory entry");
        std::uint64_t usize = z.le(p + 24, 4, "central directory entry");
        const std::uint64_t name_len = z.le(p + 28, 2, "central directory entry");
        const std::uint64_t extra_len = z.le(p + 30, 2, "central directory entry");
        const std::uint64_t comment_len = z.le(p + 32, 2, "central directory entry");
        std::uint64_t local = z.le(p + 42, 4, "central directory entry");
        z.need(p + 46, name_len + extra_len + comment_len, "central directory entry");
        const std::string_view name_view = bytes.substr(p + 46, name_len);
        std::string name(name_view);
        // ZIP64 extra field: 64-bit values for exactly the fields stored as 0xFFFFFFFF, in this order.
        for (std::uint64_t e = p + 46 + name_len; e + 4 <= p + 46 + name_len + extra_len;) {
            const std::uint64_t id = z.le(e, 2, "extra field"), len = z.le(e + 2, 2, "extra field");
            if (e + 4 + len > p + 46 + name_len + extra_len) z.fail("extra field of '" + name + "' overruns its entry");
            if (id == 0x0001) {
                std::uint64_t q = e + 4;
                auto take = [&](std::uint64_t& field) {
                    if (field != 0xFFFFFFFFu) return;
                    if (q + 8 > e + 4 + len) z.fail("short ZIP64 extra field in '" + name + "'");
                    field = z.le(q, 8, "extra field");
                    q += 8;
                };
                take(usize);
                take(csize);
                take(local);
            }
            e += 4 + len;
        }
        p += 46 + name_len + extra_len + comment_len;
        if (flags & 1u) z.fail("entry '" + name + "' is encrypted");
        if (!names.insert(name_view).second) z.fail("duplicate entry '" + name + "'");
        if (usize > options.max_array_bytes) {
            z.fail("entry '" + name + "' claims " + std::to_string(usize) + " bytes, more than the limit of " +
                   std::to_string(options.max_array_bytes) + " (io::LoadOptions::max_array_bytes)");
        }
        if (z.le(local, 4, "local header") != 0x04034b50u) z.fail("bad local header of '" + name + "'");
        const std::uint64_t data =
            local + 30 + z.le(local + 26, 2, "local header") + z.le(local + 28, 2, "local header");
        z.need(data, csize, "entry data");
        {
            const std::uint64_t end = data + csize;
            auto next = spans.lower_bound(local);
            const bool overlaps_next = next != spans.end() && next->first < (end > local ? end : local + 1);
            const bool overlaps_prev = next != spans.begin() && std::prev(next)->second > local;
            if (overlaps_next || overlaps_prev) z.fail("entry '" + name + "' overlaps another entry");
            spans.emplace(local, end);
        }
        const std::string_view raw = bytes.substr(data, csize);
        ZipEntry entry;
        entry.name = std::move(name);
        if (method == 0) {
            if (csize != usize) z.fail("stored entry '" + entry.name + "' has different sizes");
            entry.data = std::string(raw);
        } else if (method == 8) {
            if (usize > csize * 1032 + 1024)
                z.fail("entry '" + entry.name + "' claims an impossible size " + std::to_string(usize));
            entry.data = inflater.inflate_entry(raw, usize, z, entry.name);
        } else {
            z.fail("entry '" + entry.name + "' uses compression method " + std::to_string(method) +
                   " (only stored and deflate)");
        }
        if (crc32(reinterpret_cast<const unsigned char*>(entry.data.data()), entry.data.size()) != crc) {
            z.fail("CRC mismatch in entry '" + entry.name + "' (corrupt file)");
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

}  // namespace ELMAN_IO_ZLIB_ABI_NAMESPACE

inline void put_le(std::string& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

/// A ZIP archive of stored (uncompressed) members, readable by Python's zipfile / numpy.load; ZIP64 end records
/// when there are 65535 members or more (each member and offset must still fit 32 bits).
inline std::string write_zip(const std::vector<ZipEntry>& entries, const std::string& target) {
    std::string out, directory;
    for (const ZipEntry& e : entries) {
        if (e.data.size() >= 0xFFFFFFFFu || out.size() >= 0xFFFFFFFFu || e.name.size() > 0xFFFF) {
            throw FormatError(target, "entry '" + e.name + "' is too large for a non-ZIP64 archive");
        }
        const std::uint32_t crc = crc32(reinterpret_cast<const unsigned char*>(e.data.data()), e.data.size());
        const std::uint64_t offset = out.size();
        auto common = [&](std::string& s) {
            put_le(s, 20, 2);    // version needed: 2.0
            put_le(s, 0, 2);     // flags
            put_le(s, 0, 2);     // method: stored
            put_le(s, 0, 2);     // time
            put_le(s, 0x21, 2);  // date: 1980-01-01
            put_le(s, crc, 4);
            put_le(s, e.data.size(), 4);
            put_le(s, e.data.size(), 4);
            put_le(s, e.name.size(), 2);
            put_le(s, 0, 2);  // extra length
        };
        put_le(out, 0x04034b50u, 4);
        common(out);
        out += e.name;
        out += e.data;
        put_le(directory, 0x02014b50u, 4);
        put_le(directory, 20, 2);  // version made by
        common(directory);
        put_le(directory, 0, 2);  // comment length
        put_le(directory, 0, 2);  // disk
        put_le(directory, 0, 2);  // internal attributes
        put_le(directory, 0, 4);  // external attributes
        put_le(directory, offset, 4);
        directory += e.name;
    }
    const std::uint64_t cd_offset = out.size();
    out += directory;
    // 65535 members or more need the ZIP64 end records (as Python's zipfile writes them); the 16-bit count of
    // the classic record then holds 0xFFFF, which tells readers to look for them.
    const bool zip64 = entries.size() >= 0xFFFF || directory.size() >= 0xFFFFFFFFu || cd_offset >= 0xFFFFFFFFu;
    if (zip64) {
        const std::uint64_t record = out.size();
        put_le(out, 0x06064b50u, 4);
        put_le(out, 44, 8);  // size of the rest of the record
        put_le(out, 45, 2);  // version made by: 4.5 (ZIP64)
        put_le(out, 45, 2);  // version needed
        put_le(out, 0, 4);
        put_le(out, 0, 4);
        put_le(out, entries.size(), 8);
        put_le(out, entries.size(), 8);
        put_le(out, directory.size(), 8);
        put_le(out, cd_offset, 8);
        put_le(out, 0x07064b50u, 4);  // locator
        put_le(out, 0, 4);
        put_le(out, record, 8);
        put_le(out, 1, 4);
    }
    const auto clamp = [zip64](std::uint64_t v, std::uint64_t max) { return zip64 ? max : std::min(v, max); };
    put_le(out, 0x06054b50u, 4);
    put_le(out, 0, 2);
    put_le(out, 0, 2);
    put_le(out, clamp(entries.size(), 0xFFFF), 2);
    put_le(out, clamp(entries.size(), 0xFFFF), 2);
    put_le(out, clamp(directory.size(), 0xFFFFFFFFu), 4);
    put_le(out, clamp(cd_offset, 0xFFFFFFFFu), 4);
    put_le(out, 0, 2);
    return out;
}

}  // namespace detail
}  // namespace io
ELMAN_NAMESPACE_END
