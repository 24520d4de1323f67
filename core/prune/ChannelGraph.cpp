#include "prune/ChannelGraph.h"

#include <algorithm>
#include <map>

#include "util/Errors.h"

namespace fp::prune {

using graph::Node;
using graph::Op;

int ChannelGraph::newAtom(Atom::Kind kind, const std::string& layer, int64_t index) {
    atoms_.push_back({kind, layer, index});
    parent_.push_back(static_cast<int>(parent_.size()));
    locked_.push_back(false);
    lockWhy_.emplace_back();
    return static_cast<int>(atoms_.size()) - 1;
}

int ChannelGraph::find(int a) {
    while (parent_[a] != a) a = parent_[a] = parent_[parent_[a]];
    return a;
}

void ChannelGraph::unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
}

ChannelGraph::ChannelGraph(const graph::Graph& g, const std::set<std::string>& lockedLayers) {
    auto lockAll = [&](const std::vector<int>& list, const std::string& why) {
        for (int a : list)
            if (!locked_[a]) {
                locked_[a] = true;
                lockWhy_[a] = why;
            }
    };
    for (const Node& n : g.nodes()) {
        std::vector<int>& out = channels_[n.name];
        const std::vector<int>* in = n.inputs.empty() ? nullptr : &channels_.at(n.inputs[0]);
        auto fresh = [&](Atom::Kind kind) {
            auto& filters = filterAtoms_[n.name];
            for (int64_t i = 0; i < n.shape.c; ++i) {
                out.push_back(newAtom(kind, n.name, i));
                filters.push_back(out.back());
            }
        };
        switch (n.op) {
        case Op::Input:
            fresh(Atom::Kind::Input);
            lockAll(out, "network input");
            break;
        case Op::Conv2d:
            if (n.isDepthwise() && n.outChannels == static_cast<int64_t>(in->size())) {
                out = *in;  // filter i reads and writes channel i
            } else {
                fresh(Atom::Kind::Filter);
                if (n.groups > 1) {  // grouped (not depthwise): channels are tied across groups
                    lockAll(out, "grouped convolution '" + n.name + "'");
                    lockAll(*in, "input of grouped convolution '" + n.name + "'");
                }
            }
            break;
        case Op::Linear: fresh(Atom::Kind::Filter); break;
        case Op::L2Norm:
            out = *in;
            lockAll(out, "L2 normalisation '" + n.name + "' mixes all channels");
            break;
        case Op::Pad: {
            auto zeros = [&](int64_t count) {
                for (int64_t i = 0; i < count; ++i) out.push_back(newAtom(Atom::Kind::ZeroPad, n.name, i));
            };
            zeros(n.pads[0]);
            out.insert(out.end(), in->begin(), in->end());
            zeros(n.pads[1]);
            break;
        }
        case Op::Add:
            out = *in;
            for (size_t k = 1; k < n.inputs.size(); ++k) {
                const auto& other = channels_.at(n.inputs[k]);
                for (size_t i = 0; i < out.size(); ++i) unite(out[i], other[i]);
            }
            break;
        case Op::Concat:
            for (const auto& name : n.inputs) {
                const auto& part = channels_.at(name);
                out.insert(out.end(), part.begin(), part.end());
            }
            break;
        case Op::Flatten: {
            const auto& src = g.at(n.inputs[0]).shape;
            const int64_t block = src.flat ? 1 : src.h * src.w;
            for (int a : *in)
                for (int64_t i = 0; i < block; ++i) out.push_back(a);
            break;
        }
        default:  // per-channel or channel-preserving: BatchNorm, Scale, activations, pools, Dropout
            out = *in;
            break;
        }
        if (lockedLayers.count(n.name)) lockAll(out, "locked by the user ('" + n.name + "')");
    }
    lockAll(channels_.at(g.embeddingName()), "embedding output");
    if (g.hasHead()) lockAll(channels_.at(g.logitsName()), "identification head");
    for (const auto& name : lockedLayers)
        if (!g.find(name)) throw GraphError("cannot lock layer '" + name + "': no such layer");

    // Collect groups from the union-find roots.
    std::map<int, int> rootToGroup;
    atomGroup_.resize(atoms_.size());
    for (int a = 0; a < static_cast<int>(atoms_.size()); ++a) {
        const int root = find(a);
        auto [it, added] = rootToGroup.emplace(root, static_cast<int>(groups_.size()));
        if (added) groups_.push_back({static_cast<int>(groups_.size()), {}, {}, true, {}});
        Group& grp = groups_[it->second];
        grp.atoms.push_back(a);
        atomGroup_[a] = grp.id;
        if (atoms_[a].kind == Atom::Kind::Filter) grp.members.push_back(atoms_[a].layer);
        if (locked_[a] && grp.prunable) {
            grp.prunable = false;
            grp.lockReason = lockWhy_[a];
        }
    }
    for (auto& grp : groups_) {
        std::sort(grp.members.begin(), grp.members.end());
        grp.members.erase(std::unique(grp.members.begin(), grp.members.end()), grp.members.end());
        if (grp.prunable && grp.members.empty()) {
            grp.prunable = false;
            grp.lockReason = "no filters (padding only)";
        }
    }
}

const std::vector<int>& ChannelGraph::channels(const std::string& layer) const {
    auto it = channels_.find(layer);
    if (it == channels_.end()) throw GraphError("no layer named '" + layer + "'");
    return it->second;
}

int ChannelGraph::filterAtom(const std::string& layer, int64_t index) const {
    auto it = filterAtoms_.find(layer);
    if (it == filterAtoms_.end() || index < 0 || index >= static_cast<int64_t>(it->second.size())) return -1;
    return it->second[index];
}

std::vector<int> ChannelGraph::prunableGroups() const {
    std::vector<int> out;
    for (const auto& grp : groups_)
        if (grp.prunable) out.push_back(grp.id);
    return out;
}

}  // namespace fp::prune
