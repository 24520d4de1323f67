#include "prune/CostModel.h"

#include <string>

#include "util/Errors.h"

namespace fp::prune {

using graph::Op;

namespace {

int64_t keptCount(const std::vector<int>& atoms, const std::vector<bool>& removed) {
    int64_t n = 0;
    for (int a : atoms) n += !removed[a];
    return n;
}

graph::NodeCost costWithWidths(const graph::Node& n, int64_t in, int64_t out, bool depthwise) {
    graph::NodeCost c;
    switch (n.op) {
    case Op::Conv2d: {
        const int64_t k = static_cast<int64_t>(n.window.kh) * n.window.kw;
        const int64_t perFilter = depthwise ? k : (in / n.groups) * k;
        c.params = out * perFilter + (n.hasParam("bias") ? out : 0);
        c.macs = n.shape.h * n.shape.w * out * perFilter;
        break;
    }
    case Op::Linear:
        c.params = out * in + (n.hasParam("bias") ? out : 0);
        c.macs = out * in;
        break;
    case Op::BatchNorm:
    case Op::Scale: c.params = 2 * out; break;
    case Op::PReLU: c.params = n.param("slope").numel() > 1 ? out : 1; break;
    default: break;
    }
    return c;
}

}  // namespace

graph::NodeCost predictCost(const graph::Graph& g, const ChannelGraph& cg, const std::vector<int>& groups) {
    std::vector<bool> removed(cg.atoms().size(), false);
    for (int id : groups)
        for (int a : cg.groups()[id].atoms) removed[a] = true;
    graph::NodeCost total;
    for (const auto& n : g.nodes()) {
        if (n.inputs.empty()) continue;
        const auto& outAtoms = cg.channels(n.name);
        const auto& inAtoms = cg.channels(n.inputs[0]);
        const bool depthwise = n.op == Op::Conv2d && outAtoms == inAtoms;
        const auto c = costWithWidths(n, keptCount(inAtoms, removed), keptCount(outAtoms, removed), depthwise);
        total.params += c.params;
        total.macs += c.macs;
    }
    return total;
}

std::vector<double> savingPerGroup(const graph::Graph& g, const ChannelGraph& cg, const std::vector<double>& nodeCost) {
    const auto& nodes = g.nodes();
    if (nodeCost.size() != nodes.size())
        throw Error("a cost table of " + std::to_string(nodeCost.size()) + " nodes for a graph of " +
                    std::to_string(nodes.size()));
    std::vector<double> saved(cg.groups().size(), 0.0);
    for (size_t i = 0; i < nodes.size(); ++i) {
        const auto& n = nodes[i];
        if (n.inputs.empty() || nodeCost[i] <= 0.0) continue;
        const auto& outAtoms = cg.channels(n.name);
        const auto& inAtoms = cg.channels(n.inputs[0]);
        if (outAtoms.empty()) continue;
        for (int a : outAtoms) saved[cg.groupOfAtom(a).id] += nodeCost[i] / static_cast<double>(outAtoms.size());
        const bool readsChannels = n.op == Op::Conv2d || n.op == Op::Linear;
        const bool depthwise = n.op == Op::Conv2d && outAtoms == inAtoms;
        if (!readsChannels || depthwise || inAtoms.empty()) continue;
        for (int a : inAtoms) saved[cg.groupOfAtom(a).id] += nodeCost[i] / static_cast<double>(inAtoms.size());
    }
    return saved;
}

std::vector<double> macsPerGroup(const graph::Graph& g, const ChannelGraph& cg) {
    // Each place a group's channel is written or read by a conv/linear costs that layer's MACs per
    // output or per input channel.
    std::vector<double> macs(g.nodes().size(), 0.0);
    for (size_t i = 0; i < g.nodes().size(); ++i) {
        const auto& n = g.nodes()[i];
        if (n.op == Op::Conv2d || n.op == Op::Linear) macs[i] = static_cast<double>(g.cost(n).macs);
    }
    return savingPerGroup(g, cg, macs);
}

}  // namespace fp::prune
