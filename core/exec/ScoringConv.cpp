#include "exec/ScoringConv.h"

#include <algorithm>
#include <array>
#include <limits>

#include "exec/InPlacePReLU.h"
#include "exec/Layout.h"

namespace fp::exec {

namespace {

// The gradients of about this many bytes per map are made and consumed at a time: a share of the
// 32 MiB L3 cache here, with room for the next map's gradient and the weights. MobileNetV2, batch
// 32: measured 2.2-2.3 forward batches per scoring batch with 4 MiB slices of one conv, 2.5-2.7
// unsliced, 1 and 16 MiB in between (bench_scoring); whole chains took it to a median of 2.27.
constexpr int64_t kSliceBytes = 4 << 20;

// What the backward pass needs besides the saved maps, kept on the autograd node.
struct Pending : torch::CustomClassHolder {
    std::vector<ScoringStage> stages;
    std::vector<std::vector<int64_t>> inputSizes, outputSizes;  // per stage, whole batch
    std::vector<bool> fromOutput;  // per stage: the saved map is the activation's output, else the conv's
    bool inputGradient = true;     // whether the chain's input takes a gradient
};

// A stage without an activation passes the gradient on as it is.
Activation identity() { return {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(), {}}; }

std::vector<int64_t> withBatch(std::vector<int64_t> sizes, int64_t images) {
    sizes[0] = images;
    return sizes;
}

// A channels-last tensor of the given sizes over the start of a flat buffer.
torch::Tensor channelsLastView(const torch::Tensor& buffer, const std::vector<int64_t>& sizes) {
    const int64_t c = sizes[1], h = sizes[2], w = sizes[3];
    return buffer.narrow(0, 0, sizes[0] * c * h * w).as_strided(sizes, {c * h * w, 1, w * c, c});
}

int64_t imageNumel(const std::vector<int64_t>& sizes) { return sizes[1] * sizes[2] * sizes[3]; }

struct ConvChain : torch::autograd::Function<ConvChain> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 c10::intrusive_ptr<Pending> pending) {
        torch::autograd::variable_list saved;
        torch::Tensor y = x;
        for (const ScoringStage& s : pending->stages) {
            pending->inputSizes.push_back(y.sizes().vec());
            // A PReLU's output tells which side of zero its input was only where every slope is positive.
            const bool fromOutput = !s.activation || !s.activation->slope.defined() ||
                                    (s.activation->slope > 0).all().item<bool>();
            if (!s.activation) {
                y = s.plain->run(y);
                saved.push_back(s.sink ? y : torch::Tensor());
            } else if (fromOutput) {
                y = s.fused->run(y);
                saved.push_back(y);
            } else {
                const auto a = s.plain->run(y);
                y = preluChannelsLast(a, s.activation->slope);
                saved.push_back(a);
            }
            pending->fromOutput.push_back(fromOutput);
            pending->outputSizes.push_back(y.sizes().vec());
        }
        ctx->save_for_backward(saved);
        ctx->saved_data["pending"] = c10::IValue::make_capsule(std::move(pending));
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto p = c10::static_intrusive_pointer_cast<Pending>(ctx->saved_data["pending"].toCapsule());
        const size_t count = p->stages.size();
        const auto g = withAdjacentChannels(grads[0]);
        const int64_t n = g.size(0);
        int64_t largest = 1;  // the largest map of one image, in floats
        for (size_t i = 0; i < count; ++i)
            largest = std::max({largest, imageNumel(p->inputSizes[i]), imageNumel(p->outputSizes[i])});
        int64_t perSlice = std::clamp<int64_t>(kSliceBytes / (largest * int64_t(sizeof(float))), 1, n);
        const auto fastAt = [&](int64_t images) {
            for (size_t i = p->inputGradient ? 0 : 1; i < count && images > 0; ++i)
                if (!p->stages[i].plain->hasFastInputGradient(withBatch(p->inputSizes[i], images))) return false;
            return true;
        };
        if (perSlice < n && !(fastAt(perSlice) && fastAt(n % perSlice))) perSlice = n;

        const auto gx = p->inputGradient
                            ? torch::empty(p->inputSizes[0], g.options().memory_format(at::MemoryFormat::ChannelsLast))
                            : torch::Tensor();
        // Two slice-sized buffers in turn hold the gradient being read and the one being written.
        std::array<torch::Tensor, 2> buffers;
        if (count > 1 || p->stages[0].activation)
            for (auto& b : buffers) b = torch::empty({perSlice * largest}, g.options());
        std::vector<std::vector<double>> sums(count);
        for (size_t i = 0; i < count; ++i)
            if (p->stages[i].sink) sums[i].assign(size_t(p->outputSizes[i][1]), 0.0);

        for (int64_t start = 0; start < n; start += perSlice) {
            const int64_t images = std::min(perSlice, n - start);
            torch::Tensor current = g.narrow(0, start, images);  // w.r.t. the output of stage i
            int inBuffer = -1;                                     // which buffer holds it, if any
            for (size_t i = count; i-- > 0;) {
                const ScoringStage& s = p->stages[i];
                const auto map = saved[i].defined() ? saved[i].narrow(0, start, images) : torch::Tensor();
                if (s.activation) {
                    const int to = inBuffer == 0 ? 1 : 0;
                    const auto gy = channelsLastView(buffers[size_t(to)], withBatch(p->outputSizes[i], images));
                    activationBackward(map, p->fromOutput[i], current, gy, *s.activation, s.offset, sums[i]);
                    current = gy;
                    inBuffer = to;
                } else if (s.sink) {
                    activationBackward(map, true, current, torch::Tensor(), identity(), s.offset, sums[i]);
                }
                if (i == 0 && !p->inputGradient) break;
                const auto inputSizes = withBatch(p->inputSizes[i], images);
                const int to = inBuffer == 0 ? 1 : 0;
                const auto gi = i == 0 ? gx.narrow(0, start, images) : channelsLastView(buffers[size_t(to)], inputSizes);
                s.plain->inputGradient(current, inputSizes, gi);
                current = gi;
                inBuffer = to;
            }
        }
        for (size_t i = 0; i < count; ++i)
            if (p->stages[i].sink) p->stages[i].sink(torch::tensor(sums[i], torch::kFloat64));
        return {gx, torch::Tensor()};
    }
};

}  // namespace

torch::Tensor convChainForScoring(std::vector<ScoringStage> stages, const torch::Tensor& x) {
    TORCH_CHECK(!stages.empty() && isChannelsLastFloat(x),
                "convChainForScoring: needs stages, and a channels-last float x");
    auto pending = c10::make_intrusive<Pending>();
    pending->stages = std::move(stages);
    pending->inputGradient = x.requires_grad();
    // The node's backward runs only if its input takes a gradient; where the caller's does not, a
    // leaf over the same data stands in, whose gradient is never computed.
    return ConvChain::apply(pending->inputGradient ? x : x.detach().requires_grad_(true), std::move(pending));
}

}  // namespace fp::exec
