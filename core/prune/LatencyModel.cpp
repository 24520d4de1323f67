#include "prune/LatencyModel.h"

#include <algorithm>
#include <random>

#include "exec/Executor.h"
#include "util/Errors.h"

namespace fp::prune {

std::vector<double> measureNodeSeconds(const graph::Graph& g, int batch, int reps) {
    if (batch < 1 || reps < 1) throw Error("latency is measured on at least one image, at least once");
    const auto& s = g.at(g.inputName()).inputShape;
    Tensor input({batch, s.c, s.h, s.w}, std::vector<float>(static_cast<size_t>(batch * s.numel())));
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (auto& v : input.data) v = normal(rng);

    exec::Executor executor(g);
    executor.embed(input);  // allocations and oneDNN primitives are made here, not timed
    std::vector<std::vector<double>> perNode(g.nodes().size());
    for (int r = 0; r < reps; ++r) {
        const auto seconds = executor.timeNodes(input);  // one entry per node
        for (size_t i = 0; i < perNode.size(); ++i) perNode[i].push_back(seconds[i]);
    }
    std::vector<double> median(perNode.size(), 0.0);
    for (size_t i = 0; i < perNode.size(); ++i) {
        auto& v = perNode[i];
        std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
        median[i] = v[v.size() / 2];
    }
    return median;
}

}  // namespace fp::prune
