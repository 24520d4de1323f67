#pragma once
// What an image file's header declares, read before any decoder sees the bytes: which of the formats
// faces come in it is, and the size a decoder would allocate for. OpenCV checks sizes only against
// its own limit (2^30 pixels, fixed when the library loads) and hands bytes no listed decoder takes
// to GDAL's and GDCM's drivers; FacePrune decides both itself (util/ImageInput).
#include <cstddef>
#include <cstdint>

namespace fp::image {

struct ImageHeader {
    const char* format = nullptr;  // "JPEG", "PNG", ...; null: none FacePrune reads
    int64_t width = -1, height = -1;  // -1: the header gives no size
};

ImageHeader readImageHeader(const uint8_t* data, size_t size);

}  // namespace fp::image
