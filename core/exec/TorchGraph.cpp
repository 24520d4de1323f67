#include "exec/TorchGraph.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>

#include "exec/ChannelProducts.h"
#include "exec/DnnlConv.h"
#include "exec/ExecutionMode.h"
#include "exec/InPlacePReLU.h"
#include "exec/Layout.h"
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

bool TorchGraph::canSumInActivation(size_t conv, const torch::Tensor& out) const {
    const int activation = activationAfter_[conv];
    if (activation < 0 || plain_) return false;
    const bool throughBatchNorm = inputIndex_[size_t(activation)][0] != static_cast<int>(conv);
    if (throughBatchNorm && !isFolded(conv)) return false;  // it would see the BatchNorm's output
    const auto& p = params_[size_t(activation)];
    if (auto s = p.find("slope"); s != p.end() && s->second.requires_grad()) return false;
    return isChannelsLastFloat(out);
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

// A PReLU whose slope learns, in a training pass: LibTorch's backward is slow (exec/TrainingPReLU).
bool TorchGraph::usesTrainingPReLU(size_t index, const torch::Tensor& x) const {
    const auto slope = params_[index].find("slope");
    return !plain_ && torch::GradMode::is_enabled() && slope != params_[index].end() &&
           slope->second.requires_grad() && trainingPReLUTakes(x);
}

bool TorchGraph::usesCheapBackward(size_t index, const torch::Tensor& x) const {
    const auto& p = params_[index];
    const auto slope = p.find("slope");
    return !plain_ && torch::GradMode::is_enabled() && x.requires_grad() && isChannelsLastFloat(x) &&
           (slope == p.end() || !slope->second.requires_grad());
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

torch::Tensor TorchGraph::runNode(size_t index, const std::vector<torch::Tensor>& in, bool unfolded, bool inPlace) {
    const Node& n = graph_.nodes()[index];
    auto& p = params_[index];
    const auto& w = n.window;
    switch (n.op) {
    case Op::Input: return in.empty() ? torch::Tensor() : in[0];
    case Op::Conv2d: {
        const bool fold = isFolded(index) && !unfolded;
        const torch::Tensor& weight = fold ? folded_[index].weight : p["weight"];
        torch::Tensor bias = fold ? folded_[index].bias : p.count("bias") ? p["bias"] : torch::Tensor();
        if (!unfolded && runsDirect(index, in[0])) {
            const auto& conv = directConv(index, -1);
            if (!torch::GradMode::is_enabled() || !in[0].requires_grad()) return conv->run(in[0]);
            return convWithInputGradient(conv, in[0]);
        }
        const torch::Tensor x = symmetric(w) ? in[0] : padSpatial(in[0], w, 0.0);
        const auto padding = symmetric(w) ? pair(w.padTop, w.padLeft) : pair(0, 0);
        // Without autograd, oneDNN through LibTorch: conv2d sends small 1x1 convs at batch 1 (input
        // <= 20480 values, as pruning makes many) to a generic GEMM, 2x slower here. See bench_inference.
        if (!plain_ && !torch::GradMode::is_enabled() && isChannelsLastFloat(x) && at::hasMKLDNN() &&
            at::globalContext().userEnabledMkldnn())
            return at::mkldnn_convolution(x, weight, bias, padding, pair(w.sh, w.sw), pair(w.dh, w.dw), n.groups);
        return torch::conv2d(x, weight, bias, pair(w.sh, w.sw), padding, pair(w.dh, w.dw), n.groups);
    }
    case Op::BatchNorm:
        // Folded into the conv before it (its only input): already applied.
        if (isFolded(size_t(inputIndex_[index][0]))) return in[0];
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
        if (usesCheapBackward(index, in[0])) return activationWithCheapBackward(index, in[0], inPlace);
        return inPlace ? in[0].relu_() : torch::relu(in[0]);
    case Op::Clip:  // hardtanh where autograd may run: clamp's backward is slower
        if (usesCheapBackward(index, in[0])) return activationWithCheapBackward(index, in[0], inPlace);
        return inPlace ? in[0].clamp_(n.clipMin, n.clipMax) : torch::hardtanh(in[0], n.clipMin, n.clipMax);
    case Op::PReLU:
        if (usesCheapBackward(index, in[0])) return activationWithCheapBackward(index, in[0], inPlace);
        if (inPlace && isChannelsLastFloat(in[0])) return preluInPlace(in[0], p["slope"]);
        if (usesTrainingPReLU(index, in[0])) return trainingPReLU(in[0], p["slope"]);
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

    std::vector<torch::Tensor> values(nodes.size());
    std::vector<int> sumsFor(nodes.size(), -1);  // per activation: the captured conv it sums for
    std::vector<bool> fusedAway(nodes.size(), false);  // activations their conv already applied
    std::unordered_map<std::string, torch::Tensor> result;
    std::vector<torch::Tensor> in;
    if (nodeTimes_) nodeTimes_->resize(nodes.size(), 0.0);
    if (steps_) steps_->clear();
    for (size_t i = 0; i < nodes.size(); ++i) {
        const auto started = nodeTimes_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
        in.clear();
        for (int j : inputIndex_[i]) in.push_back(values[j]);
        torch::Tensor out;
        // A conv of a scoring chain run before hands the sink its sums in the chain's backward pass.
        bool summedInConv = fusedAway[i];
        const int fused = fusableActivation(i, wanted);
        if (nodes[i].op == Op::Input) {
            out = inputLayout(x);
            record(ExecStep::Kind::Plain, {nodes[i].name});
        } else if (fusedAway[i]) {
            out = in[0];
        } else if (fused >= 0 && isChannelsLastFloat(in[0])) {
            out = directConv(i, fused)->run(in[0]);
            fusedAway[size_t(fused)] = true;
            record(ExecStep::Kind::ConvAct, {nodes[i].name, nodes[size_t(fused)].name});
        } else if (const auto chain = scoringChain(i, wanted, in[0]); !chain.empty()) {
            // The chain's output passes on through the nodes it ran.
            out = runScoringChain(chain, in[0]);
            std::vector<std::string> covered;
            for (const auto& link : chain) {
                if (link.conv != i) fusedAway[link.conv] = true;
                if (link.activation >= 0) fusedAway[size_t(link.activation)] = true;
                covered.push_back(nodes[link.conv].name);
                if (link.activation >= 0) covered.push_back(nodes[size_t(link.activation)].name);
            }
            record(ExecStep::Kind::ScoringChain, std::move(covered));
            summedInConv = true;
        } else if (const int conv = sumsFor[i]; conv >= 0) {
            // The conv's output goes no further than this activation (nor does the folded
            // BatchNorm's between them) unless it is asked for.
            out = activationSummingProducts(i, size_t(conv), in[0],
                                            !wanted[size_t(conv)] && !wanted[size_t(inputIndex_[i][0])]);
            record(ExecStep::Kind::SummingAct, {nodes[i].name, nodes[size_t(conv)].name});
        } else {
            const bool inPlace = mayOverwriteInput(i, wanted);
            if (steps_) record(stepKind(i, in, inPlace), {nodes[i].name});
            out = runNode(i, in, false, inPlace);
        }
        if (capture_[i] && !summedInConv) {
            // Leaf when nothing before it needs gradients (weights frozen): the
            // gradient then starts here and no weight gradient is computed.
            if (!out.requires_grad() && torch::GradMode::is_enabled()) out = out.detach().requires_grad_(true);
            if (out.requires_grad() && !sink_) out.retain_grad();
            bool summedInActivation = false;
            if (out.requires_grad() && sink_) {
                // The activation after it sums the products in its own backward pass when it can.
                summedInActivation = canSumInActivation(i, out);
                if (summedInActivation)
                    sumsFor[size_t(activationAfter_[i])] = static_cast<int>(i);
                else
                    sumProductsInHook(i, out);
            }
            if (!summedInActivation) captured_[nodes[i].name] = out;  // else the activation may overwrite it
        }
        if (wanted[i])
            result[nodes[i].name] = isFolded(i) ? runNode(i, in, /*unfolded=*/true) : out;
        values[i] = out;
        if (nodeTimes_)
            (*nodeTimes_)[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        // Free activations as soon as their last consumer has run.
        for (int j : inputIndex_[i])
            if (lastUse_[j] == static_cast<int>(i) && !wanted[j]) values[j] = torch::Tensor();
    }
    return result;
}

// An activation or Add may write into its first input when nothing else can see that tensor: its
// producer made it (not a view or pass-through of another value), this node is its only consumer,
// and it is neither captured nor asked for. Saves a full pass over each map (MobileNetV2 batch 32:
// see bench_inference). With autograd, only in scoring passes (channels-last, eval mode; training is
// left as LibTorch runs it), never through a view, and never into an activation's output, which
// the activation keeps for its backward pass.
bool TorchGraph::mayOverwriteInput(size_t node, const std::vector<bool>& wanted) const {
    const bool autograd = torch::GradMode::is_enabled();
    if (plain_ || (autograd && (training_ || !channelsLast_)) || inputIndex_[node].empty()) return false;
    for (int j = inputIndex_[node][0];;) {
        const Node& producer = graph_.nodes()[size_t(j)];
        if (consumerCount_[size_t(j)] != 1 || wanted[size_t(j)] || capture_[size_t(j)]) return false;
        if (producer.op == Op::Input) return false;  // the caller's tensor
        if (autograd && (producer.op == Op::Flatten || producer.op == Op::ReLU || producer.op == Op::Clip ||
                         producer.op == Op::PReLU))
            return false;
        const bool passesOn = producer.op == Op::Flatten || producer.op == Op::Dropout ||
                              (producer.op == Op::Add && inputIndex_[size_t(j)].size() == 1) ||
                              (producer.op == Op::BatchNorm && isFolded(size_t(inputIndex_[size_t(j)][0])));
        if (!passesOn) return true;
        j = inputIndex_[size_t(j)][0];
    }
}

// The conv's sole activation, where no one asks for or captures the values in between (the conv's
// output itself may be captured); -1 otherwise.
int TorchGraph::activationNobodySeesBefore(size_t conv, const std::vector<bool>& wanted) const {
    const int activation = soleActivationAfter(conv);
    if (activation < 0 || wanted[conv] || wanted[size_t(activation)] || capture_[size_t(activation)]) return -1;
    const int between = inputIndex_[size_t(activation)][0];
    if (between != static_cast<int>(conv) && (!isFolded(conv) || wanted[size_t(between)] || capture_[size_t(between)]))
        return -1;
    return activation;
}

// The activation that, in an inference pass, the conv can apply itself (a oneDNN post-op: one pass
// less over its output).
int TorchGraph::fusableActivation(size_t conv, const std::vector<bool>& wanted) const {
    if (plain_ || torch::GradMode::is_enabled() || graph_.nodes()[conv].op != Op::Conv2d || !DnnlConv::enabled() ||
        capture_[conv])
        return -1;
    return activationNobodySeesBefore(conv, wanted);
}

// The convs from head on that, in a scoring pass, can run as one node (exec/ScoringConv): each runs
// directly and its input takes a gradient (but the head's, where x needs none: a stem reading the
// image); each but the last has an activation nobody else sees, which alone takes its output and
// gives the next conv alone its input; a captured conv's sums go to the sink. Empty where head
// cannot start such a chain.
std::vector<TorchGraph::ChainLink> TorchGraph::scoringChain(size_t head, const std::vector<bool>& wanted,
                                                           const torch::Tensor& x) {
    std::vector<ChainLink> chain;
    // Without a gradient for its input (the image, for a stem conv) a chain is worth running only
    // for its head's sums.
    const bool inputGradient = x.requires_grad();
    if (plain_ || !torch::GradMode::is_enabled() || !DnnlConv::enabled() || !isChannelsLastFloat(x) ||
        (!inputGradient && !(capture_[head] && sink_)))
        return chain;
    std::vector<int64_t> sizes = x.sizes().vec();
    for (int next = static_cast<int>(head); next >= 0;) {
        const auto conv = size_t(next);
        if (graph_.nodes()[conv].op != Op::Conv2d || !weightsFixed(conv) || wanted[conv] || (capture_[conv] && !sink_))
            break;
        const auto& plain = directConv(conv, -1);
        if ((inputGradient || !chain.empty()) && !plain->hasFastInputGradient(sizes)) break;
        int activation = activationNobodySeesBefore(conv, wanted);
        if (activation >= 0) {
            const auto& p = params_[size_t(activation)];
            if (auto s = p.find("slope"); s != p.end() && s->second.requires_grad()) activation = -1;
        }
        // A conv without such an activation ends the chain: its output is the chain's.
        chain.push_back({conv, activation});
        if (activation < 0) break;
        sizes = plain->outputSizes(sizes);
        next = soleConsumer_[size_t(activation)];
    }
    return chain;
}

torch::Tensor TorchGraph::runScoringChain(const std::vector<ChainLink>& chain, const torch::Tensor& x) {
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

// Inference, and scoring passes (weights fixed): oneDNN directly, the input's gradient too where
// oneDNN has a fast kernel for it; no weight reorder per call either way.
bool TorchGraph::runsDirect(size_t conv, const torch::Tensor& x) {
    if (plain_ || !isChannelsLastFloat(x) || !DnnlConv::enabled()) return false;
    const bool autograd = torch::GradMode::is_enabled();
    if (autograd && !weightsFixed(conv)) return false;
    if (!autograd || !x.requires_grad()) return true;
    return directConv(conv, -1)->hasFastInputGradient(x.sizes());
}

// What runNode does with this node, for the step record.
ExecStep::Kind TorchGraph::stepKind(size_t index, const std::vector<torch::Tensor>& in, bool inPlace) {
    const Op op = graph_.nodes()[index].op;
    if (op == Op::BatchNorm && isFolded(size_t(inputIndex_[index][0]))) return ExecStep::Kind::PassOn;
    if (op == Op::Conv2d && runsDirect(index, in[0])) return ExecStep::Kind::DirectConv;
    const bool activation = op == Op::ReLU || op == Op::Clip || op == Op::PReLU;
    if (activation && usesCheapBackward(index, in[0])) return ExecStep::Kind::OnePassBackward;
    if (op == Op::PReLU && usesTrainingPReLU(index, in[0])) return ExecStep::Kind::OnePassBackward;
    if (inPlace && (op == Op::ReLU || op == Op::Clip || op == Op::Add ||
                    (op == Op::PReLU && isChannelsLastFloat(in[0]))))
        return ExecStep::Kind::InPlace;
    return ExecStep::Kind::Plain;
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
