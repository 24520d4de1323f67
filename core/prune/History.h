#pragma once
// The record of a pruning run (run.json): configuration, and per iteration the
// filters removed (by original index), widths, sizes, scores, metrics and
// timings. Replaying it on the original model rebuilds the pruned architecture.
#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "graph/Graph.h"
#include "prune/PruneConfig.h"

namespace fp::prune {

struct ScoreStats {
    double min = 0, mean = 0, max = 0;
};

struct IterationRecord {
    int iteration = 0;
    std::map<std::string, std::vector<int64_t>> removed;  // layer -> original filter indices removed
    std::map<std::string, int64_t> widths;                // producer layer -> filters left
    std::map<std::string, ScoreStats> scores;             // per scored layer, raw criterion values
    int64_t filters = 0, params = 0, macs = 0;
    std::map<std::string, double> metrics;                // verification metrics, head accuracy, loss ...
    std::vector<std::array<double, 2>> roc;               // (FAR, TAR) points of the verification ROC
    std::map<std::string, double> seconds;                // per phase
};

// The final recovery (PruneConfig::recoverySteps): an evaluation every so many steps, the best kept.
struct RecoveryPoint {
    int step = 0;
    std::map<std::string, double> metrics;  // verification on the held-out people, and "loss"
};

struct RecoveryRecord {
    bool started = false;
    std::string stopCondition;              // what ended the iterations and started the recovery
    int stepsDone = 0;                      // as far as the checkpoint in recovery/ goes
    std::vector<RecoveryPoint> points;
    int bestStep = -1;                      // the point whose model is recovery/best.fpm (-1: none)
    std::vector<std::array<double, 2>> bestRoc;
    double seconds = 0;
};

struct History {
    std::string model;                    // what the user loaded (zoo name or file)
    PruneConfig config;
    int64_t originalFilters = 0, originalParams = 0, originalMacs = 0;
    std::map<std::string, int64_t> originalWidths;
    std::map<std::string, double> originalMetrics;
    std::vector<std::array<double, 2>> originalRoc;
    std::map<std::string, std::string> data;  // where the data came from (for resuming): train folder ...
    std::vector<IterationRecord> iterations;
    RecoveryRecord recovery;
    // Batch-1 forward in ms on the machine that ran it: 0 = the original, k = after iteration k,
    // -1 = the final model (PruneRun::kFinalModel). Absent where not measured.
    std::map<int, double> latencyMs;
    std::string stopReason;               // empty while running
};

void saveHistory(const History& h, const std::filesystem::path& path);  // atomic
History loadHistory(const std::filesystem::path& path);                // throws fp::Error naming the file

// Filters of a graph: output channels of every Conv2d/Linear outside the head.
int64_t countFilters(const graph::Graph& g);
std::map<std::string, int64_t> filterWidths(const graph::Graph& g);

// Seed-study analysis as CSV: layer, original width, width left, share removed,
// and how many filters went in each iteration.
void writeLayerAnalysis(const History& h, const std::filesystem::path& csv);

}  // namespace fp::prune
