#include "prune/FineTune.h"

#include "dist/Group.h"
#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "train/Trainer.h"
#include "util/Errors.h"

namespace fp::prune {

namespace {

// Sums of this rank's values over every rank, in place (nothing alone).
void sumAcrossRanks(dist::Group* group, std::vector<torch::Tensor> tensors) {
    if (!group) return;
    std::vector<float> flat;
    for (const auto& t : tensors) {
        const auto c = t.contiguous().to(torch::kFloat);
        flat.insert(flat.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    group->allReduceSum(flat);
    int64_t offset = 0;
    for (auto& t : tensors) {
        t.copy_(torch::from_blob(flat.data() + offset, t.sizes(), torch::kFloat));
        offset += t.numel();
    }
}

}  // namespace

double fitLinearHead(graph::Graph& g, data::BatchSource& source, const HeadFitOptions& opt,
                     const CancelToken* cancel) {
    if (source.numClasses() < 2) throw Error("fitting a head needs at least two training identities");
    const std::string emb = g.embeddingName();
    if (!g.at(emb).shape.flat) throw GraphError("embedding '" + emb + "' is not a flat vector");

    // Embed the training set once; the head then trains on cached features.
    std::vector<torch::Tensor> feats, labels;
    {
        exec::TorchGraph net(g);
        torch::NoGradGuard noGrad;
        source.restart(opt.seed);
        data::Batch batch;
        while (source.next(batch)) {
            if (cancelled(cancel)) throw Cancelled("cancelled while fitting the identification head");
            feats.push_back(net.forward(exec::toTorch(batch.images), {emb}).at(emb));
            labels.push_back(torch::tensor(batch.labels, torch::kLong));
        }
    }
    if (feats.empty() && !opt.group) throw Error("no training images to fit the identification head on");
    auto x = feats.empty() ? torch::zeros({0, g.at(emb).shape.c}) : torch::cat(feats);
    auto y = labels.empty() ? torch::zeros({0}, torch::kLong) : torch::cat(labels);
    // Standardise scale so one learning rate suits embeddings of any magnitude.
    torch::Tensor norms = torch::tensor(
        {static_cast<float>(x.norm(2, 1).sum().item<double>()), static_cast<float>(x.size(0))}, torch::kFloat);
    sumAcrossRanks(opt.group, {norms});
    const double count = norms[1].item<double>();
    if (count == 0) throw Error("no training images to fit the identification head on");
    const double scale = 1.0 / std::max(1e-6, norms[0].item<double>() / count);
    x = x * scale;

    const int64_t dim = x.size(1), classes = source.numClasses();
    torch::manual_seed(opt.seed);
    auto w = (torch::randn({classes, dim}) * 0.01).requires_grad_(true);
    auto b = torch::zeros({classes}).requires_grad_(true);
    torch::optim::SGD sgd({w, b}, torch::optim::SGDOptions(opt.learningRate).momentum(0.9));
    for (int step = 0; step < opt.steps; ++step) {
        if (cancelled(cancel)) throw Cancelled("cancelled while fitting the identification head");
        sgd.zero_grad();
        // The mean over every rank's images: each sums its own, over the count of all.
        auto loss = torch::cross_entropy_loss(torch::linear(x, w, b), y, {}, at::Reduction::Sum) / count;
        loss.backward();
        {
            torch::NoGradGuard noGrad;
            sumAcrossRanks(opt.group, {w.mutable_grad(), b.mutable_grad()});
        }
        sgd.step();
    }
    torch::Tensor right = torch::linear(x, w, b).argmax(1).eq(y).sum().to(torch::kFloat).view({1});
    sumAcrossRanks(opt.group, {right});
    const double accuracy = right.item<double>() / count;

    // Replace any existing head by the fitted one (weights absorb the scale).
    if (g.hasHead()) {
        g.setOutputs(emb);
        g.removeUnused();
    }
    graph::Node head;
    head.name = g.find("head") ? "head.fitted" : "head";
    head.op = graph::Op::Linear;
    head.inputs = {emb};
    head.outChannels = classes;
    head.params["weight"] = exec::fromTorch(w.detach() * scale);
    head.params["bias"] = exec::fromTorch(b.detach());
    const std::string name = head.name;
    g.add(std::move(head));
    g.setOutputs(emb, name);
    g.inferShapes();
    return accuracy;
}

FineTuneOptions fineTuneOptions(const PruneConfig& c, uint64_t seed, const graph::Graph* teacher) {
    FineTuneOptions o;
    o.steps = c.finetuneSteps;
    o.learningRate = c.finetuneLearningRate;
    o.seed = seed;
    o.loss = c.finetuneLoss;
    o.schedule = c.finetuneSchedule;
    o.distillWeight = c.distillWeight;
    o.relationWeight = c.relationWeight;
    o.featureWeight = c.featureWeight;
    o.useLabels = c.finetuneLabels;
    o.teacher = teacher;
    return o;
}

double fineTune(graph::Graph& g, data::BatchSource& source, const FineTuneOptions& opt,
                const CancelToken* cancel, const ProgressSink& progress) {
    if (opt.steps <= 0) return 0.0;
    if (!g.hasHead()) throw Error("fine-tuning needs an identification head");
    train::TrainOptions t;
    t.steps = opt.steps;
    t.schedule.kind = opt.schedule;
    t.schedule.baseRate = opt.learningRate;
    t.momentum = opt.momentum;
    t.weightDecay = opt.weightDecay;
    t.loss.kind = opt.loss;
    t.distillWeight = opt.distillWeight;
    t.relationWeight = opt.relationWeight;
    t.featureWeight = opt.featureWeight;
    t.useLabels = opt.useLabels;
    t.cacheTeacher = false;  // a few steps each, on augmented views: the cache would rarely hit
    t.seed = opt.seed;
    train::Trainer trainer(g, source, t);
    if (opt.distillWeight > 0.0 || opt.relationWeight > 0.0 || opt.featureWeight > 0.0) {
        if (!opt.teacher) throw Error("fine-tuning with distillation needs the original model as teacher");
        trainer.setTeacher(*opt.teacher);
    }
    trainer.setCancel(cancel);
    trainer.setGroup(opt.group);
    if (progress)
        trainer.setProgress([&](const train::TrainProgress& p) { report(progress, 0, Phase::FineTuning, p.step, opt.steps); });
    return trainer.run().meanLoss;
}

}  // namespace fp::prune
