#pragma once
// Per-layer sensitivity: how much verification a model loses when one layer alone loses a share of
// its filters. Layers are taken as the pruner sees them: the channel groups whose filters the same
// layers make (an Add ties a block's layers into one such set) form one "block"; for each share,
// the block's lowest-L1 groups go (data-free, so every block is cut the same way) and the held-out
// people are verified again. From the losses, limits are proposed for the next run: blocks that
// cannot lose even the smallest share are locked, blocks that cannot lose the largest keep a
// minimum width.
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "graph/Graph.h"
#include "prune/PruneRun.h"
#include "util/Cancel.h"
#include "util/Progress.h"

namespace fp::prune {

struct SensitivityOptions {
    std::vector<double> shares{0.25, 0.5};  // of each block's filters, ascending
    std::set<std::string> locked;           // layers the user keeps whole (not measured)
};

struct BlockSensitivity {
    std::string layer;                      // the block's first member (its name in the table)
    std::vector<std::string> members;       // every layer whose filters the block's groups remove
    int64_t width = 0;                      // prunable groups (filters) in the block
    std::vector<std::map<std::string, double>> metrics;  // per share: verification after the cut
};

struct SensitivityResult {
    std::string model;
    std::map<std::string, double> baseline; // the model untouched
    std::vector<double> shares;
    std::vector<BlockSensitivity> blocks;   // model order
    // Loss of `metric` (baseline - after, in the metric's units) of block b at share s; < 0 = gain.
    double loss(size_t block, size_t share, const std::string& metric = "accuracy") const;
};

struct LayerLimit {
    std::string layer;
    bool lock = false;                      // keep every filter
    int64_t minWidth = 0;                   // otherwise: keep at least this many (0 = no limit)
};

// Throws fp::Error when there is no evaluator or nothing to measure; stops early (returning what is
// measured) when cancel is set.
SensitivityResult measureSensitivity(const graph::Graph& model, const Evaluator& evaluate,
                                     const SensitivityOptions& options = {},
                                     const CancelToken* cancel = nullptr, const ProgressSink& progress = {});  // Phase::Measuring

// tolerance: the accuracy (0..1) a block may lose at a share and still be cut that far.
std::vector<LayerLimit> proposeLimits(const SensitivityResult& result, double tolerance = 0.005);

void saveSensitivity(const SensitivityResult& result, const std::filesystem::path& path);  // atomic
SensitivityResult loadSensitivity(const std::filesystem::path& path);  // throws fp::Error naming the file

}  // namespace fp::prune
