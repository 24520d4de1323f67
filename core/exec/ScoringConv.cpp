#include "exec/ScoringConv.h"

#include <algorithm>
#include <vector>

#include "exec/InPlacePReLU.h"
#include "exec/Layout.h"

namespace fp::exec {

namespace {

// The activation gradient of about this many bytes is made and consumed at a time: a share of the
// 32 MiB L3 cache here, with room for the slice's input gradient and the weights. MobileNetV2,
// batch 32: a scoring batch costs 2.2-2.3 forward batches so, 2.5-2.7 unsliced (bench_scoring;
// 1 and 16 MiB measured in between).
constexpr int64_t kSliceBytes = 4 << 20;

// What the backward pass needs besides the saved map, kept on the autograd node.
struct Pending : torch::CustomClassHolder {
    std::shared_ptr<DnnlConv> plain;
    std::vector<int64_t> inputSizes;
    Activation activation;
    torch::Tensor offset;
    ProductSink sink;
    bool fromOutput = true;  // the saved map is the activation's output, else the conv's
};

struct ConvActivation : torch::autograd::Function<ConvActivation> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const std::shared_ptr<DnnlConv>& fused, c10::intrusive_ptr<Pending> pending) {
        pending->inputSizes = x.sizes().vec();
        torch::Tensor y;
        if (pending->fromOutput) {
            y = fused->run(x);
            ctx->save_for_backward({y});
        } else {
            const auto a = pending->plain->run(x);
            y = preluChannelsLast(a, pending->activation.slope);
            ctx->save_for_backward({a});
        }
        ctx->saved_data["pending"] = c10::IValue::make_capsule(std::move(pending));
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto y = ctx->get_saved_variables()[0];  // the activation's output, or its input
        const auto p = c10::static_intrusive_pointer_cast<Pending>(ctx->saved_data["pending"].toCapsule());
        const auto g = withAdjacentChannels(grads[0]);
        const int64_t n = y.size(0);
        const int64_t imageBytes = y[0].numel() * int64_t(sizeof(float));
        int64_t perSlice = std::clamp<int64_t>(kSliceBytes / std::max<int64_t>(imageBytes, 1), 1, n);
        auto sliceSizes = [&](int64_t images) {
            auto sizes = p->inputSizes;
            sizes[0] = images;
            return sizes;
        };
        if (perSlice < n && !p->plain->hasFastInputGradient(sliceSizes(perSlice))) perSlice = n;
        auto gx = torch::empty(p->inputSizes, y.options().memory_format(at::MemoryFormat::ChannelsLast));
        auto slice = torch::empty_like(y.narrow(0, 0, perSlice), at::MemoryFormat::ChannelsLast);
        std::vector<double> sums(p->sink ? size_t(y.size(1)) : 0, 0.0);
        for (int64_t start = 0; start < n; start += perSlice) {
            const int64_t images = std::min(perSlice, n - start);
            const auto gy = images == perSlice ? slice : slice.narrow(0, 0, images);
            activationBackward(y.narrow(0, start, images), p->fromOutput, g.narrow(0, start, images), gy,
                               p->activation, p->offset, sums);
            p->plain->inputGradient(gy, sliceSizes(images), gx.narrow(0, start, images));
        }
        if (p->sink) p->sink(torch::tensor(sums, torch::kFloat64));
        return {gx, torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor convActivationForScoring(const std::shared_ptr<DnnlConv>& fused, const std::shared_ptr<DnnlConv>& plain,
                                       const torch::Tensor& x, const Activation& activation,
                                       const torch::Tensor& offset, ProductSink sink) {
    TORCH_CHECK(isChannelsLastFloat(x) && x.requires_grad(), "convActivationForScoring: x must be a channels-last "
                                                             "float tensor that requires a gradient");
    auto pending = c10::make_intrusive<Pending>();
    pending->plain = plain;
    pending->activation = activation;
    pending->offset = offset;
    pending->sink = std::move(sink);
    // A PReLU's output tells which side of zero its input was only where every slope is positive.
    pending->fromOutput = !activation.slope.defined() || (activation.slope > 0).all().item<bool>();
    return ConvActivation::apply(x, fused, std::move(pending));
}

}  // namespace fp::exec
