#pragma once
// Verification pairs: the LFW pairs.txt format against an image root, or pairs generated from
// identity folders. Images are listed once and pairs refer to them by index, so each image is
// embedded once however many pairs it is in.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "data/FaceFolders.h"

namespace fp::eval {

struct Pair {
    int a = 0, b = 0;   // indices into PairList::images
    bool same = false;  // matched (same person) or mismatched
    int fold = 0;       // 0-based cross-validation fold
};

struct PairList {
    std::vector<std::filesystem::path> images;
    std::vector<Pair> pairs;
    int folds = 1;

    size_t matched() const;
    size_t mismatched() const { return pairs.size() - matched(); }
};

// LFW's pairs.txt: a header "FOLDS PAIRS" (e.g. "10 300"; a lone "PAIRS" means one fold), then per
// fold PAIRS matched lines "name n1 n2" followed by PAIRS mismatched lines "name1 n1 name2 n2".
// Images are ROOT/name/name_%04d.jpg. Throws fp::InputError naming the file and line for a
// malformed line, a count that does not match the header, or a line naming a missing image.
PairList readLfwPairs(const std::filesystem::path& pairsFile, const std::filesystem::path& imageRoot);

// Every matched pair of each identity plus as many random mismatched pairs, seeded. Identities are
// dealt to `folds` folds and a fold's mismatched pairs are drawn among its own identities, so no
// person is in two folds (unless a fold has a single identity, which then borrows from others).
// Throws fp::InputError when the folders give no matched pair or fewer than two identities.
PairList generatePairs(const data::FaceFolders& folders, uint64_t seed = 1, int folds = 10);

}  // namespace fp::eval
