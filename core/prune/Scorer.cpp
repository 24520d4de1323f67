#include "prune/Scorer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "dist/Group.h"
#include "exec/TorchGraph.h"
#include "prune/CostModel.h"
#include "util/Errors.h"

namespace fp::prune {

using graph::Op;

struct Scorer::Impl {
    const graph::Graph& graph;
    const ChannelGraph& cg;
    Criterion criterion;
    uint32_t seed;
    std::vector<std::string> scored;              // producer layers of prunable groups
    std::map<std::string, std::string> bnAfter;   // producer -> its BatchNorm
    std::map<std::string, std::vector<double>> sums;
    std::vector<double> groupSums;                // TaylorBN accumulates per group
    int batches = 0;
    int maxMicroBatch = 0;
    std::unique_ptr<exec::TorchGraph> net;
    dist::Group* group = nullptr;

    // Per-batch sums of this rank's share (taken over its `n` images) made the whole batch's, over
    // all ranks' images; returns the batch's size. Alone, the sums stay as they are.
    int64_t sumAcrossRanks(const std::vector<std::vector<double>*>& parts, int64_t n) {
        if (!group) return n;
        std::vector<double> packed{static_cast<double>(n)};
        for (const auto* part : parts)
            for (double v : *part) packed.push_back(v * static_cast<double>(n));
        group->allReduceSum(packed);
        const double total = packed[0];
        size_t k = 1;
        for (auto* part : parts)
            for (double& v : *part) v = total > 0 ? packed[k++] / total : 0.0;
        return static_cast<int64_t>(total);
    }

    Impl(const graph::Graph& g, const ChannelGraph& c, Criterion k, uint32_t s)
        : graph(g), cg(c), criterion(k), seed(s), groupSums(c.groups().size(), 0.0) {
        std::set<std::string> layers;
        for (int id : cg.prunableGroups())
            for (const auto& m : cg.groups()[id].members) layers.insert(m);
        scored.assign(layers.begin(), layers.end());
        if (k == Criterion::TaylorBN || k == Criterion::BNGamma) {
            for (const auto& layer : scored) {
                const auto users = graph.consumers(layer);
                if (users.size() != 1 || graph.at(users[0]).op != Op::BatchNorm)
                    throw Error(std::string("criterion '") + criterionName(k) +
                                "' needs a BatchNorm right after every prunable layer; '" + layer +
                                "' has none (BatchNorm folded?) — use taylor or l1");
                bnAfter[layer] = users[0];
            }
        }
        if (needsData(k)) {
            if (!graph.hasHead())
                throw Error("model '" + graph.name +
                            "' has no identification head; Taylor scores need one (fit a head on the training "
                            "identities first)");
            net = std::make_unique<exec::TorchGraph>(graph);
            net->setTraining(false);  // running BatchNorm statistics: scores do not move them
            net->setParametersRequireGrad(false);
            if (k == Criterion::Taylor) {
                // Channels-last, products reduced as gradients arrive (no retained copies): MobileNetV2
                // scoring 30 -> 42 img/s, SqueezeNet 50 -> 83 (bench_scoring, 2 threads).
                net->setChannelsLast(true);
                // Eval-mode BatchNorms folded into their convs: no BatchNorm pass forward or backward
                // (TorchGraph corrects the products by each BatchNorm's shift). MobileNetV2 scoring
                // ~58 -> ~72 img/s, its peak RSS 1.9 -> 1.4 GB (bench_scoring, 2 threads).
                net->foldBatchNorm();
                // The ReLU, ReLU6 or PReLU after each scored conv sums the products in its own
                // backward pass (TorchGraph::setCapture). Scoring time, fused over unfused (paired,
                // 2 threads): MobileFaceNet 0.47, SqueezeNet 0.84, MobileNetV2 0.94.
                net->setCapture(scored, [this](const std::string& layer, const torch::Tensor& products) {
                    auto& total = signedSums[layer];
                    total = total.defined() ? total + products : products;
                });
            }
        }
        for (const auto& layer : scored) sums[layer].assign(static_cast<size_t>(graph.at(layer).outChannels), 0.0);
    }

    torch::Tensor loss(const data::Batch& batch) {
        auto x = exec::toTorch(batch.images);
        auto labels = torch::tensor(batch.labels, torch::kLong);
        auto out = net->forward(x, {graph.logitsName()});
        return torch::cross_entropy_loss(out.at(graph.logitsName()), labels);
    }

    // Bytes one image's activations and their gradients take while it is scored (every node's
    // output is kept for the backward pass, and a gradient of the same size meets it there).
    double bytesPerImage() const {
        double values = 0;
        for (const auto& n : graph.nodes()) values += static_cast<double>(n.shape.numel());
        return 2.0 * sizeof(float) * values;
    }

    int microBatch(int n) const {
        const int byBudget = std::max(1, static_cast<int>(kActivationBudgetBytes / bytesPerImage()));
        return std::clamp(maxMicroBatch > 0 ? maxMicroBatch : byBudget, 1, std::max(1, n));
    }

    // Signed sums over the batch and positions of a * dL/da, per channel, for the batch being scored.
    std::map<std::string, torch::Tensor> signedSums;

    // theta = |mean over the batch and positions of a * dL/da| with L the batch's mean loss: each
    // micro-batch adds its signed sums (its summed loss over the whole batch's size gives the same
    // gradients), and the mean and the absolute value come once the batch is complete.
    void accumulateTaylor(const data::Batch& batch) {
        const auto x = exec::toTorch(batch.images);
        const auto labels = torch::tensor(batch.labels, torch::kLong);
        const int64_t local = x.size(0), step = microBatch(static_cast<int>(local));
        signedSums.clear();
        for (int64_t start = 0; start < local; start += step) {
            const int64_t end = std::min(local, start + step);
            auto out = net->forward(x.slice(0, start, end), {graph.logitsName()});
            auto l = torch::cross_entropy_loss(out.at(graph.logitsName()), labels.slice(0, start, end), {},
                                               at::Reduction::Sum) /
                     static_cast<double>(local);
            l.backward();
            net->clearCaptured();
        }
        // This share's signed sums (an empty share contributes nothing), then the whole batch's.
        std::map<std::string, std::vector<double>> batchSums;
        std::vector<std::vector<double>*> all;
        for (const auto& layer : scored) {
            auto& m = batchSums[layer];
            m.assign(sums[layer].size(), 0.0);
            if (const auto it = signedSums.find(layer); it != signedSums.end()) {
                const auto t = it->second.contiguous();
                std::copy(t.data_ptr<double>(), t.data_ptr<double>() + t.numel(), m.begin());
            }
            all.push_back(&m);
        }
        const int64_t n = sumAcrossRanks(all, local);
        if (n == 0) return;
        for (const auto& layer : scored) {
            const auto& a = graph.at(layer).shape;
            const double count = static_cast<double>(n) * static_cast<double>(a.h * a.w);
            auto& s = sums[layer];
            const auto& m = batchSums.at(layer);
            for (size_t i = 0; i < s.size(); ++i) s[i] += std::fabs(m[i] / count);
        }
    }

    void accumulateTaylorBN(const data::Batch& batch) {
        for (const auto& [layer, bn] : bnAfter) {
            net->param(bn, "weight").requires_grad_(true);
            net->param(bn, "bias").requires_grad_(true);
        }
        std::map<std::string, std::vector<double>> contribution;
        const int64_t local = batch.size();
        if (local > 0) loss(batch).backward();
        for (const auto& [layer, bn] : bnAfter) {
            auto& w = net->param(bn, "weight");
            auto& b = net->param(bn, "bias");
            if (local == 0) {
                contribution[layer].assign(static_cast<size_t>(w.numel()), 0.0);
                continue;
            }
            auto c = (w.detach() * w.grad() + b.detach() * b.grad()).to(torch::kFloat64).contiguous();
            contribution[layer].assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
            w.mutable_grad() = torch::Tensor();
            b.mutable_grad() = torch::Tensor();
        }
        std::vector<std::vector<double>*> all;
        for (auto& [layer, c] : contribution) all.push_back(&c);
        if (sumAcrossRanks(all, local) == 0) return;
        for (int id : cg.prunableGroups()) {
            double sum = 0.0;
            for (int a : cg.groups()[id].atoms) {
                const Atom& atom = cg.atoms()[a];
                if (atom.kind == Atom::Kind::Filter) sum += contribution.at(atom.layer)[atom.index];
            }
            groupSums[id] += sum * sum;
        }
        for (const auto& [layer, c] : contribution)
            for (size_t i = 0; i < c.size(); ++i) sums[layer][i] += c[i] * c[i];
    }

    void dataFree() {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        for (const auto& layer : scored) {
            auto& s = sums[layer];
            const auto& node = graph.at(layer);
            if (criterion == Criterion::L1) {
                const auto& w = node.param("weight");
                const size_t per = static_cast<size_t>(w.numel()) / s.size();
                for (size_t o = 0; o < s.size(); ++o)
                    for (size_t i = 0; i < per; ++i) s[o] += std::fabs(w.data[o * per + i]);
            } else if (criterion == Criterion::BNGamma) {
                const auto& gamma = graph.at(bnAfter.at(layer)).param("weight").data;
                for (size_t o = 0; o < s.size(); ++o) s[o] = std::fabs(gamma[o]);
            } else if (criterion == Criterion::Random) {
                for (auto& v : s) v = uniform(rng);
            }
        }
    }
};

Scorer::Scorer(const graph::Graph& graph, const ChannelGraph& channels, Criterion criterion, uint32_t seed)
    : impl_(std::make_unique<Impl>(graph, channels, criterion, seed)) {
    if (!needsData(criterion)) impl_->dataFree();
}

Scorer::~Scorer() = default;

void Scorer::setMaxMicroBatch(int images) { impl_->maxMicroBatch = std::max(0, images); }

int Scorer::microBatch(int batchSize) const { return impl_->microBatch(batchSize); }

void Scorer::setGroup(dist::Group* group) { impl_->group = group; }

void Scorer::accumulate(const data::Batch& batch) {
    if (!needsData(impl_->criterion)) return;
    if (batch.size() == 0 && !impl_->group) return;
    if (impl_->criterion == Criterion::Taylor)
        impl_->accumulateTaylor(batch);
    else
        impl_->accumulateTaylorBN(batch);
    ++impl_->batches;
}

std::vector<exec::ExecStep> Scorer::lastSteps() const {
    return impl_->net ? impl_->net->lastSteps() : std::vector<exec::ExecStep>();
}

Scores Scorer::finish(double flopsLambda) const {
    return finish(flopsLambda, flopsLambda > 0.0 ? macsPerGroup(impl_->graph, impl_->cg) : std::vector<double>{});
}

Scores Scorer::finish(double lambda, const std::vector<double>& saved) const {
    const auto& d = *impl_;
    if (needsData(d.criterion) && d.batches == 0) throw Error("no mini-batches were scored (empty training data?)");
    Scores out;
    out.batches = d.batches;
    const double n = std::max(1, d.batches);
    for (const auto& [layer, s] : d.sums) {
        auto& v = out.layers[layer];
        for (double x : s) v.push_back(x / n);
    }
    // Per-layer L2 normalisation makes layers of different depth comparable (Taylor, L1).
    const bool normalise = d.criterion == Criterion::Taylor || d.criterion == Criterion::L1;
    std::map<std::string, double> norm;
    for (const auto& [layer, v] : out.layers) {
        double sq = 0.0;
        for (double x : v) sq += x * x;
        norm[layer] = normalise && sq > 0.0 ? std::sqrt(sq) : 1.0;
    }
    out.groups.assign(d.cg.groups().size(), std::numeric_limits<double>::infinity());
    for (int id : d.cg.prunableGroups()) {
        if (d.criterion == Criterion::TaylorBN) {
            out.groups[id] = d.groupSums[id] / n;
            continue;
        }
        double sum = 0.0;
        for (int a : d.cg.groups()[id].atoms) {
            const Atom& atom = d.cg.atoms()[a];
            if (atom.kind == Atom::Kind::Filter) sum += out.layers.at(atom.layer)[atom.index] / norm.at(atom.layer);
        }
        out.groups[id] = sum;
    }
    if (lambda > 0.0) {
        if (saved.size() != d.cg.groups().size())
            throw Error("the cost regulariser has " + std::to_string(saved.size()) + " savings for " +
                        std::to_string(d.cg.groups().size()) + " channel groups");
        double most = 0.0;
        for (int id : d.cg.prunableGroups()) most = std::max(most, saved[id]);
        if (most > 0.0)
            for (int id : d.cg.prunableGroups()) out.groups[id] -= lambda * saved[id] / most;
    }
    return out;
}

}  // namespace fp::prune
