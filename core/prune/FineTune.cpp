#include "prune/FineTune.h"

#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "util/Errors.h"

namespace fp::prune {

namespace {

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

// Next batch, starting a new pass when one ends; false only when the source is empty.
bool nextBatch(data::BatchSource& source, data::Batch& batch, uint64_t& pass, uint64_t seed) {
    if (source.next(batch) && batch.size() > 0) return true;
    source.restart(seed * 1000003ULL + ++pass);
    return source.next(batch) && batch.size() > 0;
}

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
            if (cancelled(cancel)) throw Error("cancelled while fitting the identification head");
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
        if (cancelled(cancel)) throw Error("cancelled while fitting the identification head");
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

double fineTune(graph::Graph& g, data::BatchSource& source, const FineTuneOptions& opt,
                const std::atomic<bool>* cancel, const std::function<void(int)>& progress) {
    if (opt.steps <= 0) return 0.0;
    if (!g.hasHead()) throw Error("fine-tuning needs an identification head");
    exec::TorchGraph net(g);
    net.setTraining(true);
    net.setParametersRequireGrad(true);
    torch::manual_seed(opt.seed);
    torch::optim::SGD sgd(net.parameters(), torch::optim::SGDOptions(opt.learningRate)
                                                .momentum(opt.momentum)
                                                .weight_decay(opt.weightDecay));
    uint64_t pass = 0;
    source.restart(opt.seed * 1000003ULL);
    data::Batch batch;
    double total = 0.0;
    int done = 0;
    for (; done < opt.steps && !cancelled(cancel); ++done) {
        if (!nextBatch(source, batch, pass, opt.seed)) throw Error("no training images to fine-tune on");
        if (batch.size() < 2) continue;  // BatchNorm in train mode needs two samples
        sgd.zero_grad();
        auto out = net.forward(exec::toTorch(batch.images), {g.logitsName()});
        auto loss = torch::cross_entropy_loss(out.at(g.logitsName()), torch::tensor(batch.labels, torch::kLong));
        loss.backward();
        sgd.step();
        total += loss.item<double>();
        if (progress) progress(done + 1);
    }
    net.writeBack(g);
    return done ? total / done : 0.0;
}

}  // namespace fp::prune
