// FacePrune's own model file (io/NativeFormat): the input is the .fpm file.
// What is done with it: fuzz/FuzzReaders.h (shared with tests/core/tst_fuzz_regressions.cpp).
#include "FuzzCommon.h"
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fp::fuzz::writeInput("model.fpm", data, size);
    fp::fuzz::expectReaderOrError([&] { fp::fuzz::readNative(path); });
    return 0;
}
