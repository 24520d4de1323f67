#include "prune/Replay.h"

#include "prune/ChannelGraph.h"
#include "prune/Surgery.h"
#include "util/Errors.h"

namespace fp::prune {

void replayIteration(graph::Graph& g, const IterationRecord& record, const std::set<std::string>& locked) {
    const ChannelGraph cg(g, locked);
    std::set<int> groups;
    const std::string where = "iteration " + std::to_string(record.iteration) + " of the history";
    for (const auto& [layer, originals] : record.removed) {
        const graph::Node* node = g.find(layer);
        if (!node) throw Error(where + " removes filters of layer '" + layer + "', which the model does not have");
        for (int64_t original : originals) {
            int64_t current = -1;
            if (node->origin.empty()) {
                if (original < node->outChannels) current = original;
            } else {
                for (size_t i = 0; i < node->origin.size(); ++i)
                    if (node->origin[i] == original) current = static_cast<int64_t>(i);
            }
            const int atom = current < 0 ? -1 : cg.filterAtom(layer, current);
            if (atom < 0)
                throw Error(where + " removes filter " + std::to_string(original) + " of layer '" + layer +
                            "', which is not there (already removed, or another model)");
            groups.insert(cg.groupOfAtom(atom).id);
        }
    }
    removeGroups(g, cg, std::vector<int>(groups.begin(), groups.end()));
}

graph::Graph replay(const graph::Graph& original, const History& history) {
    graph::Graph g = original;
    for (const auto& it : history.iterations) replayIteration(g, it, history.config.locked);
    return g;
}

}  // namespace fp::prune
