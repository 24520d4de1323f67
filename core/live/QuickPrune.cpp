#include "live/QuickPrune.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "prune/ChannelGraph.h"
#include "prune/CostModel.h"
#include "prune/Planner.h"
#include "prune/Scorer.h"
#include "prune/Surgery.h"
#include "util/Errors.h"

namespace fp::live {

namespace {

struct Ranking {
    prune::ChannelGraph channels;
    std::vector<int> ranked;  // prunable groups, lowest score first
};

Ranking rank(const graph::Graph& g, prune::Criterion criterion, uint32_t seed) {
    if (prune::needsData(criterion))
        throw Error(std::string("quick pruning takes no data; criterion '") +
                    prune::criterionName(criterion) + "' needs some (use l1 or random)");
    Ranking r{prune::ChannelGraph(g), {}};
    r.ranked = r.channels.prunableGroups();
    if (r.ranked.empty()) throw Error("model '" + g.name + "' has no prunable channel groups");
    const prune::Scorer scorer(g, r.channels, criterion, seed);
    const auto scores = scorer.finish();
    std::stable_sort(r.ranked.begin(), r.ranked.end(),
                     [&](int a, int b) { return scores.groups[a] < scores.groups[b]; });
    return r;
}

// Default planner constraints keep 10% of every layer, so a deep cut never empties one.
std::vector<int> plan(const graph::Graph& g, const Ranking& r, int64_t count) {
    return prune::selectGroups(g, r.channels, r.ranked, count, prune::PlanConstraints{});
}

graph::Graph apply(const graph::Graph& original, const Ranking& r, const std::vector<int>& groups,
                   const std::string& suffix) {
    graph::Graph g = original;
    prune::removeGroups(g, r.channels, groups);
    g.name = original.name + suffix;
    return g;
}

std::string percent(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * v);
    return buf;
}

}  // namespace

graph::Graph pruneGroupShare(const graph::Graph& original, double share, prune::Criterion criterion,
                             uint32_t seed) {
    const Ranking r = rank(original, criterion, seed);
    const auto count =
        static_cast<int64_t>(std::llround(std::clamp(share, 0.0, 1.0) * double(r.ranked.size())));
    return apply(original, r, plan(original, r, count),
                 std::string(" (") + prune::criterionName(criterion) + " -" + percent(share) + " groups)");
}

graph::Graph pruneToMacs(const graph::Graph& original, double macsLeft, prune::Criterion criterion,
                         uint32_t seed) {
    const Ranking r = rank(original, criterion, seed);
    const double full = static_cast<double>(original.totalCost(false).macs);
    // predictCost counts the whole graph; the head (if any) does not shrink, so compare embedding MACs
    // through the difference it predicts.
    const double headMacs = static_cast<double>(original.totalCost(true).macs) - full;
    auto macsAfter = [&](int64_t count) {
        return static_cast<double>(prune::predictCost(original, r.channels, plan(original, r, count)).macs) -
               headMacs;
    };
    // The fewest groups that reach the target: MACs fall monotonically with the count.
    int64_t lo = 0, hi = static_cast<int64_t>(r.ranked.size());
    while (lo < hi) {
        const int64_t mid = (lo + hi) / 2;
        if (macsAfter(mid) <= macsLeft * full)
            hi = mid;
        else
            lo = mid + 1;
    }
    graph::Graph g = apply(
        original, r, plan(original, r, lo),
        std::string(" (") + prune::criterionName(criterion) + ", " + percent(macsLeft) + " MACs target)");
    return g;
}

}  // namespace fp::live
