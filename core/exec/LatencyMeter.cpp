#include "exec/LatencyMeter.h"

#include <algorithm>
#include <chrono>

#include "exec/Executor.h"

namespace fp::exec {

double measureLatencyMs(const graph::Graph& graph, int batch, int runs) {
    Executor executor(graph);
    const auto& pre = graph.preprocess;
    const Tensor input = Tensor::zeros({std::max(1, batch), 3, pre.height, pre.width});
    executor.embed(input);  // the first forward allocates; not what a user waits for later
    double best = 1e300;
    for (int i = 0; i < std::max(1, runs); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        executor.embed(input);
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

}  // namespace fp::exec
