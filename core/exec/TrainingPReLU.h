#pragma once
// PReLU for training passes (slope learned): LibTorch 1.13's prelu backward on CPU takes several
// times the forward's time (bench_recovery --throughput --profile). This one's backward reads the
// input and the incoming gradient once, writing the input's gradient and summing the slope's per
// channel in the same pass. Internal to core.
#include "exec/TorchInclude.h"

namespace fp::exec {

// Whether trainingPReLU takes x: a float [N, C, H, W] (NCHW or channels-last) or [N, C] tensor.
bool trainingPReLUTakes(const torch::Tensor& x);

// prelu(x, slope) whose backward gives x and slope (one value, or one per channel, any shape
// holding those) their gradients.
torch::Tensor trainingPReLU(const torch::Tensor& x, const torch::Tensor& slope);

}  // namespace fp::exec
