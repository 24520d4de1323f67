#include "exec/Executor.h"

#include "exec/TorchGraph.h"

namespace fp::exec {

struct Executor::Impl {
    // Inference only: the weights never change, so BatchNorms fold into their convs (batch-32 forward,
    // 2 threads: SqueezeNet ~265 -> ~340 img/s, MobileNetV2 ~170 -> ~255; bench_scoring).
    explicit Impl(const graph::Graph& g) : graph(g), torchGraph(g) { torchGraph.foldBatchNorm(); }
    const graph::Graph& graph;
    TorchGraph torchGraph;
};

Executor::Executor(const graph::Graph& graph) : impl_(std::make_unique<Impl>(graph)) {}
Executor::~Executor() = default;

std::map<std::string, Tensor> Executor::run(const Tensor& batch, const std::vector<std::string>& outputs) {
    torch::NoGradGuard noGrad;
    impl_->torchGraph.setTraining(false);
    auto result = impl_->torchGraph.forward(toTorch(batch), outputs);
    std::map<std::string, Tensor> out;
    for (auto& [name, t] : result) out[name] = fromTorch(t);
    return out;
}

namespace {
// Ends a timed pass: the graph stops timing its nodes, whether the pass returned or threw.
struct TimingEnds {
    TorchGraph& graph;
    ~TimingEnds() { graph.setNodeTimes(nullptr); }
};
}  // namespace

std::vector<double> Executor::timeNodes(const Tensor& batch) {
    std::vector<double> seconds;
    impl_->torchGraph.setNodeTimes(&seconds);
    const TimingEnds ends{impl_->torchGraph};
    embed(batch);
    return seconds;
}

std::vector<ExecStep> Executor::steps(const Tensor& batch) {
    embed(batch);
    return impl_->torchGraph.lastSteps();
}

Tensor Executor::embed(const Tensor& batch) {
    const auto& name = impl_->graph.embeddingName();
    return run(batch, {name}).at(name);
}

}  // namespace fp::exec
