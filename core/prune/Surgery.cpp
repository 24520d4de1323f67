#include "prune/Surgery.h"

#include <numeric>

#include "util/Errors.h"

namespace fp::prune {

using graph::Node;
using graph::Op;

namespace {

// Keeps the listed indices of dimension `dim`.
Tensor slice(const Tensor& t, size_t dim, const std::vector<int64_t>& keep) {
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < dim; ++i) outer *= t.shape[i];
    for (size_t i = dim + 1; i < t.shape.size(); ++i) inner *= t.shape[i];
    const int64_t size = t.shape[dim];
    Tensor out;
    out.shape = t.shape;
    out.shape[dim] = static_cast<int64_t>(keep.size());
    out.data.resize(static_cast<size_t>(outer * keep.size() * inner));
    float* dst = out.data.data();
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t k : keep) {
            const float* src = t.data.data() + (o * size + k) * inner;
            dst = std::copy(src, src + inner, dst);
        }
    return out;
}

std::vector<int64_t> kept(const std::vector<int>& atoms, const std::vector<bool>& removed) {
    std::vector<int64_t> keep;
    for (size_t i = 0; i < atoms.size(); ++i)
        if (!removed[atoms[i]]) keep.push_back(static_cast<int64_t>(i));
    return keep;
}

std::vector<bool> removedAtoms(const ChannelGraph& cg, const std::vector<int>& groups) {
    std::vector<bool> removed(cg.atoms().size(), false);
    for (int id : groups) {
        if (id < 0 || id >= static_cast<int>(cg.groups().size())) throw GraphError("no channel group " + std::to_string(id));
        const Group& grp = cg.groups()[id];
        if (!grp.prunable)
            throw GraphError("channel group of " + (grp.members.empty() ? std::string("?") : grp.members.front()) +
                             " cannot be pruned: " + grp.lockReason);
        for (int a : grp.atoms) removed[a] = true;
    }
    return removed;
}

void recordOrigin(Node& n, const std::vector<int64_t>& keep) {
    if (n.origin.empty()) {
        n.origin.resize(static_cast<size_t>(n.outChannels));
        std::iota(n.origin.begin(), n.origin.end(), int64_t{0});
        if (!n.originalOut) n.originalOut = n.outChannels;
    }
    std::vector<int64_t> origin;
    for (int64_t k : keep) origin.push_back(n.origin[k]);
    n.origin = std::move(origin);
}

}  // namespace

void removeGroups(graph::Graph& g, const ChannelGraph& cg, const std::vector<int>& groups) {
    const std::vector<bool> removed = removedAtoms(cg, groups);
    for (Node& n : g.nodes()) {
        const auto& outAtoms = cg.channels(n.name);
        const auto keepOut = kept(outAtoms, removed);
        if (keepOut.size() == outAtoms.size()) {
            // Nothing of this layer's output goes, but a conv/linear may still lose inputs.
            if (n.op != Op::Conv2d && n.op != Op::Linear) continue;
        }
        if (keepOut.empty())
            throw GraphError("pruning would remove every channel of layer '" + n.name + "'");
        const auto* inAtoms = n.inputs.empty() ? nullptr : &cg.channels(n.inputs[0]);
        switch (n.op) {
        case Op::Conv2d:
        case Op::Linear: {
            const auto keepIn = kept(*inAtoms, removed);
            // A depthwise conv reuses its input's atoms; any other layer makes its own.
            const bool depthwise = n.op == Op::Conv2d && outAtoms == *inAtoms;
            auto& w = n.param("weight");
            if (keepOut.size() != outAtoms.size()) {
                w = slice(w, 0, keepOut);
                if (n.hasParam("bias")) n.param("bias") = slice(n.param("bias"), 0, keepOut);
                recordOrigin(n, keepOut);
                n.outChannels = static_cast<int64_t>(keepOut.size());
            }
            if (depthwise)
                n.groups = n.outChannels;
            else if (keepIn.size() != inAtoms->size())
                w = slice(w, 1, keepIn);
            break;
        }
        case Op::BatchNorm:
        case Op::Scale:
            for (auto& [key, t] : n.params) t = slice(t, 0, keepOut);
            break;
        case Op::PReLU:
            if (n.param("slope").numel() > 1) n.param("slope") = slice(n.param("slope"), 0, keepOut);
            break;
        case Op::Pad: {
            int64_t lead = 0, trail = 0;
            const int64_t inner = static_cast<int64_t>(outAtoms.size()) - n.pads[1];
            for (int64_t k : keepOut) {
                if (k < n.pads[0]) ++lead;
                if (k >= inner) ++trail;
            }
            n.pads[0] = lead;
            n.pads[1] = trail;
            break;
        }
        default: break;  // shapes follow from the inputs
        }
    }
    g.inferShapes();
}

graph::Graph maskGroups(const graph::Graph& graph, const ChannelGraph& cg, const std::vector<int>& groups) {
    const std::vector<bool> removed = removedAtoms(cg, groups);
    graph::Graph g = graph;
    for (Node& n : g.nodes()) {
        if (n.op != Op::Conv2d && n.op != Op::Linear) continue;
        const auto& inAtoms = cg.channels(n.inputs[0]);
        if (n.op == Op::Conv2d && cg.channels(n.name) == inAtoms) continue;  // depthwise: no mixing
        auto& w = n.param("weight");
        const int64_t rows = w.shape[0], cols = w.shape[1];
        const int64_t inner = w.numel() / (rows * cols);
        for (int64_t c = 0; c < cols; ++c) {
            if (!removed[inAtoms[c]]) continue;
            for (int64_t r = 0; r < rows; ++r) std::fill_n(w.data.begin() + (r * cols + c) * inner, inner, 0.f);
        }
    }
    return g;
}

}  // namespace fp::prune
