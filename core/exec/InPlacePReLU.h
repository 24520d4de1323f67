#pragma once
// PReLU that overwrites its input, for inference (LibTorch has no in-place prelu). Internal to core.
#include "exec/TorchInclude.h"

namespace fp::exec {

// x must pass isChannelsLastFloat; slope: one value, or one per channel. Returns x.
torch::Tensor preluInPlace(const torch::Tensor& x, const torch::Tensor& slope);

}  // namespace fp::exec
