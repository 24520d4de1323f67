#pragma once
// A chain of convs, each with the activation after it, as one autograd node, for Taylor scoring
// passes (eval mode, weights fixed, channels-last): each activation runs as its conv's oneDNN
// post-op, and the backward pass goes down the whole chain a batch slice at a time (activation
// gradient and product sums, then the conv's input gradient, for every conv in turn), so that the
// gradients between the convs stay in cache instead of going out to memory and back.
// Internal to core (LibTorch headers).
#include <memory>
#include <optional>
#include <vector>

#include "exec/ChannelProducts.h"
#include "exec/DnnlConv.h"

namespace fp::exec {

// One conv of a chain and the activation after it, if any.
struct ScoringStage {
    // The conv alone: gives the input's gradient (plain->hasFastInputGradient must hold for its
    // input's shape, where that gradient is needed). fused: the same conv with the activation as
    // its post-op (unused without one).
    std::shared_ptr<DnnlConv> plain, fused;
    std::optional<Activation> activation;
    // With a sink, the backward pass hands it the per-channel sums of (conv(x) - offset) * dL/dconv(x).
    torch::Tensor offset;
    ProductSink sink;
};

// The stages applied in turn to x (channels-last float). Where x requires no gradient (an image) the
// first conv's input gradient is not computed, and the output still takes one. The node keeps, per
// stage, the activation's output for its backward pass; for a PReLU with a slope <= 0 (whose output
// does not tell which side of zero the conv's output was) it keeps the conv's output instead, and
// runs the PReLU after the conv. A stage without an activation keeps its output only to sum products.
torch::Tensor convChainForScoring(std::vector<ScoringStage> stages, const torch::Tensor& x);

}  // namespace fp::exec
