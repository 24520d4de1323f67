#pragma once
// One-shot, data-free pruning (L1 or random scores, no fine-tuning) for live comparisons, tests and
// benchmarks: a pruned model at a chosen size in well under a second. Real pruning runs are prune::PruneRun.
#include <cstdint>

#include "graph/Graph.h"
#include "prune/Criterion.h"

namespace fp::live {

// Removes about `share` (0..1) of the prunable channel groups, lowest-scored first.
// Throws fp::Error when the criterion needs data (Taylor) or the model has nothing to prune.
graph::Graph pruneGroupShare(const graph::Graph& original, double share,
                             prune::Criterion criterion = prune::Criterion::L1, uint32_t seed = 1);

// Removes the lowest-scored groups until at most `macsLeft` (0..1) of the embedding's MACs are left
// (or every layer is at its minimum width). The name gets a suffix saying what was done.
graph::Graph pruneToMacs(const graph::Graph& original, double macsLeft,
                         prune::Criterion criterion = prune::Criterion::L1, uint32_t seed = 1);

}  // namespace fp::live
