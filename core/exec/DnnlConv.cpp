#include "exec/DnnlConv.h"

#include <atomic>
#include <map>
#include <string>
#include <tuple>

#include <oneapi/dnnl/dnnl.hpp>

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

    Plan makePlan(int64_t n, int64_t h, int64_t w) {
        const int64_t out = weight.size(0), inPerGroup = weight.size(1), kh = weight.size(2), kw = weight.size(3);
        Plan plan;
        plan.outH = (h + g.padTop + g.padBottom - ((kh - 1) * g.dilationH + 1)) / g.strideH + 1;
        plan.outW = (w + g.padLeft + g.padRight - ((kw - 1) * g.dilationW + 1)) / g.strideW + 1;
        const dnnl::memory::desc src({n, inPerGroup * g.groups, h, w}, f32, tag::nhwc);
        const dnnl::memory::desc dst({n, out, plan.outH, plan.outW}, f32, tag::nhwc);
        const dims weightDims = g.groups > 1 ? dims{g.groups, out / g.groups, inPerGroup, kh, kw}
                                             : dims{out, inPerGroup, kh, kw};
        const dnnl::memory::desc anyWeights(weightDims, f32, tag::any);
        const dnnl::memory::desc biasDesc = bias.defined() ? dnnl::memory::desc({out}, f32, tag::a)
                                                           : dnnl::memory::desc();
        const dnnl::convolution_forward::desc desc(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, anyWeights, biasDesc, dst,
            {g.strideH, g.strideW}, {g.dilationH - 1, g.dilationW - 1}, {g.padTop, g.padLeft},
            {g.padBottom, g.padRight});
        dnnl::primitive_attr attr;
        attr.set_post_ops(postOps());
        auto pd = dnnl::convolution_forward::primitive_desc(desc, attr, cpuEngine());
        if (activation.kind != FusedActivation::Kind::None && std::string(pd.impl_info_str()).rfind("ref", 0) == 0) {
            pd = dnnl::convolution_forward::primitive_desc(desc, cpuEngine());
            plan.activationAfter = true;
        }
        plan.primitive = dnnl::convolution_forward(pd);

        auto& stream = threadStream();
        dnnl::memory plain({weightDims, f32, g.groups > 1 ? tag::goihw : tag::oihw}, cpuEngine(), weight.data_ptr());
        plan.weights = dnnl::memory(pd.weights_desc(), cpuEngine());
        dnnl::reorder(plain, plan.weights).execute(stream, plain, plan.weights);
        stream.wait();
        plan.src = dnnl::memory(src, cpuEngine(), DNNL_MEMORY_NONE);
        plan.dst = dnnl::memory(dst, cpuEngine(), DNNL_MEMORY_NONE);
        if (bias.defined()) plan.bias = dnnl::memory(biasDesc, cpuEngine(), bias.data_ptr());
        if (slope.defined()) plan.slope = dnnl::memory({{1, out, 1, 1}, f32, tag::abcd}, cpuEngine(), slope.data_ptr());
        return plan;
    }

    torch::Tensor applyAfter(torch::Tensor& y) const {
        switch (activation.kind) {
        case FusedActivation::Kind::None: return y;
        case FusedActivation::Kind::ReLU: return y.relu_();
        case FusedActivation::Kind::Clip: return y.clamp_(activation.lo, activation.hi);
        case FusedActivation::Kind::PReLU: return torch::prelu(y, slope);
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

torch::Tensor DnnlConv::run(const torch::Tensor& x) {
    const auto key = std::make_tuple(x.size(0), x.size(2), x.size(3));
    auto it = impl_->plans.find(key);
    if (it == impl_->plans.end()) it = impl_->plans.emplace(key, impl_->makePlan(x.size(0), x.size(2), x.size(3))).first;
    Impl::Plan& plan = it->second;
    auto y = torch::empty({x.size(0), impl_->weight.size(0), plan.outH, plan.outW},
                          x.options().memory_format(at::MemoryFormat::ChannelsLast));
    plan.src.set_data_handle(x.data_ptr());
    plan.dst.set_data_handle(y.data_ptr());
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, plan.src}, {DNNL_ARG_WEIGHTS, plan.weights}, {DNNL_ARG_DST, plan.dst}};
    if (impl_->bias.defined()) args.emplace(DNNL_ARG_BIAS, plan.bias);
    if (impl_->slope.defined() && !plan.activationAfter)
        args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_WEIGHTS, plan.slope);
    auto& stream = threadStream();
    plan.primitive.execute(stream, args);
    stream.wait();
    return plan.activationAfter ? impl_->applyAfter(y) : y;
}

}  // namespace fp::exec
