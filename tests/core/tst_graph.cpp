// Graph IR: shape inference, costs, errors a user would see.
#include <QtTest>

#include "graph/GraphBuilder.h"
#include "util/Errors.h"

using namespace fp;
using namespace fp::graph;

class TestGraph : public QObject {
    Q_OBJECT
private slots:
    void convShapesAndCosts() {
        GraphBuilder b("tiny", {3, 32, 32});
        auto x = b.conv(b.input(), "conv1", {.out = 16, .kernel = 3, .stride = 2, .pad = 1});
        x = b.batchNorm(x, "bn1");
        x = b.relu(x, "relu1");
        auto dw = b.conv(x, "dw", {.out = 16, .kernel = 3, .stride = 1, .pad = 1, .groups = 16});
        auto emb = b.flatten(b.globalAvgPool(dw, "gap"), "embedding");
        Graph g = b.finish(emb);
        QCOMPARE(g.at("conv1").shape, (Shape{16, 16, 16, false}));
        QVERIFY(g.at("dw").isDepthwise());
        QCOMPARE(g.at("embedding").shape, (Shape{16, 1, 1, true}));
        // conv1: 16 filters of 3x3x3 at 16x16 positions; dw: 16 filters of 3x3x1.
        QCOMPARE(g.cost(g.at("conv1")).macs, int64_t(16 * 16 * 16 * 3 * 3 * 3));
        QCOMPARE(g.cost(g.at("dw")).macs, int64_t(16 * 16 * 16 * 9));
        QCOMPARE(g.cost(g.at("bn1")).params, int64_t(32));  // gamma and beta; running stats are not parameters
        QCOMPARE(g.totalCost().params, int64_t(16 * 27 + 32 + 16 * 9));
    }

    void asymmetricPaddingAndCeilPooling() {
        GraphBuilder even("pads", {8, 16, 16});
        Window w;
        w.kh = w.kw = 3;
        w.sh = w.sw = 2;
        w.padBottom = w.padRight = 1;  // TF "same" for stride 2 on an odd size pads only at the end
        auto c = even.conv(even.input(), "conv", 8, w);
        QCOMPARE(even.shapeOf(c), (Shape{8, 8, 8, false}));
        GraphBuilder b("pools", {8, 15, 15});
        auto p = b.maxPool(b.input(), "pool", 3, 2, 0, true);
        QCOMPARE(b.shapeOf(p), (Shape{8, 7, 7, false}));
        auto p2 = b.maxPool(b.input(), "pool_ceil", 2, 2, 0, true);
        QCOMPARE(b.shapeOf(p2), (Shape{8, 8, 8, false}));
    }

    void concatAndPadChannels() {
        GraphBuilder b("cat", {4, 8, 8});
        auto a = b.conv(b.input(), "a", {.out = 6, .kernel = 1});
        auto c = b.conv(b.input(), "b", {.out = 10, .kernel = 3, .pad = 1});
        auto cat = b.concat({a, c}, "cat");
        QCOMPARE(b.shapeOf(cat).c, int64_t(16));
        auto padded = b.pad(cat, "pad", {0, 16, 0, 1, 0, 1});
        QCOMPARE(b.shapeOf(padded), (Shape{32, 9, 9, false}));
    }

    void mismatchedAddNamesBothLayers() {
        GraphBuilder b("bad", {4, 8, 8});
        auto a = b.conv(b.input(), "left", {.out = 6, .kernel = 1});
        auto c = b.conv(b.input(), "right", {.out = 8, .kernel = 1});
        try {
            b.add({a, c}, "sum");
            QFAIL("adding 6 and 8 channels must fail");
        } catch (const GraphError& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("sum") && msg.contains("left") && msg.contains("right"), e.what());
        }
    }

    void weightsThatDisagreeWithInputsAreReported() {
        GraphBuilder b("w", {4, 8, 8});
        b.conv(b.input(), "conv", {.out = 6, .kernel = 1});
        b.graph().at("conv").param("weight") = Tensor::zeros({6, 3, 1, 1});
        try {
            b.graph().inferShapes();
            QFAIL("a 3-channel weight on a 4-channel input must fail");
        } catch (const GraphError& e) {
            QVERIFY2(QString(e.what()).contains("conv") && QString(e.what()).contains("[6x4x1x1]"), e.what());
        }
    }

    void tooSmallInputIsReported() {
        GraphBuilder b("small", {3, 4, 4});
        QVERIFY_THROWS_EXCEPTION(GraphError, b.conv(b.input(), "big", {.out = 2, .kernel = 7}));
    }

    void unusedLayersAreRemoved() {
        GraphBuilder b("prune", {3, 8, 8});
        auto used = b.conv(b.input(), "used", {.out = 4, .kernel = 1});
        b.conv(b.input(), "dangling", {.out = 4, .kernel = 1});
        Graph g = b.finish(b.flatten(used, "embedding"));
        g.removeUnused();
        QVERIFY(g.find("dangling") == nullptr);
        QVERIFY(g.find("used") != nullptr);
        QVERIFY_THROWS_EXCEPTION(GraphError, g.erase("used"));
    }
};

QTEST_GUILESS_MAIN(TestGraph)
#include "tst_graph.moc"
