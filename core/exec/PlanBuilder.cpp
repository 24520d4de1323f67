#include "exec/PlanBuilder.h"

#include "exec/DnnlConv.h"
#include "exec/Layout.h"
#include "exec/TorchGraph.h"
#include "exec/TrainingPReLU.h"

namespace fp::exec {

using graph::Node;
using graph::Op;

namespace {

bool isActivation(Op op) { return op == Op::ReLU || op == Op::Clip || op == Op::PReLU; }

bool slopeLearns(const std::unordered_map<std::string, torch::Tensor>& params) {
    const auto s = params.find("slope");
    return s != params.end() && s->second.requires_grad();
}

}  // namespace

PlanBuilder::PlanBuilder(TorchGraph& graph, const std::vector<bool>& wanted)
    : g_(graph), wanted_(wanted), covered_(wanted.size(), false), sumsFor_(wanted.size(), -1) {}

std::string PlanBuilder::key(const TorchGraph& g, const torch::Tensor& x, const std::vector<bool>& wanted) {
    std::string k;
    k.reserve(64 + 2 * wanted.size());
    const auto flag = [&k](bool on) { k += on ? '1' : '0'; };
    flag(torch::GradMode::is_enabled());
    flag(g.training_);
    flag(g.channelsLast_);
    flag(bool(g.sink_));
    flag(bool(g.crossRankSum_));
    flag(DnnlConv::enabled());
    flag(at::globalContext().userEnabledMkldnn());
    flag(x.requires_grad());
    flag(x.is_contiguous());
    flag(x.is_contiguous(at::MemoryFormat::ChannelsLast));
    k += std::to_string(int(x.scalar_type())) + ':';
    for (const int64_t d : x.sizes()) k += std::to_string(d) + 'x';
    k += ':' + std::to_string(g.foldings_) + ':';
    for (const bool w : wanted) flag(w);
    for (const bool c : g.capture_) flag(c);
    for (const auto& params : g.params_)
        for (const auto& [name, t] : params) flag(t.requires_grad());
    return k;
}

PlanStep PlanBuilder::step(size_t node, const std::vector<torch::Tensor>& in) {
    const auto& nodes = g_.graph_.nodes();
    PlanStep s;
    if (nodes[node].op == Op::Input) return s;
    if (covered_[node]) {
        s.covered = true;
        return s;
    }
    if (const int fused = fusableActivation(node); fused >= 0 && isChannelsLastFloat(in[0])) {
        s.kind = ExecStep::Kind::ConvAct;
        s.partner = fused;
        covered_[size_t(fused)] = true;
        return s;
    }
    if (auto chain = scoringChain(node, in[0]); !chain.empty()) {
        for (const auto& link : chain) {
            if (link.conv != node) covered_[link.conv] = true;
            if (link.activation >= 0) covered_[size_t(link.activation)] = true;
        }
        s.kind = ExecStep::Kind::ScoringChain;
        s.chain = std::move(chain);
        return s;
    }
    if (const int conv = sumsFor_[node]; conv >= 0) {
        // The conv's output goes no further than this activation (nor does the folded BatchNorm's
        // between them) unless it is asked for.
        s.kind = ExecStep::Kind::SummingAct;
        s.partner = conv;
        s.overwrite = !wanted_[size_t(conv)] && !wanted_[size_t(g_.inputIndex_[node][0])];
        return s;
    }
    return nodeStep(node, in);
}

// A node that runs alone: which kernel runs it.
PlanStep PlanBuilder::nodeStep(size_t node, const std::vector<torch::Tensor>& in) {
    const Op op = g_.graph_.nodes()[node].op;
    const bool inPlace = mayOverwriteInput(node);
    PlanStep s;
    switch (op) {
    case Op::BatchNorm:
        if (g_.isFolded(size_t(g_.inputIndex_[node][0])))
            s.kind = ExecStep::Kind::PassOn;
        else if (g_.training_ && g_.crossRankSum_)
            s.kind = ExecStep::Kind::AcrossRanks;  // not a fast path: what a distributed run's arithmetic needs
        break;
    case Op::Conv2d:
        if (runsDirect(node, in[0]))
            s.kind = ExecStep::Kind::DirectConv;
        else
            s.libtorchOneDnn = usesLibTorchOneDnn(in[0]);
        break;
    case Op::ReLU:
    case Op::Clip:
    case Op::PReLU:
        if (usesCheapBackward(node, in[0])) {
            s.kind = ExecStep::Kind::OnePassBackward;
            s.overwrite = inPlace;
        } else if (inPlace && (op != Op::PReLU || isChannelsLastFloat(in[0]))) {
            s.kind = ExecStep::Kind::InPlace;
            s.overwrite = true;
        } else if (op == Op::PReLU && usesLearningPReLU(node, in[0])) {
            s.kind = ExecStep::Kind::OnePassBackward;
            s.learningSlope = true;
        }
        break;
    case Op::Add:
        if (inPlace) {
            s.kind = ExecStep::Kind::InPlace;
            s.overwrite = true;
        }
        break;
    default: break;
    }
    return s;
}

bool PlanBuilder::sumsInActivation(size_t conv, const torch::Tensor& out) {
    const int activation = g_.activationAfter_[conv];
    if (activation < 0 || g_.plain_) return false;
    const bool throughBatchNorm = g_.inputIndex_[size_t(activation)][0] != static_cast<int>(conv);
    if (throughBatchNorm && !g_.isFolded(conv)) return false;  // it would see the BatchNorm's output
    if (slopeLearns(g_.params_[size_t(activation)]) || !isChannelsLastFloat(out)) return false;
    sumsFor_[size_t(activation)] = static_cast<int>(conv);
    return true;
}

// An activation or Add may write into its first input when nothing else can see that tensor: its
// producer made it (not a view or pass-through of another value), this node is its only consumer,
// and it is neither captured nor asked for. Saves a full pass over each map (MobileNetV2 batch 32:
// see bench_inference). With autograd, only in scoring passes (channels-last, eval mode; training is
// left as LibTorch runs it), never through a view, and never into an activation's output, which
// the activation keeps for its backward pass.
bool PlanBuilder::mayOverwriteInput(size_t node) const {
    const bool autograd = torch::GradMode::is_enabled();
    const auto& inputs = g_.inputIndex_;
    if (g_.plain_ || (autograd && (g_.training_ || !g_.channelsLast_)) || inputs[node].empty()) return false;
    for (int j = inputs[node][0];;) {
        const Node& producer = g_.graph_.nodes()[size_t(j)];
        if (g_.consumerCount_[size_t(j)] != 1 || wanted_[size_t(j)] || g_.capture_[size_t(j)]) return false;
        if (producer.op == Op::Input) return false;  // the caller's tensor
        if (autograd && (producer.op == Op::Flatten || isActivation(producer.op))) return false;
        const bool passesOn = producer.op == Op::Flatten || producer.op == Op::Dropout ||
                              (producer.op == Op::Add && inputs[size_t(j)].size() == 1) ||
                              (producer.op == Op::BatchNorm && g_.isFolded(size_t(inputs[size_t(j)][0])));
        if (!passesOn) return true;
        j = inputs[size_t(j)][0];
    }
}

// The conv's sole activation, where no one asks for or captures the values in between (the conv's
// output itself may be captured); -1 otherwise.
int PlanBuilder::activationNobodySeesBefore(size_t conv) const {
    const int activation = g_.soleActivationAfter(conv);
    if (activation < 0 || wanted_[conv] || wanted_[size_t(activation)] || g_.capture_[size_t(activation)]) return -1;
    const int between = g_.inputIndex_[size_t(activation)][0];
    if (between != static_cast<int>(conv) &&
        (!g_.isFolded(conv) || wanted_[size_t(between)] || g_.capture_[size_t(between)]))
        return -1;
    return activation;
}

// The activation that, in an inference pass, the conv can apply itself (a oneDNN post-op: one pass
// less over its output).
int PlanBuilder::fusableActivation(size_t conv) const {
    if (g_.plain_ || torch::GradMode::is_enabled() || g_.graph_.nodes()[conv].op != Op::Conv2d ||
        !DnnlConv::enabled() || g_.capture_[conv])
        return -1;
    return activationNobodySeesBefore(conv);
}

// The convs from head on that, in a scoring pass, can run as one node (exec/ScoringConv): each runs
// directly and its input takes a gradient (but the head's, where x needs none: a stem reading the
// image); each but the last has an activation nobody else sees, which alone takes its output and
// gives the next conv alone its input; a captured conv's sums go to the sink. Empty where head
// cannot start such a chain.
std::vector<PlanStep::Link> PlanBuilder::scoringChain(size_t head, const torch::Tensor& x) {
    std::vector<PlanStep::Link> chain;
    // Without a gradient for its input (the image, for a stem conv) a chain is worth running only
    // for its head's sums.
    const bool inputGradient = x.requires_grad();
    const bool sink = bool(g_.sink_);
    if (g_.plain_ || !torch::GradMode::is_enabled() || !DnnlConv::enabled() || !isChannelsLastFloat(x) ||
        (!inputGradient && !(g_.capture_[head] && sink)))
        return chain;
    std::vector<int64_t> sizes = x.sizes().vec();
    for (int next = static_cast<int>(head); next >= 0;) {
        const auto conv = size_t(next);
        if (g_.graph_.nodes()[conv].op != Op::Conv2d || !g_.weightsFixed(conv) || wanted_[conv] ||
            (g_.capture_[conv] && !sink))
            break;
        const auto& plain = g_.directConv(conv, -1);
        if ((inputGradient || !chain.empty()) && !plain->hasFastInputGradient(sizes)) break;
        int activation = activationNobodySeesBefore(conv);
        if (activation >= 0 && slopeLearns(g_.params_[size_t(activation)])) activation = -1;
        // A conv without such an activation ends the chain: its output is the chain's.
        chain.push_back({conv, activation});
        if (activation < 0) break;
        sizes = plain->outputSizes(sizes);
        next = g_.soleConsumer_[size_t(activation)];
    }
    return chain;
}

// Inference, and scoring passes (weights fixed): oneDNN directly, the input's gradient too where
// oneDNN has a fast kernel for it; no weight reorder per call either way.
bool PlanBuilder::runsDirect(size_t conv, const torch::Tensor& x) {
    if (g_.plain_ || !isChannelsLastFloat(x) || !DnnlConv::enabled()) return false;
    const bool autograd = torch::GradMode::is_enabled();
    if (autograd && !g_.weightsFixed(conv)) return false;
    if (!autograd || !x.requires_grad()) return true;
    return g_.directConv(conv, -1)->hasFastInputGradient(x.sizes());
}

// Without autograd, oneDNN through LibTorch: conv2d sends small 1x1 convs at batch 1 (input <= 20480
// values, as pruning makes many) to a generic GEMM, 2x slower here. See bench_inference.
bool PlanBuilder::usesLibTorchOneDnn(const torch::Tensor& x) const {
    return !g_.plain_ && !torch::GradMode::is_enabled() && isChannelsLastFloat(x) && at::hasMKLDNN() &&
           at::globalContext().userEnabledMkldnn();
}

// ReLU, Clip and PReLU while scoring: one fused pass for the input's gradient alone, where
// LibTorch's backward reads the input and the gradient separately (hardtanh's: MobileNetV2's
// unscored ReLU6s) or computes the slope's gradient too (prelu's).
bool PlanBuilder::usesCheapBackward(size_t node, const torch::Tensor& x) const {
    return !g_.plain_ && torch::GradMode::is_enabled() && x.requires_grad() && isChannelsLastFloat(x) &&
           !slopeLearns(g_.params_[node]);
}

// A PReLU whose slope learns, in a training pass: LibTorch's backward is slow (exec/TrainingPReLU).
bool PlanBuilder::usesLearningPReLU(size_t node, const torch::Tensor& x) const {
    return !g_.plain_ && torch::GradMode::is_enabled() && slopeLearns(g_.params_[node]) && trainingPReLUTakes(x);
}

}  // namespace fp::exec
