#pragma once
// Parameters and MACs a graph would have after removing channel groups,
// computed from the widths alone (no surgery): used for targets, for the FLOPs
// regulariser and to check the surgery.
#include <vector>

#include "graph/Graph.h"
#include "prune/ChannelGraph.h"

namespace fp::prune {

graph::NodeCost predictCost(const graph::Graph& graph, const ChannelGraph& channels, const std::vector<int>& groups);

// MACs that removing each single group saves, to first order (for the FLOPs
// regulariser); O(total channels).
std::vector<double> macsPerGroup(const graph::Graph& graph, const ChannelGraph& channels);

}  // namespace fp::prune
