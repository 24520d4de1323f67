#pragma once
// The tensor layout inference and scoring run in. Internal to core (LibTorch headers).
#include "exec/TorchInclude.h"

namespace fp::exec {

// 4-D, float and channels-last: what the hand-written per-channel loops (ChannelProducts,
// InPlacePReLU) and the direct oneDNN conv call expect.
inline bool isChannelsLastFloat(const torch::Tensor& x) {
    return x.dim() == 4 && x.scalar_type() == torch::kFloat32 && x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

}  // namespace fp::exec
