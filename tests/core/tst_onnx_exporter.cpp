// ONNX export: every backbone's file passes the ONNX checker, runs in OpenCV and
// ONNX Runtime with the executor's answers on real aligned faces, imports back to
// the same structure; variants, a hand-pruned graph, and clear errors.
#include <QtTest>

#include <fstream>
#include <random>

#include <onnx/onnx_pb.h>
#include <opencv2/dnn.hpp>

#include "exec/Executor.h"
#include "faces/FacePipeline.h"
#include "graph/Denormals.h"
#include "graph/GraphBuilder.h"
#include "io/OnnxExporter.h"
#include "io/OnnxImporter.h"
#include "io/PreprocessJson.h"
#include "live/QuickPrune.h"
#include "models/ModelLoader.h"
#include "models/ModelZoo.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

using namespace fp;
using graph::Op;

namespace {

constexpr float kTolerance = 1e-4f;
const QString kOrtDir = QString(FP_SOURCE_DIR) + "/scripts/onnxruntime-check";

using Outputs = std::map<std::string, Tensor>;

struct Diff {
    float max = 0.f;      // largest |a - b|
    float largest = 0.f;  // largest |a|, to show the scale
};

Diff compare(const Tensor& a, const Tensor& b) {
    if (a.numel() != b.numel())
        throw std::runtime_error("outputs have " + std::to_string(a.numel()) + " and " + std::to_string(b.numel()) +
                                 " values");
    Diff d;
    for (size_t i = 0; i < a.data.size(); ++i) {
        d.max = std::max(d.max, std::fabs(a.data[i] - b.data[i]));
        d.largest = std::max(d.largest, std::fabs(a.data[i]));
    }
    return d;
}

std::vector<float> readFloats(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error(path + ": cannot read");
    std::vector<float> v(static_cast<size_t>(in.tellg()) / 4);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
    return v;
}

onnx::ModelProto readModel(const std::string& path) {
    onnx::ModelProto m;
    std::ifstream in(path, std::ios::binary);
    if (!m.ParseFromIstream(&in)) throw std::runtime_error(path + ": not ONNX");
    return m;
}

// Debian's python3-onnx: structural check plus strict shape inference of every node.
QString onnxCheckerError(const std::string& path) {
    QProcess py;
    py.start("/usr/bin/python3", {"-c",
                                  "import onnx,sys; m=onnx.load(sys.argv[1]); "
                                  "onnx.checker.check_model(m, full_check=True)",
                                  QString::fromStdString(path)});
    if (!py.waitForFinished(120000)) return "python3 did not finish";
    if (py.exitStatus() != QProcess::NormalExit || py.exitCode() != 0)
        return QString::fromUtf8(py.readAllStandardError()).trimmed().split('\n').last();
    return {};
}

Outputs runOpenCv(const std::string& path, const Tensor& batch, const std::vector<std::string>& names) {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
    const std::vector<int> dims(batch.shape.begin(), batch.shape.end());
    net.setInput(cv::Mat(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(batch.data.data())));
    std::vector<cv::Mat> mats;
    net.forward(mats, std::vector<cv::String>(names.begin(), names.end()));
    Outputs out;
    for (size_t i = 0; i < names.size(); ++i) {
        const cv::Mat m = mats[i].isContinuous() ? mats[i] : mats[i].clone();
        Tensor t;
        t.shape.assign(m.size.p, m.size.p + m.dims);
        t.data.assign(m.ptr<float>(), m.ptr<float>() + m.total());
        out[names[i]] = std::move(t);
    }
    return out;
}

// ONNX Runtime (npm onnxruntime-node, CPU) through scripts/onnxruntime-check/run-model.js.
Outputs runOnnxRuntime(const std::string& model, const Tensor& batch, const QString& workDir) {
    if (!QDir(kOrtDir + "/node_modules/onnxruntime-node").exists())
        throw std::runtime_error(("ONNX Runtime is not installed: run `npm ci --ignore-scripts` in " + kOrtDir +
                                  " (the setup script does this)")
                                     .toStdString());
    const QString node = QStandardPaths::findExecutable("node");
    if (node.isEmpty()) throw std::runtime_error("node (Node.js) is not on PATH; ONNX Runtime cannot be driven");
    const QString input = workDir + "/ort-input.bin";
    {
        std::ofstream out(input.toStdString(), std::ios::binary);
        out.write(reinterpret_cast<const char*>(batch.data.data()), static_cast<std::streamsize>(batch.data.size() * 4));
    }
    QStringList dims;
    for (int64_t d : batch.shape) dims << QString::number(d);
    QProcess p;
    p.start(node, {kOrtDir + "/run-model.js", QString::fromStdString(model), input, dims.join(','), workDir + "/ort"});
    if (!p.waitForFinished(120000)) throw std::runtime_error("ONNX Runtime did not finish in 2 minutes");
    if (p.exitCode() != 0) throw std::runtime_error(p.readAllStandardError().toStdString());
    const auto doc = QJsonDocument::fromJson(p.readAllStandardOutput());
    Outputs out;
    for (const auto& v : doc.object()["outputs"].toArray()) {
        const auto o = v.toObject();
        Tensor t;
        for (const auto& d : o["dims"].toArray()) t.shape.push_back(d.toInteger());
        t.data = readFloats(o["file"].toString().toStdString());
        out[o["name"].toString().toStdString()] = std::move(t);
    }
    return out;
}

// Runs the layers after `from` up to `to` on x, the activation of `from`, which must
// cut the graph (nothing after it reads anything before it).
Tensor runSegment(const graph::Graph& g, int from, const std::string& to, const Tensor& x) {
    const graph::Node& cut = g.nodes()[from];
    if (cut.name == to) return x;
    graph::Graph sub;
    graph::Node in;
    in.name = cut.name;
    in.op = Op::Input;
    in.inputShape = cut.shape;
    in.outChannels = cut.shape.c;
    sub.add(in);
    const auto needed = g.ancestors(to);
    for (int i = from + 1; i <= g.indexOf(to); ++i)
        if (needed.count(g.nodes()[i].name)) sub.add(g.nodes()[i]);
    sub.setOutputs(to);
    sub.inferShapes();
    exec::Executor executor(sub);
    return executor.run(x, {to}).at(to);
}

// Gives every BatchNorm random affine weights and the running statistics of its
// input on `batch`, as training would: the seeded zoo nets have all-identity BNs
// (folding would test nothing) whose activations vanish or explode with depth.
// BNs are calibrated in order, each from the nearest cut before it (a block input),
// so that a deep net costs a few forward passes, not one per BN.
void calibrateBatchNorm(graph::Graph& g, const Tensor& batch, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> gamma(0.5f, 1.5f), beta(-0.3f, 0.3f);
    const auto& nodes = g.nodes();
    const int count = static_cast<int>(nodes.size());
    std::vector<bool> isCut(static_cast<size_t>(count), false);
    int earliestRead = count;  // smallest input index of the nodes after i
    for (int i = count - 1; i >= 0; --i) {
        isCut[i] = earliestRead >= i && !nodes[i].shape.flat;
        for (const auto& in : nodes[i].inputs) earliestRead = std::min(earliestRead, g.indexOf(in));
    }
    int cut = 0;
    Tensor act = batch;
    for (int b = 0; b < count; ++b) {
        graph::Node& bn = g.nodes()[b];
        if (bn.op != Op::BatchNorm) continue;
        for (auto& v : bn.param("weight").data) v = gamma(rng);
        for (auto& v : bn.param("bias").data) v = beta(rng);
        const int src = g.indexOf(bn.inputs[0]);
        int next = cut;
        for (int i = cut + 1; i <= src; ++i)
            if (isCut[i]) next = i;
        if (next != cut) {
            act = runSegment(g, cut, nodes[next].name, act);
            cut = next;
        }
        const Tensor x = runSegment(g, cut, nodes[src].name, act);
        const int64_t c = x.dim(1), plane = x.numel() / x.dim(0) / c;
        for (int64_t k = 0; k < c; ++k) {
            double sum = 0, sq = 0;
            for (int64_t i = 0; i < x.dim(0); ++i)
                for (int64_t j = 0; j < plane; ++j) {
                    const double v = x.data[(i * c + k) * plane + j];
                    sum += v;
                    sq += v * v;
                }
            const double n = static_cast<double>(x.dim(0) * plane), mean = sum / n;
            bn.param("running_mean").data[k] = static_cast<float>(mean);
            bn.param("running_var").data[k] = static_cast<float>(std::max(sq / n - mean * mean, 0.0));
        }
    }
}

void randomiseScales(graph::Graph& g, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> w(0.5f, 1.5f), b(-0.3f, 0.3f);
    for (auto& n : g.nodes())
        if (n.op == Op::Scale) {
            for (auto& v : n.param("weight").data) v = w(rng);
            for (auto& v : n.param("bias").data) v = b(rng);
        }
}

// Every op the graph has, wired the awkward ways: asymmetric conv padding, a BN that
// cannot fold (its conv has two users) and one after an Add, Clip with a non-zero and
// an open bound, Scale, PReLU and BatchNorm on flat features, spatial and channel
// padding, ceil-mode pools, a three-way Add, Concat, Dropout, (L2Norm) and a head.
graph::Graph allOpsNet(bool l2norm) {
    graph::GraphBuilder b("all-ops", {3, 112, 112}, 7);
    graph::Window stem;
    stem.kh = stem.kw = 3;
    stem.sh = stem.sw = 2;
    stem.padBottom = stem.padRight = 1;
    auto x = b.conv(b.input(), "stem", 16, stem, 1, true);
    x = b.clip(b.batchNorm(x, "stem.bn"), "stem.relu6", 0.f, 6.f);
    auto a = b.conv(x, "dw", {.out = 16, .kernel = 3, .pad = 1, .groups = 16});
    a = b.prelu(b.batchNorm(a, "dw.bn"), "dw.prelu", 0.1f);
    auto c = b.scale(b.conv(x, "pw", {.out = 16, .kernel = 1}), "pw.scale");
    c = b.clip(c, "pw.clip", -1.f, 3.f);
    auto cat = b.concat({a, c}, "cat");
    // Not Pad straight into a pool: ONNX Runtime's PadFusion merges the zeros into the pool's
    // own padding, wrong for MaxPool (-inf) and count_include_pad=0, and here pads >= kernel.
    auto padded = b.relu(b.pad(cat, "cat.pad", {0, 0, 0, 1, 0, 1}), "cat.pad.relu");
    auto pooled = b.maxPool(padded, "pool", 2, 2, 0, true);  // 57 -> 29: the last window overhangs
    pooled = b.pad(pooled, "pool.pad", {0, 8, 0, 0, 0, 0});
    auto avg = b.avgPool(pooled, "avg", 3, 2, 1, true);
    auto h = b.conv(avg, "h", {.out = 40, .kernel = 1});
    auto hbn = b.batchNorm(h, "h.bn");  // h also feeds the add: not foldable
    auto sum = b.add({avg, hbn, h}, "sum");
    sum = b.clip(b.batchNorm(sum, "sum.bn"), "sum.clip", -INFINITY, 4.f);
    sum = b.dropout(sum, "drop2d", 0.1f);
    auto flat = b.flatten(b.globalAvgPool(sum, "gap"), "flat");
    auto fc = b.batchNorm(b.linear(flat, "fc", 32), "fc.bn");
    fc = b.dropout(b.prelu(fc, "fc.prelu"), "fc.drop", 0.3f);
    auto emb = b.scale(b.linear(fc, "fc2", 24, false), "fc2.scale");
    if (l2norm) emb = b.l2norm(emb, "emb");
    auto logits = b.linear(emb, "logits.fc", 10);
    graph::Graph g = b.finish(emb, logits);
    g.preprocess.alignment = graph::Alignment::ArcFace112;
    g.preprocess.mean = {127.5f, 127.5f, 127.5f};
    g.preprocess.scale = {1 / 127.5f, 1 / 127.5f, 1 / 127.5f};
    return g;
}

io::OnnxExportOptions exportOptions(bool keepBatchNorm, bool withHead) {
    io::OnnxExportOptions o;
    o.keepBatchNorm = keepBatchNorm;
    o.withHead = withHead;
    return o;
}

std::vector<std::string> ops(const graph::Graph& g) {
    std::vector<std::string> out;
    for (const auto& n : g.nodes())
        if (n.op != Op::Input) out.emplace_back(opName(n.op));
    return out;
}

std::vector<std::string> without(std::vector<std::string> v, std::initializer_list<const char*> drop) {
    std::erase_if(v, [&](const std::string& s) {
        return std::any_of(drop.begin(), drop.end(), [&](const char* d) { return s == d; });
    });
    return v;
}

// What the importer reads back for each written layer: Clip arrives as the ReLU/Sub
// chain OpenCV 4.6 can run, an n-ary Add as n-1 Adds, and a Scale as one or two
// (Mul, Add) — so runs of Scale are merged before comparing.
std::vector<std::string> importedForm(const graph::Graph& written) {
    std::vector<std::string> out;
    for (const auto& n : written.nodes()) {
        if (n.op == Op::Input) continue;
        if (n.op == Op::Clip) {
            const bool lo = std::isfinite(n.clipMin), hi = std::isfinite(n.clipMax);
            if (lo && n.clipMin != 0.f) out.push_back("Scale");
            if (!lo && hi) out.push_back("Scale");
            out.push_back("ReLU");
            if (lo && hi) out.insert(out.end(), {"Scale", "ReLU"});
            if (hi || n.clipMin != 0.f) out.push_back("Scale");
        } else if (n.op == Op::Add) {
            out.insert(out.end(), n.inputs.size() - 1, "Add");
        } else {
            out.emplace_back(opName(n.op));
        }
    }
    return out;
}

std::vector<std::string> mergeScaleRuns(std::vector<std::string> v) {
    v.erase(std::unique(v.begin(), v.end(), [](const auto& a, const auto& b) { return a == "Scale" && b == "Scale"; }),
            v.end());
    return v;
}

QString joined(const std::vector<std::string>& v) {
    QStringList l;
    for (const auto& s : v) l << QString::fromStdString(s);
    return l.join(' ');
}

// Removes output channels of a Conv2d, keeping the first `keep`, and the matching
// per-channel parameters and input channels downstream (what the pruner will do).
void keepChannels(graph::Graph& g, const std::string& conv, int64_t keep) {
    auto sliceRows = [&](Tensor& t) {
        const int64_t per = t.numel() / t.dim(0);
        t.data.resize(static_cast<size_t>(keep * per));
        t.shape[0] = keep;
    };
    graph::Node& c = g.at(conv);
    sliceRows(c.param("weight"));
    if (c.hasParam("bias")) sliceRows(c.param("bias"));
    c.outChannels = keep;
    std::vector<std::string> frontier{conv};
    while (!frontier.empty()) {
        const std::string from = frontier.back();
        frontier.pop_back();
        for (const auto& name : g.consumers(from)) {
            graph::Node& n = g.at(name);
            if (n.op == Op::Conv2d && n.groups == 1) {
                Tensor& w = n.param("weight");
                const int64_t o = w.dim(0), i = w.dim(1), k = w.dim(2) * w.dim(3);
                Tensor sliced = Tensor::zeros({o, keep, w.dim(2), w.dim(3)});
                for (int64_t a = 0; a < o; ++a)
                    std::copy_n(w.data.begin() + a * i * k, keep * k, sliced.data.begin() + a * keep * k);
                w = std::move(sliced);
            } else if (n.op == Op::BatchNorm || n.op == Op::Scale || n.op == Op::PReLU || n.op == Op::ReLU ||
                       n.op == Op::Clip) {
                for (auto& [key, t] : n.params) sliceRows(t);
                frontier.push_back(name);
            } else {
                throw std::runtime_error("keepChannels: cannot follow " + conv + " into " + name);
            }
        }
    }
    g.inferShapes();
}

}  // namespace

class TestOnnxExporter : public QObject {
    Q_OBJECT

    std::unique_ptr<faces::FacePipeline> pipeline_;
    std::vector<cv::Mat> photos_;

    // Aligned crops of the first faces in sample photos 1 and 2, as `pre` wants them.
    Tensor faces(const graph::Preprocess& pre, size_t count) {
        std::vector<cv::Mat> crops;
        for (const auto& photo : photos_)
            for (auto& f : pipeline_->run(photo, pre))
                if (crops.size() < count) crops.push_back(f.crop);
        if (crops.size() < count) throw std::runtime_error("the sample photos hold too few faces");
        return image::toBatch(crops, pre);
    }

    // A backbone as the tests use it: zoo nets get trained-like BatchNorm statistics.
    graph::Graph backbone(const std::string& name, const Tensor& batch, const models::ZooOptions& zoo = {}) {
        if (!models::isZooName(name)) return models::loadModel(name);
        graph::Graph g = models::buildZooModel(name, zoo);
        calibrateBatchNorm(g, batch, 5);
        return g;
    }

    // Exports, then checks the file with the ONNX checker, OpenCV and ONNX Runtime
    // against the executor on `batch`. Returns the file's path; logs the figures.
    std::string exportAndCheck(const graph::Graph& g, const io::OnnxExportOptions& opt, const Tensor& batch,
                               const QString& dir, const QString& label) {
        const std::string path = (dir + "/" + label + ".onnx").toStdString();
        io::exportOnnx(g, path, opt);

        const QString checker = onnxCheckerError(path);
        if (!checker.isEmpty()) throw std::runtime_error("ONNX checker: " + checker.toStdString());

        std::vector<std::string> names{"embedding"}, layers{g.embeddingName()};
        if (opt.withHead && g.hasHead()) {
            names.push_back("logits");
            layers.push_back(g.logitsName());
        }
        exec::Executor executor(g);
        const Outputs ours = executor.run(batch, layers);
        const Outputs cv = runOpenCv(path, batch, names);
        const Outputs ort = runOnnxRuntime(path, batch, dir);
        for (size_t i = 0; i < names.size(); ++i) {
            const Tensor& ref = ours.at(layers[i]);
            if (!ort.count(names[i])) throw std::runtime_error("ONNX Runtime gave no output '" + names[i] + "'");
            if (ort.at(names[i]).shape != ref.shape)
                throw std::runtime_error("ONNX Runtime's " + names[i] + " is " + ort.at(names[i]).shapeString() +
                                         ", the executor's " + ref.shapeString());
            const Diff dc = compare(ref, cv.at(names[i])), dr = compare(ref, ort.at(names[i]));
            qInfo("%-22s %-9s %6.2f MB  max |diff| cv::dnn %.2g, ONNX Runtime %.2g (values up to %.3g, batch %lld)",
                  qPrintable(label), names[i].c_str(), std::filesystem::file_size(path) / 1e6, dc.max, dr.max,
                  dc.largest, static_cast<long long>(batch.dim(0)));
            if (dc.max > kTolerance || dr.max > kTolerance)
                throw std::runtime_error(label.toStdString() + " " + names[i] + ": cv::dnn differs by " +
                                         std::to_string(dc.max) + ", ONNX Runtime by " + std::to_string(dr.max));
        }
        return path;
    }

private slots:
    void initTestCase() {
        pipeline_ = std::make_unique<faces::FacePipeline>();
        for (int i : {1, 2}) photos_.push_back(image::read(assets::samplePhoto(i)));
    }

    void backboneExportsRunEverywhere_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("faces");
        QTest::addColumn<bool>("roundTrip");
        // ResNet50 is 20x the MACs of the rest: one batch of two faces.
        QTest::newRow("squeezenet") << "squeezenet" << 4 << true;
        QTest::newRow("mobilenetv2") << "mobilenetv2" << 4 << true;
        QTest::newRow("resnet50") << "resnet50" << 2 << true;
        QTest::newRow("mobilefacenet") << "mobilefacenet" << 4 << true;
        QTest::newRow("faceapi-dlib") << "faceapi-dlib" << 4 << true;
        QTest::newRow("all-ops") << "all-ops" << 4 << true;
        // L2Norm is written as ReduceL2 + Div (OpenCV 4.6 cannot run LpNormalization), which the
        // importer reads back as L2Norm.
        QTest::newRow("all-ops-l2norm") << "all-ops-l2norm" << 4 << true;
    }

    void backboneExportsRunEverywhere() {
        QFETCH(QString, model);
        QFETCH(int, faces);
        QFETCH(bool, roundTrip);
        QTemporaryDir dir;
        try {
            const std::string name = model.toStdString();
            const bool synthetic = model.startsWith("all-ops"), zoo = models::isZooName(name);
            graph::Graph g = synthetic ? allOpsNet(model.endsWith("l2norm"))
                             : zoo     ? models::buildZooModel(name)
                                       : models::loadModel(name);
            const Tensor batch = this->faces(g.preprocess, static_cast<size_t>(faces));
            if (synthetic || zoo) calibrateBatchNorm(g, batch, 5);
            if (synthetic) randomiseScales(g, 9);
            const std::string path = exportAndCheck(g, {}, batch, dir.path(), model);

            // What runtimes would trip on: a fixed batch, weights listed as inputs, Identity nodes.
            const onnx::ModelProto m = readModel(path);
            QCOMPARE(m.opset_import(0).version(), int64_t(13));
            QCOMPARE(m.graph().input_size(), 1);
            QCOMPARE(QString::fromStdString(m.graph().input(0).name()), QString("input"));
            QVERIFY(m.graph().input(0).type().tensor_type().shape().dim(0).has_dim_param());
            QCOMPARE(QString::fromStdString(m.graph().output(0).name()), QString("embedding"));
            for (const auto& n : m.graph().node())
                QVERIFY2(n.op_type() != "Identity" && n.op_type() != "Dropout", n.name().c_str());

            // BatchNorm (and face-api's Scale) folded away; nothing else changed.
            const graph::Graph written = io::inferenceGraph(g);
            if (!synthetic) QCOMPARE(joined(ops(written)), joined(without(ops(g), {"BatchNorm", "Scale", "Dropout"})));

            // Round trip: the importer reads the same layers and outputs back.
            if (!roundTrip) return;
            const graph::Graph back = io::importOnnx(path);
            QCOMPARE(joined(mergeScaleRuns(ops(back))), joined(mergeScaleRuns(importedForm(written))));
            QVERIFY(back.preprocess == g.preprocess);
            QVERIFY(!back.hasHead());
            exec::Executor original(g), reimported(back);
            const Diff d = compare(original.embed(batch), reimported.embed(batch));
            qInfo("%-22s re-imported (BatchNorm folded) vs original: max |diff| %.2g", qPrintable(model), d.max);
            QVERIFY2(d.max <= kTolerance, qPrintable(QString("re-imported model differs by %1").arg(d.max)));
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    void denormalWeightsAreWrittenAsZero() {
        // The npm MobileFaceNet holds weights below float32's normal range; the file must not.
        const graph::Graph g = models::loadModel("mobilefacenet");
        const int64_t denormals = graph::countDenormals(g);
        QVERIFY2(denormals > 1000, qPrintable(QString::number(denormals)));
        QTemporaryDir dir;
        const std::string path = dir.filePath("flushed.onnx").toStdString();
        const auto report = io::exportOnnx(g, path);
        QCOMPARE(report.denormalsFlushed, denormals);  // BatchNorm is folded already: nothing new
        const graph::Graph back = io::importOnnx(path);
        QCOMPARE(graph::countDenormals(back), int64_t(0));
        // FacePrune runs with flush-to-zero: the outputs are the same.
        const Tensor batch = faces(g.preprocess, 2);
        exec::Executor before(g), after(back);
        QVERIFY(compare(before.embed(batch), after.embed(batch)).max <= kTolerance);
        // Asked not to, the exporter keeps them.
        io::OnnxExportOptions keep;
        keep.flushDenormals = false;
        QCOMPARE(io::exportOnnx(g, path, keep).denormalsFlushed, int64_t(0));
        QCOMPARE(graph::countDenormals(io::importOnnx(path)), denormals);
    }

    void keepBatchNormAndHeadVariants() {
        QTemporaryDir dir;
        try {
            // SqueezeNet with an identification head, BatchNorm kept and logits out.
            const auto pre = models::buildZooModel("squeezenet").preprocess;
            const Tensor batch = faces(pre, 3);
            models::ZooOptions zoo;
            zoo.numClasses = 20;
            const graph::Graph g = backbone("squeezenet", batch, zoo);
            const io::OnnxExportOptions keep = exportOptions(true, true);
            const std::string kept = exportAndCheck(g, keep, batch, dir.path(), "squeezenet-keep-bn-head");
            const graph::Graph back = io::importOnnx(kept);
            QCOMPARE(joined(mergeScaleRuns(ops(back))), joined(mergeScaleRuns(importedForm(io::inferenceGraph(g, keep)))));
            QVERIFY(back.hasHead());
            QCOMPARE(back.at(back.logitsName()).shape.c, int64_t(20));
            exec::Executor a(g), b(back);
            const Outputs oa = a.run(batch, {g.embeddingName(), g.logitsName()});
            const Outputs ob = b.run(batch, {back.embeddingName(), back.logitsName()});
            QVERIFY(compare(oa.at(g.logitsName()), ob.at(back.logitsName())).max <= kTolerance);
            QVERIFY(compare(oa.at(g.embeddingName()), ob.at(back.embeddingName())).max <= kTolerance);

            // Folded with the head; and without --with-head the head's weights stay out of the file.
            const std::string folded =
                exportAndCheck(g, exportOptions(false, true), batch, dir.path(), "squeezenet-head");
            QVERIFY(std::filesystem::file_size(folded) < std::filesystem::file_size(kept));
            const std::string plain = (dir.path() + "/squeezenet-no-head.onnx").toStdString();
            io::exportOnnx(g, plain);
            QCOMPARE(readModel(plain).graph().output_size(), 1);
            // The head's float weights plus a few hundred bytes of names.
            const double headBytes = 4.0 * g.cost(g.at(g.logitsName())).params;
            const double extra = static_cast<double>(std::filesystem::file_size(folded)) -
                                 static_cast<double>(std::filesystem::file_size(plain));
            QVERIFY2(extra >= headBytes && extra < headBytes + 1000, qPrintable(QString::number(extra)));

            // face-api with its Scale layers kept: written as Mul + Add.
            const graph::Graph dlib = models::loadModel("faceapi-dlib");
            const Tensor dlibBatch = faces(dlib.preprocess, 2);
            const std::string dlibKept =
                exportAndCheck(dlib, exportOptions(true, false), dlibBatch, dir.path(), "faceapi-dlib-keep-scale");
            int muls = 0;
            const onnx::ModelProto dlibModel = readModel(dlibKept);
            for (const auto& n : dlibModel.graph().node()) muls += n.op_type() == "Mul";
            const auto dlibOps = ops(dlib);
            QCOMPARE(muls, static_cast<int>(std::count(dlibOps.begin(), dlibOps.end(), "Scale")));

            // The all-ops net with its head and everything kept.
            graph::Graph all = allOpsNet(true);
            const Tensor allBatch = faces(all.preprocess, 4);
            calibrateBatchNorm(all, allBatch, 9);
            randomiseScales(all, 9);
            exportAndCheck(all, keep, allBatch, dir.path(), "all-ops-keep-bn-head");
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    void prunedGraphExportsSmallerInProportion() {
        QTemporaryDir dir;
        try {
            struct Case {
                const char* model;
                std::vector<std::string> convs;  // layers whose outputs are cut
            };
            std::vector<Case> cases{{"squeezenet", {}}, {"resnet50", {}}};
            const graph::Graph squeeze = models::buildZooModel("squeezenet");
            for (const auto& n : squeeze.nodes())
                if (n.op == Op::Conv2d && n.name.find("squeeze") != std::string::npos) cases[0].convs.push_back(n.name);
            const graph::Graph resnet = models::buildZooModel("resnet50");
            for (const auto& n : resnet.nodes())
                if (n.name.ends_with(".conv1") || n.name.ends_with(".conv2")) cases[1].convs.push_back(n.name);

            for (const auto& c : cases) {
                const graph::Graph full = c.model == std::string("squeezenet") ? squeeze : resnet;
                const std::string fullPath = dir.path().toStdString() + "/" + c.model + ".onnx";
                io::exportOnnx(full, fullPath);
                const double fullBytes = static_cast<double>(std::filesystem::file_size(fullPath));
                const auto fullCost = io::inferenceGraph(full).totalCost();
                for (double keep : {0.75, 0.5}) {
                    graph::Graph pruned = full;
                    for (const auto& conv : c.convs)
                        keepChannels(pruned, conv, static_cast<int64_t>(pruned.at(conv).outChannels * keep));
                    const std::string path =
                        dir.path().toStdString() + "/" + c.model + "-" + std::to_string(keep) + ".onnx";
                    io::exportOnnx(pruned, path);
                    const auto cost = io::inferenceGraph(pruned).totalCost();
                    const double sizeRatio = std::filesystem::file_size(path) / fullBytes;
                    const double paramRatio = static_cast<double>(cost.params) / fullCost.params;
                    qInfo("%-10s keep %.2f of %zu layers: %.2f MB -> %.2f MB (x%.3f), params x%.3f, MACs x%.3f",
                          c.model, keep, c.convs.size(), fullBytes / 1e6, std::filesystem::file_size(path) / 1e6,
                          sizeRatio, paramRatio, static_cast<double>(cost.macs) / fullCost.macs);
                    QVERIFY(paramRatio < 0.95);
                    QVERIFY2(std::fabs(sizeRatio - paramRatio) < 0.01,
                             qPrintable(QString("size x%1 vs params x%2").arg(sizeRatio).arg(paramRatio)));
                }
            }

            // A pruned net still runs the same everywhere.
            const auto pre = squeeze.preprocess;
            const Tensor batch = faces(pre, 2);
            graph::Graph pruned = backbone("squeezenet", batch);
            for (const auto& conv : cases[0].convs) keepChannels(pruned, conv, pruned.at(conv).outChannels / 2);
            calibrateBatchNorm(pruned, batch, 6);
            exportAndCheck(pruned, {}, batch, dir.path(), "squeezenet-pruned");
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    // Every backbone pruned by the engine itself (dependency groups, L1 ranking, surgery) at two depths:
    // the file still passes the checker and agrees with the executor in cv::dnn and ONNX Runtime.
    void enginePrunedBackbonesExportEverywhere_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("faces");
        QTest::newRow("squeezenet") << "squeezenet" << 3;
        QTest::newRow("mobilenetv2") << "mobilenetv2" << 3;
        QTest::newRow("resnet50") << "resnet50" << 2;
        QTest::newRow("mobilefacenet") << "mobilefacenet" << 3;
        QTest::newRow("faceapi-dlib") << "faceapi-dlib" << 3;
    }

    void enginePrunedBackbonesExportEverywhere() {
        QFETCH(QString, model);
        QFETCH(int, faces);
        QTemporaryDir dir;
        try {
            const std::string name = model.toStdString();
            graph::Graph full = models::isZooName(name) ? models::buildZooModel(name) : models::loadModel(name);
            const Tensor batch = this->faces(full.preprocess, static_cast<size_t>(faces));
            if (models::isZooName(name)) calibrateBatchNorm(full, batch, 5);
            const double fullMacs = static_cast<double>(full.totalCost(false).macs);
            for (double macsLeft : {0.75, 0.5}) {
                const graph::Graph pruned = live::pruneToMacs(full, macsLeft);
                const double left = static_cast<double>(pruned.totalCost(false).macs) / fullMacs;
                QVERIFY2(left < macsLeft + 0.05, qPrintable(QString("%1 of the MACs left").arg(left)));
                exportAndCheck(pruned, {}, batch, dir.path(),
                               QString("%1-macs-%2").arg(model).arg(macsLeft));
            }
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    void metadataCarriesProducerPreprocessAndSummary() {
        QTemporaryDir dir;
        graph::Graph g = models::buildZooModel("squeezenet");
        g.metadata["pruning.params_before"] = "722496";
        g.metadata["pruning.criterion"] = "taylor";
        const std::string path = (dir.path() + "/meta.onnx").toStdString();
        io::OnnxExportOptions opt;
        opt.extraMetadata["author"] = "tests";
        io::exportOnnx(g, path, opt);

        const onnx::ModelProto m = readModel(path);
        QCOMPARE(QString::fromStdString(m.producer_name()), QString("FacePrune"));
        QCOMPARE(QString::fromStdString(m.producer_version()), QString(FACEPRUNE_VERSION));
        std::map<std::string, std::string> props;
        for (const auto& p : m.metadata_props()) props[p.key()] = p.value();
        QCOMPARE(QString::fromStdString(props["faceprune.producer"]), QString("FacePrune " FACEPRUNE_VERSION));
        QCOMPARE(QString::fromStdString(props["faceprune.pruning.criterion"]), QString("taylor"));
        QCOMPARE(QString::fromStdString(props["author"]), QString("tests"));
        QVERIFY(io::preprocessFromJson(nlohmann::json::parse(props["faceprune.preprocess"])) == g.preprocess);

        // Read back, and written again: the summary survives, our own keys are not doubled.
        const graph::Graph back = io::importOnnx(path);
        QCOMPARE(QString::fromStdString(back.metadata.at("pruning.params_before")), QString("722496"));
        const std::string again = (dir.path() + "/again.onnx").toStdString();
        io::exportOnnx(back, again);
        int producers = 0;
        const onnx::ModelProto rewritten = readModel(again);
        for (const auto& p : rewritten.metadata_props()) producers += p.key() == "faceprune.producer";
        QCOMPARE(producers, 1);
        QVERIFY(io::importOnnx(again).preprocess == g.preprocess);
    }

    void unwritablePathIsReportedAndLeavesNothing() {
        QTemporaryDir dir;
        const graph::Graph g = models::buildZooModel("squeezenet");
        const std::string missing = (dir.path() + "/no-such-folder/model.onnx").toStdString();
        try {
            io::exportOnnx(g, missing);
            QFAIL("writing into a missing folder must fail");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("no-such-folder") && QString(e.what()).contains("cannot write"),
                     e.what());
        }
        // A regular file where a folder should be (root may write anywhere, so no chmod).
        std::ofstream(dir.path().toStdString() + "/file") << "x";
        QVERIFY_THROWS_EXCEPTION(Error, io::exportOnnx(g, dir.path().toStdString() + "/file/model.onnx"));
        // A folder where the file should be: the temporary must not survive the failed rename.
        QVERIFY(QDir(dir.path()).mkdir("taken.onnx"));
        QVERIFY_THROWS_EXCEPTION(Error, io::exportOnnx(g, dir.path().toStdString() + "/taken.onnx"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::NoDotAndDotDot), QStringList{"file"});
    }

    void brokenGraphsAreRefusedWithoutTouchingTheFile() {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/model.onnx").toStdString();
        std::ofstream(path) << "previous export";
        const graph::Graph good = models::buildZooModel("squeezenet");
        auto expectError = [&](const graph::Graph& g, const QStringList& words, bool unsupported) {
            try {
                io::exportOnnx(g, path);
                QFAIL("the graph must be refused");
            } catch (const UnsupportedOpError& e) {
                QVERIFY2(unsupported, e.what());
                for (const auto& w : words) QVERIFY2(QString(e.what()).contains(w), e.what());
            } catch (const GraphError& e) {
                QVERIFY2(!unsupported, e.what());
                for (const auto& w : words) QVERIFY2(QString(e.what()).contains(w), e.what());
            }
        };

        // An op the writer has no ONNX form for (a newer FacePrune op, here a bad value).
        graph::Graph g = good;
        g.nodes()[3].op = static_cast<Op>(99);
        expectError(g, {QString::fromStdString(g.nodes()[3].name), "op #99", "ONNX"}, true);

        // A layer reading a layer that surgery removed.
        g = good;
        g.nodes()[5].inputs = {"gone"};
        expectError(g, {QString::fromStdString(g.nodes()[5].name), "gone", "does not exist"}, false);

        // Weights that no longer fit their layer (a pruning bug).
        g = good;
        auto& conv = g.at("features.3.squeeze");
        conv.param("weight").shape[0] -= 1;
        conv.param("weight").data.resize(static_cast<size_t>(numelOf(conv.param("weight").shape)));
        expectError(g, {"features.3.squeeze"}, false);

        // Two inputs.
        g = good;
        graph::Node extra = g.at(g.inputName());
        extra.name = "second_input";
        g.add(extra);
        expectError(g, {"2 input layers"}, false);

        std::ifstream in(path);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QCOMPARE(QString::fromStdString(content), QString("previous export"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::NoDotAndDotDot).size(), 1);
        io::OnnxExportOptions old;
        old.opset = 9;
        QVERIFY_THROWS_EXCEPTION(Error, io::exportOnnx(good, path, old));
    }
};

QTEST_GUILESS_MAIN(TestOnnxExporter)
#include "tst_onnx_exporter.moc"
