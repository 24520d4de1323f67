#include "exec/SyncedBatchNorm.h"

#include <cstdint>

namespace fp::exec {

namespace {

// The dimensions a BatchNorm reduces over: all but the channels'.
std::vector<int64_t> reducedDims(const torch::Tensor& x) {
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    return dims;
}

// Shapes a per-channel vector to broadcast over x.
torch::Tensor perChannel(const torch::Tensor& v, const torch::Tensor& x) {
    std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
    shape[1] = v.size(0);
    return v.view(shape);
}

struct SyncedBatchNormFunction : torch::autograd::Function<SyncedBatchNormFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& weight, const torch::Tensor& bias, torch::Tensor runningMean,
                                 torch::Tensor runningVar, double momentum, double eps, const CrossRankSum* sum) {
        const auto dims = reducedDims(x);
        const int64_t channels = x.size(1);
        // Sums in double: the variance comes from E[x^2] - E[x]^2 over the whole batch.
        const torch::Tensor xd = x.to(torch::kDouble);
        torch::Tensor stats = torch::cat({xd.sum(dims), xd.pow(2).sum(dims),
                                          torch::full({1}, double(x.numel() / channels), torch::kDouble)});
        (*sum)(stats);
        const double count = stats[2 * channels].item<double>();
        const torch::Tensor mean = stats.slice(0, 0, channels) / count;
        const torch::Tensor var = (stats.slice(0, channels, 2 * channels) / count - mean.pow(2)).clamp_min(0.0);
        const torch::Tensor invstd = (var + eps).rsqrt();
        {
            torch::NoGradGuard noGrad;
            runningMean.mul_(1.0 - momentum).add_(mean.to(runningMean.scalar_type()), momentum);
            const double unbiased = count > 1 ? count / (count - 1) : 1.0;
            runningVar.mul_(1.0 - momentum).add_((var * unbiased).to(runningVar.scalar_type()), momentum);
        }
        const torch::Tensor xhat =
            (x - perChannel(mean.to(x.scalar_type()), x)) * perChannel(invstd.to(x.scalar_type()), x);
        ctx->save_for_backward({xhat, weight, invstd.to(x.scalar_type())});
        ctx->saved_data["count"] = count;
        ctx->saved_data["sum"] = reinterpret_cast<int64_t>(sum);
        return xhat * perChannel(weight, x) + perChannel(bias, x);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor& xhat = saved[0];
        const torch::Tensor& weight = saved[1];
        const torch::Tensor& invstd = saved[2];
        const double count = ctx->saved_data["count"].toDouble();
        const auto* sum = reinterpret_cast<const CrossRankSum*>(ctx->saved_data["sum"].toInt());
        const torch::Tensor& dy = grads[0];
        const auto dims = reducedDims(xhat);
        const int64_t channels = xhat.size(1);
        // This rank's sums are its share of weight's and bias's gradients; the whole batch's give x's.
        const torch::Tensor sumDy = dy.sum(dims), sumDyXhat = (dy * xhat).sum(dims);
        torch::Tensor both = torch::cat({sumDy, sumDyXhat}).to(torch::kDouble);
        (*sum)(both);
        const torch::Tensor meanDy = (both.slice(0, 0, channels) / count).to(dy.scalar_type());
        const torch::Tensor meanDyXhat = (both.slice(0, channels, 2 * channels) / count).to(dy.scalar_type());
        const torch::Tensor dx = perChannel(weight * invstd, xhat) *
                                 (dy - perChannel(meanDy, xhat) - xhat * perChannel(meanDyXhat, xhat));
        return {dx, sumDyXhat, sumDy, {}, {}, {}, {}, {}};
    }
};

}  // namespace

torch::Tensor syncedBatchNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              torch::Tensor& runningMean, torch::Tensor& runningVar, double momentum, double eps,
                              const CrossRankSum& sum) {
    return SyncedBatchNormFunction::apply(x, weight, bias, runningMean, runningVar, momentum, eps, &sum);
}

}  // namespace fp::exec
