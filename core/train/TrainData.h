#pragma once
// The data side of a training run (CLI, tests): identity folders split by identity into training
// identities (the student's batches, and the teacher's own batches when its input cannot be made
// from the student's) and held-out identities (verification pairs). The split and the pairs
// follow prune::prepareRunData for the same folder, fraction and seed, so a pruning run and a
// training run on the same data hold out the same people.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/FolderBatchSource.h"
#include "eval/Pairs.h"
#include "eval/Verifier.h"
#include "graph/Graph.h"

namespace fp::train {

struct TrainDataSettings {
    std::filesystem::path dir{};    // identity folders
    int limitIdentities = 0;        // first N identities (0 = all)
    double verifyFraction = 0.2;    // identities held out for verification (0 = none)
    int batchSize = 32;
    bool augment = true;            // student batches: flips (and random crops for centre-crop models)
    bool flip = false;              // flip test when verifying
    uint64_t seed = 1;
    std::filesystem::path cacheDir{};  // aligned-face cache; empty = default
};

struct TrainData {
    std::unique_ptr<data::FolderBatchSource> student;
    std::unique_ptr<data::FolderBatchSource> teacher;  // only when the teacher needs its own source
    eval::PairList verifyPairs;                        // empty when verifyFraction is 0
    eval::VerifierOptions verifyOptions;
    size_t trainIdentities = 0, trainImages = 0, verifyIdentities = 0;
    std::vector<std::string> skipped;

    bool canVerify() const { return !verifyPairs.pairs.empty(); }
    // Verification report of a model on the held-out pairs; throws fp::Error without pairs.
    eval::VerificationReport verify(const graph::Graph& model) const;
};

// teacher: the teacher's preprocessing when distilling (decides whether it gets its own source).
// Throws fp::InputError naming the folder when it is missing, empty or too small to split.
TrainData prepareTrainData(const TrainDataSettings& settings, const graph::Preprocess& student,
                           const graph::Preprocess* teacher = nullptr);

}  // namespace fp::train
