#pragma once
// Runs a Graph on LibTorch with autograd, carrying out the plan exec::PlanBuilder compiles for each
// kind of pass (exec/ExecutionPlan.h). Internal to core: include it only from .cpp files (LibTorch
// headers cost ~30 s per translation unit).
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "exec/ExecutionPlan.h"
#include "exec/SyncedBatchNorm.h"
#include "exec/TorchInclude.h"
#include "graph/Graph.h"

namespace fp::exec {

// The fast paths' kernels stay out of this header (exec/DnnlConv.h, exec/ChannelProducts.h): a change
// there recompiles TorchGraph.cpp alone, not every unit that runs a graph.
class DnnlConv;
struct Activation;

torch::Tensor toTorch(const Tensor& t);
Tensor fromTorch(const torch::Tensor& t);

class TorchGraph {
public:
    // Copies the graph's weights into LibTorch tensors. The graph must outlive
    // this object and keep its structure while it is used.
    // Plain (exec/ExecutionMode.h) when plainExecution() is set now: then setChannelsLast and
    // foldBatchNorm do nothing and no fast path runs.
    explicit TorchGraph(const graph::Graph& graph);
    bool plain() const { return plain_; }

    void setTraining(bool on) { training_ = on; }
    bool training() const { return training_; }

    // Runs autograd passes channels-last too (conv weights stored NHWC): scoring
    // (bench_scoring) and training (bench_recovery --throughput) measured faster.
    // Call before setting parameters to require gradients.
    void setChannelsLast(bool on);

    // Folds every eval-mode BatchNorm that is a conv's only consumer into that conv, from the weights
    // as they are now: use it only while they stay fixed (scoring, inference). The BatchNorm then
    // passes its input on, and each such pair costs one conv. A folded conv that forward() is asked
    // to output still gives its own, unfolded output. Training passes never use the folding.
    void foldBatchNorm();

    // Trainable parameters, optionally restricted to some layers.
    std::vector<torch::Tensor> parameters() const;
    void setParametersRequireGrad(bool on);
    torch::Tensor& param(const std::string& node, const std::string& key);

    // Layers whose outputs forward() keeps (with their gradients after backward).
    // Works whether or not weights require gradients. With a sink, backward hands it, per captured
    // layer, the per-channel sums over the batch and positions of the layer's output times the loss's
    // gradient with respect to it, and keeps no gradient. For a conv whose BatchNorm is folded these
    // are the conv's own output's products, not the folded ones'. When a ReLU, Clip or PReLU alone
    // follows the layer, it computes the sums in its own backward pass (one pass instead of three);
    // such a layer is then not in captured(), since that activation may write over its output.
    using GradSink = std::function<void(const std::string& layer, const torch::Tensor& productSums)>;
    void setCapture(const std::vector<std::string>& nodes, GradSink sink = {});
    const std::unordered_map<std::string, torch::Tensor>& captured() const { return captured_; }
    void clearCaptured() { captured_.clear(); }

    // x: [N, C, H, W] already preprocessed. Returns the requested layers' outputs
    // (default: the embedding, and the logits when the graph has a head).
    std::unordered_map<std::string, torch::Tensor> forward(const torch::Tensor& x,
                                                           std::vector<std::string> outputs = {});

    // While set, forward() adds each node's wall time, in seconds, to (*seconds)[node index] (the
    // vector is sized to the graph's nodes). Measures where inference time goes, per layer.
    void setNodeTimes(std::vector<double>* seconds) { nodeTimes_ = seconds; }

    // A distributed run's sum across ranks: while set, training passes run every BatchNorm on the
    // statistics of all ranks' shares together (exec/SyncedBatchNorm.h), as one process would on
    // the whole batch.
    void setCrossRankSum(CrossRankSum sum) { crossRankSum_ = std::move(sum); }
    // The steps of the last pass's plan (exec/ExecutionSteps.h): empty before the first pass.
    std::vector<ExecStep> lastSteps() const;
    // Plans compiled so far: one per kind of pass (exec/PlanBuilder.h: PlanBuilder::key), not per pass.
    int plansCompiled() const { return plansCompiled_; }

    // Copies the (trained) weights back into the graph's plain tensors.
    void writeBack(graph::Graph& graph) const;

private:
    friend class PlanBuilder;  // reads the graph's state to decide each node's step

    // The plan for this pass: compiled by a PlanBuilder during the first pass of its kind (null then).
    std::shared_ptr<ExecutionPlan> cachedPlan(const std::string& key);
    torch::Tensor runStep(size_t index, const std::vector<torch::Tensor>& in, const PlanStep& step,
                          const torch::Tensor& x);
    torch::Tensor runNode(size_t index, const std::vector<torch::Tensor>& in, const PlanStep& step);
    torch::Tensor runConv(size_t index, const torch::Tensor& x, const PlanStep& step, bool unfolded);
    torch::Tensor runScoringChain(const std::vector<PlanStep::Link>& chain, const torch::Tensor& x);
    const std::shared_ptr<DnnlConv>& directConv(size_t conv, int activation);
    bool weightsFixed(size_t conv) const;
    torch::Tensor inputLayout(const torch::Tensor& x) const;
    bool isFolded(size_t conv) const { return !training_ && folded_[conv].weight.defined(); }
    // Product sums for the sink: in a hook on the captured output, or in the activation after it.
    int soleActivationAfter(size_t conv) const { return soleActivation_[conv]; }
    int findSoleActivationAfter(size_t conv) const;
    torch::Tensor productOffset(size_t conv) const;
    void sumProductsInHook(size_t node, torch::Tensor& out);
    torch::Tensor activationSummingProducts(size_t index, size_t conv, const torch::Tensor& x, bool overwrite);
    torch::Tensor activationWithCheapBackward(size_t index, const torch::Tensor& x, bool inPlace);
    Activation activationOf(size_t index, int64_t channels) const;

    const graph::Graph& graph_;
    std::vector<std::unordered_map<std::string, torch::Tensor>> params_;  // per node, graph order
    std::vector<std::vector<int>> inputIndex_;                             // producers per node
    std::vector<int> lastUse_;                                             // last consumer index per node
    std::vector<int> consumerCount_;                                       // inputs taken from each node
    std::vector<bool> capture_;
    std::vector<int> soleConsumer_;     // per node: the node that alone takes its output, or -1
    std::vector<int> soleActivation_;   // per conv: soleActivationAfter, found once (the graph is fixed)
    std::vector<int> activationAfter_;  // per captured conv with a sink: soleActivationAfter, or -1
    // BatchNorm folding, per conv: the folded weight and bias and the BatchNorm's shift (undefined
    // when not folded). The BatchNorm after a folded conv passes its input on.
    struct Folded {
        torch::Tensor weight, bias, shift;
    };
    std::vector<Folded> folded_;
    // Inference convs run by oneDNN directly, per conv: alone, and with the activation after it.
    struct DirectConv {
        std::shared_ptr<DnnlConv> alone, fused;  // shared with the autograd nodes of scoring passes
    };
    std::vector<DirectConv> direct_;
    int plansCompiled_ = 0;
    int foldings_ = 0;  // foldBatchNorm calls so far, part of a plan's key: folding changes the steps
    // The plans kept, newest last, with the keys they were compiled for (PlanBuilder::key).
    std::vector<std::pair<std::string, std::shared_ptr<ExecutionPlan>>> plans_;
    std::shared_ptr<const ExecutionPlan> lastPlan_;  // described only when asked for (lastSteps)
    GradSink sink_;
    CrossRankSum crossRankSum_;
    std::unordered_map<std::string, torch::Tensor> captured_;
    bool training_ = false;
    bool channelsLast_ = false;
    const bool plain_;
    std::vector<double>* nodeTimes_ = nullptr;
};

}  // namespace fp::exec
