#pragma once
// Chooses which ranked channel groups to remove under the user's constraints:
// a minimum width per layer and widths rounded to a multiple (for speed).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/Graph.h"
#include "prune/ChannelGraph.h"

namespace fp::prune {

struct PlanConstraints {
    double minWidthFraction = 0.1;                  // of a layer's original width
    int64_t minWidth = 1;                           // never fewer than this (>= 1)
    std::map<std::string, int64_t> minWidthOf;      // per-layer override
    int roundTo = 1;                                // remaining widths a multiple of this (when possible)
};

// Minimum number of filters layer `layer` must keep.
int64_t minimumWidth(const graph::Node& layer, const PlanConstraints& c);

// ranked: candidate groups, the first to remove first. Returns at most `count`
// groups that respect the constraints (rounding may return fewer).
std::vector<int> selectGroups(const graph::Graph& graph, const ChannelGraph& channels, const std::vector<int>& ranked,
                              int64_t count, const PlanConstraints& constraints);

}  // namespace fp::prune
