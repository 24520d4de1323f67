#pragma once
// Runs a Graph on LibTorch with autograd. Internal to core: include it only
// from .cpp files (LibTorch headers cost ~30 s per translation unit).
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "exec/TorchInclude.h"
#include "graph/Graph.h"

namespace fp::exec {

torch::Tensor toTorch(const Tensor& t);
Tensor fromTorch(const torch::Tensor& t);

class TorchGraph {
public:
    // Copies the graph's weights into LibTorch tensors. The graph must outlive
    // this object and keep its structure while it is used.
    explicit TorchGraph(const graph::Graph& graph);

    void setTraining(bool on) { training_ = on; }
    bool training() const { return training_; }

    // Runs autograd passes channels-last too (conv weights stored NHWC). Faster
    // for gradients of activations only (scoring: bench_scoring); training
    // passes measured faster in the default layout. Call before setting
    // parameters to require gradients.
    void setChannelsLast(bool on);

    // Trainable parameters, optionally restricted to some layers.
    std::vector<torch::Tensor> parameters() const;
    void setParametersRequireGrad(bool on);
    torch::Tensor& param(const std::string& node, const std::string& key);

    // Layers whose outputs forward() keeps (with their gradients after backward).
    // Works whether or not weights require gradients. With a sink, each gradient
    // is handed to it during backward instead of being kept (no copy of it is made).
    using GradSink = std::function<void(const std::string& layer, const torch::Tensor& activation,
                                        const torch::Tensor& gradient)>;
    void setCapture(const std::vector<std::string>& nodes, GradSink sink = {});
    const std::unordered_map<std::string, torch::Tensor>& captured() const { return captured_; }
    void clearCaptured() { captured_.clear(); }

    // x: [N, C, H, W] already preprocessed. Returns the requested layers' outputs
    // (default: the embedding, and the logits when the graph has a head).
    std::unordered_map<std::string, torch::Tensor> forward(const torch::Tensor& x,
                                                           std::vector<std::string> outputs = {});

    // Copies the (trained) weights back into the graph's plain tensors.
    void writeBack(graph::Graph& graph) const;

private:
    torch::Tensor runNode(size_t index, const std::vector<torch::Tensor>& in);
    torch::Tensor inputLayout(const torch::Tensor& x) const;

    const graph::Graph& graph_;
    std::vector<std::unordered_map<std::string, torch::Tensor>> params_;  // per node, graph order
    std::vector<std::vector<int>> inputIndex_;                             // producers per node
    std::vector<int> lastUse_;                                             // last consumer index per node
    std::vector<bool> capture_;
    GradSink sink_;
    std::unordered_map<std::string, torch::Tensor> captured_;
    bool training_ = false;
    bool channelsLast_ = false;
};

}  // namespace fp::exec
