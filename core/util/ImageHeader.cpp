#include "util/ImageHeader.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace fp::image {

namespace {

uint32_t be16(const uint8_t* p) { return uint32_t{p[0]} << 8 | p[1]; }
uint32_t le16(const uint8_t* p) { return uint32_t{p[1]} << 8 | p[0]; }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }
uint32_t le32(const uint8_t* p) { return le16(p + 2) << 16 | le16(p); }
uint32_t le24(const uint8_t* p) { return uint32_t{p[2]} << 16 | le16(p); }

// A JPEG 2000 codestream's SIZ segment: the reference grid minus its offset.
void j2kSize(const uint8_t* d, size_t n, ImageHeader& h) {
    if (n < 24 || std::memcmp(d, "\xFF\x4F\xFF\x51", 4) != 0) return;
    h.width = int64_t{be32(d + 8)} - be32(d + 16);
    h.height = int64_t{be32(d + 12)} - be32(d + 20);
}

// The markers libjpeg reads before its frame header, resynchronising on stray bytes as it does.
void jpegSize(const uint8_t* d, size_t n, ImageHeader& h) {
    size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF || d[i + 1] == 0xFF || d[i + 1] == 0x00) {
            ++i;
            continue;
        }
        const uint8_t m = d[i + 1];
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // no length field
            i += 2;
            continue;
        }
        if (m == 0xDA || m == 0xD9) return;  // scan data or the end, and no frame header before
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {  // SOFn
            if (i + 9 <= n) {
                h.height = be16(d + i + 5);
                h.width = be16(d + i + 7);
            }
            return;
        }
        i += 2 + be16(d + i + 2);
    }
}

// The first IFD's ImageWidth (256) and ImageLength (257), as libtiff reads the first page. A tag
// repeated counts with its largest value; one stored in a type not read here makes the size unknown.
void tiffSize(const uint8_t* d, size_t n, ImageHeader& h) {
    const bool le = d[0] == 'I';
    auto u16 = [&](size_t at) { return le ? le16(d + at) : be16(d + at); };
    auto u32 = [&](size_t at) { return le ? le32(d + at) : be32(d + at); };
    const size_t ifd = u32(4);
    if (ifd > n || n - ifd < 2) return;
    const size_t count = u16(ifd);
    bool unknown = false;
    for (size_t k = 0; k < count && ifd + 2 + 12 * (k + 1) <= n; ++k) {
        const size_t e = ifd + 2 + 12 * k;
        const uint32_t tag = u16(e), type = u16(e + 2);
        if (tag != 256 && tag != 257) continue;
        const int64_t value = type == 3 ? u16(e + 8) : type == 4 ? u32(e + 8) : -1;  // SHORT or LONG
        unknown |= value < 0;
        int64_t& size = tag == 256 ? h.width : h.height;
        size = std::max(size, value);
    }
    if (unknown) h.width = h.height = -1;
}

// "P6 <width> <height> ...", with # comments, as OpenCV's PxM decoder reads it.
void pnmSize(const uint8_t* d, size_t n, ImageHeader& h) {
    size_t i = 2;
    auto number = [&]() -> int64_t {
        while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
            if (d[i] == '#')
                while (i < n && d[i] != '\n' && d[i] != '\r') ++i;
            else
                ++i;
        }
        int64_t v = -1;
        for (; i < n && std::isdigit(d[i]); ++i) v = std::min<int64_t>((v < 0 ? 0 : v) * 10 + (d[i] - '0'), int64_t{1} << 40);
        ++i;  // OpenCV consumes the byte after a number: a '#' there starts no comment ("16#22" is 16, 22)
        return v;
    };
    h.width = number();
    h.height = number();
}

}  // namespace

ImageHeader readImageHeader(const uint8_t* d, size_t n) {
    auto starts = [&](const char* magic, size_t len) { return n >= len && std::memcmp(d, magic, len) == 0; };
    ImageHeader h;
    if (starts("\xFF\xD8\xFF", 3)) {
        h.format = "JPEG";
        jpegSize(d, n, h);
    } else if (starts("\x89PNG\r\n\x1a\n", 8)) {
        h.format = "PNG";
        if (n >= 24 && std::memcmp(d + 12, "IHDR", 4) == 0) {  // libpng requires IHDR first
            h.width = be32(d + 16);
            h.height = be32(d + 20);
        }
    } else if (starts("BM", 2)) {
        h.format = "BMP";
        if (n >= 26 && le32(d + 14) == 12) {  // OS/2 header: 16-bit sizes
            h.width = le16(d + 18);
            h.height = le16(d + 20);
        } else if (n >= 26) {
            h.width = static_cast<int32_t>(le32(d + 18));
            h.height = std::abs(int64_t{static_cast<int32_t>(le32(d + 22))});  // negative: stored top-down
        }
    } else if (starts("RIFF", 4) && n >= 16 && std::memcmp(d + 8, "WEBP", 4) == 0) {
        h.format = "WebP";
        if (n >= 30 && std::memcmp(d + 12, "VP8 ", 4) == 0) {
            h.width = le16(d + 26) & 0x3fff;
            h.height = le16(d + 28) & 0x3fff;
        } else if (n >= 25 && std::memcmp(d + 12, "VP8L", 4) == 0) {
            const uint32_t bits = le32(d + 21);
            h.width = (bits & 0x3fff) + 1;
            h.height = ((bits >> 14) & 0x3fff) + 1;
        } else if (n >= 30 && std::memcmp(d + 12, "VP8X", 4) == 0) {
            h.width = int64_t{le24(d + 24)} + 1;
            h.height = int64_t{le24(d + 27)} + 1;
        }
    } else if (starts("II*\0", 4) || starts("MM\0*", 4)) {
        h.format = "TIFF";
        if (n >= 8) tiffSize(d, n, h);
    } else if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6' && std::isspace(d[2])) {
        h.format = "PNM";
        pnmSize(d, n, h);
    } else if (starts("\xFF\x4F\xFF\x51", 4)) {
        h.format = "JPEG 2000";
        j2kSize(d, n, h);
    } else if (starts("\0\0\0\x0cjP  \r\n\x87\n", 12)) {
        h.format = "JPEG 2000";
        // The image is the codestream's (box jp2c), whatever the jp2h header box says.
        for (size_t at = 0; at + 8 <= n;) {
            const uint64_t len = be32(d + at);
            if (std::memcmp(d + at + 4, "jp2c", 4) == 0) {
                j2kSize(d + at + 8, n - at - 8, h);
                break;
            }
            if (len < 8 || len > n - at) break;
            at += len;
        }
    }
    return h;
}


}  // namespace fp::image
