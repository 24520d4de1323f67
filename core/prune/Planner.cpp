#include "prune/Planner.h"

#include <algorithm>
#include <cmath>

namespace fp::prune {

int64_t minimumWidth(const graph::Node& layer, const PlanConstraints& c) {
    auto it = c.minWidthOf.find(layer.name);
    const int64_t fromFraction =
        static_cast<int64_t>(std::ceil(c.minWidthFraction * static_cast<double>(layer.originalChannels())));
    const int64_t wanted = it != c.minWidthOf.end() ? it->second : std::max(c.minWidth, fromFraction);
    return std::max<int64_t>(1, wanted);
}

std::vector<int> selectGroups(const graph::Graph& g, const ChannelGraph& cg, const std::vector<int>& ranked,
                              int64_t count, const PlanConstraints& c) {
    std::map<std::string, int64_t> left;  // filters each producer still has in this plan
    auto filtersOf = [&](const Group& grp) {
        std::map<std::string, int64_t> n;
        for (int a : grp.atoms)
            if (cg.atoms()[a].kind == Atom::Kind::Filter) ++n[cg.atoms()[a].layer];
        return n;
    };
    std::vector<int> chosen;
    for (int id : ranked) {
        if (static_cast<int64_t>(chosen.size()) >= count) break;
        const Group& grp = cg.groups()[id];
        if (!grp.prunable) continue;
        const auto take = filtersOf(grp);
        bool fits = true;
        for (const auto& [layer, k] : take) {
            auto [it, added] = left.emplace(layer, g.at(layer).outChannels);
            if (it->second - k < minimumWidth(g.at(layer), c)) fits = false;
        }
        if (!fits) continue;
        for (const auto& [layer, k] : take) left[layer] -= k;
        chosen.push_back(id);
    }
    if (c.roundTo <= 1) return chosen;

    // Tied layers shrink together: round per family (same member set), giving
    // back the highest-ranked removals of a family until its width is a multiple.
    std::map<std::vector<std::string>, std::vector<int>> families;
    for (int id : chosen) families[cg.groups()[id].members].push_back(id);
    std::vector<int> rounded;
    for (auto& [members, ids] : families) {
        const int64_t width = g.at(members.front()).outChannels;
        const int64_t removed = static_cast<int64_t>(ids.size());
        const int64_t target = std::min(width, (width - removed + c.roundTo - 1) / c.roundTo * c.roundTo);
        ids.resize(static_cast<size_t>(width - target));
        rounded.insert(rounded.end(), ids.begin(), ids.end());
    }
    // Keep the ranking order for the caller.
    std::vector<int> out;
    for (int id : chosen)
        if (std::find(rounded.begin(), rounded.end(), id) != rounded.end()) out.push_back(id);
    return out;
}

}  // namespace fp::prune
