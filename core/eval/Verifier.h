#pragma once
// Face verification of a model on a pair list: every image once through the aligned cache and
// the loader's threads, embeddings with the graph (optionally the flip test: image + mirror),
// cosine similarity per pair, then VerificationMetrics.
#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "eval/Pairs.h"
#include "eval/VerificationMetrics.h"
#include "graph/Graph.h"
#include "util/Cancel.h"
#include "util/Progress.h"

namespace fp::eval {

struct VerifierOptions {
    int batchSize = 32;
    bool flip = false;               // embedding = embed(image) + embed(mirror)
    int workers = 2;                 // loader threads (decode, detect, align)
    std::filesystem::path cacheDir;  // aligned-face cache; empty = AlignedCache::defaultDir()
    float minFaceScore = 0.7f;
    ProgressSink progress;           // Phase::Embedding: images embedded so far (from the calling thread)
    const CancelToken* cancel = nullptr;          // set to abort: run() throws fp::Cancelled
};

struct VerificationResult {
    VerificationReport report;
    std::vector<double> scores;  // per pair of the list; NaN for excluded pairs
    int imagesTotal = 0;
    int imagesWithoutFace = 0;
    int imagesUnreadable = 0;
    int imagesFromCache = 0;            // crops that needed no detection
    int pairsExcluded = 0;              // pairs with an image that gave no embedding
    std::vector<std::string> problems;  // "<file>: no face found" ... per image left out
    double seconds = 0;
};

class Verifier {
public:
    // The graph must outlive the verifier; its preprocess says how to align and normalise.
    explicit Verifier(const graph::Graph& graph, VerifierOptions options = {});

    // Throws fp::InputError when too few pairs survive (no matched or no mismatched pair left),
    // fp::Cancelled when cancelled, fp::AssetError when the face models are missing.
    VerificationResult run(const PairList& pairs);

private:
    const graph::Graph& graph_;
    VerifierOptions options_;
};

}  // namespace fp::eval
