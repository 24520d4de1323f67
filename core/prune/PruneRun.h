#pragma once
// Iterative pruning: score -> remove -> fine-tune -> evaluate -> record, with a
// checkpoint after every iteration in a run directory:
//   run.json            history (config, every iteration), written atomically
//   original.fpm        the starting model (with its fitted head)
//   checkpoints/iter-NNN.fpm
//   final.fpm           the result when the run stops
//   layers.csv          per-layer analysis (original width vs share removed)
//   recovery/           the final recovery's training checkpoint and best.fpm (its best model)
// A run that is killed resumes from its last checkpoint with nothing lost, and
// gives the same result as an uninterrupted run with the same seed.
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "data/BatchSource.h"
#include "graph/Graph.h"
#include "prune/History.h"
#include "prune/PruneConfig.h"
#include "util/Cancel.h"
#include "util/Progress.h"

namespace fp::dist {
class Group;
}

namespace fp::prune {

class ChannelGraph;

struct Evaluation {
    std::map<std::string, double> metrics;     // e.g. accuracy, eer, auc
    std::vector<std::array<double, 2>> roc;    // (FAR, TAR)
};
using Evaluator = std::function<Evaluation(const graph::Graph&)>;

struct RunCallbacks {
    ProgressSink progress;
    std::function<void(const IterationRecord&, const graph::Graph&)> iterationDone;
    std::function<void(const RecoveryPoint&)> recoveryEvaluated;  // each evaluation of the final recovery
};

class PruneRun {
public:
    // Starts a new run in an empty (or new) directory: fits an identification
    // head when the model has none and the run needs one, evaluates the
    // original, checks that the target can be met. Throws fp::Error.
    static PruneRun start(const std::filesystem::path& runDir, graph::Graph model, const std::string& modelSpec,
                          const PruneConfig& config, data::BatchSource& train, const Evaluator& evaluate = {},
                          const CancelToken* cancel = nullptr, const RunCallbacks& callbacks = {},
                          const std::map<std::string, std::string>& dataSettings = {},
                          dist::Group* group = nullptr);
    // Reopens a run directory at its last completed iteration.
    static PruneRun open(const std::filesystem::path& runDir);
    static bool isRunDir(const std::filesystem::path& dir);
    // A model file of a run folder: iteration 0 = original.fpm, kFinalModel = final.fpm, k = the
    // checkpoint of iteration k.
    static constexpr int kFinalModel = -1;
    static std::filesystem::path modelFile(const std::filesystem::path& runDir, int iteration);

    // Runs iterations until a stop condition holds or `cancel` is set, then the final recovery; a
    // cancelled iteration is dropped, the completed ones stay on disk, and a cancelled recovery
    // goes on from its last evaluation. Scoring reads `train`; fine-tuning and recovery read
    // `recovery` (labelled and unlabelled faces, augmented) when given, else `train`. Training
    // that diverges (NaN) ends the run with the last good checkpoint as its result.
    void run(data::BatchSource& train, const Evaluator& evaluate = {}, const CancelToken* cancel = nullptr,
             const RunCallbacks& callbacks = {}, data::BatchSource* recovery = nullptr);

    // A distributed run (dist/Group.h): this rank's share of the batches; scores, head fitting and
    // gradients are summed across ranks, and every removal is checked to be the same on all ranks.
    // The evaluator must give every rank the same figures (prune/PruneSession evaluates on rank 0).
    void setGroup(dist::Group* group) { group_ = group; }

    bool finished() const { return !history_.stopReason.empty(); }
    const History& history() const { return history_; }
    const graph::Graph& model() const { return model_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path checkpoint(int iteration) const;

private:
    PruneRun(std::filesystem::path dir, History history, graph::Graph model);
    std::string stopReasonBeforeIteration() const;
    int64_t groupsToRemove(const ChannelGraph& cg, const std::vector<int>& ranked, int64_t count) const;
    // False when cancelled (the run goes on from its last evaluation when resumed).
    bool recover(data::BatchSource& source, const Evaluator& evaluate, const CancelToken* cancel,
                 const RunCallbacks& callbacks, std::string& reason);
    const graph::Graph& original();  // the starting model: the teacher when fine-tuning distils
    void finish(const std::string& reason);

    std::filesystem::path dir_;
    History history_;
    graph::Graph model_;
    std::optional<graph::Graph> original_;  // loaded on first use
    dist::Group* group_ = nullptr;
};

}  // namespace fp::prune
