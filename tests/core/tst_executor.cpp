// LibTorch executor: autograd reaches every weight, activations and their
// gradients can be captured with or without weight gradients, train/eval modes.
#include <QtTest>

#include <algorithm>

#include "exec/TorchGraph.h"
#include "exec/TrainingPReLU.h"
#include "graph/GraphBuilder.h"
#include "util/Errors.h"

using namespace fp;
using namespace fp::graph;

namespace {

// A small net with every parameterised op and a residual, a concat and a head.
Graph smallNet() {
    GraphBuilder b("small", {3, 24, 24}, 3);
    auto x = b.conv(b.input(), "stem", {.out = 8, .kernel = 3, .stride = 2, .pad = 1});
    x = b.batchNorm(x, "stem.bn");
    x = b.prelu(x, "stem.prelu");
    auto l = b.conv(x, "left", {.out = 4, .kernel = 1, .bias = true});
    auto r = b.conv(x, "right", {.out = 4, .kernel = 3, .pad = 1});
    auto cat = b.scale(b.concat({l, r}, "cat"), "cat.scale");
    auto dw = b.clip(b.conv(cat, "dw", {.out = 8, .kernel = 3, .pad = 1, .groups = 8}), "dw.relu6", 0.f, 6.f);
    auto sum = b.relu(b.add({dw, x}, "add"), "add.relu");
    auto pooled = b.maxPool(sum, "pool", 2, 2);
    auto emb = b.flatten(b.globalAvgPool(pooled, "gap"), "embedding");
    auto head = b.linear(b.dropout(emb, "drop", 0.5f), "head", 6);
    return b.finish(emb, head);
}

// A ReLU after a pass-through (eval-mode Dropout) of a conv output that a later branch reads again.
Graph viewThenActivationNet() {
    GraphBuilder b("views", {3, 24, 24}, 4);
    auto c = b.conv(b.input(), "conv", {.out = 4, .kernel = 3, .stride = 4, .pad = 1, .bias = true});
    auto head = b.linear(b.flatten(b.relu(b.dropout(c, "drop", 0.5f), "drop.relu"), "flat"), "head", 3);
    auto emb = b.flatten(b.globalAvgPool(c, "gap"), "embedding");
    return b.finish(emb, head);
}

torch::Tensor input(int64_t n) {
    torch::manual_seed(11);
    return torch::randn({n, 3, 24, 24});
}

}  // namespace

class TestExecutor : public QObject {
    Q_OBJECT
private slots:
    void gradientsReachEveryParameter() {
        const Graph g = smallNet();
        exec::TorchGraph net(g);
        net.setTraining(true);
        net.setParametersRequireGrad(true);
        auto out = net.forward(input(4));
        auto loss = torch::cross_entropy_loss(out.at("head"), torch::tensor({0, 1, 2, 3}));
        loss.backward();
        int checked = 0;
        for (const auto& node : g.nodes())
            for (const auto& [key, value] : node.params) {
                if (key == "running_mean" || key == "running_var") continue;
                auto grad = net.param(node.name, key).grad();
                QVERIFY2(grad.defined(), qPrintable(QString::fromStdString(node.name + "." + key) + " has no gradient"));
                QVERIFY2(grad.abs().sum().item<float>() > 0.f,
                         qPrintable(QString::fromStdString(node.name + "." + key) + " has a zero gradient"));
                ++checked;
            }
        QCOMPARE(checked, 12);  // stem, bn(2), prelu, left(2), right, scale(2), dw, head(2)
    }

    void capturedGradientsDoNotNeedWeightGradients() {
        const Graph g = smallNet();
        const std::vector<std::string> layers{"stem", "left", "right", "dw"};
        auto run = [&](bool weightGrads) {
            exec::TorchGraph net(g);
            net.setTraining(false);
            net.setParametersRequireGrad(weightGrads);
            net.setCapture(layers);
            auto out = net.forward(input(3));
            auto loss = torch::cross_entropy_loss(out.at("head"), torch::tensor({0, 4, 5}));
            loss.backward();
            std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> result;
            for (const auto& name : layers) {
                auto a = net.captured().at(name);
                result[name] = {a.detach().clone(), a.grad().defined() ? a.grad().clone() : torch::Tensor()};
            }
            // Frozen weights must really stay without gradients.
            result["stem.weight"] = {net.param("stem", "weight").grad(), {}};
            return result;
        };
        auto with = run(true), without = run(false);
        QVERIFY(with["stem.weight"].first.defined());
        QVERIFY(!without["stem.weight"].first.defined());
        for (const auto& name : layers) {
            QVERIFY2(with[name].second.defined() && without[name].second.defined(), name.c_str());
            QVERIFY(torch::equal(with[name].first, without[name].first));
            QVERIFY2(torch::allclose(with[name].second, without[name].second, 1e-6, 1e-7), name.c_str());
        }
    }

    void trainModeUpdatesBatchNormAndEvalModeIsDeterministic() {
        Graph g = smallNet();
        exec::TorchGraph net(g);
        {
            torch::NoGradGuard noGrad;
            net.setTraining(false);
            auto a = net.forward(input(2)).at("head");
            auto b = net.forward(input(2)).at("head");
            QVERIFY(torch::equal(a, b));  // dropout is off in eval mode
            net.setTraining(true);
            net.forward(input(8));
        }
        net.writeBack(g);
        const auto& mean = g.at("stem.bn").param("running_mean").data;
        QVERIFY(std::any_of(mean.begin(), mean.end(), [](float v) { return v != 0.f; }));
    }

    // Inference lets activations and Adds overwrite their inputs: no layer asked for may change for it.
    void inferenceGivesEveryLayerAskedForItsOwnValues() {
        for (const Graph& g : {smallNet(), viewThenActivationNet()}) {
            std::vector<std::string> all;
            for (const auto& n : g.nodes()) all.push_back(n.name);
            for (const bool fold : {false, true}) {
                exec::TorchGraph net(g);
                if (fold) net.foldBatchNorm();
                const auto reference = net.forward(input(4), all);  // with autograd on: nothing in place
                torch::NoGradGuard noGrad;
                for (const auto& name : all) {
                    const auto out = net.forward(input(4), {name, "embedding"});
                    QVERIFY2(torch::allclose(out.at(name), reference.at(name)), (g.name + ": " + name).c_str());
                    QVERIFY2(torch::allclose(out.at("embedding"), reference.at("embedding")),
                             (g.name + ": embedding beside " + name).c_str());
                }
            }
        }
    }

    void anyBatchSizeWorks() {
        const Graph g = smallNet();
        exec::TorchGraph net(g);
        torch::NoGradGuard noGrad;
        for (int64_t n : {1, 5, 33}) QCOMPARE(net.forward(input(n)).at("embedding").size(0), n);
    }

    // The training PReLU's one-pass backward gives the input and the slope the gradients LibTorch's
    // prelu does, on NCHW and channels-last maps, with one slope per channel or one for all.
    void trainingPReLUGradientsAreLibTorchs() {
        torch::manual_seed(3);
        for (const bool channelsLast : {false, true})
            for (const int64_t slopes : {int64_t{6}, int64_t{1}}) {
                auto x = torch::randn({3, 6, 5, 7});
                if (channelsLast) x = x.contiguous(at::MemoryFormat::ChannelsLast);
                const auto g = torch::randn({3, 6, 5, 7});
                const auto slope = (torch::rand({slopes}) - 0.3).requires_grad_(true);
                const auto theirsX = x.clone().requires_grad_(true), oursX = x.clone().requires_grad_(true);
                const auto theirsSlope = slope.detach().clone().requires_grad_(true);
                const auto oursSlope = slope.detach().clone().requires_grad_(true);
                (torch::prelu(theirsX, theirsSlope) * g).sum().backward();
                (exec::trainingPReLU(oursX, oursSlope) * g).sum().backward();
                QVERIFY(torch::allclose(exec::trainingPReLU(x, slope), torch::prelu(x, slope)));
                QVERIFY(torch::allclose(oursX.grad(), theirsX.grad(), 1e-5, 1e-6));
                QVERIFY2(torch::allclose(oursSlope.grad(), theirsSlope.grad(), 1e-4, 1e-5),
                         qPrintable(QString("slope gradient, %1, %2 slopes").arg(channelsLast ? "NHWC" : "NCHW").arg(slopes)));
            }
    }

    // A pass replays the plan the first pass of its kind compiled, with the same steps and values; a
    // pass of another kind (batch size, captures, autograd, a BatchNorm folded since) compiles its own.
    void plansAreCompiledOncePerKindOfPass() {
        const Graph g = smallNet();
        exec::TorchGraph net(g);
        std::vector<exec::ExecStep> first, again;
        torch::Tensor a, b;
        {
            torch::NoGradGuard noGrad;
            a = net.forward(input(2)).at("embedding");
            first = net.lastSteps();
            b = net.forward(input(2)).at("embedding");
            again = net.lastSteps();
        }
        QCOMPARE(net.plansCompiled(), 1);
        QVERIFY(torch::equal(a, b));
        QCOMPARE(exec::describeSteps(again), exec::describeSteps(first));
        {
            torch::NoGradGuard noGrad;
            net.forward(input(3));
        }
        QCOMPARE(net.plansCompiled(), 2);  // another batch size
        net.setCapture({"dw"});
        net.forward(input(2))["embedding"].sum().backward();
        QCOMPARE(net.plansCompiled(), 3);  // autograd, with a capture
        QVERIFY(net.captured().at("dw").grad().defined());
        net.forward(input(2))["embedding"].sum().backward();
        QCOMPARE(net.plansCompiled(), 3);
        net.foldBatchNorm();
        {
            torch::NoGradGuard noGrad;
            const auto folded = net.forward(input(2)).at("embedding");
            again = net.lastSteps();
            QVERIFY(torch::allclose(folded, a, 1e-4, 1e-5));
        }
        QCOMPARE(net.plansCompiled(), 4);
        const auto passOn = std::count_if(again.begin(), again.end(),
                                          [](const exec::ExecStep& s) { return s.kind == exec::ExecStep::Kind::PassOn; });
        QCOMPARE(passOn, 1);  // stem.bn now folded into stem
    }

    void wrongInputIsAClearError() {
        const Graph g = smallNet();
        exec::TorchGraph net(g);
        QVERIFY_THROWS_EXCEPTION(InputError, net.forward(torch::zeros({1, 1, 24, 24})));
        QVERIFY_THROWS_EXCEPTION(InputError, net.forward(torch::zeros({3, 24, 24})));
    }
};

QTEST_GUILESS_MAIN(TestExecutor)
#include "tst_executor.moc"
