#include "exec/DnnlConv.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "exec/InPlacePReLU.h"
#include "exec/Layout.h"

namespace fp::exec {

namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
constexpr auto f32 = dnnl::memory::data_type::f32;

dnnl::engine& cpuEngine() {
    static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

// A stream may not be shared between threads; jobs run inference on their own.
dnnl::stream& threadStream() {
    thread_local dnnl::stream stream(cpuEngine());
    return stream;
}

struct Source {
    torch::Tensor tensor;
    int64_t version = 0;
    explicit Source(const torch::Tensor& t) : tensor(t), version(t.defined() ? t._version() : 0) {}
    bool same(const torch::Tensor& t) const {
        if (!t.defined() || !tensor.defined()) return t.defined() == tensor.defined();
        return t.is_same(tensor) && t._version() == version;
    }
};

}  // namespace

struct DnnlConv::Impl {
    // One input shape's primitive and the weights in the layout it chose.
    struct Plan {
        dnnl::convolution_forward primitive;
        dnnl::memory weights, src, dst, bias, slope;
        std::unordered_map<int, dnnl::memory> args;  // handles: src and dst get each call's data
        int64_t outH = 0, outW = 0;
        bool activationAfter = false;  // the fused form would fall back to a reference kernel
    };

    Source weightSource, biasSource, slopeSource;
    torch::Tensor weight;  // OIHW, contiguous
    torch::Tensor bias;    // [O] or undefined
    torch::Tensor slope;   // [O], PReLU only
    ConvGeometry g;
    FusedActivation activation;
    std::map<std::tuple<int64_t, int64_t, int64_t>, Plan> plans;  // by N, H, W

    Impl(const torch::Tensor& w, const torch::Tensor& b, const ConvGeometry& geometry, FusedActivation a)
        : weightSource(w), biasSource(b), slopeSource(a.slope), g(geometry), activation(std::move(a)) {
        torch::NoGradGuard noGrad;
        weight = w.detach().to(torch::kFloat32).contiguous();
        if (b.defined()) bias = b.detach().to(torch::kFloat32).contiguous();
        if (activation.kind == FusedActivation::Kind::PReLU)
            slope = activation.slope.detach().to(torch::kFloat32).flatten().expand({weight.size(0)}).contiguous();
    }

    dnnl::post_ops postOps() const {
        dnnl::post_ops ops;
        switch (activation.kind) {
        case FusedActivation::Kind::None: break;
        case FusedActivation::Kind::ReLU: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
        case FusedActivation::Kind::Clip:
            ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, activation.lo, activation.hi);
            break;
        case FusedActivation::Kind::PReLU: ops.append_prelu(1 << 1); break;  // per output channel
        }
        return ops;
    }

    // The memory descriptors of one input shape: NHWC data, weights in the layout oneDNN picks.
    struct Shapes {
        dnnl::memory::desc src, dst, anyWeights, bias;
        dims weightDims;
        int64_t outH = 0, outW = 0;
    };

    Shapes shapes(int64_t n, int64_t h, int64_t w) const {
        const int64_t out = weight.size(0), inPerGroup = weight.size(1), kh = weight.size(2), kw = weight.size(3);
        Shapes s;
        s.outH = (h + g.padTop + g.padBottom - ((kh - 1) * g.dilationH + 1)) / g.strideH + 1;
        s.outW = (w + g.padLeft + g.padRight - ((kw - 1) * g.dilationW + 1)) / g.strideW + 1;
        s.src = dnnl::memory::desc({n, inPerGroup * g.groups, h, w}, f32, tag::nhwc);
        s.dst = dnnl::memory::desc({n, out, s.outH, s.outW}, f32, tag::nhwc);
        s.weightDims = g.groups > 1 ? dims{g.groups, out / g.groups, inPerGroup, kh, kw} : dims{out, inPerGroup, kh, kw};
        s.anyWeights = dnnl::memory::desc(s.weightDims, f32, tag::any);
        if (bias.defined()) s.bias = dnnl::memory::desc({out}, f32, tag::a);
        return s;
    }

    dnnl::convolution_forward::desc forwardDesc(const Shapes& s, dnnl::prop_kind kind) const {
        return {kind,
                dnnl::algorithm::convolution_direct,
                s.src,
                s.anyWeights,
                s.bias,
                s.dst,
                {g.strideH, g.strideW},
                {g.dilationH - 1, g.dilationW - 1},
                {g.padTop, g.padLeft},
                {g.padBottom, g.padRight}};
    }

    // The weights, reordered once into each layout a primitive asks for: the plans of different
    // batch sizes mostly share one (scoring's sliced backward makes several per conv).
    std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> reordered;

    dnnl::memory reorderedWeights(const Shapes& s, const dnnl::memory::desc& wanted) {
        for (const auto& [desc, memory] : reordered)
            if (desc == wanted) return memory;
        auto& stream = threadStream();
        dnnl::memory plain({s.weightDims, f32, g.groups > 1 ? tag::goihw : tag::oihw}, cpuEngine(), weight.data_ptr());
        dnnl::memory memory(wanted, cpuEngine());
        dnnl::reorder(plain, memory).execute(stream, plain, memory);
        stream.wait();
        reordered.emplace_back(wanted, memory);
        return memory;
    }

    Plan makePlan(int64_t n, int64_t h, int64_t w) {
        const Shapes s = shapes(n, h, w);
        Plan plan;
        plan.outH = s.outH;
        plan.outW = s.outW;
        const auto desc = forwardDesc(s, dnnl::prop_kind::forward_inference);
        dnnl::primitive_attr attr;
        attr.set_post_ops(postOps());
        auto pd = dnnl::convolution_forward::primitive_desc(desc, attr, cpuEngine());
        if (activation.kind != FusedActivation::Kind::None && std::string(pd.impl_info_str()).rfind("ref", 0) == 0) {
            pd = dnnl::convolution_forward::primitive_desc(desc, cpuEngine());
            plan.activationAfter = true;
        }
        plan.primitive = dnnl::convolution_forward(pd);
        plan.weights = reorderedWeights(s, pd.weights_desc());
        plan.src = dnnl::memory(s.src, cpuEngine(), DNNL_MEMORY_NONE);
        plan.dst = dnnl::memory(s.dst, cpuEngine(), DNNL_MEMORY_NONE);
        if (bias.defined()) plan.bias = dnnl::memory(s.bias, cpuEngine(), bias.data_ptr());
        if (slope.defined())
            plan.slope = dnnl::memory({{1, weight.size(0), 1, 1}, f32, tag::abcd}, cpuEngine(), slope.data_ptr());
        plan.args = {{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_WEIGHTS, plan.weights}, {DNNL_ARG_DST, plan.dst}};
        if (bias.defined()) plan.args.emplace(DNNL_ARG_BIAS, plan.bias);
        if (slope.defined() && !plan.activationAfter)
            plan.args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_WEIGHTS, plan.slope);
        return plan;
    }

    // A stride-1 conv's input gradient is itself a stride-1 conv of the output's gradient: weights
    // with input and output channels swapped (per group) and the window flipped, padding the rest of
    // the dilated window. oneDNN's forward kernels for it beat its backward-data ones here (MobileNetV2
    // scoring: 1x1 convs 1.2x, depthwise 1.5x; bench_scoring with DNNL_VERBOSE=1).
    std::unique_ptr<DnnlConv> gradientAsForward;
    bool gradientAsForwardTried = false;

    DnnlConv* gradientConv() {
        if (gradientAsForwardTried) return gradientAsForward.get();
        gradientAsForwardTried = true;
        const int64_t kh = weight.size(2), kw = weight.size(3);
        const int64_t spanH = g.dilationH * (kh - 1), spanW = g.dilationW * (kw - 1);
        if (g.strideH != 1 || g.strideW != 1 || std::max(g.padTop, g.padBottom) > spanH ||
            std::max(g.padLeft, g.padRight) > spanW)
            return nullptr;
        const int64_t out = weight.size(0), inPerGroup = weight.size(1);
        const auto swapped = weight.view({g.groups, out / g.groups, inPerGroup, kh, kw})
                                 .transpose(1, 2)
                                 .flip({3, 4})
                                 .reshape({g.groups * inPerGroup, out / g.groups, kh, kw});
        const ConvGeometry flipped{1, 1, g.dilationH, g.dilationW, g.groups,
                                   spanH - g.padTop, spanW - g.padLeft, spanH - g.padBottom, spanW - g.padRight};
        gradientAsForward = std::make_unique<DnnlConv>(swapped, torch::Tensor(), flipped, FusedActivation{});
        return gradientAsForward.get();
    }

    // The input's gradient for one input shape; none when oneDNN has only its reference kernel.
    struct BackwardPlan {
        std::optional<dnnl::convolution_backward_data> primitive;
        dnnl::memory weights, diffSrc, diffDst;
        std::unordered_map<int, dnnl::memory> args;
    };
    std::map<std::tuple<int64_t, int64_t, int64_t>, BackwardPlan> backwardPlans;  // by N, H, W

    BackwardPlan makeBackwardPlan(int64_t n, int64_t h, int64_t w) {
        const Shapes s = shapes(n, h, w);
        const auto hint = dnnl::convolution_forward::primitive_desc(
            forwardDesc(s, dnnl::prop_kind::forward_training), cpuEngine());
        const dnnl::convolution_backward_data::desc desc(
            dnnl::algorithm::convolution_direct, s.src, s.anyWeights, s.dst, {g.strideH, g.strideW},
            {g.dilationH - 1, g.dilationW - 1}, {g.padTop, g.padLeft}, {g.padBottom, g.padRight});
        const dnnl::convolution_backward_data::primitive_desc pd(desc, cpuEngine(), hint);
        BackwardPlan plan;
        if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return plan;
        plan.primitive = dnnl::convolution_backward_data(pd);
        plan.weights = reorderedWeights(s, pd.weights_desc());
        plan.diffSrc = dnnl::memory(s.src, cpuEngine(), DNNL_MEMORY_NONE);
        plan.diffDst = dnnl::memory(s.dst, cpuEngine(), DNNL_MEMORY_NONE);
        plan.args = {{DNNL_ARG_DIFF_SRC, plan.diffSrc}, {DNNL_ARG_WEIGHTS, plan.weights},
                     {DNNL_ARG_DIFF_DST, plan.diffDst}};
        return plan;
    }

    torch::Tensor applyAfter(torch::Tensor& y) const {
        switch (activation.kind) {
        case FusedActivation::Kind::None: return y;
        case FusedActivation::Kind::ReLU: return y.relu_();
        case FusedActivation::Kind::Clip: return y.clamp_(activation.lo, activation.hi);
        case FusedActivation::Kind::PReLU: return preluInPlace(y, slope);  // into y: it may be the caller's
        }
        return y;
    }
};

DnnlConv::DnnlConv(const torch::Tensor& weight, const torch::Tensor& bias, const ConvGeometry& geometry,
                   FusedActivation activation)
    : impl_(std::make_unique<Impl>(weight, bias, geometry, std::move(activation))) {}

DnnlConv::~DnnlConv() = default;

bool DnnlConv::matches(const torch::Tensor& weight, const torch::Tensor& bias, const FusedActivation& a) const {
    const FusedActivation& mine = impl_->activation;
    return impl_->weightSource.same(weight) && impl_->biasSource.same(bias) && mine.kind == a.kind &&
           mine.lo == a.lo && mine.hi == a.hi && impl_->slopeSource.same(a.slope);
}

namespace {
std::atomic<bool> turnedOn{true};
}

bool DnnlConv::enabled() {
    static const bool available = at::hasMKLDNN() && dnnl_version()->major == DNNL_VERSION_MAJOR;
    return available && turnedOn && at::globalContext().userEnabledMkldnn();
}

void DnnlConv::setEnabled(bool on) { turnedOn = on; }

namespace {
std::tuple<int64_t, int64_t, int64_t> shapeKey(at::IntArrayRef sizes) { return {sizes[0], sizes[2], sizes[3]}; }

// The caller's output tensor, checked, or a new channels-last one.
torch::Tensor outputOf(torch::Tensor out, at::IntArrayRef sizes, const torch::TensorOptions& options) {
    if (!out.defined()) return torch::empty(sizes, options.memory_format(at::MemoryFormat::ChannelsLast));
    TORCH_CHECK(isChannelsLastFloat(out) && out.sizes() == sizes,
                "DnnlConv: the output tensor given has the wrong shape or layout");
    return out;
}
}  // namespace

torch::Tensor DnnlConv::run(const torch::Tensor& x, torch::Tensor out) {
    const auto key = shapeKey(x.sizes());
    auto it = impl_->plans.find(key);
    if (it == impl_->plans.end()) it = impl_->plans.emplace(key, impl_->makePlan(x.size(0), x.size(2), x.size(3))).first;
    Impl::Plan& plan = it->second;
    auto y = outputOf(std::move(out), {x.size(0), impl_->weight.size(0), plan.outH, plan.outW}, x.options());
    plan.src.set_data_handle(x.data_ptr());
    plan.dst.set_data_handle(y.data_ptr());
    auto& stream = threadStream();
    plan.primitive.execute(stream, plan.args);
    stream.wait();
    return plan.activationAfter ? impl_->applyAfter(y) : y;
}

std::vector<int64_t> DnnlConv::outputSizes(at::IntArrayRef inputSizes) const {
    const auto s = impl_->shapes(inputSizes[0], inputSizes[2], inputSizes[3]);
    return {inputSizes[0], impl_->weight.size(0), s.outH, s.outW};
}

bool DnnlConv::hasFastInputGradient(at::IntArrayRef inputSizes) {
    if (impl_->gradientConv()) return true;
    const auto key = shapeKey(inputSizes);
    auto it = impl_->backwardPlans.find(key);
    if (it == impl_->backwardPlans.end())
        it = impl_->backwardPlans.emplace(key, impl_->makeBackwardPlan(inputSizes[0], inputSizes[2], inputSizes[3]))
                 .first;
    return it->second.primitive.has_value();
}

torch::Tensor DnnlConv::inputGradient(const torch::Tensor& gradOutput, at::IntArrayRef inputSizes,
                                      torch::Tensor out) {
    TORCH_CHECK(impl_->activation.kind == FusedActivation::Kind::None && hasFastInputGradient(inputSizes),
                "DnnlConv::inputGradient needs a conv without a fused activation, and a fast kernel");
    const auto gy = gradOutput.contiguous(at::MemoryFormat::ChannelsLast);
    if (DnnlConv* asForward = impl_->gradientConv()) return asForward->run(gy, std::move(out));
    Impl::BackwardPlan& plan = impl_->backwardPlans.at(shapeKey(inputSizes));
    auto gx = outputOf(std::move(out), inputSizes, gy.options());
    plan.diffDst.set_data_handle(gy.data_ptr());
    plan.diffSrc.set_data_handle(gx.data_ptr());
    auto& stream = threadStream();
    plan.primitive->execute(stream, plan.args);
    stream.wait();
    return gx;
}

namespace {

// The conv and its input's shape, kept on the autograd node until its backward runs.
struct SavedConv : torch::CustomClassHolder {
    std::shared_ptr<DnnlConv> conv;
    std::vector<int64_t> inputSizes;  // the input itself is not kept: its gradient needs only its shape
};

struct ConvWithInputGradient : torch::autograd::Function<ConvWithInputGradient> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 c10::intrusive_ptr<SavedConv> saved) {
        saved->inputSizes = x.sizes().vec();
        auto y = saved->conv->run(x);
        ctx->saved_data["conv"] = c10::IValue::make_capsule(std::move(saved));
        return y;
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = c10::static_intrusive_pointer_cast<SavedConv>(ctx->saved_data["conv"].toCapsule());
        return {saved->conv->inputGradient(grads[0], saved->inputSizes), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor convWithInputGradient(const std::shared_ptr<DnnlConv>& conv, const torch::Tensor& x) {
    auto saved = c10::make_intrusive<SavedConv>();
    saved->conv = conv;
    return ConvWithInputGradient::apply(x, std::move(saved));
}

}  // namespace fp::exec
