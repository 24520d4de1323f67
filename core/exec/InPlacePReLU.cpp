#include "exec/InPlacePReLU.h"

#include <algorithm>

#include <ATen/Parallel.h>

#include "exec/Layout.h"
#include "exec/VectorClones.h"

namespace fp::exec {

namespace {

// Pixels [begin, end), as max(x, 0) + slope * min(x, 0): GCC turns a select between x and
// x * slope into a branch (it may not speculate the multiply) and leaves the loop scalar. In place
// through one pointer, since restrict-qualified input and output may not alias.
template <bool kInPlace>
[[gnu::always_inline]] inline void preluRun(const float* in, float* out, const float* __restrict slope,
                                            int64_t channels, int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
        float* __restrict y = out + p * channels;
        const float* __restrict v = kInPlace ? nullptr : in + p * channels;
        for (int64_t c = 0; c < channels; ++c) {
            const float x = kInPlace ? y[c] : v[c];
            y[c] = std::max(x, 0.f) + slope[c] * std::min(x, 0.f);
        }
    }
}

FP_VECTOR_CLONES void preluInPlaceRun(const float* in, float* out, const float* slope, int64_t channels,
                                      int64_t begin, int64_t end) {
    preluRun<true>(in, out, slope, channels, begin, end);
}
FP_VECTOR_CLONES void preluCopyRun(const float* in, float* out, const float* slope, int64_t channels,
                                   int64_t begin, int64_t end) {
    preluRun<false>(in, out, slope, channels, begin, end);
}

torch::Tensor preluInto(const torch::Tensor& x, const torch::Tensor& slope, const torch::Tensor& out) {
    TORCH_CHECK(isChannelsLastFloat(x), "prelu needs a channels-last float tensor");
    const int64_t channels = x.size(1), pixels = x.numel() / channels;
    const auto perChannel = slope.detach().to(torch::kFloat32).flatten().expand({channels}).contiguous();
    const float* a = perChannel.data_ptr<float>();
    const float* in = x.data_ptr<float>();
    float* data = out.data_ptr<float>();
    const auto run = in == data ? preluInPlaceRun : preluCopyRun;
    at::parallel_for(0, pixels, 256, [&](int64_t begin, int64_t end) { run(in, data, a, channels, begin, end); });
    return out;
}

}  // namespace

torch::Tensor preluInPlace(const torch::Tensor& x, const torch::Tensor& slope) { return preluInto(x, slope, x); }

torch::Tensor preluChannelsLast(const torch::Tensor& x, const torch::Tensor& slope) {
    return preluInto(x, slope, torch::empty_like(x, at::MemoryFormat::ChannelsLast));
}

}  // namespace fp::exec
