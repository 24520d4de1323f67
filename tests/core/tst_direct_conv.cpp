// Inference convolutions run by oneDNN directly (weights reordered once, the activation after the
// conv fused into it) give the values LibTorch's own convolution gives: on the real models, on the
// odd shapes pruning and importers make, and after the weights change between passes.
#include <QtTest>

#include "exec/DnnlConv.h"
#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "models/ModelLoader.h"
#include "models/ModelZoo.h"

using namespace fp;
using graph::Graph;

namespace {

double relativeDifference(const torch::Tensor& a, const torch::Tensor& b) {
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item<double>();
}

// Widths no multiple of 8, asymmetric padding, dilation, grouped (not depthwise) convs, a scalar
// PReLU slope, a clip that is not ReLU6, a conv whose output two layers read.
Graph oddShapes() {
    graph::GraphBuilder b("odd", {3, 37, 29}, 5);
    graph::Window asymmetric;
    asymmetric.kh = asymmetric.kw = 3;
    asymmetric.sh = asymmetric.sw = 2;
    asymmetric.padTop = 0, asymmetric.padBottom = 1, asymmetric.padLeft = 1, asymmetric.padRight = 0;
    auto x = b.prelu(b.batchNorm(b.conv(b.input(), "stem", 13, asymmetric), "stem.bn"), "stem.act");
    auto wide = b.conv(x, "dilated", {.out = 9, .kernel = 3, .pad = 2, .dilation = 2, .bias = true});
    auto grouped = b.clip(b.conv(wide, "grouped", {.out = 21, .kernel = 3, .pad = 1, .groups = 3}), "g.clip", -1.f, 2.f);
    auto shared = b.conv(grouped, "shared", {.out = 7, .kernel = 1});
    auto left = b.relu(shared, "left");
    auto right = b.conv(shared, "right", {.out = 7, .kernel = 1});
    auto dw = b.relu(b.conv(b.add({left, right}, "sum"), "dw", {.out = 7, .kernel = 3, .stride = 2, .groups = 7}), "dw.relu");
    auto emb = b.flatten(b.globalAvgPool(dw, "gap"), "embedding");
    return b.finish(emb);
}

torch::Tensor inputFor(const Graph& g, int64_t n) {
    const auto& s = g.at(g.inputName()).inputShape;
    torch::manual_seed(n);
    return torch::randn({n, s.c, s.h, s.w});
}

// The embedding with inference convs run directly, and through LibTorch's mkldnn_convolution.
std::pair<torch::Tensor, torch::Tensor> bothWays(const Graph& g, const torch::Tensor& x) {
    torch::NoGradGuard noGrad;
    auto run = [&](bool direct) {
        exec::DnnlConv::setEnabled(direct);
        exec::TorchGraph net(g);
        net.foldBatchNorm();
        auto y = net.forward(x).at(g.embeddingName());
        exec::DnnlConv::setEnabled(true);
        return y;
    };
    return {run(true), run(false)};
}

}  // namespace

class TestDirectConv : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY2(exec::DnnlConv::enabled(), "LibTorch here does not run on this oneDNN"); }

    void givesLibTorchsValues_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("batch");
        for (const char* name : {"odd", "mobilefacenet", "faceapi-dlib", "mobilenetv2", "squeezenet"})
            for (int n : {1, 3}) QTest::newRow((std::string(name) + "-b" + std::to_string(n)).c_str()) << name << n;
    }
    void givesLibTorchsValues() {
        QFETCH(QString, model);
        QFETCH(int, batch);
        const std::string name = model.toStdString();
        const Graph g = name == "odd" ? oddShapes() : models::loadModel(name);
        const auto [direct, libtorch] = bothWays(g, inputFor(g, batch));
        QCOMPARE(direct.sizes(), libtorch.sizes());
        const double d = relativeDifference(direct, libtorch);
        QVERIFY2(d < 1e-4, qPrintable(QString("%1: relative difference %2").arg(model).arg(d)));
    }

    // Fine-tuning changes weights in place between inference passes; refolding replaces them.
    void followsWeightsChangedAfterTheFirstPass() {
        const Graph g = oddShapes();
        const auto x = inputFor(g, 2);
        torch::NoGradGuard noGrad;
        exec::TorchGraph net(g);
        net.foldBatchNorm();
        const auto before = net.forward(x).at("embedding").clone();
        net.param("stem.bn", "weight").mul_(-0.5);
        net.param("dilated", "weight").mul_(2.0);
        net.param("stem.act", "slope").add_(0.5);
        net.foldBatchNorm();
        const auto after = net.forward(x).at("embedding");
        exec::DnnlConv::setEnabled(false);
        const auto reference = net.forward(x).at("embedding");
        exec::DnnlConv::setEnabled(true);
        QVERIFY(relativeDifference(after, before) > 1e-2);
        QVERIFY(relativeDifference(after, reference) < 1e-4);
    }
};

QTEST_GUILESS_MAIN(TestDirectConv)
#include "tst_direct_conv.moc"
