#include "train/Head.h"

#include <cmath>

#include "data/SeededRandom.h"
#include "exec/Executor.h"
#include "util/Errors.h"

namespace fp::train {

namespace {

// Logits of a softmax head initialised at the class centres start at about this times the cosine.
constexpr double kSoftmaxInitScale = 10.0;

// Per class: the sum of unit-length embeddings, and the mean embedding length.
struct Centres {
    std::vector<std::vector<double>> sum;
    std::vector<int64_t> count;
    double meanNorm = 1.0;
};

Centres classCentres(const graph::Graph& g, int64_t classes, data::BatchSource& source, uint64_t seed) {
    exec::Executor net(g);
    const int64_t dim = g.at(g.embeddingName()).shape.c;
    Centres c{std::vector<std::vector<double>>(classes, std::vector<double>(dim, 0.0)),
              std::vector<int64_t>(classes, 0), 0.0};
    int64_t seen = 0;
    source.restart(seed);
    data::Batch batch;
    while (source.next(batch)) {
        const Tensor e = net.embed(batch.images);
        for (int64_t i = 0; i < batch.size(); ++i) {
            const int64_t label = batch.labels[i];
            if (label < 0 || label >= classes) continue;
            const float* v = e.data.data() + i * dim;
            double norm = 0.0;
            for (int64_t d = 0; d < dim; ++d) norm += double{v[d]} * v[d];
            norm = std::sqrt(norm);
            if (norm <= 0.0) continue;
            for (int64_t d = 0; d < dim; ++d) c.sum[label][d] += v[d] / norm;
            ++c.count[label];
            c.meanNorm += norm;
            ++seen;
        }
    }
    c.meanNorm = seen ? c.meanNorm / seen : 1.0;
    return c;
}

}  // namespace

bool prepareHead(graph::Graph& g, int64_t classes, LossKind kind, data::BatchSource* source, uint64_t seed) {
    if (classes < 2) throw Error("training an identification head needs at least two identities");
    const std::string emb = g.embeddingName();
    const graph::Node& e = g.at(emb);
    if (!e.shape.flat) throw GraphError("embedding '" + emb + "' is not a flat vector; it cannot feed a head");
    const bool margin = kind != LossKind::Softmax;

    if (g.hasHead()) {
        graph::Node& head = g.at(g.logitsName());
        if (head.op == graph::Op::Linear && head.outChannels == classes && head.inputs == std::vector{emb}) {
            if (margin) head.params.erase("bias");  // cosine logits have no bias
            return false;
        }
        g.setOutputs(emb);
        g.removeUnused();
    }

    const int64_t dim = e.shape.c;
    Tensor weight = Tensor::zeros({classes, dim});
    Centres centres;
    if (source) centres = classCentres(g, classes, *source, seed);
    data::SeededRandom rng(seed, 0x4ead);
    const double scale = margin ? 1.0 : kSoftmaxInitScale / centres.meanNorm;
    for (int64_t c = 0; c < classes; ++c) {
        std::vector<double> w(dim);
        if (source && centres.count[c] > 0) {
            w = centres.sum[c];
        } else {
            // Box-Muller from the seeded stream: the same weights on every platform.
            for (auto& v : w) v = std::sqrt(-2.0 * std::log(1.0 - rng.unit())) * std::cos(2 * M_PI * rng.unit());
        }
        double norm = 0.0;
        for (double v : w) norm += v * v;
        norm = std::max(std::sqrt(norm), 1e-12);
        for (int64_t d = 0; d < dim; ++d) weight.data[c * dim + d] = static_cast<float>(w[d] / norm * scale);
    }

    graph::Node head;
    head.name = g.find("head") ? "head.train" : "head";
    head.op = graph::Op::Linear;
    head.inputs = {emb};
    head.outChannels = classes;
    head.params["weight"] = std::move(weight);
    if (!margin) head.params["bias"] = Tensor::zeros({classes});
    const std::string name = head.name;
    g.add(std::move(head));
    g.setOutputs(emb, name);
    g.inferShapes();
    return true;
}

}  // namespace fp::train
