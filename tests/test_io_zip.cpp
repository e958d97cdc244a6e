// include/elman/io/zip.hpp on archives built byte by byte here (independent of write_zip): stored and deflated
// members (a deflate stream of one stored block is written by hand, so the no-zlib build tests its error too;
// with zlib, real compressed members), ZIP64 records, an archive comment, and every rejection the header
// documents: truncation, bad signatures, duplicate names, wrong sizes, CRC, encryption, methods, overlaps.
#include <elman/io/detail/zip.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#if defined(ELMAN_HAVE_ZLIB)
#include <zlib.h>
#endif

namespace {

using elman::io::FormatError;
using elman::io::detail::read_zip;
using elman::io::detail::write_zip;
using elman::io::detail::ZipEntry;

void le(std::string& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t crc_of(const std::string& s) {
    return elman::io::detail::crc32(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

// A raw deflate stream made of one stored block (BFINAL=1, BTYPE=00): valid deflate without needing zlib.
std::string deflate_stored_block(const std::string& data) {
    std::string out(1, '\x01');
    le(out, data.size(), 2);
    le(out, ~data.size() & 0xFFFFu, 2);
    return out + data;
}

struct Member {
    std::string name;
    std::string data;     // the uncompressed bytes
    std::string payload;  // the bytes in the archive (data itself when stored)
    std::uint16_t method = 0;
    std::uint16_t flags = 0;
    // Central directory overrides (the reader trusts the central directory, as zipfile does).
    std::optional<std::uint64_t> crc, csize, usize, local_offset;
    std::string extra;  // central directory extra field
    std::uint32_t local_signature = 0x04034b50u;
};

Member stored(std::string name, std::string data) {
    Member m;
    m.name = std::move(name);
    m.data = data;
    m.payload = std::move(data);
    return m;
}

Member deflated(std::string name, std::string data, std::string payload) {
    Member m;
    m.name = std::move(name);
    m.data = std::move(data);
    m.payload = std::move(payload);
    m.method = 8;
    return m;
}

struct Archive {
    std::vector<Member> members;
    std::string comment;
    std::optional<std::uint64_t> count, cd_offset;
    bool zip64 = false;  // end record fields 0xFFFF... and the real values in a ZIP64 end record
};

std::string build_archive(const Archive& a) {
    std::string out, cd;
    for (const Member& m : a.members) {
        const std::uint64_t offset = out.size();
        const std::uint64_t crc = m.crc.value_or(crc_of(m.data));
        le(out, m.local_signature, 4);
        le(out, 20, 2);
        le(out, m.flags, 2);
        le(out, m.method, 2);
        le(out, 0, 4);  // time, date
        le(out, crc, 4);
        le(out, m.payload.size(), 4);
        le(out, m.data.size(), 4);
        le(out, m.name.size(), 2);
        le(out, 0, 2);
        out += m.name + m.payload;

        le(cd, 0x02014b50u, 4);
        le(cd, 20, 2);
        le(cd, 20, 2);
        le(cd, m.flags, 2);
        le(cd, m.method, 2);
        le(cd, 0, 4);
        le(cd, crc, 4);
        le(cd, m.csize.value_or(m.payload.size()), 4);
        le(cd, m.usize.value_or(m.data.size()), 4);
        le(cd, m.name.size(), 2);
        le(cd, m.extra.size(), 2);
        le(cd, 0, 2);  // comment
        le(cd, 0, 2);  // disk
        le(cd, 0, 2);  // internal attributes
        le(cd, 0, 4);  // external attributes
        le(cd, m.local_offset.value_or(offset), 4);
        cd += m.name + m.extra;
    }
    const std::uint64_t cd_offset = a.cd_offset.value_or(out.size());
    const std::uint64_t count = a.count.value_or(a.members.size());
    out += cd;
    if (a.zip64) {
        const std::uint64_t record = out.size();
        le(out, 0x06064b50u, 4);
        le(out, 44, 8);  // size of the rest of the record
        le(out, 45, 2);
        le(out, 45, 2);
        le(out, 0, 4);
        le(out, 0, 4);
        le(out, count, 8);
        le(out, count, 8);
        le(out, cd.size(), 8);
        le(out, cd_offset, 8);
        le(out, 0x07064b50u, 4);  // locator
        le(out, 0, 4);
        le(out, record, 8);
        le(out, 1, 4);
    }
    le(out, 0x06054b50u, 4);
    le(out, 0, 2);
    le(out, 0, 2);
    le(out, a.zip64 ? 0xFFFFu : count, 2);
    le(out, a.zip64 ? 0xFFFFu : count, 2);
    le(out, a.zip64 ? 0xFFFFFFFFu : cd.size(), 4);
    le(out, a.zip64 ? 0xFFFFFFFFu : cd_offset, 4);
    le(out, a.comment.size(), 2);
    return out + a.comment;
}

std::string build(std::vector<Member> members) {
    Archive a;
    a.members = std::move(members);
    return build_archive(a);
}

// The FormatError's problem for a rejected archive ("" when it is accepted, "other exception" for anything else).
std::string rejection(const std::string& bytes) {
    try {
        (void)read_zip(bytes, "test.npz");
    } catch (const FormatError& e) {
        CHECK(e.source() == "test.npz");
        CHECK(std::string(e.what()) == "test.npz: " + e.problem());
        return e.problem();
    } catch (...) {
        return "other exception";
    }
    return "";
}

#if defined(ELMAN_HAVE_ZLIB)
std::string zlib_deflate(const std::string& data, int level) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}
#endif

const std::string kPrefix = "bad ZIP/.npz archive: ";

}  // namespace

TEST_CASE("zip: crc32 is the standard CRC-32 (check value of 123456789)", "[io][zip]") {
    CHECK(crc_of("123456789") == 0xCBF43926u);
    CHECK(crc_of("") == 0u);
    // Incremental: crc(b, crc(a)) == crc(a + b).
    const std::string a = "hello, ", b = "world";
    CHECK(elman::io::detail::crc32(reinterpret_cast<const unsigned char*>(b.data()), b.size(), crc_of(a)) ==
          crc_of(a + b));
}

TEST_CASE("zip: crc32 agrees with the bit-at-a-time definition at every length and split", "[io][zip]") {
    // The reflected polynomial 0xEDB88320 one bit at a time: the definition the table-driven code must match,
    // including the tail shorter than its 8-byte step and any point where a caller splits the data.
    const auto reference = [](const std::string& s) {
        std::uint32_t c = 0xFFFFFFFFu;
        for (const char ch : s) {
            c ^= static_cast<unsigned char>(ch);
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return ~c;
    };
    std::string data;
    std::uint32_t state = 12345;
    for (int i = 0; i < 200; ++i) {
        state = state * 1103515245u + 12345u;
        data += static_cast<char>(state >> 24);
    }
    for (std::size_t n = 0; n <= data.size(); ++n) {
        const std::string prefix = data.substr(0, n);
        REQUIRE(crc_of(prefix) == reference(prefix));
        const std::size_t split = n / 3;  // any split continues the same CRC
        const std::uint32_t head = crc_of(prefix.substr(0, split));
        CHECK(elman::io::detail::crc32(reinterpret_cast<const unsigned char*>(prefix.data()) + split, n - split,
                                       head) == reference(prefix));
    }
}

TEST_CASE("zip: stored members read back in order, with names and binary data", "[io][zip]") {
    const std::string binary("\0\x01PK\x05\x06PK\x01\x02\xff", 12);  // NULs and fake signatures inside data
    Archive a;
    a.members = {stored("arr_0.npy", "first"), stored("dir/empty.npy", ""), stored("bin", binary)};
    a.comment = "an archive comment PK";  // the end record is then not the last 22 bytes
    const auto entries = read_zip(build_archive(a), "test.npz");
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].name == "arr_0.npy");
    CHECK(entries[0].data == "first");
    CHECK(entries[1].name == "dir/empty.npy");
    CHECK(entries[1].data.empty());
    CHECK(entries[2].name == "bin");
    CHECK(entries[2].data == binary);
    CHECK(read_zip(build(std::vector<Member>{}), "empty.npz").empty());  // 22 bytes: just the end record
}

TEST_CASE("zip: write_zip round-trips through read_zip and rejects what it cannot write", "[io][zip]") {
    const std::vector<ZipEntry> entries = {{"a.npy", "alpha"}, {"b.npy", std::string(1000, 'x')}, {"c", ""}};
    const std::string bytes = write_zip(entries, "out.npz");
    const auto back = read_zip(bytes, "out.npz");
    REQUIRE(back.size() == entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        CHECK(back[i].name == entries[i].name);
        CHECK(back[i].data == entries[i].data);
    }
    CHECK(write_zip({}, "none.npz").size() == 22u);
    CHECK_THROWS_WITH(write_zip({{std::string(0x10000, 'n'), "x"}}, "out.npz"),
                      Catch::StartsWith("out.npz: entry '") && Catch::Contains("too large for a non-ZIP64 archive"));
}

TEST_CASE("zip: ZIP64 end record and extra fields are followed", "[io][zip]") {
    Member m = stored("big.npy", "zip64 payload");
    m.csize = 0xFFFFFFFFu;
    m.usize = 0xFFFFFFFFu;
    le(m.extra, 0x0001, 2);  // ZIP64 extra: usize then csize, as 8-byte values
    le(m.extra, 16, 2);
    le(m.extra, m.data.size(), 8);
    le(m.extra, m.payload.size(), 8);
    Archive a;
    a.members = {m, stored("small.npy", "s")};
    a.zip64 = true;
    const auto entries = read_zip(build_archive(a), "test.npz");
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].data == "zip64 payload");
    CHECK(entries[1].data == "s");

    // The extra field must hold a value for every 0xFFFFFFFF field.
    Member short_extra = m;
    short_extra.extra.clear();
    le(short_extra.extra, 0x0001, 2);
    le(short_extra.extra, 8, 2);
    le(short_extra.extra, m.data.size(), 8);  // usize only, csize missing
    CHECK(rejection(build({short_extra})) == kPrefix + "short ZIP64 extra field in 'big.npy'");
    Member overrun = m;
    overrun.extra = overrun.extra.substr(0, 12);  // the field says 16 bytes, the entry has 8
    CHECK(rejection(build({overrun})) == kPrefix + "extra field of 'big.npy' overruns its entry");
    // A ZIP64 locator pointing at something else.
    std::string bytes = build_archive(a);
    for (std::size_t i = 0; i < 8; ++i) bytes[bytes.size() - 22 - 20 + 8 + i] = 0;  // the locator's record offset
    // -> 0: that is the first local header, not a ZIP64 end record
    CHECK(rejection(bytes) == kPrefix + "bad ZIP64 end record");
}

TEST_CASE("zip: deflated members", "[io][zip]") {
    const std::string text = "deflate me, deflate me";
    const std::string bytes = build({deflated("d.npy", text, deflate_stored_block(text)), stored("s.npy", "plain")});
#if defined(ELMAN_HAVE_ZLIB)
    const auto entries = read_zip(bytes, "test.npz");
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].data == text);
    CHECK(entries[1].data == "plain");

    // Real compression (a 1000:1 ratio is allowed; the bound is 1032:1).
    std::string big;
    for (int i = 0; i < 4000; ++i) big += "row " + std::to_string(i % 7) + ";";
    const std::string packed = zlib_deflate(big, 9);
    REQUIRE(packed.size() < big.size() / 4);
    CHECK(read_zip(build({deflated("big", big, packed)}), "test.npz").at(0).data == big);
    const std::string zeros(1 << 20, '\0');
    const std::string packed_zeros = zlib_deflate(zeros, 9);
    CHECK(read_zip(build({deflated("zeros", zeros, packed_zeros)}), "test.npz").at(0).data == zeros);
    CHECK(read_zip(build({deflated("empty", "", zlib_deflate("", 6))}), "test.npz").at(0).data.empty());
    // One inflate stream serves every member of an archive; each member starts clean whatever the one before
    // left (here: bytes after the end of its deflate stream, which the stream never consumed).
    const auto several = read_zip(build({deflated("t", text, deflate_stored_block(text) + "left over"),
                                         deflated("big", big, packed), deflated("zeros", zeros, packed_zeros),
                                         deflated("empty", "", zlib_deflate("", 6)), deflated("again", big, packed)}),
                                  "test.npz");
    REQUIRE(several.size() == 5);
    CHECK(several[0].data == text);
    CHECK(several[1].data == big);
    CHECK(several[2].data == zeros);
    CHECK(several[3].data.empty());
    CHECK(several[4].data == big);

    // Sizes that disagree with the stream, corrupt streams, impossible ratios.
    Member longer = deflated("m", big, packed);
    longer.usize = big.size() + 1;
    CHECK(rejection(build({longer})) == kPrefix + "entry 'm': corrupt deflate data (" + std::to_string(big.size()) +
                                            " bytes, the directory claims " + std::to_string(big.size() + 1) + ")");
    Member shorter = deflated("m", big, packed);
    shorter.usize = big.size() - 1;
    CHECK(rejection(build({shorter})) == kPrefix + "entry 'm': corrupt deflate data (more than the claimed " +
                                             std::to_string(big.size() - 1) + " bytes)");
    std::string garbage = packed;
    garbage[0] = static_cast<char>(0xFF);  // BTYPE 11: reserved, invalid
    Member corrupt = deflated("m", big, garbage);
    CHECK_THAT(rejection(build({corrupt})), Catch::StartsWith(kPrefix + "entry 'm': corrupt deflate data (zlib error"));
    Member truncated = deflated("m", big, packed.substr(0, packed.size() / 2));
    CHECK(rejection(build({truncated})) == kPrefix + "entry 'm': corrupt deflate data (truncated stream)");
    Member bomb = deflated("m", big, packed);
    bomb.usize = packed.size() * 1032 + 1025;
    CHECK(rejection(build({bomb})) ==
          kPrefix + "entry 'm' claims an impossible size " + std::to_string(packed.size() * 1032 + 1025));
    Member bad_crc = deflated("m", big, packed);
    bad_crc.crc = crc_of(big) ^ 1u;
    CHECK(rejection(build({bad_crc})) == kPrefix + "CRC mismatch in entry 'm' (corrupt file)");
#else
    CHECK_THAT(rejection(bytes), Catch::Contains("entry 'd.npy' is deflate-compressed (np.savez_compressed), but "
                                                 "elman was built without zlib"));
#endif
}

TEST_CASE("zip: truncated archives are rejected, never misread", "[io][zip]") {
    const std::string bytes = build({stored("a.npy", "0123456789"), stored("b.npy", "abcdef")});
    REQUIRE(read_zip(bytes, "test.npz").size() == 2);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        INFO("first " << n << " of " << bytes.size() << " bytes");
        const std::string problem = rejection(bytes.substr(0, n));
        CHECK_THAT(problem, Catch::StartsWith(kPrefix));
    }
    CHECK(rejection(bytes.substr(0, 21)) == kPrefix + "file too small to be an archive");
    CHECK(rejection(bytes.substr(0, bytes.size() - 1)) ==
          kPrefix + "no end-of-central-directory record (not a ZIP file, or truncated)");
    CHECK(rejection(std::string(100, 'x')) == kPrefix +
                                                  "no end-of-central-directory record (not a ZIP file, or "
                                                  "truncated)");
    // Cut inside the members but with a valid-looking end record: the directory lies outside the file.
    Archive far;
    far.members = {stored("a.npy", "0123456789")};
    far.cd_offset = 1000;
    CHECK(rejection(build_archive(far)) == kPrefix + "central directory lies outside the file (truncated?)");
}

TEST_CASE("zip: bad signatures, duplicate names, wrong sizes and other rejections", "[io][zip]") {
    const std::string good = build({stored("a.npy", "0123456789")});
    {
        std::string bad_cd = good;
        bad_cd[10 + 30 + 5] = 'X';  // first byte of the central directory (after header 30 + name 5 + data 10)
        CHECK(rejection(bad_cd) == kPrefix + "bad central directory entry signature");
    }
    {
        Member m = stored("a.npy", "0123456789");
        m.local_signature = 0x04034b51u;
        CHECK(rejection(build({m})) == kPrefix + "bad local header of 'a.npy'");
    }
    CHECK(rejection(build({stored("x.npy", "1"), stored("y.npy", "2"), stored("x.npy", "3")})) ==
          kPrefix + "duplicate entry 'x.npy'");
    {
        Member m = stored("a.npy", "0123456789");
        m.usize = 9;
        CHECK(rejection(build({m})) == kPrefix + "stored entry 'a.npy' has different sizes");
    }
    {
        Member m = stored("a.npy", "0123456789");
        m.csize = 1000;
        m.usize = 1000;
        CHECK(rejection(build({m})) == kPrefix + "entry data lies outside the file (truncated?)");
    }
    {
        Member m = stored("a.npy", "0123456789");
        m.crc = crc_of(m.data) + 1;
        CHECK(rejection(build({m})) == kPrefix + "CRC mismatch in entry 'a.npy' (corrupt file)");
    }
    {
        Member m = stored("a.npy", "0123456789");
        m.flags = 1;
        CHECK(rejection(build({m})) == kPrefix + "entry 'a.npy' is encrypted");
    }
    {
        Member m = stored("a.npy", "0123456789");
        m.method = 12;  // bzip2
        CHECK(rejection(build({m})) == kPrefix + "entry 'a.npy' uses compression method 12 (only stored and deflate)");
    }
    {
        Member m = stored("a.npy", "0123456789");
        m.local_offset = 1u << 20;
        CHECK(rejection(build({m})) == kPrefix + "local header lies outside the file (truncated?)");
    }
    {
        // Two directory entries decoding the same bytes.
        Member second = stored("b.npy", "0123456789");
        second.local_offset = 0;
        CHECK(rejection(build({stored("a.npy", "0123456789"), second})) ==
              kPrefix + "entry 'b.npy' overlaps another entry");
    }
    {
        Archive a;
        a.members = {stored("a.npy", "0123456789")};
        a.count = 2;  // one 46-byte directory entry cannot hold two
        CHECK(rejection(build_archive(a)) == kPrefix + "entry count 2 does not fit the central directory");
    }
}
