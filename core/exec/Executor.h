#pragma once
// Inference on a Graph for code that must not see LibTorch (CLI, jobs, tests).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exec/ExecutionSteps.h"
#include "graph/Graph.h"

namespace fp::exec {

class Executor {
public:
    // The graph must outlive the executor.
    explicit Executor(const graph::Graph& graph);
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    // Eval mode, no gradients. batch: [N, C, H, W], already preprocessed.
    Tensor embed(const Tensor& batch);
    std::map<std::string, Tensor> run(const Tensor& batch, const std::vector<std::string>& outputs);
    // One embedding pass, timed node by node: wall seconds per node, in graph order.
    std::vector<double> timeNodes(const Tensor& batch);
    // One embedding pass, and the steps it ran (which nodes took which fast path).
    std::vector<ExecStep> steps(const Tensor& batch);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fp::exec
