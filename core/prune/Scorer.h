#pragma once
// Ranks channel groups by a criterion. Data criteria (Taylor) accumulate one
// forward + backward of the identification loss per mini-batch; gradients are
// taken with respect to activations (or BatchNorm parameters) only — never the
// convolution weights, which scoring does not need. A Taylor mini-batch too large
// for the memory budget runs as several micro-batches whose per-channel sums add
// up to the same scores (the network runs in eval mode, so samples are independent).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/Batch.h"
#include "exec/ExecutionSteps.h"
#include "graph/Graph.h"
#include "prune/ChannelGraph.h"
#include "prune/Criterion.h"

namespace fp::dist {
class Group;
}

namespace fp::prune {

struct Scores {
    std::map<std::string, std::vector<double>> layers;  // raw per-filter scores of each scored layer
    std::vector<double> groups;                         // combined, per group id; +inf when not prunable
    int batches = 0;
};

class Scorer {
public:
    // The graph and channel graph must outlive the scorer. Throws fp::Error when
    // the criterion does not fit the model (no head for Taylor, no BatchNorm for bn).
    Scorer(const graph::Graph& graph, const ChannelGraph& channels, Criterion criterion, uint32_t seed = 1);
    ~Scorer();
    Scorer(const Scorer&) = delete;
    Scorer& operator=(const Scorer&) = delete;

    void accumulate(const data::Batch& batch);  // no-op for data-free criteria
    // Largest micro-batch for Taylor scoring; 0 (the default) sizes it from the activation memory
    // budget (kActivationBudgetBytes) and the graph's activation sizes.
    void setMaxMicroBatch(int images);
    int microBatch(int batchSize) const;  // the micro-batch a mini-batch of this size is split into
    static constexpr double kActivationBudgetBytes = 3.0 * (1 << 30);
    // flopsLambda > 0 subtracts lambda * (MACs the group saves / the largest such saving).
    Scores finish(double flopsLambda = 0.0) const;
    // The same regulariser with another cost: saving[group id] is what removing that group saves
    // (savingPerGroup of measured seconds, for instance).
    Scores finish(double lambda, const std::vector<double>& saving) const;
    // The steps the last scoring pass ran (empty for data-free criteria).
    std::vector<exec::ExecStep> lastSteps() const;
    // A distributed run: each rank accumulates its share of every mini-batch and the per-batch sums
    // are added up across ranks before the absolute value (or square) is taken, so that every rank
    // holds the scores one process would compute from the whole batches. Every rank must then call
    // accumulate() for every batch, empty shares included.
    void setGroup(dist::Group* group);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fp::prune
