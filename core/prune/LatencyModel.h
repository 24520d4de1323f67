#pragma once
// Where a model's inference time goes, measured on this machine, per node. The MACs a group
// saves predict its speed-up poorly (memory-bound high-resolution layers cost more than their
// MACs, depthwise convs less), so the cost regulariser can weigh groups by these seconds instead
// (savingPerGroup in prune/CostModel.h turns them into what each group saves).
#include <vector>

#include "graph/Graph.h"

namespace fp::prune {

// Inference seconds of each node (graph order) at this batch size: the median of `reps` timed
// embedding passes on random input, after one untimed pass.
std::vector<double> measureNodeSeconds(const graph::Graph& graph, int batch, int reps = 5);

}  // namespace fp::prune
