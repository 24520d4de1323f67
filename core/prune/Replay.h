#pragma once
// Re-applies recorded removals: the history of a run, replayed on the model it
// started from, rebuilds the pruned architecture with the same kept filters.
#include <set>

#include "graph/Graph.h"
#include "prune/History.h"

namespace fp::prune {

// Removes the filters one iteration recorded. Throws fp::Error when the record
// names a layer or filter the graph does not have.
void replayIteration(graph::Graph& graph, const IterationRecord& record, const std::set<std::string>& locked = {});

// All iterations, in order, on a copy of `original`.
graph::Graph replay(const graph::Graph& original, const History& history);

}  // namespace fp::prune
