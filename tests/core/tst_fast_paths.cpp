// The executor's fast paths (BatchNorm folding, channels-last, oneDNN called directly with fused
// activations, scoring chains, in-place activations, fused backward passes) against the plain
// reference (exec/ExecutionMode.h: LibTorch's own ops, NCHW, autograd's own backward), on the five
// backbones: the pretrained MobileFaceNet and dlib ResNet, and the zoo's MobileNetV2, SqueezeNet and
// ResNet50 with BatchNorm statistics far from the identity. The embeddings agree, and so do the
// Taylor scores, closely enough that a 5% pruning step removes the same filter groups.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "data/Batch.h"
#include "exec/ExecutionMode.h"
#include "exec/Executor.h"
#include "graph/NormalisationFold.h"
#include "models/ModelLoader.h"
#include "models/ModelZoo.h"
#include "prune/ChannelGraph.h"
#include "prune/Planner.h"
#include "prune/Replay.h"
#include "prune/Scorer.h"
#include "train/Head.h"
#include "train/Trainer.h"

using namespace fp;

namespace {

// The model with an identification head of 10 classes (Taylor scores need one).
graph::Graph backbone(const std::string& name) {
    std::mt19937 rng(5);
    if (name == "mobilefacenet" || name == "faceapi-dlib") {
        graph::Graph g = models::loadModel(name);
        train::prepareHead(g, 10, train::LossKind::Softmax, nullptr, 5);
        return g;
    }
    graph::Graph g = models::buildZooModel(name, {.numClasses = 10});
    std::uniform_real_distribution<float> around1(0.5f, 1.5f);
    std::normal_distribution<float> spread(0.f, 0.3f);
    for (auto& n : g.nodes()) {
        if (n.op != graph::Op::BatchNorm) continue;
        for (auto& v : n.param("weight").data) v = around1(rng);
        for (auto& v : n.param("bias").data) v = spread(rng);
        for (auto& v : n.param("running_mean").data) v = spread(rng);
        for (auto& v : n.param("running_var").data) v = around1(rng);
    }
    return g;
}

data::Batch randomBatch(const graph::Graph& g) {
    const auto& in = g.at(g.inputName()).inputShape;
    data::Batch batch;
    batch.images = Tensor::zeros({4, in.c, in.h, in.w});
    std::mt19937 rng(7);
    std::normal_distribution<float> pixel;
    for (auto& v : batch.images.data) v = pixel(rng);
    batch.labels = {1, 7, 3, 7};
    return batch;
}

// The same batch, pass after pass.
class OneBatch : public data::BatchSource {
public:
    explicit OneBatch(data::Batch batch) : batch_(std::move(batch)) {}
    void restart(uint64_t) override { given_ = false; }
    bool next(data::Batch& batch) override {
        if (given_) return false;
        batch = batch_;
        given_ = true;
        return true;
    }
    int64_t batchesPerPass() const override { return 1; }
    int numClasses() const override { return 10; }

private:
    data::Batch batch_;
    bool given_ = false;
};

// Runs f with the plain reference executor, then turns the fast paths back on.
template <class F>
auto plainly(F&& f) {
    exec::setPlainExecution(true);
    try {
        auto result = f();
        exec::setPlainExecution(false);
        return result;
    } catch (...) {
        exec::setPlainExecution(false);
        throw;
    }
}

prune::Scores taylorScores(const graph::Graph& g, const prune::ChannelGraph& cg, const data::Batch& batch) {
    prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
    scorer.accumulate(batch);
    return scorer.finish();
}

// The groups a 5% step removes with these scores (as a pruning run ranks and selects them).
std::vector<int> fivePercentStep(const graph::Graph& g, const prune::ChannelGraph& cg, const prune::Scores& s) {
    std::vector<int> ranked = cg.prunableGroups();
    std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) { return s.groups[a] < s.groups[b]; });
    const auto count = std::max<int64_t>(1, std::llround(0.05 * static_cast<double>(ranked.size())));
    auto chosen = prune::selectGroups(g, cg, ranked, count, {});
    std::sort(chosen.begin(), chosen.end());
    return chosen;
}

}  // namespace

class TestFastPaths : public QObject {
    Q_OBJECT
private slots:
    void fastPathsMatchThePlainReference_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : {"mobilefacenet", "faceapi-dlib", "mobilenetv2", "squeezenet", "resnet50"})
            QTest::newRow(m) << m;
    }

    void fastPathsMatchThePlainReference() {
        QFETCH(QString, model);
        const graph::Graph g = backbone(model.toStdString());
        const data::Batch batch = randomBatch(g);

        // Embeddings within 1e-4 of their size.
        const Tensor fast = exec::Executor(g).embed(batch.images);
        const Tensor plain = plainly([&] { return exec::Executor(g).embed(batch.images); });
        QCOMPARE(fast.shape, plain.shape);
        double largest = 0, worst = 0;
        for (size_t i = 0; i < plain.data.size(); ++i) {
            largest = std::max(largest, std::fabs(double(plain.data[i])));
            worst = std::max(worst, std::fabs(double(fast.data[i]) - plain.data[i]));
        }
        QVERIFY(largest > 0);
        qInfo("embedding: largest difference %.2g of values up to %.3g", worst, largest);
        QVERIFY2(worst <= 1e-4 * largest, qPrintable(QString("embeddings differ by %1").arg(worst / largest)));

        // The exporter's fold (the graph rewritten) computes what the executor's run-time fold does.
        graph::Graph folded = g;
        const int normalisations = graph::foldNormalisations(folded);
        const Tensor rewritten = plainly([&] { return exec::Executor(folded).embed(batch.images); });
        double foldWorst = 0;
        for (size_t i = 0; i < plain.data.size(); ++i)
            foldWorst = std::max(foldWorst, std::fabs(double(rewritten.data[i]) - plain.data[i]));
        qInfo("%d normalisations folded into the graph: largest difference %.2g", normalisations, foldWorst);
        QVERIFY2(foldWorst <= 1e-4 * largest, qPrintable(QString("folded graph differs by %1").arg(foldWorst / largest)));

        // Taylor scores: per group, within 1% of the largest score. Each layer's scores are normalised
        // before they combine into groups, which magnifies the float rounding of a layer whose
        // products nearly cancel (MobileFaceNet's, whose PReLUs sum them in their backward pass).
        const prune::ChannelGraph cg(g);
        const auto fastScores = taylorScores(g, cg, batch);
        const auto plainScores = plainly([&] { return taylorScores(g, cg, batch); });
        double top = 0, scoreWorst = 0;
        for (int id : cg.prunableGroups()) top = std::max(top, plainScores.groups[id]);
        for (int id : cg.prunableGroups())
            scoreWorst = std::max(scoreWorst, std::fabs(fastScores.groups[id] - plainScores.groups[id]));
        QVERIFY(top > 0);
        qInfo("Taylor scores of %zu groups: largest difference %.2g of scores up to %.3g", cg.prunableGroups().size(),
              scoreWorst, top);
        QVERIFY2(scoreWorst <= 1e-2 * top, qPrintable(QString("scores differ by %1").arg(scoreWorst / top)));

        // A 5% step removes the same groups; where not, only among groups whose plain scores tie with
        // the step's last one (within the scores' difference).
        const auto fastStep = fivePercentStep(g, cg, fastScores), plainStep = fivePercentStep(g, cg, plainScores);
        std::vector<int> differing;
        std::set_symmetric_difference(fastStep.begin(), fastStep.end(), plainStep.begin(), plainStep.end(),
                                      std::back_inserter(differing));
        double cut = 0;
        for (int id : plainStep) cut = std::max(cut, plainScores.groups[id]);
        for (int id : differing)
            QVERIFY2(std::fabs(plainScores.groups[id] - cut) <= 2 * scoreWorst,
                     qPrintable(QString("group %1 (plain score %2, cut-off %3) is chosen by one way only")
                                    .arg(id)
                                    .arg(plainScores.groups[id])
                                    .arg(cut)));
        qInfo("5%% step: %zu groups, %zu chosen differently (ties at the cut-off)", plainStep.size(), differing.size());
        QVERIFY(!plainStep.empty());
    }

    // Training steps (channels-last; MobileFaceNet's PReLUs learn their slopes through a one-pass
    // backward) end where the plain reference's end.
    void trainingStepsMatchThePlainReference() {
        const graph::Graph start = backbone("mobilefacenet");
        OneBatch source(randomBatch(start));
        const auto train = [&] {
            graph::Graph g = start;
            train::TrainOptions o;
            o.steps = 3;
            o.schedule.baseRate = 0.001;
            train::Trainer trainer(g, source, o);
            trainer.run();
            return g;
        };
        const graph::Graph fast = train(), plain = plainly(train);
        const double moved = prune::maxWeightDifference(plain, start), differ = prune::maxWeightDifference(fast, plain);
        qInfo("3 steps moved the weights by up to %.3g; fast and plain differ by %.2g", moved, differ);
        QVERIFY(moved > 1e-4);
        // Channels-last convolutions sum in another order than NCHW ones: parameters whose gradients
        // are sums that largely cancel (biases) move by slightly different amounts.
        QVERIFY2(differ <= 1e-2 * moved, qPrintable(QString("fast and plain training differ by %1").arg(differ)));
    }

    // The step record says which paths ran: MobileFaceNet's inference fuses convs with the PReLU after
    // them and MobileNetV2's folds its BatchNorms; MobileFaceNet's scoring pass runs conv chains and
    // sums products in their backward passes; the plain reference runs every node as LibTorch's op.
    void stepsNameThePathsTaken() {
        const graph::Graph g = backbone("mobilefacenet");
        const data::Batch batch = randomBatch(g);
        const auto count = [](const std::vector<exec::ExecStep>& steps, exec::ExecStep::Kind kind) {
            return std::count_if(steps.begin(), steps.end(), [&](const exec::ExecStep& s) { return s.kind == kind; });
        };
        using K = exec::ExecStep::Kind;
        const auto inference = exec::Executor(g).steps(batch.images);
#ifdef FP_DIRECT_ONEDNN
        QVERIFY(count(inference, K::ConvAct) > 0);
#else
        // Built without the direct oneDNN path (FACEPRUNE_FAST_PATHS off, or no oneDNN 2.x): no fused convs.
        QCOMPARE(count(inference, K::ConvAct), 0);
        QCOMPARE(count(inference, K::DirectConv), 0);
#endif
        // The npm MobileFaceNet comes with its BatchNorms folded already; MobileNetV2 has its own.
        const graph::Graph withBatchNorms = backbone("mobilenetv2");
        QVERIFY(count(exec::Executor(withBatchNorms).steps(randomBatch(withBatchNorms).images), K::PassOn) > 0);
        const prune::ChannelGraph cg(g);
        prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
        scorer.accumulate(batch);
        QVERIFY(count(scorer.lastSteps(), K::ScoringChain) + count(scorer.lastSteps(), K::SummingAct) > 0);

        const auto plainInference = plainly([&] { return exec::Executor(g).steps(batch.images); });
        const auto plainScoring = plainly([&] {
            prune::Scorer s(g, cg, prune::Criterion::Taylor);
            s.accumulate(batch);
            return s.lastSteps();
        });
        for (const auto* steps : {&plainInference, &plainScoring}) {
            QCOMPARE(size_t(count(*steps, K::Plain)), steps->size());
            QCOMPARE(steps->size(), g.nodes().size());  // one step per node
        }
    }
};

QTEST_GUILESS_MAIN(TestFastPaths)
#include "tst_fast_paths.moc"
