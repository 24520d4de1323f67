// The built-in zoo against torchvision: parameter counts, layer names and shapes,
// MACs and the forward pass itself must match the seed-study configuration of
// torchvision's models (figures from scripts/torchvision_param_counts.py).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "exec/Executor.h"
#include "models/ModelZoo.h"
#include "util/Errors.h"

using fp::Tensor;
using fp::graph::Graph;
using fp::graph::Op;
using fp::models::ZooOptions;

namespace {

constexpr int kSize = 113;

// torchvision's published counts (squeezenet1_1 1,235,496 + 5,888 BatchNorm parameters) and
// the embedding widths; they hold even where torchvision is not installed.
struct Known {
    int64_t params;            // with the ImageNet classifier
    int64_t paramsWithoutHead;
    int64_t embeddingDim;
    double paperMillions;      // as the seed study quotes it
    bool paperWithClassifier;
};
const std::map<QString, Known> kKnown = {
    {"squeezenet", {1'241'384, 728'384, 512, 1.24, true}},
    {"mobilenetv2", {3'504'872, 2'223'872, 1280, 3.5, true}},
    {"resnet50", {25'557'032, 23'508'032, 2048, 23.5, false}},
};

void addNameRows() {
    QTest::addColumn<QString>("name");
    for (const auto& n : fp::models::zooNames()) QTest::newRow(n.c_str()) << QString::fromStdString(n);
}

Tensor randomBatch(int n, uint32_t seed) {
    Tensor t = Tensor::zeros({n, 3, kSize, kSize});
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.f, 1.f);
    for (auto& v : t.data) v = dist(rng);
    return t;
}

bool allFinite(const Tensor& t) {
    for (float v : t.data)
        if (!std::isfinite(v)) return false;
    return true;
}

std::vector<int64_t> toShape(const QJsonArray& a) {
    std::vector<int64_t> s;
    for (const auto& v : a) s.push_back(v.toInteger());
    return s;
}

// Output shape of a layer as torchvision reports it (without the batch dimension).
std::vector<int64_t> shapeOf(const fp::graph::Node& n) {
    if (n.shape.flat) return {n.shape.c};
    return {n.shape.c, n.shape.h, n.shape.w};
}

}  // namespace

// In a test slot: skips without torchvision, fails when the script broke, else declares `obj`.
#define FP_NEED_REFERENCE(name, obj)                                                                  \
    QJsonObject obj;                                                                                  \
    if (referenceMissing_) QSKIP(qPrintable("torchvision figures unavailable: " + referenceProblem_)); \
    QVERIFY2(reference(name, &obj), qPrintable("torchvision figures for " + name + ": " + referenceProblem_))

class TestZoo : public QObject {
    Q_OBJECT

private:
    QJsonObject reference_;  // per model, from the script; empty when unavailable
    QString referenceProblem_;
    bool referenceMissing_ = false;  // torch/torchvision not installed: comparisons skip
    std::map<std::pair<QString, bool>, Graph> cache_;

    const Graph& model(const QString& name, bool imagenet) {
        auto key = std::make_pair(name, imagenet);
        auto it = cache_.find(key);
        if (it == cache_.end()) {
            ZooOptions o;
            o.imagenetClassifier = imagenet;
            it = cache_.emplace(key, fp::models::buildZooModel(name.toStdString(), o)).first;
        }
        return it->second;
    }

    // Runs the reference script; returns its JSON or sets `problem` (and `missing` when Python,
    // torch or torchvision is not installed, which the script reports with exit status 3).
    QJsonObject runScript(const QStringList& args, QString* problem, bool* missing = nullptr) {
        QProcess p;
        p.setWorkingDirectory(FP_SOURCE_DIR);
        p.start("/usr/bin/python3", QStringList{"scripts/torchvision_param_counts.py"} + args);
        if (!p.waitForStarted()) {
            *problem = "cannot run /usr/bin/python3: " + p.errorString();
            if (missing) *missing = true;
            return {};
        }
        if (!p.waitForFinished(600'000)) {
            *problem = "the script did not finish: " + p.errorString();
            p.kill();
            p.waitForFinished();
            return {};
        }
        const QByteArray out = p.readAllStandardOutput();
        QJsonParseError err;
        const QJsonObject json = QJsonDocument::fromJson(out, &err).object();
        if (missing) *missing = p.exitCode() == 3;
        const bool ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (!ok || err.error != QJsonParseError::NoError) {
            const QString stderrTail = QString::fromUtf8(p.readAllStandardError().right(2000));
            *problem = QString("script exit %1: %2 %3")
                           .arg(p.exitCode())
                           .arg(QString::fromUtf8(out.left(2000)), stderrTail);
            return {};
        }
        return json;
    }

    // The script's figures for one model; false when it could not give them.
    bool reference(const QString& name, QJsonObject* out) {
        if (referenceMissing_ || !referenceProblem_.isEmpty()) return false;
        *out = reference_.value(name).toObject();
        return !out->isEmpty();
    }

private slots:
    void initTestCase() {
        const QJsonObject json = runScript({}, &referenceProblem_, &referenceMissing_);
        reference_ = json.value("models").toObject();
        if (!json.isEmpty())
            qInfo("reference: torch %s, torchvision %s", qPrintable(json.value("torch").toString()),
                  qPrintable(json.value("torchvision").toString()));
    }

    void namesAndDescriptions() {
        const auto names = fp::models::zooNames();
        QCOMPARE(names, (std::vector<std::string>{"squeezenet", "mobilenetv2", "resnet50"}));
        std::set<std::string> descriptions;
        for (const auto& n : names) {
            QVERIFY(fp::models::isZooName(n));
            const auto d = fp::models::zooDescription(n);
            QVERIFY2(!d.empty() && d.find('\n') == std::string::npos, d.c_str());
            descriptions.insert(d);
        }
        QCOMPARE(descriptions.size(), names.size());
        QVERIFY(!fp::models::isZooName("ResNet50"));
        QVERIFY(!fp::models::isZooName(""));
    }

    void unknownNameListsKnownNames() {
        try {
            fp::models::buildZooModel("resnet18");
            QFAIL("an unknown name must throw");
        } catch (const fp::Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("resnet18") != std::string::npos, e.what());
            for (const auto& n : fp::models::zooNames()) QVERIFY2(msg.find(n) != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(fp::Error, fp::models::zooDescription("vgg16"));
    }

    void rejectsInconsistentOptions() {
        ZooOptions both;
        both.numClasses = 10;
        both.imagenetClassifier = true;
        QVERIFY_THROWS_EXCEPTION(fp::Error, fp::models::buildZooModel("squeezenet", both));
        ZooOptions negative;
        negative.numClasses = -1;
        QVERIFY_THROWS_EXCEPTION(fp::Error, fp::models::buildZooModel("squeezenet", negative));
    }

    void parameterCounts_data() { addNameRows(); }
    void parameterCounts() {
        QFETCH(QString, name);
        const Known& k = kKnown.at(name);
        const int64_t withHead = model(name, true).totalCost().params;
        const int64_t without = model(name, false).totalCost().params;
        qInfo("%s: %lld parameters with the ImageNet classifier, %lld without", qPrintable(name),
              static_cast<long long>(withHead), static_cast<long long>(without));
        QCOMPARE(withHead, k.params);
        QCOMPARE(without, k.paramsWithoutHead);
        // The seed study's figure, to the precision it is quoted with.
        const double millions = (k.paperWithClassifier ? withHead : without) / 1e6;
        const double halfStep = name == "squeezenet" ? 0.005 : 0.05;
        QVERIFY2(std::abs(millions - k.paperMillions) <= halfStep, qPrintable(QString::number(millions)));

        FP_NEED_REFERENCE(name, ref);
        QCOMPARE(qint64(withHead), ref.value("params").toInteger());
        QCOMPARE(qint64(without), ref.value("params_without_classifier").toInteger());
    }

    // Every layer with parameters has torchvision's module name, parameter count and output
    // shape at 113x113 (this pins strides, paddings and SqueezeNet's ceil-mode pools).
    void layersMatchTorchvision_data() { addNameRows(); }
    void layersMatchTorchvision() {
        QFETCH(QString, name);
        FP_NEED_REFERENCE(name, ref);
        const Graph& g = model(name, true);
        const QJsonObject layers = ref.value("layers").toObject();
        int withParams = 0;
        for (const auto& n : g.nodes()) {
            const int64_t params = g.cost(n).params;
            if (!params) continue;
            ++withParams;
            const QString key = QString::fromStdString(n.name);
            QVERIFY2(layers.contains(key), qPrintable("torchvision has no layer " + key));
            const QJsonObject l = layers.value(key).toObject();
            QVERIFY2(params == l.value("params").toInteger(), qPrintable(key));
            QVERIFY2(shapeOf(n) == toShape(l.value("out").toArray()),
                     qPrintable(key + ": " + QString::fromStdString(n.shape.toString())));
        }
        QCOMPARE(qsizetype(withParams), layers.size());
        const Graph& plain = model(name, false);
        const auto& pooled = plain.at(plain.at("avgpool").inputs.at(0)).shape;
        QCOMPARE((std::vector<int64_t>{pooled.c, pooled.h, pooled.w}),
                 toShape(ref.value("feature_map").toArray()));
    }

    void macs_data() { addNameRows(); }
    void macs() {
        QFETCH(QString, name);
        const int64_t withHead = model(name, true).totalCost().macs;
        const int64_t without = model(name, false).totalCost().macs;
        qInfo("%s: %.1f M multiply-accumulates per 113x113 image with the ImageNet classifier, %.1f M without",
              qPrintable(name), withHead / 1e6, without / 1e6);
        // Stride 1 at 113x113 gives about the ImageNet 224x224 cost (slightly more: 113 is odd).
        const std::map<QString, std::pair<double, double>> plausibleG = {
            {"squeezenet", {0.2, 0.4}}, {"mobilenetv2", {0.3, 0.4}}, {"resnet50", {4.0, 5.0}}};
        const auto [lo, hi] = plausibleG.at(name);
        QVERIFY2(without / 1e9 > lo && without / 1e9 < hi, qPrintable(QString::number(without)));
        QVERIFY(withHead > without);

        FP_NEED_REFERENCE(name, ref);
        QCOMPARE(qint64(withHead), ref.value("macs").toInteger());
        QCOMPARE(qint64(without), ref.value("macs_without_classifier").toInteger());
    }

    void embeddingAndPreprocess_data() { addNameRows(); }
    void embeddingAndPreprocess() {
        QFETCH(QString, name);
        const Graph& g = model(name, false);
        QCOMPARE(QString::fromStdString(g.name), name);
        QVERIFY(!g.hasHead());
        QCOMPARE(g.embeddingName(), std::string("embedding"));
        const auto& emb = g.at("embedding");
        QCOMPARE(emb.op, Op::Flatten);
        QCOMPARE(g.at(emb.inputs.at(0)).op, Op::GlobalAvgPool);
        QCOMPARE(emb.shape, (fp::graph::Shape{kKnown.at(name).embeddingDim, 1, 1, true}));
        QCOMPARE(g.at(g.inputName()).shape, (fp::graph::Shape{3, kSize, kSize, false}));

        const auto& pre = g.preprocess;
        QCOMPARE(pre.width, kSize);
        QCOMPARE(pre.height, kSize);
        QCOMPARE(pre.resizeShort, 129);
        QCOMPARE(pre.alignment, fp::graph::Alignment::CenterCrop);
        QVERIFY(!pre.bgr);
        // ImageNet's mean value maps to 0 and one standard deviation above it to 1 (0..255 input).
        QVERIFY(std::abs(pre.mean[0] - 123.675f) < 1e-3f);
        QVERIFY(std::abs((0.485f * 255 + 0.229f * 255 - pre.mean[0]) * pre.scale[0] - 1.f) < 1e-5f);
        QVERIFY(std::abs((0.406f * 255 + 0.225f * 255 - pre.mean[2]) * pre.scale[2] - 1.f) < 1e-5f);

        // The first conv is the seed study's stride-1 one.
        for (const auto& n : g.nodes())
            if (n.op == Op::Conv2d) {
                QCOMPARE(n.window.sh, 1);
                QCOMPARE(n.window.sw, 1);
                break;
            }
    }

    void forwardPass_data() { addNameRows(); }
    void forwardPass() {
        QFETCH(QString, name);
        const Graph& g = model(name, false);
        fp::exec::Executor exec(g);
        const Tensor out = exec.embed(randomBatch(2, 7));
        const int64_t dim = kKnown.at(name).embeddingDim;
        QCOMPARE(out.shape, (std::vector<int64_t>{2, dim}));
        QVERIFY(allFinite(out));
        // Two different faces must not collapse onto one (or a zero) embedding.
        float norm0 = 0, diff = 0;
        for (int64_t i = 0; i < dim; ++i) {
            norm0 += out.data[i] * out.data[i];
            diff = std::max(diff, std::abs(out.data[i] - out.data[dim + i]));
        }
        QVERIFY(norm0 > 0);
        QVERIFY(diff > 0);
    }

    void identificationHead_data() { addNameRows(); }
    void identificationHead() {
        QFETCH(QString, name);
        ZooOptions o;
        o.numClasses = 10;
        const Graph g = fp::models::buildZooModel(name.toStdString(), o);
        QVERIFY(g.hasHead());
        QCOMPARE(g.logitsName(), std::string("head"));
        const auto& head = g.at("head");
        QCOMPARE(head.op, Op::Linear);
        QCOMPARE(head.inputs, std::vector<std::string>{"embedding"});
        const int64_t dim = kKnown.at(name).embeddingDim;
        QCOMPARE(g.totalCost().params, kKnown.at(name).paramsWithoutHead + 10 * dim + 10);
        QCOMPARE(g.totalCost(false).params, kKnown.at(name).paramsWithoutHead);

        fp::exec::Executor exec(g);
        const auto out = exec.run(randomBatch(2, 11), {"embedding", "head"});
        QCOMPARE(out.at("head").shape, (std::vector<int64_t>{2, 10}));
        QCOMPARE(out.at("embedding").shape, (std::vector<int64_t>{2, dim}));
        QVERIFY(allFinite(out.at("head")));
    }

    void seedDeterminesWeights() {
        ZooOptions a, b;
        b.seed = 2;
        const Graph g1 = fp::models::buildZooModel("squeezenet", a);
        const Graph g2 = fp::models::buildZooModel("squeezenet", a);
        const Graph g3 = fp::models::buildZooModel("squeezenet", b);
        const auto& w1 = g1.at("features.12.expand3x3").param("weight");
        QCOMPARE(fp::maxAbsDiff(w1, g2.at("features.12.expand3x3").param("weight")), 0.f);
        QVERIFY(fp::maxAbsDiff(w1, g3.at("features.12.expand3x3").param("weight")) > 0.f);
    }

    // Loads our weights into torchvision's model and compares both forward passes: proves
    // the zoo computes what torchvision computes (branch order, residuals, pools), not only
    // that the counts agree.
    void forwardMatchesTorchvision_data() { addNameRows(); }
    void forwardMatchesTorchvision() {
        QFETCH(QString, name);
        FP_NEED_REFERENCE(name, ref);
        const Graph& g = model(name, true);
        const Tensor input = randomBatch(2, 3);
        fp::exec::Executor exec(g);
        const auto ours = exec.run(input, {g.embeddingName(), g.logitsName()});

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile bin(dir.filePath(name + ".bin"));
        QVERIFY(bin.open(QIODevice::WriteOnly));
        int64_t offset = 0;
        bool written = true;
        auto write = [&](const Tensor& t, const QString& key) {
            QJsonObject e{{"key", key}, {"offset", static_cast<qint64>(offset)}};
            QJsonArray shape;
            for (int64_t d : t.shape) shape.append(static_cast<qint64>(d));
            e["shape"] = shape;
            const auto bytes = static_cast<qint64>(t.data.size() * sizeof(float));
            written = written && bin.write(reinterpret_cast<const char*>(t.data.data()), bytes) == bytes;
            offset += t.numel();
            return e;
        };
        QJsonArray tensors;
        for (const auto& n : g.nodes())
            for (const auto& [key, t] : n.params)
                tensors.append(write(t, QString::fromStdString(n.name + "." + key)));
        QJsonObject index{{"tensors", tensors},
                          {"input", write(input, "input")},
                          {"embedding", write(ours.at(g.embeddingName()), "embedding")},
                          {"logits", write(ours.at(g.logitsName()), "logits")}};
        bin.close();
        QVERIFY2(written, qPrintable(bin.errorString()));
        QFile json(dir.filePath(name + ".json"));
        QVERIFY(json.open(QIODevice::WriteOnly));
        json.write(QJsonDocument(index).toJson(QJsonDocument::Compact));
        json.close();

        QString problem;
        const QJsonObject result = runScript({"--compare", dir.path()}, &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const QJsonObject r = result.value("models").toObject().value(name).toObject();
        QVERIFY2(!r.contains("error"), QJsonDocument(r).toJson().constData());
        for (const char* output : {"embedding", "logits"}) {
            const QJsonObject o = r.value(output).toObject();
            QVERIFY2(o.contains("max_abs_diff"), QJsonDocument(r).toJson().constData());
            const double diff = o.value("max_abs_diff").toDouble(), scale = o.value("max_abs").toDouble();
            qInfo("%s %s: max |ours - torchvision| = %.3g (values up to %.3g)", qPrintable(name), output, diff,
                  scale);
            QVERIFY(scale > 0);
            QVERIFY2(diff <= 1e-4 * scale, qPrintable(QString("%1 vs %2").arg(diff).arg(scale)));
        }
    }
};

QTEST_GUILESS_MAIN(TestZoo)
#include "tst_zoo.moc"
