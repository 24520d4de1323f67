#pragma once
// Where a model's inference time goes, measured on this machine: per-node seconds from the
// executor, and what removing each channel group would save of them. The MACs a group saves
// predict its speed-up poorly (memory-bound high-resolution layers cost more than their MACs,
// depthwise convs less), so the cost regulariser can weigh groups by measured time instead.
#include <vector>

#include "graph/Graph.h"
#include "prune/ChannelGraph.h"

namespace fp::prune {

// Inference seconds of each node (graph order) at this batch size: the median of `reps` timed
// embedding passes on random input, after one untimed pass.
std::vector<double> measureNodeSeconds(const graph::Graph& graph, int batch, int reps = 5);

// Seconds that removing each single group would save, to first order (savingPerGroup on the
// measured times).
std::vector<double> latencyPerGroup(const graph::Graph& graph, const ChannelGraph& channels,
                                    const std::vector<double>& nodeSeconds);

}  // namespace fp::prune
