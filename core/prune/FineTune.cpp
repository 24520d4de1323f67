#include "prune/FineTune.h"

#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "train/Trainer.h"
#include "util/Errors.h"

namespace fp::prune {

namespace {

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

}  // namespace

double fitLinearHead(graph::Graph& g, data::BatchSource& source, const HeadFitOptions& opt,
                     const std::atomic<bool>* cancel) {
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
    if (feats.empty()) throw Error("no training images to fit the identification head on");
    auto x = torch::cat(feats);
    auto y = torch::cat(labels);
    // Standardise scale so one learning rate suits embeddings of any magnitude.
    const double scale = 1.0 / std::max(1e-6, x.norm(2, 1).mean().item<double>());
    x = x * scale;

    const int64_t dim = x.size(1), classes = source.numClasses();
    torch::manual_seed(opt.seed);
    auto w = (torch::randn({classes, dim}) * 0.01).requires_grad_(true);
    auto b = torch::zeros({classes}).requires_grad_(true);
    torch::optim::SGD sgd({w, b}, torch::optim::SGDOptions(opt.learningRate).momentum(0.9));
    for (int step = 0; step < opt.steps; ++step) {
        if (cancelled(cancel)) throw Cancelled("cancelled while fitting the identification head");
        sgd.zero_grad();
        auto loss = torch::cross_entropy_loss(torch::linear(x, w, b), y);
        loss.backward();
        sgd.step();
    }
    const double accuracy = torch::linear(x, w, b).argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();

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
                const std::atomic<bool>* cancel, const std::function<void(int)>& progress) {
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
    if (progress) trainer.setProgress([&progress](const train::TrainProgress& p) { progress(p.step); });
    return trainer.run().meanLoss;
}

}  // namespace fp::prune
