#pragma once
// A distributed training step (Trainer::setGroup): where this rank's share sits in the whole batch,
// and the collectives that make the ranks' shares of a loss add up to one process's loss on the whole
// batch. Internal to core: include it only from .cpp files that already include LibTorch.
#include <vector>

#include "exec/TorchInclude.h"

namespace fp::dist {
class Group;
}

namespace fp::train {

struct RankShare {
    int64_t first = 0;          // this rank's first row in the whole batch (ranks in order)
    int64_t rows = 0;           // its rows
    int64_t total = 0;          // the whole batch's rows
    int64_t labelled = 0;       // its rows with a label (unlabelled faces only distil)
    int64_t labelledTotal = 0;  // the whole batch's

    // One process: the share is the whole batch.
    static RankShare whole(int64_t rows, int64_t labelled) { return {0, rows, rows, labelled, labelled}; }
    // Weights that turn a mean over this rank's rows (or labelled rows) into its part of the whole
    // batch's mean.
    double rowWeight() const { return total > 0 ? double(rows) / double(total) : 0.0; }
    double labelledWeight() const { return labelledTotal > 0 ? double(labelled) / double(labelledTotal) : 0.0; }
};

// Every rank's counts exchanged (a collective every rank calls at the same step).
RankShare shareOf(dist::Group& group, int64_t rows, int64_t labelled);

// Every rank's rows together, in rank order: [total, D] from each rank's [rows, D]. No gradient.
torch::Tensor gatherRows(dist::Group& group, const torch::Tensor& mine, const RankShare& share);

// Sums each tensor's gradient across ranks in place (buckets of a few million values, one collective
// each). A tensor without a gradient on this rank counts as zeros.
void sumGradients(dist::Group& group, const std::vector<torch::Tensor>& tensors);

// Sums a 1-D double tensor across ranks in place, inside a pass (exec::CrossRankSum).
void sumInPass(dist::Group& group, torch::Tensor& values);

}  // namespace fp::train
