#pragma once
// Physically removes channel groups from a graph: weights are sliced, widths
// shrink, and every layer that reads the channels loses the matching inputs.
#include <vector>

#include "graph/Graph.h"
#include "prune/ChannelGraph.h"

namespace fp::prune {

// `channels` must describe `graph` as it is now. Throws fp::GraphError when a
// group is not prunable or the removal would leave a layer with no channels.
void removeGroups(graph::Graph& graph, const ChannelGraph& channels, const std::vector<int>& groups);

// The reference for exactness checks: the same graph in which every consumer
// (conv, linear) reads zeros where the groups' channels were.
graph::Graph maskGroups(const graph::Graph& graph, const ChannelGraph& channels, const std::vector<int>& groups);

}  // namespace fp::prune
