#pragma once
// PReLU over channels-last maps: in place, for inference (LibTorch has no in-place prelu), or into
// a new tensor in one vectorised pass (torch::prelu measured slower on channels-last maps here).
// Internal to core.
#include "exec/TorchInclude.h"

namespace fp::exec {

// x must pass isChannelsLastFloat; slope: one value, or one per channel. Returns x.
torch::Tensor preluInPlace(const torch::Tensor& x, const torch::Tensor& slope);

// The same values in a new channels-last tensor; x is left as it was.
torch::Tensor preluChannelsLast(const torch::Tensor& x, const torch::Tensor& slope);

}  // namespace fp::exec
