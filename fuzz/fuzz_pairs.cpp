// LFW pairs lists (eval/Pairs): the input is pairs.txt.
// What is done with it: fuzz/FuzzReaders.h (shared with tests/core/tst_fuzz_regressions.cpp).
#include "FuzzCommon.h"
#include "FuzzReaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const auto root = fp::fuzz::makePairsImageRoot(fp::fuzz::scratchDir());
    const auto path = fp::fuzz::writeInput("pairs.txt", data, size);
    fp::fuzz::expectReaderOrError([&] { fp::fuzz::readPairs(path, root); });
    return 0;
}
