// Inference convolutions run by oneDNN directly (weights reordered once, the activation after the
// conv fused into it) give the values LibTorch's own convolution gives: on the real models, on the
// odd shapes pruning and importers make, and after the weights change between passes; so do the
// input gradients of scoring passes, which run their convs that way too.
#include <map>

#include <QtTest>

#include "exec/DnnlConv.h"
#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "models/ModelLoader.h"
#include "models/ModelZoo.h"

using namespace fp;
using graph::Graph;
using Tensors = std::vector<torch::Tensor>;

namespace {

double relativeDifference(const torch::Tensor& a, const torch::Tensor& b) {
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item<double>();
}

// Widths no multiple of 8, asymmetric padding, dilation, grouped (not depthwise) convs, a scalar
// PReLU slope, a clip that is not ReLU6, a conv whose output two layers read, positive PReLU slopes
// (MobileFaceNet's are partly negative), residual Adds after convs.
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
    auto right = b.prelu(b.conv(shared, "right", {.out = 7, .kernel = 1}), "right.act");
    auto dw = b.relu(b.conv(b.add({left, right}, "sum"), "dw", {.out = 7, .kernel = 3, .stride = 2, .groups = 7}), "dw.relu");
    // Residual blocks: a conv's output plus the block's input with a PReLU after the sum, two convs summed.
    auto block = b.prelu(b.add({b.conv(dw, "block", {.out = 7, .kernel = 3, .pad = 1}), dw}, "block.sum"), "block.act");
    auto pair = b.add({b.conv(block, "p", {.out = 5, .kernel = 1}), b.conv(block, "q", {.out = 5, .kernel = 1})}, "pq");
    auto emb = b.flatten(b.globalAvgPool(pair, "gap"), "embedding");
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

// Per scored layer, the sums of output times gradient that a scoring pass (eval mode, weights
// fixed, BatchNorms folded, channels-last) hands its sink, for loss = sum of the embedding's squares.
std::map<std::string, torch::Tensor> scoringSums(const Graph& g, const torch::Tensor& x, bool direct) {
    exec::DnnlConv::setEnabled(direct);
    exec::TorchGraph net(g);
    net.setChannelsLast(true);
    net.setParametersRequireGrad(false);
    net.foldBatchNorm();
    std::vector<std::string> convs;
    for (const auto& n : g.nodes())
        if (n.op == graph::Op::Conv2d) convs.push_back(n.name);
    std::map<std::string, torch::Tensor> sums;
    net.setCapture(convs, [&](const std::string& layer, const torch::Tensor& s) { sums[layer] = s.clone(); });
    net.forward(x).at(g.embeddingName()).square().sum().backward();
    exec::DnnlConv::setEnabled(true);
    return sums;
}

}  // namespace

class TestDirectConv : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY2(exec::DnnlConv::enabled(), "LibTorch here does not run on this oneDNN"); }

    void givesLibTorchsValues_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("batch");
        for (const char* name : {"odd", "mobilefacenet", "faceapi-dlib", "mobilenetv2", "squeezenet", "resnet50"})
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

    // The input's gradient, as a scoring pass's backward asks for it: stride-1 convs through a
    // forward conv of the flipped, swapped weights, the others through oneDNN's backward kernel.
    void inputGradientIsLibTorchs_data() {
        QTest::addColumn<int>("in");
        QTest::addColumn<int>("out");
        QTest::addColumn<int>("kernel");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("dilation");
        QTest::addColumn<int>("groups");
        QTest::addColumn<QList<int>>("pads");  // top, left, bottom, right
        QTest::newRow("1x1") << 13 << 24 << 1 << 1 << 1 << 1 << QList<int>{0, 0, 0, 0};
        QTest::newRow("3x3") << 5 << 11 << 3 << 1 << 1 << 1 << QList<int>{1, 1, 1, 1};
        QTest::newRow("asymmetric") << 6 << 7 << 3 << 1 << 1 << 1 << QList<int>{0, 2, 1, 0};
        QTest::newRow("dilated") << 8 << 9 << 3 << 1 << 2 << 1 << QList<int>{2, 2, 2, 2};
        QTest::newRow("grouped") << 12 << 21 << 3 << 1 << 1 << 3 << QList<int>{1, 1, 1, 1};
        QTest::newRow("depthwise") << 40 << 40 << 3 << 1 << 1 << 40 << QList<int>{1, 1, 1, 1};
        QTest::newRow("depthwise-s2") << 24 << 24 << 3 << 2 << 1 << 24 << QList<int>{1, 1, 1, 1};
        QTest::newRow("stride-2") << 3 << 16 << 3 << 2 << 1 << 1 << QList<int>{0, 1, 1, 0};
    }
    void inputGradientIsLibTorchs() {
        QFETCH(int, in);
        QFETCH(int, out);
        QFETCH(int, kernel);
        QFETCH(int, stride);
        QFETCH(int, dilation);
        QFETCH(int, groups);
        QFETCH(QList<int>, pads);
        torch::manual_seed(7);
        const auto weight = torch::randn({out, in / groups, kernel, kernel});
        const auto x = torch::randn({3, in, 17, 14}).contiguous(at::MemoryFormat::ChannelsLast).requires_grad_(true);
        const exec::ConvGeometry geometry{stride, stride, dilation, dilation, groups, pads[0], pads[1], pads[2], pads[3]};
        const auto conv = std::make_shared<exec::DnnlConv>(weight, torch::Tensor(), geometry, exec::FusedActivation{});
        QVERIFY(conv->hasFastInputGradient(x.sizes()));

        const auto padded = torch::constant_pad_nd(x, {pads[1], pads[3], pads[0], pads[2]});
        const auto reference = torch::conv2d(padded, weight, torch::Tensor(), std::vector<int64_t>{stride, stride},
                                               std::vector<int64_t>{0, 0}, std::vector<int64_t>{dilation, dilation},
                                               groups);
        const auto direct = exec::convWithInputGradient(conv, x);
        QCOMPARE(direct.sizes(), reference.sizes());
        QVERIFY(relativeDifference(direct, reference.detach()) < 1e-4);
        const auto upstream = torch::randn_like(reference);
        const auto expected = torch::autograd::grad(Tensors{reference}, Tensors{x}, Tensors{upstream})[0];
        const auto got = torch::autograd::grad(Tensors{direct}, Tensors{x}, Tensors{upstream})[0];
        const double d = relativeDifference(got, expected);
        QVERIFY2(d < 1e-4, qPrintable(QString("input gradient: relative difference %1").arg(d)));
    }

    // Taylor scoring passes run their convs, forward and backward, through oneDNN directly: the
    // products every layer is scored by are the ones LibTorch's convolutions give.
    // Chains of convs and their activations run as one node whose backward goes down the chain a
    // few images at a time (as many as fit a cache-sized slice: MobileNetV2's widest maps one, its
    // narrowest all five): a chain of one un-activated conv, one ending in a conv that two layers
    // read (odd), three convs with negative PReLU slopes between them (MobileFaceNet's blocks), and
    // every model's stem, whose input (the image) takes no gradient.
    void scoringSumsAreLibTorchs_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("batch");
        QTest::newRow("odd") << "odd" << 3;
        QTest::newRow("mobilefacenet") << "mobilefacenet" << 2;
        QTest::newRow("mobilenetv2") << "mobilenetv2" << 5;
    }
    void scoringSumsAreLibTorchs() {
        QFETCH(QString, model);
        QFETCH(int, batch);
        const std::string name = model.toStdString();
        const Graph g = name == "odd" ? oddShapes() : models::loadModel(name);
        const auto x = inputFor(g, batch);
        const auto direct = scoringSums(g, x, true), libtorch = scoringSums(g, x, false);
        QVERIFY(!libtorch.empty());
        QCOMPARE(direct.size(), libtorch.size());
        for (const auto& [layer, sums] : libtorch) {
            const double d = relativeDifference(direct.at(layer), sums);
            QVERIFY2(d < 1e-3, qPrintable(QString("%1 %2: relative difference %3").arg(model, layer.c_str()).arg(d)));
        }
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
