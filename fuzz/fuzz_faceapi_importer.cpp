// face-api's recognition net (io/FaceApiImporter): manifest JSON, a NUL byte, the weights.
// What is done with it: fuzz/FuzzReaders.h (shared with tests/core/tst_fuzz_regressions.cpp).
#include "FuzzCommon.h"
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fp::fuzz::writeInput("faceapi-input", data, size);
    fp::fuzz::expectReaderOrError([&] { fp::fuzz::readFaceApi(path, fp::fuzz::scratchDir()); });
    return 0;
}
