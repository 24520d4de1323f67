#include "jobs/SummaryBuilder.h"

#include <map>

#include "prune/ChannelGraph.h"

namespace fp::jobs {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// Width a layer had before any pruning. Conv2d / Linear remember it; layers that
// pass channels through take it from their inputs.
std::map<std::string, int64_t> originalWidths(const graph::Graph& g) {
    using graph::Op;
    std::map<std::string, int64_t> w;
    for (const auto& n : g.nodes()) {
        const auto in = [&](size_t i) { return i < n.inputs.size() ? w[n.inputs[i]] : n.shape.c; };
        switch (n.op) {
        case Op::Input: w[n.name] = n.shape.c; break;
        case Op::Conv2d:
        case Op::Linear: w[n.name] = n.originalChannels(); break;
        case Op::Concat: {
            int64_t sum = 0;
            for (size_t i = 0; i < n.inputs.size(); ++i) sum += in(i);
            w[n.name] = sum;
            break;
        }
        case Op::Pad: w[n.name] = in(0) + n.pads[0] + n.pads[1]; break;
        case Op::Flatten: {
            const auto* src = n.inputs.empty() ? nullptr : g.find(n.inputs[0]);
            w[n.name] = src && !src->shape.flat ? in(0) * src->shape.h * src->shape.w : in(0);
            break;
        }
        default: w[n.name] = n.inputs.empty() ? n.shape.c : in(0);
        }
    }
    return w;
}

std::set<std::string> prunableLayers(const graph::Graph& g) {
    std::set<std::string> out;
    try {
        // Without the user's locks: a locked layer stays prunable, so it can be unlocked.
        const prune::ChannelGraph cg(g);
        for (const auto& group : cg.groups())
            if (group.prunable) out.insert(group.members.begin(), group.members.end());
    } catch (const std::exception&) {
        // A graph the channel analysis cannot follow is shown, but nothing in it is prunable.
    }
    return out;
}

}  // namespace

ModelSummary SummaryBuilder::summary(const graph::Graph& g, const std::set<std::string>& locked,
                                     const prune::History* history, const prune::IterationRecord* last) {
    ModelSummary s;
    s.name = qs(g.name);
    s.embedding = qs(g.embeddingName());
    s.logits = qs(g.logitsName());
    const auto widths = originalWidths(g);
    const auto prunable = prunableLayers(g);
    s.layers.reserve(static_cast<int>(g.nodes().size()));
    for (const auto& n : g.nodes()) {
        LayerInfo l;
        l.name = qs(n.name);
        l.op = qs(std::string(graph::opName(n.op)));
        for (const auto& i : n.inputs) l.inputs << qs(i);
        l.channels = n.shape.c;
        l.originalChannels = widths.at(n.name);
        l.shape = qs(n.shape.toString());
        const auto cost = g.cost(n);
        l.params = cost.params;
        l.macs = cost.macs;
        l.prunable = prunable.count(n.name) != 0;
        l.locked = locked.count(n.name) != 0;
        if (last) {
            if (auto it = last->scores.find(n.name); it != last->scores.end()) {
                l.hasScore = true;
                l.scoreMin = it->second.min;
                l.scoreMean = it->second.mean;
                l.scoreMax = it->second.max;
            }
        }
        s.layers.push_back(std::move(l));
    }
    const auto total = g.totalCost(false);
    s.params = total.params;
    s.macs = total.macs;
    for (const auto& [layer, w] : prune::filterWidths(g)) {
        s.filters += w;
        s.originalFilters += widths.at(layer);
    }
    if (history && history->originalParams > 0) {
        s.originalParams = history->originalParams;
        s.originalMacs = history->originalMacs;
        s.originalFilters = history->originalFilters;
    } else {
        s.originalParams = s.params;
        s.originalMacs = s.macs;
    }
    return s;
}

RunHistory SummaryBuilder::history(const prune::History& h, const QString& runDir) {
    const auto latency = [&h](int iteration) {
        const auto it = h.latencyMs.find(iteration);
        return it == h.latencyMs.end() ? -1.0 : it->second;
    };
    RunHistory r;
    r.model = qs(h.model);
    r.runDir = runDir;
    r.criterion = qs(prune::criterionName(h.config.criterion));
    r.maxIterations = h.config.maxIterations;
    r.stopReason = qs(h.stopReason);
    const auto toQt = [](const std::map<std::string, double>& m) {
        QMap<QString, double> out;
        for (const auto& [k, v] : m) out.insert(qs(k), v);
        return out;
    };
    IterationPoint original;
    original.filters = h.originalFilters;
    original.params = h.originalParams;
    original.macs = h.originalMacs;
    original.metrics = toQt(h.originalMetrics);
    original.latencyMs = latency(0);
    r.points.push_back(original);
    for (const auto& it : h.iterations) {
        IterationPoint p;
        p.iteration = it.iteration;
        p.filters = it.filters;
        p.params = it.params;
        p.macs = it.macs;
        for (const auto& [layer, removed] : it.removed) p.filtersRemoved += static_cast<qint64>(removed.size());
        p.metrics = toQt(it.metrics);
        p.seconds = toQt(it.seconds);
        p.latencyMs = latency(it.iteration);
        r.points.push_back(p);
    }
    const auto& rec = h.recovery;
    for (const auto& point : rec.points)
        if (point.step == rec.bestStep) {
            r.recoveredMetrics = toQt(point.metrics);
            r.recoveredMetrics.remove(QStringLiteral("loss"));
            r.recoveredStep = point.step;
        }
    for (const auto& [far, tar] : h.originalRoc) r.originalRoc.push_back({far, tar});
    const auto& roc = h.iterations.empty() ? h.originalRoc : h.iterations.back().roc;
    for (const auto& [far, tar] : roc) r.currentRoc.push_back({far, tar});
    return r;
}

}  // namespace fp::jobs
