// Structural pruning is exact: removing channel groups gives the same outputs
// as the unpruned network whose consumers read zeros for those channels, for
// every backbone and many random plans, deep cuts included.
#include <QtTest>

#include <random>

#include "exec/Executor.h"
#include "graph/GraphBuilder.h"
#include "models/ModelLoader.h"
#include "prune/ChannelGraph.h"
#include "prune/CostModel.h"
#include "prune/Planner.h"
#include "prune/Surgery.h"
#include "util/Errors.h"

using namespace fp;

namespace {

// Non-trivial BatchNorm statistics, so that a removed channel is not zero
// after its BatchNorm and the consumers' masking really matters.
void randomiseBatchNorm(graph::Graph& g, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.5f, 1.5f), b(-0.3f, 0.3f);
    for (auto& n : g.nodes()) {
        if (n.op != graph::Op::BatchNorm) continue;
        for (auto& v : n.param("weight").data) v = u(rng);
        for (auto& v : n.param("bias").data) v = b(rng);
        for (auto& v : n.param("running_mean").data) v = b(rng);
        for (auto& v : n.param("running_var").data) v = u(rng);
    }
}

Tensor randomInput(const graph::Graph& g, int64_t n, uint32_t seed) {
    const auto s = g.at(g.inputName()).inputShape;
    Tensor x = Tensor::zeros({n, s.c, s.h, s.w});
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    for (auto& v : x.data) v = d(rng);
    return x;
}

}  // namespace

class TestSurgery : public QObject {
    Q_OBJECT
private slots:
    void prunedEqualsMasked_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : {"squeezenet", "mobilenetv2", "resnet50", "mobilefacenet", "faceapi-dlib"})
            QTest::newRow(m) << QString(m);
    }

    void prunedEqualsMasked() {
        QFETCH(QString, model);
        graph::Graph original = models::loadModel(model.toStdString());
        std::mt19937 rng(42);
        randomiseBatchNorm(original, rng);
        const Tensor x = randomInput(original, 2, 7);
        const prune::ChannelGraph cg(original);
        const auto prunable = cg.prunableGroups();
        QVERIFY2(!prunable.empty(), "a backbone must have prunable groups");
        qInfo("%s: %zu channel groups, %zu prunable", qPrintable(model), cg.groups().size(), prunable.size());

        const std::vector<double> shares = model == "resnet50" ? std::vector<double>{0.5, 0.9}
                                                                : std::vector<double>{0.05, 0.3, 0.6, 0.95};
        for (double share : shares) {
            std::vector<int> order = prunable;
            std::shuffle(order.begin(), order.end(), rng);
            prune::PlanConstraints c;
            c.minWidthFraction = 0.0;  // deep cuts: down to one filter per layer
            const auto plan = prune::selectGroups(original, cg, order, static_cast<int64_t>(share * order.size()), c);
            QVERIFY(!plan.empty());

            const graph::Graph masked = prune::maskGroups(original, cg, plan);
            graph::Graph pruned = original;
            prune::removeGroups(pruned, cg, plan);

            // The statistics predicted from widths equal the pruned graph's.
            const auto predicted = prune::predictCost(original, cg, plan);
            QCOMPARE(pruned.totalCost().params, predicted.params);
            QCOMPARE(pruned.totalCost().macs, predicted.macs);
            QVERIFY(pruned.totalCost().params < original.totalCost().params);

            exec::Executor em(masked), ep(pruned);
            const Tensor ym = em.embed(x), yp = ep.embed(x);
            float largest = 0.f;
            for (float v : ym.data) largest = std::max(largest, std::fabs(v));
            const float diff = maxAbsDiff(ym, yp);
            qInfo("  %4.0f%% of groups (%zu): params %.2fM -> %.2fM, MACs %.0fM -> %.0fM, max |diff| %.2g (|y| <= %.3g)",
                  share * 100, plan.size(), original.totalCost().params / 1e6, pruned.totalCost().params / 1e6,
                  original.totalCost().macs / 1e6, pruned.totalCost().macs / 1e6, diff, largest);
            QVERIFY2(diff <= 1e-5f * std::max(1.f, largest), qPrintable(QString("max |diff| %1").arg(diff)));
        }
    }

    // A conv whose 4x4 maps are flattened into a Linear: one filter is a block of 16 features, and
    // removing filters removes exactly those columns.
    void flattenBeforeALinearDropsBlocksOfFeatures() {
        graph::GraphBuilder b("flat", {3, 8, 8}, 11);
        auto a = b.conv(b.input(), "convA", {.out = 6, .kernel = 3, .pad = 1, .bias = true});
        a = b.maxPool(b.relu(b.batchNorm(a, "bnA"), "reluA"), "poolA", 2, 2, 0, false);
        const auto fc = b.linear(b.flatten(a, "flatA"), "fc", 10);
        graph::Graph original = b.finish(fc, b.linear(fc, "head", 3));
        std::mt19937 rng(5);
        randomiseBatchNorm(original, rng);
        QCOMPARE(original.at("fc").param("weight").shape, (std::vector<int64_t>{10, 96}));

        const prune::ChannelGraph cg(original);
        QCOMPARE(cg.prunableGroups().size(), size_t(6));
        const std::vector<int> plan{cg.groupOfAtom(cg.filterAtom("convA", 1)).id,
                                    cg.groupOfAtom(cg.filterAtom("convA", 4)).id};
        const graph::Graph masked = prune::maskGroups(original, cg, plan);
        graph::Graph pruned = original;
        prune::removeGroups(pruned, cg, plan);
        QCOMPARE(pruned.at("convA").outChannels, int64_t(4));
        QCOMPARE(pruned.at("fc").param("weight").shape, (std::vector<int64_t>{10, 64}));
        // Column 16 * 2 of the pruned fc is column 16 * 3 of the original (filters 0, 2, 3, 5 kept).
        QCOMPARE(pruned.at("fc").param("weight").data[32], original.at("fc").param("weight").data[48]);

        const Tensor x = randomInput(original, 3, 9);
        const float diff = maxAbsDiff(exec::Executor(masked).embed(x), exec::Executor(pruned).embed(x));
        QVERIFY2(diff <= 1e-5f, qPrintable(QString("max |diff| %1").arg(diff)));
    }

    void lockedLayersAndOutputsStay() {
        const graph::Graph g = models::loadModel("mobilefacenet");
        const std::string first = g.nodes()[1].name;  // the stem conv
        const prune::ChannelGraph cg(g, {first});
        for (const auto& grp : cg.groups()) {
            const bool touchesFirst =
                std::find(grp.members.begin(), grp.members.end(), first) != grp.members.end();
            if (touchesFirst) QVERIFY2(!grp.prunable, "a locked layer's filters must not be prunable");
        }
        // The embedding's channels are never offered.
        for (int a : cg.channels(g.embeddingName())) QVERIFY(!cg.groupOfAtom(a).prunable);
        QVERIFY_THROWS_EXCEPTION(GraphError, prune::ChannelGraph(g, {"no_such_layer"}));
    }

    void residualsTieChannelsAcrossBlocks() {
        const graph::Graph g = models::loadModel("resnet50");
        const prune::ChannelGraph cg(g);
        // layer1's three bottlenecks and its downsample write one shared set of 256 channels.
        const auto& grp = cg.groupOfAtom(cg.filterAtom("layer1.0.downsample.0", 0));
        QCOMPARE(grp.members, (std::vector<std::string>{"layer1.0.conv3", "layer1.0.downsample.0", "layer1.1.conv3",
                                                        "layer1.2.conv3"}));
        QVERIFY(grp.prunable);
    }

    void minimumWidthAndRoundingAreRespected() {
        const graph::Graph g = models::loadModel("mobilenetv2");
        const prune::ChannelGraph cg(g);
        prune::PlanConstraints c;
        c.minWidthFraction = 0.5;
        c.roundTo = 8;
        const auto plan = prune::selectGroups(g, cg, cg.prunableGroups(), 100000, c);
        graph::Graph pruned = g;
        prune::removeGroups(pruned, cg, plan);
        for (const auto& n : pruned.nodes()) {
            if (n.op != graph::Op::Conv2d || n.origin.empty()) continue;
            QVERIFY2(n.outChannels * 2 >= n.originalChannels(), n.name.c_str());
            QVERIFY2(n.outChannels % 8 == 0 || n.outChannels == n.originalChannels(), n.name.c_str());
        }
    }

    void unprunableGroupIsAClearError() {
        graph::Graph g = models::loadModel("squeezenet");
        const prune::ChannelGraph cg(g);
        const int inputGroup = cg.groupOfAtom(cg.channels(g.inputName())[0]).id;
        try {
            prune::removeGroups(g, cg, {inputGroup});
            QFAIL("the network input cannot be pruned");
        } catch (const GraphError& e) {
            QVERIFY2(QString(e.what()).contains("network input"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSurgery)
#include "tst_surgery.moc"
