#pragma once
// The training the pruning loop needs: a linear identification head fitted on
// frozen embeddings (for pretrained embedding networks), and fine-tuning between
// iterations through train::Trainer (SGD with momentum and weight decay on the
// identification loss, optionally plus distillation from the original model).
#include <atomic>
#include <functional>

#include "data/BatchSource.h"
#include "graph/Graph.h"
#include "prune/PruneConfig.h"
#include "train/Losses.h"
#include "train/Schedule.h"
#include "util/Cancel.h"
#include "util/Progress.h"

namespace fp::dist {
class Group;
}

namespace fp::prune {

struct HeadFitOptions {
    int steps = 300;             // full-batch gradient steps on the cached embeddings
    double learningRate = 1.0;   // embeddings are rescaled to unit mean norm first
    uint64_t seed = 1;
    // A distributed run: each rank embeds its share of the images, and every step sums the
    // gradients across ranks, so all of them fit the head one process would fit.
    dist::Group* group = nullptr;
};

// Adds a Linear layer "head" over source.numClasses() identities after the
// embedding (replacing an existing head) and trains it on frozen embeddings.
// Returns the training accuracy of the fitted head.
double fitLinearHead(graph::Graph& graph, data::BatchSource& source, const HeadFitOptions& options = {},
                     const CancelToken* cancel = nullptr);

struct FineTuneOptions {
    int steps = 0;
    double learningRate = 0.005;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    uint64_t seed = 1;
    train::LossKind loss = train::LossKind::Softmax;       // margin losses drop the head's bias
    train::ScheduleKind schedule = train::ScheduleKind::Constant;
    double distillWeight = 0.0;                            // lambda of 1 - cos(student, teacher)
    double relationWeight = 0.0;                           // mu of the relational term
    double featureWeight = 0.0;                            // nu of stage-output distillation
    bool useLabels = true;                                 // identification loss as well
    const graph::Graph* teacher = nullptr;                 // the unpruned model; needed when distilling
    dist::Group* group = nullptr;                          // a distributed run (train::Trainer::setGroup)
};

// The options a pruning run's configuration asks for (teacher: the run's original model).
FineTuneOptions fineTuneOptions(const PruneConfig& config, uint64_t seed, const graph::Graph* teacher = nullptr);

// `steps` SGD steps (train::Trainer) on the identification loss through the
// graph's head, plus distillation when asked; the source restarts as needed.
// Writes the weights back and returns the mean loss. `progress` hears of each
// step (Phase::FineTuning, iteration 0); cancelling stops after the current step and keeps what was
// learned so far. Throws fp::Error when distilling without a teacher, or with a
// teacher that crops faces differently (a pruned model keeps its original's).
double fineTune(graph::Graph& graph, data::BatchSource& source, const FineTuneOptions& options,
                const CancelToken* cancel = nullptr, const ProgressSink& progress = {});

}  // namespace fp::prune
