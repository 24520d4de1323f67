#pragma once
// Decides how each node of a pass runs: LibTorch's own op, or one of the fast paths (a folded
// BatchNorm passed over, a conv run by oneDNN directly or with its activation fused, a scoring chain,
// an activation that sums its conv's Taylor products or has a one-pass backward, an in-place op).
// Every such choice is made here and nowhere else; exec::TorchGraph only carries the plan out.
// Internal to exec: include it only from .cpp files (it pulls in LibTorch).
//
// The builder decides while the first pass of a kind runs, from the tensors that pass really sees
// (their layout and whether they take a gradient), so its choices are those of the pass; a later pass
// with the same key (key()) replays the plan without deciding again.
#include <string>
#include <vector>

#include "exec/ExecutionPlan.h"
#include "exec/TorchInclude.h"

namespace fp::exec {

class TorchGraph;

class PlanBuilder {
public:
    // `wanted`: per node, whether the pass returns its output.
    PlanBuilder(TorchGraph& graph, const std::vector<bool>& wanted);

    // Everything the choices depend on beyond the graph's structure: grad mode, training, layout and
    // size of the input and whether it takes a gradient, the outputs asked for, the captures, which
    // parameters learn, the BatchNorm folding, and which kernels are on.
    static std::string key(const TorchGraph& graph, const torch::Tensor& x, const std::vector<bool>& wanted);

    // The step of `node`, given its inputs in this pass. Call in graph order.
    PlanStep step(size_t node, const std::vector<torch::Tensor>& in);
    // After a captured conv ran with a sink: whether the activation after it sums the products in its
    // own backward pass (then that activation's step is SummingAct) rather than a hook on `out`.
    bool sumsInActivation(size_t conv, const torch::Tensor& out);

private:
    bool mayOverwriteInput(size_t node) const;
    int activationNobodySeesBefore(size_t conv) const;
    int fusableActivation(size_t conv) const;
    std::vector<PlanStep::Link> scoringChain(size_t head, const torch::Tensor& x);
    bool runsDirect(size_t conv, const torch::Tensor& x);
    bool usesCheapBackward(size_t node, const torch::Tensor& x) const;
    bool usesLearningPReLU(size_t node, const torch::Tensor& x) const;
    bool usesLibTorchOneDnn(const torch::Tensor& x) const;
    PlanStep nodeStep(size_t node, const std::vector<torch::Tensor>& in);

    TorchGraph& g_;
    const std::vector<bool>& wanted_;
    std::vector<bool> covered_;  // nodes an earlier step runs
    std::vector<int> sumsFor_;   // per activation: the captured conv whose products it sums, or -1
};

}  // namespace fp::exec
