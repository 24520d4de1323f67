#include "exec/TorchGraph.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <optional>

#include "exec/ChannelProducts.h"
#include "exec/DnnlConv.h"
#include "exec/ExecutionMode.h"
#include "exec/InPlacePReLU.h"
#include "exec/Layout.h"
#include "exec/PlanBuilder.h"
#include "exec/ScoringConv.h"
#include "exec/TrainingPReLU.h"
#include "graph/NormalisationFold.h"
#include "util/Errors.h"

namespace fp::exec {

using graph::Node;
using graph::Op;

namespace {
std::atomic<bool> plainRequested{false};
}

void setPlainExecution(bool on) { plainRequested = on; }
bool plainExecution() { return plainRequested; }

torch::Tensor toTorch(const Tensor& t) {
    if (numelOf(t.shape) != t.numel())
        throw GraphError("tensor of shape " + t.shapeString() + " holds " + std::to_string(t.numel()) + " values");
    auto owned = torch::empty(t.shape, torch::kFloat32);
    std::copy(t.data.begin(), t.data.end(), owned.data_ptr<float>());
    return owned;
}

Tensor fromTorch(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kFloat32).contiguous();
    Tensor out;
    out.shape.assign(c.sizes().begin(), c.sizes().end());
    out.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return out;
}

TorchGraph::TorchGraph(const graph::Graph& graph) : graph_(graph), plain_(plainExecution()) {
    const auto& nodes = graph_.nodes();
    params_.resize(nodes.size());
    inputIndex_.resize(nodes.size());
    lastUse_.assign(nodes.size(), -1);
    consumerCount_.assign(nodes.size(), 0);
    capture_.assign(nodes.size(), false);
    folded_.resize(nodes.size());
    direct_.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
        for (const auto& [key, t] : nodes[i].params) params_[i][key] = toTorch(t);
        for (const auto& in : nodes[i].inputs) {
            const int j = graph_.indexOf(in);
            inputIndex_[i].push_back(j);
            lastUse_[j] = static_cast<int>(i);
            ++consumerCount_[size_t(j)];
        }
    }
    soleConsumer_.assign(nodes.size(), -1);
    for (size_t i = 0; i < nodes.size(); ++i)
        for (int j : inputIndex_[i])
            if (consumerCount_[size_t(j)] == 1) soleConsumer_[size_t(j)] = static_cast<int>(i);
    soleActivation_.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) soleActivation_[i] = findSoleActivationAfter(i);
}

std::vector<torch::Tensor> TorchGraph::parameters() const {
    std::vector<torch::Tensor> out;
    for (const auto& p : params_)
        for (const auto& [key, t] : p)
            if (key != "running_mean" && key != "running_var") out.push_back(t);
    return out;
}

void TorchGraph::setParametersRequireGrad(bool on) {
    for (auto& t : parameters()) t.requires_grad_(on);
}

torch::Tensor& TorchGraph::param(const std::string& node, const std::string& key) {
    const int i = graph_.indexOf(node);
    if (i < 0 || !params_[i].count(key)) throw GraphError("layer '" + node + "' has no parameter '" + key + "'");
    return params_[i][key];
}

void TorchGraph::setCapture(const std::vector<std::string>& nodes, GradSink sink) {
    sink_ = std::move(sink);
    capture_.assign(graph_.nodes().size(), false);
    for (const auto& n : nodes) {
        const int i = graph_.indexOf(n);
        if (i < 0) throw GraphError("cannot capture layer '" + n + "': no such layer");
        capture_[i] = true;
    }
    activationAfter_.assign(graph_.nodes().size(), -1);
    if (sink_)
        for (size_t i = 0; i < capture_.size(); ++i)
            if (capture_[i]) activationAfter_[i] = soleActivationAfter(i);
}

// The ReLU, Clip or PReLU that alone takes conv's output, directly or through a BatchNorm that
// alone takes it (folded, it passes the conv's output on); -1 if none.
int TorchGraph::findSoleActivationAfter(size_t conv) const {
    if (graph_.nodes()[conv].op != Op::Conv2d) return -1;
    int next = soleConsumer_[conv];
    if (next >= 0 && graph_.nodes()[size_t(next)].op == Op::BatchNorm) next = soleConsumer_[size_t(next)];
    if (next < 0) return -1;
    const Op op = graph_.nodes()[size_t(next)].op;
    return op == Op::ReLU || op == Op::Clip || op == Op::PReLU ? next : -1;
}

torch::Tensor TorchGraph::productOffset(size_t conv) const {
    return isFolded(conv) ? folded_[conv].shift : torch::Tensor();
}

void TorchGraph::sumProductsInHook(size_t node, torch::Tensor& out) {
    // The hook finds the activation through captured_: a hook holding the tensor it is registered
    // on would keep the whole graph alive.
    const std::string& name = graph_.nodes()[node].name;
    out.register_hook([this, &name, offset = productOffset(node)](const torch::Tensor& grad) {
        const auto it = captured_.find(name);
        if (it == captured_.end()) return;
        if (plain_) {
            // Nothing is folded in a plain pass, so there is no offset to correct for.
            const auto products = (it->second.detach() * grad).to(torch::kFloat64);
            sink_(name, products.dim() == 4 ? products.sum({0, 2, 3}) : products.sum(0));
        } else {
            sink_(name, channelProductSums(it->second, grad, offset));
        }
    });
}

Activation TorchGraph::activationOf(size_t index, int64_t channels) const {
    const Node& n = graph_.nodes()[index];
    Activation f;
    if (n.op == Op::Clip) {
        f.lo = n.clipMin;
        f.hi = n.clipMax;
    } else if (n.op == Op::PReLU) {
        f.slope = params_[index].at("slope").detach().flatten().expand({channels}).contiguous();
    }
    return f;
}

torch::Tensor TorchGraph::activationSummingProducts(size_t index, size_t conv, const torch::Tensor& x,
                                                    bool overwrite) {
    const std::string& name = graph_.nodes()[conv].name;
    return activationWithProductSums(x, activationOf(index, x.size(1)), productOffset(conv),
                                     [this, &name](const torch::Tensor& sums) { sink_(name, sums); },
                                     /*inputGradient=*/!x.is_leaf(),  // a captured leaf's gradient is never read
                                     overwrite);
}

// ReLU, Clip and PReLU while scoring: one fused pass for the input's gradient alone, where
// LibTorch's backward reads the input and the gradient separately (hardtanh's: MobileNetV2's
// unscored ReLU6s) or computes the slope's gradient too (prelu's).
torch::Tensor TorchGraph::activationWithCheapBackward(size_t index, const torch::Tensor& x, bool inPlace) {
    return activationWithProductSums(x, activationOf(index, x.size(1)), {}, {}, true, inPlace);
}

namespace {

// An eval-mode BatchNorm as y = x * scale + shift on the executor's own (possibly trainable) tensors:
// the Taylor-BN criterion needs its gradients. Folding uses graph::normalisationAffine.
std::pair<torch::Tensor, torch::Tensor> batchNormAffine(std::unordered_map<std::string, torch::Tensor>& p,
                                                        double eps) {
    auto scale = p["weight"] * torch::rsqrt(p["running_var"] + eps);
    auto shift = p["bias"] - p["running_mean"] * scale;
    return {scale, shift};
}

}  // namespace

void TorchGraph::foldBatchNorm() {
    if (plain_) return;
    ++foldings_;
    plans_.clear();  // compiled for the unfolded convs
    torch::NoGradGuard noGrad;
    const auto& nodes = graph_.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
        // Folded at run time into convs only: the BatchNorm's output stays available to captures.
        if (nodes[i].op != Op::BatchNorm || !graph::foldsIntoProducer(graph_, nodes[i])) continue;
        const int c = inputIndex_[i][0];
        if (nodes[size_t(c)].op != Op::Conv2d) continue;
        auto& conv = params_[size_t(c)];
        const graph::ChannelAffine a = graph::normalisationAffine(nodes[i]);
        const auto scale = torch::tensor(a.scale, torch::kDouble).to(torch::kFloat);
        const auto shift = torch::tensor(a.shift, torch::kDouble).to(torch::kFloat);
        const auto& w = conv["weight"];
        Folded& f = folded_[size_t(c)];
        f.weight = (w * scale.view({-1, 1, 1, 1})).contiguous(w.suggest_memory_format());
        f.bias = conv.count("bias") ? conv["bias"] * scale + shift : shift;
        f.shift = shift;
    }
}

namespace {

// View of a per-channel vector that broadcasts against an activation.
torch::Tensor perChannel(const torch::Tensor& v, const torch::Tensor& x) {
    return x.dim() == 4 ? v.view({1, -1, 1, 1}) : v.view({1, -1});
}

std::vector<int64_t> pair(int a, int b) { return {a, b}; }

bool symmetric(const graph::Window& w) { return w.padTop == w.padBottom && w.padLeft == w.padRight; }

torch::Tensor padSpatial(const torch::Tensor& x, const graph::Window& w, double value) {
    return torch::constant_pad_nd(x, {w.padLeft, w.padRight, w.padTop, w.padBottom}, value);
}

}  // namespace

void TorchGraph::setChannelsLast(bool on) {
    if (plain_) return;
    channelsLast_ = on;
    const auto format = on ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
    for (size_t i = 0; i < params_.size(); ++i)
        if (graph_.nodes()[i].op == Op::Conv2d) {
            auto& w = params_[i]["weight"];
            const bool grad = w.requires_grad();
            w = w.detach().contiguous(format).requires_grad_(grad);
            if (auto& f = folded_[i].weight; f.defined()) f = f.contiguous(format);
        }
}

// Inference (no autograd) always runs channels-last: oneDNN's NHWC convolutions were 1.2-2.6x
// faster here. Passes with autograd only when asked (scoring), since training measured slower.
torch::Tensor TorchGraph::inputLayout(const torch::Tensor& x) const {
    if (plain_) return x.contiguous();
    return torch::GradMode::is_enabled() && !channelsLast_ ? x : x.contiguous(at::MemoryFormat::ChannelsLast);
}

// A conv alone: oneDNN directly (and its input's gradient, in scoring passes), or LibTorch's op.
// `unfolded`: with its own weights, though its BatchNorm is folded (an output asked for).
torch::Tensor TorchGraph::runConv(size_t index, const torch::Tensor& x, const PlanStep& step, bool unfolded) {
    if (step.kind == ExecStep::Kind::DirectConv && !unfolded) {
        const auto& conv = directConv(index, -1);
        if (!torch::GradMode::is_enabled() || !x.requires_grad()) return conv->run(x);
        return convWithInputGradient(conv, x);
    }
    const Node& n = graph_.nodes()[index];
    auto& p = params_[index];
    const auto& w = n.window;
    const bool fold = isFolded(index) && !unfolded;
    const torch::Tensor& weight = fold ? folded_[index].weight : p["weight"];
    const torch::Tensor bias = fold ? folded_[index].bias : p.count("bias") ? p["bias"] : torch::Tensor();
    const torch::Tensor padded = symmetric(w) ? x : padSpatial(x, w, 0.0);
    const auto padding = symmetric(w) ? pair(w.padTop, w.padLeft) : pair(0, 0);
    if (step.libtorchOneDnn && isChannelsLastFloat(padded))  // padding may have changed the layout
        return at::mkldnn_convolution(padded, weight, bias, padding, pair(w.sh, w.sw), pair(w.dh, w.dw), n.groups);
    return torch::conv2d(padded, weight, bias, pair(w.sh, w.sw), padding, pair(w.dh, w.dw), n.groups);
}

torch::Tensor TorchGraph::runNode(size_t index, const std::vector<torch::Tensor>& in, const PlanStep& step) {
    const Node& n = graph_.nodes()[index];
    auto& p = params_[index];
    const auto& w = n.window;
    const bool inPlace = step.kind == ExecStep::Kind::InPlace;
    const bool onePass = step.kind == ExecStep::Kind::OnePassBackward;
    switch (n.op) {
    case Op::Input: return in.empty() ? torch::Tensor() : in[0];
    case Op::Conv2d: return runConv(index, in[0], step, /*unfolded=*/false);
    case Op::BatchNorm:
        if (step.kind == ExecStep::Kind::PassOn) return in[0];  // folded into the conv before it
        if (step.kind == ExecStep::Kind::AcrossRanks)
            return syncedBatchNorm(in[0], p["weight"], p["bias"], p["running_mean"], p["running_var"], 0.1, n.eps,
                                   crossRankSum_);
        // In eval mode, a per-channel affine map: the same values, and its backward (Taylor scoring
        // runs in eval mode) is far cheaper than batch_norm's (MobileNetV2 scoring ~2x, bench_scoring).
        if (!training_ && !plain_) {
            const auto [scale, shift] = batchNormAffine(p, n.eps);
            return torch::addcmul(perChannel(shift, in[0]), in[0], perChannel(scale, in[0]));
        }
        return torch::batch_norm(in[0], p["weight"], p["bias"], p["running_mean"], p["running_var"], training_, 0.1,
                                 n.eps, false);
    case Op::Scale: return in[0] * perChannel(p["weight"], in[0]) + perChannel(p["bias"], in[0]);
    case Op::ReLU:
        if (onePass) return activationWithCheapBackward(index, in[0], step.overwrite);
        return inPlace ? in[0].relu_() : torch::relu(in[0]);
    case Op::Clip:  // hardtanh where autograd may run: clamp's backward is slower
        if (onePass) return activationWithCheapBackward(index, in[0], step.overwrite);
        return inPlace ? in[0].clamp_(n.clipMin, n.clipMax) : torch::hardtanh(in[0], n.clipMin, n.clipMax);
    case Op::PReLU:
        if (onePass) return step.learningSlope ? trainingPReLU(in[0], p["slope"])
                                               : activationWithCheapBackward(index, in[0], step.overwrite);
        if (inPlace) return preluInPlace(in[0], p["slope"]);
        return torch::prelu(in[0], p["slope"].flatten());
    case Op::MaxPool:
        if (symmetric(w))
            return torch::max_pool2d(in[0], pair(w.kh, w.kw), pair(w.sh, w.sw), pair(w.padTop, w.padLeft),
                                     pair(1, 1), w.ceilMode);
        return torch::max_pool2d(padSpatial(in[0], w, -std::numeric_limits<double>::infinity()), pair(w.kh, w.kw),
                                 pair(w.sh, w.sw), pair(0, 0), pair(1, 1), w.ceilMode);
    case Op::AvgPool:
        if (symmetric(w))
            return torch::avg_pool2d(in[0], pair(w.kh, w.kw), pair(w.sh, w.sw), pair(w.padTop, w.padLeft),
                                     w.ceilMode, w.countIncludePad);
        if (!w.countIncludePad)
            throw UnsupportedOpError("layer '" + n.name +
                                     "': average pooling with asymmetric padding that excludes the padding");
        return torch::avg_pool2d(padSpatial(in[0], w, 0.0), pair(w.kh, w.kw), pair(w.sh, w.sw), pair(0, 0),
                                 w.ceilMode, true);
    case Op::GlobalAvgPool: return in[0].mean({2, 3}, /*keepdim=*/true);
    case Op::Pad:
        return torch::constant_pad_nd(in[0], {n.pads[4], n.pads[5], n.pads[2], n.pads[3], n.pads[0], n.pads[1]}, 0.0);
    case Op::Add: {
        torch::Tensor sum = in[0];
        for (size_t i = 1; i < in.size(); ++i)
            sum = inPlace && sum.sizes() == in[i].sizes() ? sum.add_(in[i]) : sum + in[i];
        return sum;
    }
    case Op::Concat: return torch::cat(in, 1);
    case Op::Flatten: return in[0].flatten(1);
    case Op::Linear: return torch::linear(in[0], p["weight"], p.count("bias") ? p["bias"] : torch::Tensor());
    case Op::Dropout: return torch::dropout(in[0], n.dropRate, training_);
    case Op::L2Norm: return in[0] / in[0].norm(2, 1, true).clamp_min(n.eps);
    }
    throw UnsupportedOpError("layer '" + n.name + "': the executor cannot run op " + std::string(opName(n.op)));
}

std::unordered_map<std::string, torch::Tensor> TorchGraph::forward(const torch::Tensor& x,
                                                                   std::vector<std::string> outputs) {
    const auto& nodes = graph_.nodes();
    const Node& input = graph_.at(graph_.inputName());
    const auto& s = input.inputShape;
    if (x.dim() != 4 || x.size(1) != s.c || x.size(2) != s.h || x.size(3) != s.w) {
        std::string got;
        for (int64_t d : x.sizes()) got += (got.empty() ? "" : "x") + std::to_string(d);
        throw InputError("model '" + graph_.name + "' expects input Nx" + s.toString() + ", got " + got);
    }
    if (outputs.empty()) {
        outputs.push_back(graph_.embeddingName());
        if (graph_.hasHead()) outputs.push_back(graph_.logitsName());
    }
    std::vector<bool> wanted(nodes.size(), false);
    for (const auto& o : outputs) {
        const int i = graph_.indexOf(o);
        if (i < 0) throw GraphError("no layer named '" + o + "' to output");
        wanted[i] = true;
    }

    // The first pass of a kind compiles its plan as it runs; later ones replay it.
    const std::string key = PlanBuilder::key(*this, x, wanted);
    std::shared_ptr<ExecutionPlan> plan = cachedPlan(key);
    std::optional<PlanBuilder> builder;
    if (!plan) {
        builder.emplace(*this, wanted);
        plan = std::make_shared<ExecutionPlan>();
    }

    std::vector<torch::Tensor> values(nodes.size());
    std::unordered_map<std::string, torch::Tensor> result;
    std::vector<torch::Tensor> in;
    if (nodeTimes_) nodeTimes_->resize(nodes.size(), 0.0);
    for (size_t i = 0; i < nodes.size(); ++i) {
        const auto started = nodeTimes_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
        in.clear();
        for (int j : inputIndex_[i]) in.push_back(values[j]);
        if (builder) plan->steps.push_back(builder->step(i, in));
        PlanStep& step = plan->steps[i];
        torch::Tensor out = runStep(i, in, step, x);
        // A conv of a scoring chain hands the sink its sums in the chain's backward pass.
        if (capture_[i] && !step.covered && step.kind != ExecStep::Kind::ScoringChain) {
            // Leaf when nothing before it needs gradients (weights frozen): the
            // gradient then starts here and no weight gradient is computed.
            if (!out.requires_grad() && torch::GradMode::is_enabled()) out = out.detach().requires_grad_(true);
            if (out.requires_grad() && !sink_) out.retain_grad();
            bool summedInActivation = false;
            if (out.requires_grad() && sink_) {
                // The activation after it sums the products in its own backward pass when it can.
                if (builder) step.sumsInActivation = builder->sumsInActivation(i, out);
                summedInActivation = step.sumsInActivation;
                if (!summedInActivation) sumProductsInHook(i, out);
            }
            if (!summedInActivation) captured_[nodes[i].name] = out;  // else the activation may overwrite it
        }
        if (wanted[i]) result[nodes[i].name] = isFolded(i) ? runConv(i, in[0], step, /*unfolded=*/true) : out;
        values[i] = out;
        if (nodeTimes_)
            (*nodeTimes_)[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        // Free activations as soon as their last consumer has run.
        for (int j : inputIndex_[i])
            if (lastUse_[j] == static_cast<int>(i) && !wanted[j]) values[j] = torch::Tensor();
    }
    if (builder) {
        constexpr size_t kPlansKept = 8;  // inference, scoring, training, at a few batch sizes
        if (plans_.size() == kPlansKept) plans_.erase(plans_.begin());
        plans_.emplace_back(key, plan);
        ++plansCompiled_;
    }
    lastPlan_ = plan;
    return result;
}

std::shared_ptr<ExecutionPlan> TorchGraph::cachedPlan(const std::string& key) {
    for (auto& [k, plan] : plans_)
        if (k == key) return plan;
    return nullptr;
}

std::vector<ExecStep> TorchGraph::lastSteps() const {
    return lastPlan_ ? describePlan(*lastPlan_, graph_) : std::vector<ExecStep>();
}

torch::Tensor TorchGraph::runStep(size_t i, const std::vector<torch::Tensor>& in, const PlanStep& step,
                                  const torch::Tensor& x) {
    if (graph_.nodes()[i].op == Op::Input) return inputLayout(x);
    if (step.covered) return in[0];  // run by an earlier step: its output passes on
    switch (step.kind) {
    case ExecStep::Kind::ConvAct: return directConv(i, step.partner)->run(in[0]);
    case ExecStep::Kind::ScoringChain: return runScoringChain(step.chain, in[0]);  // its output passes on
    case ExecStep::Kind::SummingAct:
        return activationSummingProducts(i, size_t(step.partner), in[0], step.overwrite);
    default: return runNode(i, in, step);
    }
}

torch::Tensor TorchGraph::runScoringChain(const std::vector<PlanStep::Link>& chain, const torch::Tensor& x) {
    std::vector<ScoringStage> stages;
    for (const auto& [conv, activation] : chain) {
        ScoringStage s;
        s.plain = directConv(conv, -1);
        if (activation >= 0) {
            s.fused = directConv(conv, activation);
            s.activation = activationOf(size_t(activation), params_[conv].at("weight").size(0));
        }
        if (capture_[conv]) {
            s.offset = productOffset(conv);
            s.sink = [this, &name = graph_.nodes()[conv].name](const torch::Tensor& sums) { sink_(name, sums); };
        }
        stages.push_back(std::move(s));
    }
    return convChainForScoring(std::move(stages), x);
}

const std::shared_ptr<DnnlConv>& TorchGraph::directConv(size_t conv, int activation) {
    const Node& n = graph_.nodes()[conv];
    auto& p = params_[conv];
    const bool fold = isFolded(conv);
    const torch::Tensor& weight = fold ? folded_[conv].weight : p["weight"];
    const torch::Tensor bias = fold ? folded_[conv].bias : p.count("bias") ? p["bias"] : torch::Tensor();
    FusedActivation f;
    if (activation >= 0) {
        const Node& a = graph_.nodes()[size_t(activation)];
        f.kind = a.op == Op::ReLU   ? FusedActivation::Kind::ReLU
                 : a.op == Op::Clip ? FusedActivation::Kind::Clip
                                    : FusedActivation::Kind::PReLU;
        if (a.op == Op::Clip) {
            f.lo = a.clipMin;
            f.hi = a.clipMax;
        }
        if (a.op == Op::PReLU) f.slope = params_[size_t(activation)].at("slope");
    }
    auto& slot = activation >= 0 ? direct_[conv].fused : direct_[conv].alone;
    if (!slot || !slot->matches(weight, bias, f)) {
        const auto& w = n.window;
        const ConvGeometry g{w.sh, w.sw, w.dh, w.dw, n.groups, w.padTop, w.padLeft, w.padBottom, w.padRight};
        slot = std::make_shared<DnnlConv>(weight, bias, g, std::move(f));
    }
    return slot;
}

// An eval-mode conv whose weights take no gradient (scoring passes).
bool TorchGraph::weightsFixed(size_t conv) const {
    const auto& p = params_[conv];
    const auto bias = p.find("bias");
    return !training_ && !p.at("weight").requires_grad() && (bias == p.end() || !bias->second.requires_grad());
}

void TorchGraph::writeBack(graph::Graph& graph) const {
    auto& nodes = graph.nodes();
    for (size_t i = 0; i < nodes.size() && i < params_.size(); ++i)
        for (const auto& [key, t] : params_[i]) nodes[i].params[key] = fromTorch(t);
}

}  // namespace fp::exec
