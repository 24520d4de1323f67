#pragma once
// Re-applies recorded removals: the history of a run, replayed on the model it
// started from, rebuilds the pruned architecture with the same kept filters.
// Given the run's training data, it also redoes each iteration's fine-tuning with
// the run's options and seeds, which rebuilds the fine-tuned weights exactly.
#include <atomic>
#include <functional>
#include <set>

#include "data/BatchSource.h"
#include "graph/Graph.h"
#include "prune/History.h"
#include "util/Cancel.h"
#include "util/Progress.h"

namespace fp::prune {

// Removes the filters one iteration recorded. Throws fp::Error when the record
// names a layer or filter the graph does not have.
void replayIteration(graph::Graph& graph, const IterationRecord& record, const std::set<std::string>& locked = {});

struct ReplayTraining {
    data::BatchSource* train = nullptr;         // the run's training data; nullptr: architecture only
    const CancelToken* cancel = nullptr;  // checked between fine-tuning steps
    ProgressSink progress;                // Phase::FineTuning of each replayed iteration
};

// True when the run changed weights after removing filters, so that replaying
// the removals alone does not give its weights.
bool historyFineTunes(const History& history);

// All iterations, in order, on a copy of `original`; with training data, each
// removal is followed by the run's fine-tuning. Throws fp::Error when cancelled.
graph::Graph replay(const graph::Graph& original, const History& history, const ReplayTraining& training = {});

// Largest |difference| between the two models' parameters, layer by layer;
// infinity when their layers or parameter shapes differ.
double maxWeightDifference(const graph::Graph& a, const graph::Graph& b);

}  // namespace fp::prune
