#pragma once
// Parameters and MACs a graph would have after removing channel groups,
// computed from the widths alone (no surgery): used for targets, for the FLOPs
// regulariser and to check the surgery.
#include <vector>

#include "graph/Graph.h"
#include "prune/ChannelGraph.h"

namespace fp::prune {

graph::NodeCost predictCost(const graph::Graph& graph, const ChannelGraph& channels, const std::vector<int>& groups);

// What removing each single group saves, to first order, when node i (graph order) costs
// nodeCost[i]: a conv's or linear's cost splits over its output channels and, unless it is
// depthwise, over its input channels too; any other node's over its output channels. O(total channels).
std::vector<double> savingPerGroup(const graph::Graph& graph, const ChannelGraph& channels,
                                   const std::vector<double>& nodeCost);

// MACs that removing each single group saves, to first order (for the FLOPs regulariser).
std::vector<double> macsPerGroup(const graph::Graph& graph, const ChannelGraph& channels);

}  // namespace fp::prune
