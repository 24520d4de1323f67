#pragma once
// BatchNorm in training mode over a batch split across the ranks of a distributed run: the
// per-channel statistics are those of the whole batch (every rank's share summed), in the forward
// pass and in the backward pass, so each rank computes exactly its share of what one process would
// compute on the whole batch. Internal to core.
#include <functional>

#include "exec/TorchInclude.h"

namespace fp::exec {

// Sums a 1-D double tensor in place across the ranks (the same call order on every rank).
using CrossRankSum = std::function<void(torch::Tensor&)>;

// batch_norm(x, weight, bias, running stats, training) with the batch being every rank's x together.
// x: [N, C, H, W] or [N, C]. The running statistics are updated from the whole batch (the variance
// unbiased, as LibTorch does). The gradients of weight and bias are this rank's share (a distributed
// trainer sums them across ranks afterwards); the gradient of x is exact for the whole batch.
// `sum` must outlive the backward pass.
torch::Tensor syncedBatchNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              torch::Tensor& runningMean, torch::Tensor& runningVar, double momentum, double eps,
                              const CrossRankSum& sum);

}  // namespace fp::exec
