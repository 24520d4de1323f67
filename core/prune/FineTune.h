#pragma once
// The training the pruning loop needs: a linear identification head fitted on
// frozen embeddings (for pretrained embedding networks), and plain SGD
// fine-tuning on the same cross-entropy loss between iterations.
#include <atomic>
#include <functional>

#include "data/BatchSource.h"
#include "graph/Graph.h"

namespace fp::prune {

struct HeadFitOptions {
    int steps = 300;             // full-batch gradient steps on the cached embeddings
    double learningRate = 1.0;   // embeddings are rescaled to unit mean norm first
    uint64_t seed = 1;
};

// Adds a Linear layer "head" over source.numClasses() identities after the
// embedding (replacing an existing head) and trains it on frozen embeddings.
// Returns the training accuracy of the fitted head.
double fitLinearHead(graph::Graph& graph, data::BatchSource& source, const HeadFitOptions& options = {},
                     const std::atomic<bool>* cancel = nullptr);

struct FineTuneOptions {
    int steps = 0;
    double learningRate = 0.005;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    uint64_t seed = 1;
};

// SGD on identification cross-entropy for `steps` mini-batches (restarting the
// source as needed); writes the weights back. Returns the mean loss.
// `progress(step)` is called after each step; cancelling stops after the
// current step and keeps what was learned so far.
double fineTune(graph::Graph& graph, data::BatchSource& source, const FineTuneOptions& options,
                const std::atomic<bool>* cancel = nullptr, const std::function<void(int)>& progress = {});

}  // namespace fp::prune
