#include "exec/InPlacePReLU.h"

#include <algorithm>

#include <ATen/Parallel.h>

#include "exec/Layout.h"

namespace fp::exec {

namespace {

// One pixel's channels, as max(x, 0) + slope * min(x, 0): GCC turns a select between x and
// x * slope into a branch (it may not speculate the multiply) and leaves the loop scalar.
inline void preluPixel(float* __restrict v, const float* __restrict slope, int64_t channels) {
    for (int64_t c = 0; c < channels; ++c) v[c] = std::max(v[c], 0.f) + slope[c] * std::min(v[c], 0.f);
}

}  // namespace

torch::Tensor preluInPlace(const torch::Tensor& x, const torch::Tensor& slope) {
    TORCH_CHECK(isChannelsLastFloat(x), "preluInPlace needs a channels-last float tensor");
    const int64_t channels = x.size(1), pixels = x.numel() / channels;
    const auto perChannel = slope.detach().to(torch::kFloat32).flatten().expand({channels}).contiguous();
    const float* a = perChannel.data_ptr<float>();
    float* data = x.data_ptr<float>();
    at::parallel_for(0, pixels, 256, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) preluPixel(data + p * channels, a, channels);
    });
    return x;
}

}  // namespace fp::exec
