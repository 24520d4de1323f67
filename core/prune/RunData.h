#pragma once
// The data side of a pruning run, shared by the CLI and the GUI job: identity
// folders split by identity into training identities (batches for scoring and
// fine-tuning) and held-out identities (verification pairs for evaluation), or,
// when a pairs file is given, every identity for training and the file's pairs
// (LFW pairs.txt format) for evaluation.
// Kept as strings in the run's history so that a resumed run uses the same data.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/FolderBatchSource.h"
#include "prune/PruneRun.h"

namespace fp::prune {

struct DataSettings {
    std::string trainDir;          // identity folders
    int limitIdentities = 0;       // use the first N identities (0 = all)
    double verifyFraction = 0.2;   // share of identities held out for verification (0 = no evaluation)
    std::string pairsFile;         // LFW-format pairs.txt; when set, replaces the held-out identities
    std::string pairsImages;       // the image root the pairs file's names refer to
    int batchSize = 32;
    bool flip = false;             // flip test during evaluation
    bool augment = true;
    bool jitter = false;           // recovery batches: photometric and small geometric jitter as well
                                   // (off by default: flips alone kept the original's embedding closer)
    std::vector<std::string> unlabelledDirs;  // extra faces without names for recovery (any depth)
    uint64_t seed = 1;
    std::string cacheDir;          // aligned-face cache; empty = default
    // A distributed run's rank loads only its share of each batch (data::LoaderOptions). Per process:
    // not kept in the run's record, so that a run resumes with any number of ranks.
    int shardIndex = 0, shardCount = 1;

    std::map<std::string, std::string> toMap() const;
    static DataSettings fromMap(const std::map<std::string, std::string>& m);  // throws fp::Error
};

struct RunData {
    std::unique_ptr<data::FolderBatchSource> train;     // scoring: the training identities, labelled
    std::unique_ptr<data::FolderBatchSource> recovery;  // fine-tuning: those plus the unlabelled faces
    size_t unlabelledImages = 0;                        // with a face, in unlabelledDirs
    std::vector<std::string> noFace;                    // unlabelled images left out, and why
    Evaluator evaluate;            // empty when verifyFraction is 0
    data::FaceFolders verification;  // the held-out people (none with a pairs file)
    size_t trainIdentities = 0, verifyIdentities = 0, trainImages = 0, verifyPairs = 0;
    std::vector<std::string> skipped;  // files the scan left out, for the user
};

// Throws fp::InputError naming the folder when it is missing, empty or too small to split, when an
// unlabelled folder holds no face, or naming the pairs file and line when it is malformed.
// Unlabelled folders are aligned once here (the aligned cache keeps the crops for later runs).
RunData prepareRunData(const DataSettings& settings, const graph::Preprocess& pre);

}  // namespace fp::prune
