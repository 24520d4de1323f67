#pragma once
// Which channels must be removed together. Every output channel a layer creates
// (a conv or linear filter, a zero channel a Pad appends, an input channel) is
// an "atom"; layers that pass channels through (BatchNorm, activations, pools,
// depthwise convs) reuse their input's atoms, Concat concatenates them, Add ties
// the atoms it sums, Flatten repeats each atom for its block of features. Atoms
// tied together form a group: the unit of pruning.
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/Graph.h"

namespace fp::prune {

struct Atom {
    enum class Kind { Filter, ZeroPad, Input };
    Kind kind = Kind::Filter;
    std::string layer;   // the layer that creates it
    int64_t index = 0;   // its current position in that layer's output
};

struct Group {
    int id = 0;
    std::vector<int> atoms;
    std::vector<std::string> members;  // layers whose filters it removes (sorted)
    bool prunable = true;
    std::string lockReason;            // why not, for the user
};

class ChannelGraph {
public:
    // lockedLayers: layers whose output channels the user keeps.
    explicit ChannelGraph(const graph::Graph& graph, const std::set<std::string>& lockedLayers = {});

    const std::vector<Atom>& atoms() const { return atoms_; }
    const std::vector<Group>& groups() const { return groups_; }
    const Group& groupOfAtom(int atom) const { return groups_[atomGroup_[atom]]; }
    // Atom behind each output position of a layer (each feature for flat tensors).
    const std::vector<int>& channels(const std::string& layer) const;
    // Atom of a producer's current output channel, -1 when it has none.
    int filterAtom(const std::string& layer, int64_t index) const;
    std::vector<int> prunableGroups() const;

private:
    int newAtom(Atom::Kind kind, const std::string& layer, int64_t index);
    int find(int a);
    void unite(int a, int b);

    std::vector<Atom> atoms_;
    std::vector<int> parent_;  // union-find over atoms
    std::vector<bool> locked_;
    std::vector<std::string> lockWhy_;
    std::vector<int> atomGroup_;
    std::vector<Group> groups_;
    std::unordered_map<std::string, std::vector<int>> channels_;
    std::unordered_map<std::string, std::vector<int>> filterAtoms_;
};

}  // namespace fp::prune
