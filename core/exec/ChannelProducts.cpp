#include "exec/ChannelProducts.h"

#include <mutex>
#include <vector>

#include <ATen/Parallel.h>

#include "exec/InPlacePReLU.h"
#include "exec/VectorClones.h"

namespace fp::exec {

torch::Tensor channelProductSums(const torch::Tensor& a, const torch::Tensor& g, const torch::Tensor& offset) {
    if (a.dim() != 4) return ((offset.defined() ? a.detach() - offset : a.detach()) * g).sum(0).to(torch::kFloat64);
    // Per-channel sums of a * g and of g in one fused pass: the weight and bias gradients of a batch
    // norm with zero mean, unit variance (2-3x faster than a product and a sum on large maps).
    const int64_t c = a.size(1);
    const auto zeros = torch::zeros({c}), ones = torch::ones({c});
    const auto [unused, sumAG, sumG] = torch::native_batch_norm_backward(g, a.detach(), ones, zeros, ones, {}, {},
                                                                         false, 0.0, {false, true, offset.defined()});
    auto sums = sumAG.to(torch::kFloat64);
    if (offset.defined()) sums -= offset.to(torch::kFloat64) * sumG.to(torch::kFloat64);
    return sums;
}

namespace {

// g's distance between pixels when its channels are adjacent and its pixels evenly spaced in
// channels-last order (a dense tensor, or a channel slice of a wider one as a concat's backward
// gives); 0 otherwise. Dimensions of size 1 may have any stride ([N, C, 1, 1] maps in NCHW are fine).
int64_t pixelStride(const torch::Tensor& g) {
    if (g.dim() != 4 || (g.size(1) > 1 && g.stride(1) != 1)) return 0;
    int64_t p = 0, inner = 1;  // inner: pixels in the dimensions inside this one
    for (const int d : {3, 2, 0}) {
        if (g.size(d) == 1) continue;
        if (p == 0) p = g.stride(d) / inner;
        if (g.stride(d) != p * inner) return 0;
        inner *= g.size(d);
    }
    if (p == 0) return g.size(1);  // one pixel
    return p >= g.size(1) ? p : 0;
}

torch::Tensor applyActivation(const torch::Tensor& x, const Activation& f) {
    if (f.slope.defined()) return torch::prelu(x, f.slope);
    if (std::isinf(f.hi) && f.lo == 0.0) return torch::relu(x);
    return torch::hardtanh(x, f.lo, f.hi);
}

torch::Tensor applyActivationInPlace(const torch::Tensor& x, const Activation& f) {
    if (f.slope.defined()) return preluInPlace(x, f.slope);
    if (std::isinf(f.hi) && f.lo == 0.0) return x.relu_();
    return x.clamp_(f.lo, f.hi);
}

// One pixel's channels: the input's gradient d, and (x - shift) * d added to the run's sums. v is
// the activation's input, or its output when `unslope` is 1 / slope (a PReLU's negative side
// divided back; 1 elsewhere: inside (lo, hi) the output is the input, and outside d is 0). Kept
// free of branches and aliasing so that the compiler vectorises it.
template <bool kGrad, bool kSums>
[[gnu::always_inline]] inline void accumulatePixel(const float* __restrict v, const float* __restrict g,
                                                   float* __restrict d, const float* __restrict slope,
                                                   const float* __restrict unslope, const float* __restrict shift,
                                                   float* __restrict run, int64_t channels, float lo, float hi) {
    for (int64_t c = 0; c < channels; ++c) {
        const float value = v[c], below = slope[c];
        const float inside = value < hi ? 1.f : 0.f;
        const float factor = value > lo ? inside : below;
        const float grad = g[c] * factor;
        if constexpr (kGrad) d[c] = grad;
        if constexpr (kSums) {
            const float x = std::max(value, 0.f) + unslope[c] * std::min(value, 0.f);
            run[c] += (x - shift[c]) * grad;
        }
    }
}

// A run of pixels [begin, end) for accumulatePixel.
struct PixelRun {
    const float* v;
    const float* g;
    float* d;  // null without the input's gradient
    const float *slope, *unslope, *shift;
    float* sums;
    int64_t channels, gStride, begin, end;
    float lo, hi;
};

template <bool kGrad, bool kSums>
[[gnu::always_inline]] inline void accumulateRun(const PixelRun& r) {
    for (int64_t p = r.begin; p < r.end; ++p)
        accumulatePixel<kGrad, kSums>(r.v + p * r.channels, r.g + p * r.gStride, kGrad ? r.d + p * r.channels : nullptr,
                                      r.slope, r.unslope, r.shift, r.sums, r.channels, r.lo, r.hi);
}

// On a map in cache (one image's 96x113x113, as ScoringConv's slices give) the AVX-512 version ran
// 4x faster than the SSE2 one here; from memory, the same.
FP_VECTOR_CLONES void gradientRun(const PixelRun& r) { accumulateRun<true, false>(r); }
FP_VECTOR_CLONES void sumsRun(const PixelRun& r) { accumulateRun<false, true>(r); }
FP_VECTOR_CLONES void gradientAndSumsRun(const PixelRun& r) { accumulateRun<true, true>(r); }

// One pass over channels-last v (the activation's input, or its output when fromOutput) and g
// (g's pixels `gStride` floats apart, its channels adjacent): writes the input's gradient gi
// (unless gi is undefined) and adds the per-channel sums of (x - offset) * gi into sums (none when
// sums is empty).
void gradientAndSums(const torch::Tensor& v, bool fromOutput, const torch::Tensor& g, int64_t gStride,
                     const torch::Tensor& gi, const Activation& f, const torch::Tensor& offset,
                     std::vector<double>& sums) {
    const int64_t channels = v.size(1), pixels = v.numel() / channels;
    const float* vs = v.data_ptr<float>();
    const float* gs = g.data_ptr<float>();
    float* out = gi.defined() ? gi.data_ptr<float>() : nullptr;
    const auto kernel = !out ? sumsRun : sums.empty() ? gradientRun : gradientAndSumsRun;
    const auto slopeT = f.slope.defined() ? f.slope.to(torch::kFloat32).contiguous() : torch::zeros({channels});
    const auto unslopeT = fromOutput && f.slope.defined() ? slopeT.reciprocal() : torch::ones({channels});
    const auto shiftT = offset.defined() ? offset.to(torch::kFloat32).contiguous() : torch::zeros({channels});
    const float* slope = slopeT.data_ptr<float>();
    const float* unslope = unslopeT.data_ptr<float>();
    const float* shift = shiftT.data_ptr<float>();
    const float lo = static_cast<float>(f.lo), hi = static_cast<float>(f.hi);
    std::mutex merge;
    // Each chunk sums in float over short runs of pixels (exact enough, and vectorised) and carries
    // the runs' totals in double, so long batches lose no precision.
    at::parallel_for(0, pixels, 256, [&](int64_t begin, int64_t end) {
        std::vector<double> total(size_t(channels), 0.0);
        std::vector<float> run(size_t(channels), 0.f);
        constexpr int64_t kRun = 64;
        for (int64_t start = begin; start < end; start += kRun) {
            const int64_t stop = std::min(end, start + kRun);
            std::fill(run.begin(), run.end(), 0.f);
            kernel({vs, gs, out, slope, unslope, shift, run.data(), channels, gStride, start, stop, lo, hi});
            for (int64_t c = 0; c < int64_t(sums.size()); ++c) total[size_t(c)] += run[size_t(c)];
        }
        const std::lock_guard<std::mutex> lock(merge);
        for (size_t c = 0; c < sums.size(); ++c) sums[c] += total[c];
    });
}

}  // namespace

torch::Tensor withAdjacentChannels(const torch::Tensor& g) {
    return pixelStride(g) ? g : g.contiguous(at::MemoryFormat::ChannelsLast);
}

void activationBackward(const torch::Tensor& v, bool fromOutput, const torch::Tensor& g, const torch::Tensor& gi,
                        const Activation& f, const torch::Tensor& offset, std::vector<double>& sums) {
    const int64_t stride = pixelStride(g);
    TORCH_CHECK(stride > 0 && isChannelsLastFloat(v) && g.sizes() == v.sizes() &&
                    (!gi.defined() || (isChannelsLastFloat(gi) && gi.sizes() == v.sizes())),
                "activationBackward: tensors of different shapes, or not channels-last");
    gradientAndSums(v, fromOutput, g, stride, gi, f, offset, sums);
}

namespace {

// The sink and the activation's parameters, kept on the autograd node until its backward runs.
struct Pending : torch::CustomClassHolder {
    Activation activation;
    torch::Tensor offset;
    ProductSink sink;
    bool inputGradient = true;
    bool overwriteInput = false;
};

struct ActivationWithSums : torch::autograd::Function<ActivationWithSums> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 c10::intrusive_ptr<Pending> pending) {
        torch::Tensor y;
        if (pending->overwriteInput) {
            y = applyActivationInPlace(x, pending->activation);
            ctx->mark_dirty({x});
        } else {
            y = applyActivation(x, pending->activation);
        }
        ctx->save_for_backward({pending->overwriteInput ? y : x});
        ctx->saved_data["pending"] = c10::IValue::make_capsule(std::move(pending));
        return y;
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables()[0];
        const auto pending = c10::static_intrusive_pointer_cast<Pending>(ctx->saved_data["pending"].toCapsule());
        auto gi = pending->inputGradient ? torch::empty_like(saved, at::MemoryFormat::ChannelsLast) : torch::Tensor();
        std::vector<double> sums(pending->sink ? size_t(saved.size(1)) : 0, 0.0);
        activationBackward(saved, pending->overwriteInput, withAdjacentChannels(grads[0]), gi, pending->activation,
                           pending->offset, sums);
        if (pending->sink) pending->sink(torch::tensor(sums, torch::kFloat64));
        return {gi, torch::Tensor()};
    }
};

}  // namespace

torch::Tensor activationWithProductSums(const torch::Tensor& x, const Activation& activation,
                                        const torch::Tensor& offset, ProductSink sink, bool inputGradient,
                                        bool mayOverwriteInput) {
    TORCH_CHECK(inputGradient || sink, "activationWithProductSums: nothing to compute in the backward pass");
    TORCH_CHECK(isChannelsLastFloat(x), "activationWithProductSums needs a channels-last float tensor");
    // Autograd forbids writing into a leaf; a slope <= 0 would hide which side x was on.
    const bool overwriteInput = mayOverwriteInput && !x.is_leaf() &&
                                (!activation.slope.defined() || (activation.slope > 0).all().item<bool>());
    auto pending = c10::make_intrusive<Pending>();
    pending->activation = activation;
    pending->offset = offset;
    pending->sink = std::move(sink);
    pending->inputGradient = inputGradient;
    pending->overwriteInput = overwriteInput;
    return ActivationWithSums::apply(x, std::move(pending));
}

}  // namespace fp::exec
