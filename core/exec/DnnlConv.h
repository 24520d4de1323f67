#pragma once
// One inference convolution run by oneDNN directly, channels-last in and out, with its weights
// reordered once into the layout oneDNN picks and its primitive kept per input shape. LibTorch's
// mkldnn_convolution reorders the weights on every call (about a fifth of MobileNetV2's batch-1
// time here) and runs the activation after it as a separate pass; this runs it as a post-op.
// Scoring passes (weights fixed) get the input's gradient the same way.
// Internal to core (LibTorch headers).
#include <memory>
#include <optional>
#include <vector>

#include "exec/TorchInclude.h"

namespace fp::exec {

// The activation fused into the conv's output.
struct FusedActivation {
    enum class Kind { None, ReLU, Clip, PReLU } kind = Kind::None;
    float lo = 0, hi = 0;   // Clip
    torch::Tensor slope;    // PReLU: one value per output channel
};

struct ConvGeometry {
    int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1, groups = 1;
    int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
};

class DnnlConv {
public:
    // weight [O, I/groups, KH, KW] in any memory format; bias [O] or undefined; a PReLU's slope one
    // value or one per output channel. All are read now: matches() tells whether they are still the
    // tensors (and versions: in-place training steps bump them) this was built from.
    DnnlConv(const torch::Tensor& weight, const torch::Tensor& bias, const ConvGeometry& geometry,
             FusedActivation activation);
    ~DnnlConv();
    DnnlConv(const DnnlConv&) = delete;
    DnnlConv& operator=(const DnnlConv&) = delete;

    bool matches(const torch::Tensor& weight, const torch::Tensor& bias, const FusedActivation& activation) const;

    // x: float [N, I, H, W], channels-last. Returns [N, O, OH, OW], channels-last: out when given
    // (of that shape and layout, such as a batch slice of a larger tensor), else a new tensor.
    torch::Tensor run(const torch::Tensor& x, torch::Tensor out = {});
    // The sizes run() gives for an input of inputSizes [N, I, H, W].
    std::vector<int64_t> outputSizes(at::IntArrayRef inputSizes) const;

    // For scoring passes (weights fixed): the gradient of the loss with respect to the input, of
    // inputSizes [N, I, H, W], from the one with respect to the output (any layout). Channels-last;
    // written into out when given, as run() does.
    // Only for a conv without a fused activation, and where hasFastInputGradient: oneDNN has more
    // than its reference kernel for that shape (LibTorch's own backward serves the rest).
    bool hasFastInputGradient(at::IntArrayRef inputSizes);
    torch::Tensor inputGradient(const torch::Tensor& gradOutput, at::IntArrayRef inputSizes, torch::Tensor out = {});

    // Whether inference convolutions go through this: LibTorch runs on the oneDNN this was compiled
    // against and the process has not turned it off (benchmarks compare with LibTorch's own call).
    static bool enabled();
    static void setEnabled(bool on);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// conv's output for x (channels-last float) with an autograd node whose backward gives x its
// gradient through conv->inputGradient; the weights get none. The node keeps conv alive.
torch::Tensor convWithInputGradient(const std::shared_ptr<DnnlConv>& conv, const torch::Tensor& x);

}  // namespace fp::exec
