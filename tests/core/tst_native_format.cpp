// Native .fpm files: bit-exact round trip, atomic writes, clear errors.
#include <QtTest>

#include <fstream>

#include "exec/Executor.h"
#include "graph/GraphBuilder.h"
#include "io/NativeFormat.h"
#include "util/Errors.h"

using namespace fp;
using namespace fp::graph;

namespace {

Graph sampleGraph() {
    GraphBuilder b("sample", {3, 20, 20}, 7);
    auto x = b.conv(b.input(), "conv1", {.out = 8, .kernel = 3, .stride = 2, .pad = 1, .bias = true});
    x = b.batchNorm(x, "bn1");
    x = b.prelu(x, "prelu1");
    Window w;
    w.kh = w.kw = 3;
    w.padBottom = w.padRight = 2;
    auto y = b.conv(x, "conv2", 8, w, 2);
    y = b.clip(y, "relu6", 0.f, 6.f);
    auto sum = b.add({b.pad(y, "pad", {0, 0, 0, 0, 0, 0}), x}, "add");
    auto emb = b.flatten(b.globalAvgPool(sum, "gap"), "embedding");
    auto head = b.linear(emb, "head", 5);
    Graph g = b.finish(emb, head);
    // Non-trivial BN statistics so that a lost value would show.
    auto& bn = g.at("bn1");
    for (size_t i = 0; i < 8; ++i) {
        bn.param("running_mean").data[i] = 0.1f * i;
        bn.param("running_var").data[i] = 1.f + 0.01f * i;
    }
    g.preprocess.bgr = true;
    g.preprocess.mean = {1.f, 2.f, 3.f};
    g.preprocess.alignment = Alignment::Dlib150;
    g.metadata["note"] = "round trip";
    return g;
}

}  // namespace

class TestNativeFormat : public QObject {
    Q_OBJECT
private slots:
    void roundTripIsBitExact() {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.fpm";
        const Graph g = sampleGraph();
        io::saveNative(g, path);
        QVERIFY(io::looksNative(path));
        const Graph h = io::loadNative(path);
        QCOMPARE(h.nodes().size(), g.nodes().size());
        for (size_t i = 0; i < g.nodes().size(); ++i) {
            const auto &a = g.nodes()[i], &b = h.nodes()[i];
            QCOMPARE(b.name, a.name);
            QCOMPARE(b.op, a.op);
            QCOMPARE(b.inputs, a.inputs);
            QVERIFY(b.window == a.window);
            QCOMPARE(b.shape, a.shape);
            QCOMPARE(b.params.size(), a.params.size());
            for (const auto& [key, t] : a.params) {
                QCOMPARE(b.param(key).shape, t.shape);
                QVERIFY(std::memcmp(b.param(key).data.data(), t.data.data(), t.data.size() * 4) == 0);
            }
        }
        QVERIFY(h.preprocess == g.preprocess);
        QCOMPARE(h.metadata.at("note"), std::string("round trip"));
        QCOMPARE(h.logitsName(), g.logitsName());

        // Same outputs, to the bit.
        Tensor x = Tensor::zeros({2, 3, 20, 20});
        for (size_t i = 0; i < x.data.size(); ++i) x.data[i] = std::sin(0.37f * i);
        exec::Executor ea(g), eb(h);
        const auto oa = ea.run(x, {"embedding", "head"});
        const auto ob = eb.run(x, {"embedding", "head"});
        QCOMPARE(maxAbsDiff(oa.at("embedding"), ob.at("embedding")), 0.f);
        QCOMPARE(maxAbsDiff(oa.at("head"), ob.at("head")), 0.f);
    }

    void truncatedFileNamesTheFile() {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.fpm";
        io::saveNative(sampleGraph(), path);
        std::filesystem::resize_file(path, std::filesystem::file_size(path) - 100);
        try {
            io::loadNative(path);
            QFAIL("a truncated file must not load");
        } catch (const ModelFileError& e) {
            QVERIFY2(QString(e.what()).contains("m.fpm") && QString(e.what()).contains("truncated"), e.what());
        }
    }

    void otherFilesAreRejected() {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "x.fpm";
        std::ofstream(path) << "hello, I am not a model";
        QVERIFY(!io::looksNative(path));
        QVERIFY_THROWS_EXCEPTION(ModelFileError, io::loadNative(path));
    }

    void unwritablePathLeavesNothingBehind() {
        QTemporaryDir dir;
        const auto folder = std::filesystem::path(dir.path().toStdString()) / "missing-folder";
        QVERIFY_THROWS_EXCEPTION(Error, io::saveNative(sampleGraph(), folder / "m.fpm"));
        QVERIFY(!std::filesystem::exists(folder));
        // A failed overwrite keeps the previous file intact and leaves no temporary.
        const auto path = std::filesystem::path(dir.path().toStdString()) / "keep.fpm";
        io::saveNative(sampleGraph(), path);
        const auto before = std::filesystem::file_size(path);
        io::saveNative(sampleGraph(), path);
        QCOMPARE(std::filesystem::file_size(path), before);
        int files = 0;
        for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path().toStdString())) ++files;
        QCOMPARE(files, 1);
    }
};

QTEST_GUILESS_MAIN(TestNativeFormat)
#include "tst_native_format.moc"
