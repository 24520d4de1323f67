// Image bytes into a network batch (util/ImageInput, faces/FaceAligner): the input is the image file.
// What is done with it: fuzz/FuzzReaders.h (shared with tests/core/tst_fuzz_regressions.cpp).
#include "FuzzCommon.h"
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fp::fuzz::writeInput("face.img", data, size);
    fp::fuzz::expectReaderOrError([&] { fp::fuzz::readImage(path); });
    return 0;
}
