#pragma once
// Per-channel sums of an activation times the loss's gradient with respect to it: the quantity
// Taylor scores are made of. Internal to core (LibTorch headers).
#include <functional>
#include <limits>
#include <vector>

#include "exec/Layout.h"
#include "exec/TorchInclude.h"

namespace fp::exec {

// Receives, per channel, the sum over the batch and positions of a * dL/da (float64, [C]).
using ProductSink = std::function<void(const torch::Tensor& sums)>;

// sum over all but dim 1 of (a - offset) * g, per channel (offset: per channel, or undefined for
// none), as float64. a is [N, C, H, W] or [N, C].
torch::Tensor channelProductSums(const torch::Tensor& a, const torch::Tensor& g, const torch::Tensor& offset);

// An elementwise activation whose gradient passes where its input is inside (lo, hi) and is scaled
// by slope[c] below lo (ReLU: lo 0, hi inf, no slope; ReLU6 / Clip: lo, hi; PReLU: lo 0, slope).
struct Activation {
    double lo = 0.0;
    double hi = std::numeric_limits<double>::infinity();
    torch::Tensor slope;  // [C], or undefined: no gradient below lo
};

// The activation of x, whose backward pass also hands the sink the per-channel sums of
// (x - offset) * dL/dx. One pass over x and the incoming gradient gives both the input's gradient
// and the sums, where the activation's backward and a separate reduction read them three times.
// Without a sink it is the activation with that cheaper backward (for a PReLU whose slope is fixed:
// LibTorch's own backward always computes the slope's gradient too).
// inputGradient false: the backward pass gives x no gradient (x is a leaf whose gradient nobody
// reads, such as the first conv's output when scoring), and skips writing it.
// mayOverwriteInput: x is read by nothing else, so the activation may be written into it (and x
// returned). The backward pass then works from that output: it tells where x was inside, and gives
// x back (a PReLU divides by its slope). Ignored for a leaf, and for a PReLU with a slope <= 0.
// x must pass isChannelsLastFloat; callers use LibTorch's own activation and channelProductSums otherwise.
torch::Tensor activationWithProductSums(const torch::Tensor& x, const Activation& activation,
                                        const torch::Tensor& offset, ProductSink sink, bool inputGradient = true,
                                        bool mayOverwriteInput = false);

// The backward pass of the activation itself, for callers that run it inside their own autograd
// node (a conv with its activation fused, exec/ScoringConv). v is the activation's input, or its
// output when fromOutput (see mayOverwriteInput above); g the gradient with respect to the output,
// channels adjacent (withAdjacentChannels). Writes the input's gradient into gi (unless undefined)
// and adds the per-channel sums of (x - offset) * gi into sums (none when sums is empty). v, g and
// gi may be batch slices of larger tensors.
void activationBackward(const torch::Tensor& v, bool fromOutput, const torch::Tensor& g, const torch::Tensor& gi,
                        const Activation& activation, const torch::Tensor& offset, std::vector<double>& sums);
// g, or a channels-last copy where its channels are not adjacent or its pixels not evenly spaced.
torch::Tensor withAdjacentChannels(const torch::Tensor& g);

}  // namespace fp::exec
