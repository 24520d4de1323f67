#include "prune/Replay.h"

#include <algorithm>
#include <limits>

#include "prune/ChannelGraph.h"
#include "prune/FineTune.h"
#include "prune/RunSeeds.h"
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

bool historyFineTunes(const History& history) { return history.config.finetuneSteps > 0; }

graph::Graph replay(const graph::Graph& original, const History& history, const ReplayTraining& training) {
    const PruneConfig& c = history.config;
    graph::Graph g = original;
    for (const auto& it : history.iterations) {
        replayIteration(g, it, c.locked);
        if (!training.train || !historyFineTunes(history)) continue;
        const auto options = fineTuneOptions(c, iterationSeed(c.seed, it.iteration, SeedPurpose::FineTuning),
                                             c.distils() ? &original : nullptr);
        fineTune(g, *training.train, options, training.cancel, [&](const ProgressEvent& e) {
            report(training.progress, it.iteration, e.phase, e.step, e.steps);
        });
        if (cancelled(training.cancel))
            throw Cancelled("replay cancelled while fine-tuning iteration " + std::to_string(it.iteration));
    }
    return g;
}

double maxWeightDifference(const graph::Graph& a, const graph::Graph& b) {
    constexpr double different = std::numeric_limits<double>::infinity();
    if (a.nodes().size() != b.nodes().size()) return different;
    double worst = 0.0;
    for (size_t i = 0; i < a.nodes().size(); ++i) {
        const auto &x = a.nodes()[i], &y = b.nodes()[i];
        if (x.name != y.name || x.params.size() != y.params.size()) return different;
        for (const auto& [key, t] : x.params) {
            const auto it = y.params.find(key);
            if (it == y.params.end() || it->second.shape != t.shape) return different;
            worst = std::max(worst, static_cast<double>(maxAbsDiff(t, it->second)));
        }
    }
    return worst;
}

}  // namespace fp::prune
