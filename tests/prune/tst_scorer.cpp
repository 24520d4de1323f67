// Criteria: Taylor scores equal values computed by hand on a tiny network and
// the same scores computed with weight gradients switched on, or in micro-batches;
// baselines rank as their definitions say.
#include <QtTest>

#include <sys/resource.h>

#include <thread>

#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "models/ModelLoader.h"
#include "models/ModelZoo.h"
#include "prune/ChannelGraph.h"
#include "prune/CostModel.h"
#include "prune/LatencyModel.h"
#include "prune/Scorer.h"
#include "train/Head.h"
#include "util/Errors.h"

using namespace fp;
using namespace fp::graph;

namespace {

// input 1x2x2 -> convA 1x1 (3 filters, bias) -> convB 1x1 (2 filters) -> GAP ->
// embedding (2) -> head (2 classes). convA's three filters are the only prunable group.
Graph tinyNet() {
    GraphBuilder b("tiny", {1, 2, 2}, 5);
    auto a = b.conv(b.input(), "convA", {.out = 3, .kernel = 1, .bias = true});
    auto c = b.conv(a, "convB", {.out = 2, .kernel = 1});
    auto emb = b.flatten(b.globalAvgPool(c, "gap"), "embedding");
    Graph g = b.finish(emb, b.linear(emb, "head", 2));
    g.at("convA").param("weight").data = {0.5f, -1.0f, 2.0f};
    g.at("convA").param("bias").data = {0.1f, 0.2f, -0.3f};
    g.at("convB").param("weight").data = {1.0f, 0.5f, -0.25f, -0.5f, 2.0f, 1.0f};  // [2][3]
    g.at("head").param("weight").data = {0.3f, -0.7f, -0.2f, 0.4f};               // [2][2]
    g.at("head").param("bias").data = {0.05f, -0.05f};
    return g;
}

data::Batch tinyBatch() {
    data::Batch b;
    b.images = Tensor({2, 1, 2, 2}, {1.f, 2.f, -1.f, 0.5f, -0.5f, 1.5f, 2.f, -2.f});
    b.labels = {0, 1};
    return b;
}

// |mean over batch and positions of a * dL/da| for convA, by hand.
std::vector<double> handTaylor(const Graph& g, const data::Batch& batch) {
    const auto& wa = g.at("convA").param("weight").data;
    const auto& ba = g.at("convA").param("bias").data;
    const auto& wb = g.at("convB").param("weight").data;
    const auto& wh = g.at("head").param("weight").data;
    const auto& bh = g.at("head").param("bias").data;
    const int n = 2, positions = 4;
    std::vector<double> sum(3, 0.0);
    for (int s = 0; s < n; ++s) {
        const float* x = batch.images.data.data() + s * positions;
        double e[2] = {0, 0};  // embedding = mean over positions of convB output
        for (int p = 0; p < positions; ++p)
            for (int k = 0; k < 2; ++k)
                for (int j = 0; j < 3; ++j) e[k] += wb[k * 3 + j] * (wa[j] * x[p] + ba[j]) / positions;
        double z[2], zmax = -1e30, denom = 0;
        for (int c = 0; c < 2; ++c) {
            z[c] = bh[c] + wh[c * 2] * e[0] + wh[c * 2 + 1] * e[1];
            zmax = std::max(zmax, z[c]);
        }
        for (double v : z) denom += std::exp(v - zmax);
        double dz[2];
        for (int c = 0; c < 2; ++c) dz[c] = (std::exp(z[c] - zmax) / denom - (batch.labels[s] == c)) / n;
        for (int j = 0; j < 3; ++j)
            for (int p = 0; p < positions; ++p) {
                double grad = 0;  // dL/da_j at (s, p)
                for (int k = 0; k < 2; ++k) grad += (dz[0] * wh[k] + dz[1] * wh[2 + k]) * wb[k * 3 + j] / positions;
                sum[j] += (wa[j] * x[p] + ba[j]) * grad;
            }
    }
    for (auto& v : sum) v = std::fabs(v / (n * positions));
    return sum;
}

// Random images of the model's input size from LibTorch's current seed, one per label.
data::Batch randomBatch(const Graph& g, std::vector<int64_t> labels) {
    const auto& in = g.at(g.inputName()).inputShape;
    data::Batch batch;
    batch.images = exec::fromTorch(torch::randn({int64_t(labels.size()), in.c, in.h, in.w}));
    batch.labels = std::move(labels);
    return batch;
}

// Activations that feed other in-place steps: a ReLU6 straight into a ReLU, and a ReLU whose only
// consumer is a residual sum (neither may write over an output its activation keeps).
Graph chainedActivationsNet() {
    GraphBuilder b("chained", {3, 24, 24}, 10);
    auto x = b.relu(b.batchNorm(b.conv(b.input(), "stem", {.out = 8, .kernel = 3, .pad = 1}), "stem.bn"), "stem.relu");
    auto a = b.clip(b.batchNorm(b.conv(x, "a", {.out = 8, .kernel = 3, .pad = 1}), "a.bn"), "a.relu6", 0.f, 6.f);
    a = b.relu(a, "a.relu");
    auto r = b.relu(b.batchNorm(b.conv(a, "r", {.out = 8, .kernel = 1}), "r.bn"), "r.relu");
    auto sum = b.relu(b.add({r, x}, "sum"), "sum.relu");
    auto emb = b.flatten(b.globalAvgPool(sum, "gap"), "embedding");
    return b.finish(emb, b.linear(emb, "head", 10));
}

}  // namespace

class TestScorer : public QObject {
    Q_OBJECT
private slots:
    void taylorEqualsHandComputedValues() {
        const Graph g = tinyNet();
        const prune::ChannelGraph cg(g);
        QCOMPARE(cg.prunableGroups().size(), size_t(3));
        prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
        scorer.accumulate(tinyBatch());
        const auto scores = scorer.finish();
        const auto expected = handTaylor(g, tinyBatch());
        const auto& got = scores.layers.at("convA");
        double norm = 0;
        for (double v : expected) norm += v * v;
        norm = std::sqrt(norm);
        for (int j = 0; j < 3; ++j) {
            QVERIFY2(std::fabs(got[j] - expected[j]) <= 1e-6 * std::max(1.0, expected[j]),
                     qPrintable(QString("filter %1: %2 vs %3").arg(j).arg(got[j]).arg(expected[j])));
            // Group score: the layer-normalised value (a single member).
            const int group = cg.groupOfAtom(cg.filterAtom("convA", j)).id;
            QVERIFY(std::fabs(scores.groups[group] - expected[j] / norm) < 1e-6);
        }
    }

    void weightGradientsDoNotChangeScores() {
        const Graph g = tinyNet();
        const prune::ChannelGraph cg(g);
        prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
        scorer.accumulate(tinyBatch());
        const auto got = scorer.finish().layers.at("convA");

        // The same quantity the usual way: weights require gradients, hooks on the activation.
        exec::TorchGraph net(g);
        net.setParametersRequireGrad(true);
        net.setCapture({"convA"});
        const auto batch = tinyBatch();
        auto out = net.forward(exec::toTorch(batch.images), {"head"});
        torch::cross_entropy_loss(out.at("head"), torch::tensor(batch.labels, torch::kLong)).backward();
        QVERIFY(net.param("convA", "weight").grad().defined());
        const auto& a = net.captured().at("convA");
        auto reference = (a.detach() * a.grad()).mean({0, 2, 3}).abs();
        for (int j = 0; j < 3; ++j) QCOMPARE(float(got[j]), reference[j].item<float>());
    }

    // Scoring folds each eval-mode BatchNorm into its conv, and the ReLU, ReLU6 or PReLU after a
    // scored conv sums its products in its own backward pass. The scores stay those of the conv's
    // own output, computed here the usual way (nothing folded or fused, weights requiring
    // gradients, retained activation gradients): on MobileNetV2 (depthwise convs, ReLU6, residuals)
    // with BatchNorm statistics far from the identity, on SqueezeNet (ReLUs whose gradients arrive
    // as channel slices of a concat's), on ResNet50 (ReLUs after residual sums), and on the
    // pretrained MobileFaceNet (PReLUs). Scoring writes activations over their inputs and works
    // back from the outputs: a PReLU divides by its slope, so only when every slope is positive
    // (MobileFaceNet's trained PReLUs each have some negative ones; a second row makes them positive).
    void foldedAndFusedPassesGiveTheUsualScores_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<bool>("positiveSlopes");
        QTest::newRow("mobilenetv2") << "mobilenetv2" << false;
        QTest::newRow("squeezenet") << "squeezenet" << false;
        QTest::newRow("resnet50") << "resnet50" << false;
        QTest::newRow("mobilefacenet") << "mobilefacenet" << false;
        QTest::newRow("mobilefacenet, every slope positive") << "mobilefacenet" << true;
        QTest::newRow("chained activations") << "chained" << false;
    }

    void foldedAndFusedPassesGiveTheUsualScores() {
        QFETCH(QString, model);
        QFETCH(bool, positiveSlopes);
        Graph g;
        torch::manual_seed(5);
        if (model == "mobilefacenet") {
            g = models::loadModel("mobilefacenet");
            train::prepareHead(g, 10, train::LossKind::Softmax, nullptr, 5);
            for (auto& n : g.nodes())
                if (n.op == Op::PReLU && positiveSlopes)
                    for (auto& a : n.param("slope").data) a = std::fabs(a) + 0.01f;
        } else {
            g = model == "chained" ? chainedActivationsNet() : models::buildZooModel(model.toStdString(), {.numClasses = 10});
            for (auto& n : g.nodes()) {
                if (n.op != Op::BatchNorm) continue;
                const int64_t c = n.param("weight").numel();
                n.param("weight") = exec::fromTorch(torch::rand({c}) + 0.5);
                n.param("bias") = exec::fromTorch(torch::randn({c}) * 0.3);
                n.param("running_mean") = exec::fromTorch(torch::randn({c}) * 0.3);
                n.param("running_var") = exec::fromTorch(torch::rand({c}) + 0.5);
            }
        }
        const prune::ChannelGraph cg(g);
        const data::Batch batch = randomBatch(g, {1, 7, 3, 7});
        prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
        scorer.accumulate(batch);
        const auto got = scorer.finish().layers;

        // The usual way, in float and in double precision: per layer, the scores, and the size of
        // the products they sum (the largest mean over a channel of |a * dL/da|). A score is the
        // absolute value of a sum whose terms largely cancel, so its rounding error is measured
        // against that size.
        std::vector<std::string> layers;
        for (const auto& [layer, unused] : got) layers.push_back(layer);
        const auto usualScores = [&](torch::ScalarType type) {
            exec::TorchGraph net(g);
            for (const auto& n : g.nodes())
                for (const auto& [key, unused] : n.params) net.param(n.name, key) = net.param(n.name, key).to(type);
            net.setParametersRequireGrad(true);
            net.setCapture(layers);
            auto out = net.forward(exec::toTorch(batch.images).to(type), {g.logitsName()});
            torch::cross_entropy_loss(out.at(g.logitsName()), torch::tensor(batch.labels, torch::kLong)).backward();
            std::map<std::string, std::pair<torch::Tensor, double>> scores;
            for (const auto& layer : layers) {
                const auto& a = net.captured().at(layer);
                const auto products = (a.detach() * a.grad()).to(torch::kFloat64);
                scores[layer] = {products.mean({0, 2, 3}).abs(), products.abs().mean({0, 2, 3}).max().item<double>()};
            }
            return scores;
        };
        const auto usual = usualScores(torch::kFloat32), exact = usualScores(torch::kFloat64);
        double worst = 0, usualWorst = 0;
        std::string worstLayer;
        for (const auto& layer : layers) {
            const auto& [truth, scale] = exact.at(layer);
            QVERIFY2(truth.max().item<double>() > 0, layer.c_str());
            for (size_t i = 0; i < got.at(layer).size(); ++i) {
                const double t = truth[int64_t(i)].item<double>();
                const double error = std::fabs(got.at(layer)[i] - t) / scale;
                if (error > worst) std::tie(worst, worstLayer) = std::pair{error, layer};
                usualWorst = std::max(usualWorst, std::fabs(usual.at(layer).first[int64_t(i)].item<double>() - t) / scale);
            }
        }
        qInfo("%zu layers; largest error, relative to the size of the products summed: %.2g (%s), usual float "
              "computation %.2g", layers.size(), worst, worstLayer.c_str(), usualWorst);
        // ResNet50 with these BatchNorms is ill-conditioned (activations ~30): float itself errs by ~5e-4.
        QVERIFY(worst < std::max(1e-5, 4 * usualWorst));
    }

    // Jobs score on worker threads. After the first batch, the next ones reuse its memory instead
    // of asking the OS for fresh pages: with a glibc arena of its own, a worker thread page-faulted
    // ~70k times on every batch (now: none), and scored 2.5-3.5x slower.
    void scoringOnAWorkerThreadReusesItsMemory() {
#ifdef __SANITIZE_ADDRESS__
        QSKIP("AddressSanitizer holds freed memory back (its quarantine), so no allocator reuses it");
#endif
        const Graph g = models::buildZooModel("mobilenetv2", {.numClasses = 10});
        const prune::ChannelGraph cg(g);
        torch::manual_seed(4);
        // Batch 32: maps larger than a thread arena's 64 MiB heaps are where it went wrong.
        std::vector<int64_t> labels;
        for (int i = 0; i < 32; ++i) labels.push_back(i % 10);
        const data::Batch batch = randomBatch(g, labels);
        const auto minorFaults = [] {
            rusage r{};
            getrusage(RUSAGE_SELF, &r);
            return double(r.ru_minflt);
        };
        std::vector<double> faults;
        std::thread worker([&] {
            prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
            for (int i = 0; i < 3; ++i) {
                const double before = minorFaults();
                scorer.accumulate(batch);
                faults.push_back(minorFaults() - before);
            }
        });
        worker.join();
        qInfo("page faults per batch on a worker thread: %.0f, %.0f, %.0f", faults[0], faults[1], faults[2]);
        // A batch's activations take ~1 GB (250k pages); without one arena for all threads the third
        // batch faulted 69k pages in again. How many the first faults depends on the tests before it.
        QVERIFY(faults[2] < 20000);
    }

    void scoresAverageOverBatches() {
        const Graph g = tinyNet();
        const prune::ChannelGraph cg(g);
        prune::Scorer once(g, cg, prune::Criterion::Taylor), twice(g, cg, prune::Criterion::Taylor);
        once.accumulate(tinyBatch());
        twice.accumulate(tinyBatch());
        twice.accumulate(tinyBatch());
        QCOMPARE(twice.finish().batches, 2);
        QCOMPARE(once.finish().layers.at("convA"), twice.finish().layers.at("convA"));
    }

    // A batch scored in micro-batches (4 + 2 images) gives the scores of the whole batch at once;
    // ResNet50's batch of 32 is split to stay within the activation budget, a small net's is not.
    void microBatchesGiveTheSameScores() {
        const Graph g = models::buildZooModel("squeezenet", {.numClasses = 10});
        const prune::ChannelGraph cg(g);
        torch::manual_seed(3);
        const data::Batch batch = randomBatch(g, {0, 3, 5, 9, 3, 1});
        prune::Scorer whole(g, cg, prune::Criterion::Taylor), parts(g, cg, prune::Criterion::Taylor);
        parts.setMaxMicroBatch(4);
        QCOMPARE(whole.microBatch(6), 6);
        QCOMPARE(parts.microBatch(6), 4);
        whole.accumulate(batch);
        parts.accumulate(batch);
        const auto a = whole.finish(), b = parts.finish();
        double worst = 0;
        for (const auto& [layer, scores] : a.layers) {
            double largest = 0;
            for (double s : scores) largest = std::max(largest, s);
            for (size_t i = 0; i < scores.size(); ++i)
                worst = std::max(worst, std::fabs(scores[i] - b.layers.at(layer)[i]) / largest);
        }
        qInfo("largest difference, relative to each layer's largest score: %.2g", worst);
        QVERIFY(worst < 1e-4);

        const Graph resnet = models::buildZooModel("resnet50", {.numClasses = 10});
        const prune::ChannelGraph rcg(resnet);
        const prune::Scorer big(resnet, rcg, prune::Criterion::Taylor);
        qInfo("resnet50: a batch of 32 is scored %d images at a time", big.microBatch(32));
        QVERIFY(big.microBatch(32) < 32);
    }

    // Molchanov 2019: (gamma * dL/dgamma + beta * dL/dbeta)^2 per filter, against the same network
    // written out in torch's functional API; a group's score is its filter's, with no normalisation.
    void taylorBnEqualsAFunctionalReference() {
        GraphBuilder b("tiny-bn", {1, 2, 2}, 5);
        auto a = b.batchNorm(b.conv(b.input(), "convA", {.out = 3, .kernel = 1}), "bnA");
        auto c = b.conv(b.relu(a, "reluA"), "convB", {.out = 2, .kernel = 1});
        auto emb = b.flatten(b.globalAvgPool(c, "gap"), "embedding");
        Graph g = b.finish(emb, b.linear(emb, "head", 2));
        g.at("convA").param("weight").data = {0.5f, -1.0f, 2.0f};
        g.at("bnA").param("weight").data = {1.2f, 0.7f, -0.4f};
        g.at("bnA").param("bias").data = {0.1f, 0.3f, 0.2f};
        g.at("bnA").param("running_mean").data = {0.05f, -0.1f, 0.2f};
        g.at("bnA").param("running_var").data = {0.9f, 1.1f, 0.6f};
        g.at("convB").param("weight").data = {1.0f, 0.5f, -0.25f, -0.5f, 2.0f, 1.0f};
        g.at("head").param("weight").data = {0.3f, -0.7f, -0.2f, 0.4f};
        g.at("head").param("bias").data = {0.05f, -0.05f};
        const prune::ChannelGraph cg(g);
        prune::Scorer scorer(g, cg, prune::Criterion::TaylorBN);
        scorer.accumulate(tinyBatch());
        const auto scores = scorer.finish();

        auto t = [&](const char* node, const char* key) { return exec::toTorch(g.at(node).param(key)); };
        auto gamma = t("bnA", "weight").requires_grad_(true), beta = t("bnA", "bias").requires_grad_(true);
        const auto batch = tinyBatch();
        auto x = torch::conv2d(exec::toTorch(batch.images), t("convA", "weight"));
        x = torch::batch_norm(x, gamma, beta, t("bnA", "running_mean"), t("bnA", "running_var"), false, 0.1,
                              g.at("bnA").eps, false);
        x = torch::conv2d(torch::relu(x), t("convB", "weight")).mean({2, 3});
        auto logits = torch::linear(x, t("head", "weight"), t("head", "bias"));
        torch::cross_entropy_loss(logits, torch::tensor(batch.labels, torch::kLong)).backward();
        const auto expected = (gamma * gamma.grad() + beta * beta.grad()).pow(2);
        for (int j = 0; j < 3; ++j) {
            const double want = expected[j].item<double>();
            QVERIFY2(std::fabs(scores.layers.at("convA")[j] - want) <= 1e-6 * std::max(1e-3, want),
                     qPrintable(QString("filter %1: %2 vs %3").arg(j).arg(scores.layers.at("convA")[j]).arg(want)));
            const int group = cg.groupOfAtom(cg.filterAtom("convA", j)).id;
            QVERIFY(std::fabs(scores.groups[group] - want) <= 1e-6 * std::max(1e-3, want));
        }
    }

    // The FLOPs regulariser: a large lambda puts the group that saves the most MACs first in line.
    void flopsRegulariserFavoursCostlyGroups() {
        const Graph g = models::buildZooModel("squeezenet");
        const prune::ChannelGraph cg(g);
        const prune::Scorer scorer(g, cg, prune::Criterion::L1);
        const auto plain = scorer.finish(), costly = scorer.finish(10.0);
        const auto saved = prune::macsPerGroup(g, cg);
        const auto lowest = [&](const std::vector<double>& s) {
            int best = -1;
            for (int id : cg.prunableGroups())
                if (best < 0 || s[id] < s[best]) best = id;
            return best;
        };
        double most = 0;
        for (int id : cg.prunableGroups()) most = std::max(most, saved[id]);
        QVERIFY(saved[lowest(plain.groups)] < most);  // without it, the weakest filter saves less
        QCOMPARE(saved[lowest(costly.groups)], most);
    }

    // The latency regulariser: every conv of MobileNetV2 takes measurable time, and a large weight
    // puts the group whose removal saves the most measured time first in line.
    void latencyRegulariserFavoursSlowGroups() {
        const Graph g = models::buildZooModel("mobilenetv2");
        const prune::ChannelGraph cg(g);
        const auto seconds = prune::measureNodeSeconds(g, 2, 3);
        QCOMPARE(seconds.size(), g.nodes().size());
        for (size_t i = 0; i < seconds.size(); ++i)
            if (g.nodes()[i].op == Op::Conv2d) QVERIFY2(seconds[i] > 0.0, g.nodes()[i].name.c_str());
        const auto saved = prune::savingPerGroup(g, cg, seconds);
        const prune::Scorer scorer(g, cg, prune::Criterion::L1);
        const auto slow = scorer.finish(10.0, saved);
        int lowest = -1;
        double most = 0;
        for (int id : cg.prunableGroups()) {
            if (lowest < 0 || slow.groups[id] < slow.groups[lowest]) lowest = id;
            most = std::max(most, saved[id]);
        }
        QVERIFY(most > 0.0);
        QCOMPARE(saved[lowest], most);
        QVERIFY_THROWS_EXCEPTION(Error, scorer.finish(1.0, std::vector<double>(3, 1.0)));
    }

    // A group's saving is what it writes of each layer's cost (split over the layer's outputs) plus
    // what it reads of convs and linears (split over their inputs).
    void savingsSplitEachLayerOverItsChannels() {
        const Graph g = tinyNet();
        const prune::ChannelGraph cg(g);
        std::vector<double> cost(g.nodes().size(), 0.0);
        cost[g.indexOf("convA")] = 3.0;  // written by convA's three filters: 1 each
        cost[g.indexOf("convB")] = 6.0;  // reads convA's three channels: 2 each
        const auto saved = prune::savingPerGroup(g, cg, cost);
        for (int j = 0; j < 3; ++j) QCOMPARE(saved[cg.groupOfAtom(cg.filterAtom("convA", j)).id], 3.0);
    }

    // Channels tied by a residual Add form one group with two members; its score is the sum of the
    // members' layer-normalised scores.
    void tiedChannelsSumTheirNormalisedScores() {
        GraphBuilder b("tied", {2, 3, 3}, 5);
        auto a = b.conv(b.input(), "convA", {.out = 4, .kernel = 1});
        auto c = b.conv(b.input(), "convB", {.out = 4, .kernel = 1});
        auto d = b.conv(b.relu(b.add({a, c}, "sum"), "relu"), "convC", {.out = 3, .kernel = 1});
        auto emb = b.flatten(b.globalAvgPool(d, "gap"), "embedding");  // convC's channels: the embedding's
        const Graph g = b.finish(emb, b.linear(emb, "head", 2));
        const prune::ChannelGraph cg(g);
        QCOMPARE(cg.prunableGroups().size(), size_t(4));
        const auto scores = prune::Scorer(g, cg, prune::Criterion::L1).finish();
        const auto norm = [](const std::vector<double>& v) {
            double sq = 0;
            for (double x : v) sq += x * x;
            return std::sqrt(sq);
        };
        const auto& la = scores.layers.at("convA");
        const auto& lb = scores.layers.at("convB");
        for (int j = 0; j < 4; ++j) {
            const auto& group = cg.groupOfAtom(cg.filterAtom("convA", j));
            QCOMPARE(group.id, cg.groupOfAtom(cg.filterAtom("convB", j)).id);
            QCOMPARE(group.members.size(), size_t(2));
            QVERIFY(std::fabs(scores.groups[group.id] - (la[j] / norm(la) + lb[j] / norm(lb))) < 1e-9);
        }
    }

    void l1RanksBySmallerFilters() {
        const Graph g = tinyNet();
        const prune::ChannelGraph cg(g);
        prune::Scorer scorer(g, cg, prune::Criterion::L1);
        const auto s = scorer.finish();
        QCOMPARE(s.layers.at("convA"), (std::vector<double>{0.5, 1.0, 2.0}));
        const auto group = [&](int j) { return s.groups[cg.groupOfAtom(cg.filterAtom("convA", j)).id]; };
        QVERIFY(group(0) < group(1) && group(1) < group(2));
    }

    void randomIsSeeded() {
        const Graph g = tinyNet();
        const prune::ChannelGraph cg(g);
        QCOMPARE(prune::Scorer(g, cg, prune::Criterion::Random, 3).finish().groups,
                 prune::Scorer(g, cg, prune::Criterion::Random, 3).finish().groups);
        QVERIFY(prune::Scorer(g, cg, prune::Criterion::Random, 3).finish().groups !=
                prune::Scorer(g, cg, prune::Criterion::Random, 4).finish().groups);
    }

    void criteriaThatDoNotFitAreClearErrors() {
        const Graph g = tinyNet();  // no BatchNorm anywhere
        const prune::ChannelGraph cg(g);
        try {
            prune::Scorer(g, cg, prune::Criterion::TaylorBN);
            QFAIL("taylor-bn needs BatchNorm");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("convA"), e.what());
        }
        Graph headless = tinyNet();
        headless.setOutputs("embedding");
        headless.removeUnused();
        const prune::ChannelGraph cg2(headless);
        QVERIFY_THROWS_EXCEPTION(Error, prune::Scorer(headless, cg2, prune::Criterion::Taylor));
    }
};

QTEST_GUILESS_MAIN(TestScorer)
#include "tst_scorer.moc"
