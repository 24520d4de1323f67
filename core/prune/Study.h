#pragma once
// The seed study's comparison on real weights: one pruning run per criterion with the same recipe,
// data and seed, summarised as one table (study.json and study.csv in the study folder): for every
// run, the original, each iteration and the recovered result, with filters removed, MACs and
// parameters left, verification metrics, and the measured latency of the original and the result.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "prune/History.h"

namespace fp::prune {

struct StudyRow {
    std::string criterion;
    std::string stage;        // "original", "iteration", "recovered"
    int iteration = 0;
    int64_t filtersRemoved = 0;
    double macsLeft = 1.0, paramsLeft = 1.0;  // shares of the original
    std::map<std::string, double> metrics;    // accuracy, fold_std, eer, tar_far1e-3 ...
    double latencyMs = -1;                    // batch 1, as the run measured it; -1 = not measured
};

// The rows of one finished run. The recovered row is the run's final model: the best recovery
// point when there was a final recovery, else the last iteration. Latencies come from the run's
// record (History::latencyMs).
std::vector<StudyRow> studyRows(const std::string& criterion, const History& history);

// Writes study.json and study.csv into dir (atomically); `failures` lists criteria that could not
// run, with why. Throws fp::Error when the folder cannot be written.
void writeStudyTable(const std::filesystem::path& dir, const std::vector<StudyRow>& rows,
                     const std::map<std::string, std::string>& failures);

}  // namespace fp::prune
