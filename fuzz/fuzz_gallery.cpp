// The live tab's gallery file (live/Gallery::load): the input is the file.
// What is done with it: fuzz/FuzzReaders.h (shared with tests/core/tst_fuzz_regressions.cpp).
#include "FuzzCommon.h"
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fp::fuzz::writeInput("gallery", data, size);
    fp::fuzz::expectReaderOrError([&] { fp::fuzz::readGallery(path); });
    return 0;
}
