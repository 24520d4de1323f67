#pragma once
// A conv and the activation after it as one autograd node, for Taylor scoring passes (eval mode,
// weights fixed, channels-last): the activation runs as the conv's oneDNN post-op, and the backward
// pass takes the activation's gradient, the conv's product sums and the conv's input gradient a
// batch slice at a time, so that the activation's gradient stays in cache between the two instead
// of going out to memory and back. Internal to core (LibTorch headers).
#include <memory>

#include "exec/ChannelProducts.h"
#include "exec/DnnlConv.h"

namespace fp::exec {

// activation(conv(x)), x channels-last float and requiring a gradient. fused runs the conv with the
// activation as its post-op; plain is the same conv without it, and gives the input's gradient
// (plain->hasFastInputGradient(x.sizes()) must hold). The backward pass hands the sink, if any, the
// per-channel sums of (conv(x) - offset) * dL/dconv(x). The node keeps the activation's output for
// its backward pass; for a PReLU with a slope <= 0 (whose output does not tell which side of zero
// the conv's output was) it keeps the conv's output, and runs the PReLU after the conv instead.
torch::Tensor convActivationForScoring(const std::shared_ptr<DnnlConv>& fused, const std::shared_ptr<DnnlConv>& plain,
                                       const torch::Tensor& x, const Activation& activation,
                                       const torch::Tensor& offset, ProductSink sink);

}  // namespace fp::exec
