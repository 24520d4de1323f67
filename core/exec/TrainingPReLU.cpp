#include "exec/TrainingPReLU.h"

#include <algorithm>
#include <vector>

#include <ATen/Parallel.h>

#include "exec/InPlacePReLU.h"
#include "exec/Layout.h"
#include "exec/VectorClones.h"

namespace fp::exec {

namespace {

// One plane (a sample's channel, `size` values): gx = g where x > 0, g * a elsewhere; returns the
// sum of g * x where x <= 0 (the slope's gradient from this plane). Selects written as arithmetic
// so that GCC vectorises the loop (see exec/InPlacePReLU.cpp).
FP_VECTOR_CLONES float planeBackward(const float* __restrict x, const float* __restrict g, float* __restrict gx,
                                     float a, int64_t size) {
    float slopeSum = 0.f;
    for (int64_t i = 0; i < size; ++i) {
        const float negative = x[i] > 0.f ? 0.f : 1.f;
        gx[i] = g[i] * (1.f + negative * (a - 1.f));
        slopeSum += negative * g[i] * x[i];
    }
    return slopeSum;
}

// Pixels [begin, end) of a channels-last map (each pixel's channels adjacent): the same per value,
// the slope's sums added into sums[c].
FP_VECTOR_CLONES void pixelsBackward(const float* __restrict x, const float* __restrict g, float* __restrict gx,
                                     const float* __restrict a, float* __restrict sums, int64_t channels,
                                     int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
        const int64_t at = p * channels;
        for (int64_t c = 0; c < channels; ++c) {
            const float negative = x[at + c] > 0.f ? 0.f : 1.f;
            gx[at + c] = g[at + c] * (1.f + negative * (a[c] - 1.f));
            sums[c] += negative * g[at + c] * x[at + c];
        }
    }
}

// The slope's per-channel sums of a channels-last map, gx written on the way.
std::vector<double> channelsLastBackward(const torch::Tensor& x, const torch::Tensor& g, const torch::Tensor& gx,
                                         const float* a) {
    const int64_t channels = x.size(1), pixels = x.numel() / channels;
    // One row of partial sums per chunk of pixels, added up in order afterwards (no shared writes).
    constexpr int64_t kChunk = 1024;
    const int64_t chunks = (pixels + kChunk - 1) / kChunk;
    std::vector<float> partial(static_cast<size_t>(chunks * channels), 0.f);
    const float* xs = x.data_ptr<float>();
    const float* gs = g.data_ptr<float>();
    float* out = gx.data_ptr<float>();
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; ++k)
            pixelsBackward(xs, gs, out, a, partial.data() + k * channels, channels, k * kChunk,
                           std::min(pixels, (k + 1) * kChunk));
    });
    std::vector<double> sums(static_cast<size_t>(channels), 0.0);
    for (int64_t k = 0; k < chunks; ++k)
        for (int64_t c = 0; c < channels; ++c) sums[size_t(c)] += partial[size_t(k * channels + c)];
    return sums;
}

struct PReLUFunction : torch::autograd::Function<PReLUFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& slope) {
        ctx->save_for_backward({x, slope});
        return isChannelsLastFloat(x) ? preluChannelsLast(x, slope) : torch::prelu(x, slope.flatten());
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor& x = saved[0];
        const torch::Tensor& slope = saved[1];
        const int64_t n = x.size(0), channels = x.size(1), plane = x.numel() / (n * channels);
        const auto a = slope.detach().to(torch::kFloat32).flatten().expand({channels}).contiguous();
        const float* as = a.data_ptr<float>();
        std::vector<double> sums(static_cast<size_t>(channels), 0.0);
        torch::Tensor gx;
        if (isChannelsLastFloat(x)) {
            const torch::Tensor g = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
            gx = torch::empty_like(x, at::MemoryFormat::ChannelsLast);
            sums = channelsLastBackward(x, g, gx, as);
        } else {
            const torch::Tensor g = grads[0].contiguous();
            gx = torch::empty_like(x, at::MemoryFormat::Contiguous);
            const float* xs = x.data_ptr<float>();
            const float* gs = g.data_ptr<float>();
            float* out = gx.data_ptr<float>();
            // Threads take channels, so that each channel's sum has one writer.
            at::parallel_for(0, channels, 1, [&](int64_t begin, int64_t end) {
                for (int64_t c = begin; c < end; ++c)
                    for (int64_t s = 0; s < n; ++s) {
                        const int64_t at = (s * channels + c) * plane;
                        sums[size_t(c)] += planeBackward(xs + at, gs + at, out + at, as[c], plane);
                    }
            });
        }
        torch::Tensor ga = torch::tensor(sums, torch::kFloat64).to(slope.scalar_type());
        if (slope.numel() == 1) ga = ga.sum();
        return {gx, ga.view(slope.sizes())};
    }
};

}  // namespace

bool trainingPReLUTakes(const torch::Tensor& x) {
    return x.scalar_type() == torch::kFloat32 && (x.dim() == 4 || x.dim() == 2) && x.numel() > 0 &&
           (x.is_contiguous() || isChannelsLastFloat(x));
}

torch::Tensor trainingPReLU(const torch::Tensor& x, const torch::Tensor& slope) {
    TORCH_CHECK(trainingPReLUTakes(x), "trainingPReLU needs a float [N, C, H, W] or [N, C] tensor, NCHW or channels-last");
    return PReLUFunction::apply(x, slope);
}

}  // namespace fp::exec
