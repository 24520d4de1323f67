// face-api's recognition net imported from its TF.js weights must give the
// descriptors face-api itself gives: tests/data/faceapi holds 150x150 face crops
// (PNG) and the descriptors face-api 1.7.15 computed for them on TF.js 4.22 WASM
// (scripts/faceapi-reference/make-reference.js). No Node is needed here.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "exec/Executor.h"
#include "io/FaceApiImporter.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

namespace fs = std::filesystem;

namespace {

const fs::path kDataDir = fs::path(FP_SOURCE_DIR) / "tests" / "data" / "faceapi";
constexpr int64_t kBinBytes = 6444032;
constexpr int64_t kManifestValues = 5614592;  // every value the manifest lists

std::string readText(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeText(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

// The message of the ModelFileError `f` throws; empty when it throws none.
QString modelFileError(const std::function<void()>& f) {
    try {
        f();
    } catch (const fp::ModelFileError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestFaceApiImporter : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void buildsFaceApiArchitecture();
    void matchesFaceApiDescriptors();
    void explicitWeightsPath();
    void rejectsTruncatedBin();
    void rejectsManifestThatIsNotJson();
    void rejectsManifestDisagreeingWithBin();
    void rejectsUnsupportedQuantization();
    void rejectsMissingWeight();

private:
    // A copy of the model in a temporary folder, with its manifest text and .bin bytes.
    struct Copy {
        fs::path manifest, bin;
    };
    Copy copyModel(QTemporaryDir& dir, const std::string& manifestText) const;

    fs::path manifest_, bin_;
    std::string manifestText_;
    fp::graph::Graph graph_;
};

void TestFaceApiImporter::initTestCase() {
    try {
        manifest_ = fp::assets::locate(fp::assets::Asset::FaceApiManifest);
        bin_ = fp::assets::locate(fp::assets::Asset::FaceApiWeights);
    } catch (const fp::AssetError& e) {
        QSKIP(e.what());
    }
    manifestText_ = readText(manifest_);
    QElapsedTimer timer;
    timer.start();
    graph_ = fp::io::importFaceApi(manifest_);
    qInfo("imported %s in %lld ms", manifest_.filename().string().c_str(),
          static_cast<long long>(timer.elapsed()));
}

void TestFaceApiImporter::buildsFaceApiArchitecture() {
    QCOMPARE(graph_.name, std::string("faceapi-dlib"));
    QCOMPARE(graph_.embeddingName(), std::string("fc"));
    QVERIFY(!graph_.hasHead());
    const auto& fc = graph_.at("fc");
    QCOMPARE(fc.op, fp::graph::Op::Linear);
    QVERIFY(!fc.hasParam("bias"));
    QCOMPARE(fc.shape, (fp::graph::Shape{128, 1, 1, true}));

    const auto& pre = graph_.preprocess;
    QCOMPARE(pre.width, 150);
    QCOMPARE(pre.height, 150);
    QVERIFY(!pre.bgr);
    QCOMPARE(pre.alignment, fp::graph::Alignment::Dlib150);
    QCOMPARE(pre.mean[0], 122.782f);
    QCOMPARE(pre.mean[2], 104.298f);
    QCOMPARE(pre.scale[1], 1.f / 255.f);

    // Layers carry the manifest's names, so a user can find them in face-api's code.
    for (const char* name : {"conv32_down", "conv32_down.scale", "conv32_1.conv1", "conv32_1.conv1.scale",
                             "conv32_1.relu1", "conv32_1.conv2.scale", "conv32_1.add", "conv256_down_out.relu"})
        QVERIFY2(graph_.find(name), name);
    QCOMPARE(graph_.at("conv32_1.conv1").param("weight").shape, (std::vector<int64_t>{32, 32, 3, 3}));
    QCOMPARE(graph_.at("conv32_down").shape, (fp::graph::Shape{32, 72, 72, false}));
    QCOMPARE(graph_.at("maxpool").shape, (fp::graph::Shape{32, 35, 35, false}));
    // Odd sizes: the stride-2 conv path is one smaller than the pooled shortcut and gets padded.
    QVERIFY(!graph_.find("conv128_down.pad"));
    QCOMPARE(graph_.at("conv256_down.pad").shape, (fp::graph::Shape{256, 4, 4, false}));
    QCOMPARE(graph_.at("conv256_down_out.pad").shape, (fp::graph::Shape{256, 2, 2, false}));
    // Wider blocks get zero channels on the shortcut; the last block keeps its width.
    QCOMPARE(graph_.at("conv64_down.shortcut.pad").shape, (fp::graph::Shape{64, 17, 17, false}));
    QVERIFY(!graph_.find("conv256_down_out.shortcut.pad"));

    const auto cost = graph_.totalCost();
    qInfo("faceapi-dlib: %zu layers, %lld parameters, %.2f GMACs per face", graph_.nodes().size(),
          static_cast<long long>(cost.params), static_cast<double>(cost.macs) / 1e9);
    QCOMPARE(cost.params, kManifestValues);
}

void TestFaceApiImporter::matchesFaceApiDescriptors() {
    QFile file(QString::fromStdString((kDataDir / "reference.json").string()));
    QVERIFY2(file.open(QIODevice::ReadOnly), "tests/data/faceapi/reference.json is missing");
    const auto doc = QJsonDocument::fromJson(file.readAll()).object();
    const auto faces = doc["faces"].toArray();
    QVERIFY(faces.size() >= 4);

    std::vector<cv::Mat> images;
    for (const auto& f : faces)
        images.push_back(fp::image::read(kDataDir / f.toObject()["file"].toString().toStdString()));
    const fp::Tensor batch = fp::image::toBatch(images, graph_.preprocess);
    fp::exec::Executor executor(graph_);
    const fp::Tensor out = executor.embed(batch);
    QCOMPARE(out.shape, (std::vector<int64_t>{static_cast<int64_t>(faces.size()), 128}));

    double worst = 0;
    for (qsizetype i = 0; i < faces.size(); ++i) {
        const auto face = faces[i].toObject();
        const auto expected = face["descriptor"].toArray();
        QCOMPARE(expected.size(), 128);
        double faceWorst = 0;
        for (int k = 0; k < 128; ++k)
            faceWorst = std::max(faceWorst, std::abs(out.data[i * 128 + k] - expected[k].toDouble()));
        qInfo("%s: max |diff| to face-api = %.3g", qPrintable(face["file"].toString()), faceWorst);
        worst = std::max(worst, faceWorst);
    }
    qInfo("max |diff| over %lld faces: %.3g (face-api %s, tfjs %s, %s backend)",
          static_cast<long long>(faces.size()), worst, qPrintable(doc["faceApi"].toString()),
          qPrintable(doc["tfjs"].toString()), qPrintable(doc["backend"].toString()));
    QVERIFY2(worst <= 1e-4, qPrintable(QString("descriptors differ from face-api by up to %1").arg(worst)));
}

TestFaceApiImporter::Copy TestFaceApiImporter::copyModel(QTemporaryDir& dir,
                                                         const std::string& manifestText) const {
    Copy c{fs::path(dir.path().toStdString()) / manifest_.filename(),
           fs::path(dir.path().toStdString()) / bin_.filename()};
    writeText(c.manifest, manifestText);
    fs::copy_file(bin_, c.bin, fs::copy_options::overwrite_existing);
    return c;
}

void TestFaceApiImporter::explicitWeightsPath() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto moved = fs::path(dir.path().toStdString()) / "renamed.bin";
    fs::copy_file(bin_, moved);
    const auto g = fp::io::importFaceApi(manifest_, moved);
    QCOMPARE(g.at("fc").param("weight").data, graph_.at("fc").param("weight").data);
}

void TestFaceApiImporter::rejectsTruncatedBin() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto c = copyModel(dir, manifestText_);
    fs::resize_file(c.bin, 100000);
    const QString msg = modelFileError([&] { fp::io::importFaceApi(c.manifest); });
    QVERIFY2(!msg.isEmpty(), "a truncated .bin was accepted");
    qInfo("%s", qPrintable(msg));
    QVERIFY(msg.contains(QString::fromStdString(c.bin.string())));
    QVERIFY(msg.contains("truncated"));
    QVERIFY(msg.contains("100000"));
    QVERIFY(msg.contains(QString::number(kBinBytes)));
}

void TestFaceApiImporter::rejectsManifestThatIsNotJson() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto c = copyModel(dir, "<html>404 Not Found</html>\n");
    const QString msg = modelFileError([&] { fp::io::importFaceApi(c.manifest); });
    QVERIFY2(!msg.isEmpty(), "a manifest that is not JSON was accepted");
    qInfo("%s", qPrintable(msg));
    QVERIFY(msg.contains(QString::fromStdString(c.manifest.string())));
    QVERIFY(msg.contains("JSON"));

    // Valid JSON of the wrong form is no better.
    writeText(c.manifest, R"({"weights": []})");
    QVERIFY(modelFileError([&] { fp::io::importFaceApi(c.manifest); }).contains("weight groups"));
    writeText(c.manifest, R"([{"paths": ["face_recognition_model.bin"]}])");
    QVERIFY(modelFileError([&] { fp::io::importFaceApi(c.manifest); }).contains("\"weights\""));
}

void TestFaceApiImporter::rejectsManifestDisagreeingWithBin() {
    // One uint8 column of fc fewer: the manifest describes 256 bytes less than the .bin holds.
    std::string text = manifestText_;
    const std::string from = R"("name":"fc","shape":[256,128])";
    const auto at = text.find(from);
    QVERIFY(at != std::string::npos);
    text.replace(at, from.size(), R"("name":"fc","shape":[256,127])");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto c = copyModel(dir, text);
    const QString msg = modelFileError([&] { fp::io::importFaceApi(c.manifest); });
    QVERIFY2(!msg.isEmpty(), "a manifest that disagrees with its .bin was accepted");
    qInfo("%s", qPrintable(msg));
    QVERIFY(msg.contains(QString::number(kBinBytes)));
    QVERIFY(msg.contains(QString::number(kBinBytes - 256)));
}

void TestFaceApiImporter::rejectsUnsupportedQuantization() {
    std::string text = manifestText_;
    const std::string from = R"("quantization":{"dtype":"uint8")";
    const auto at = text.find(from);
    QVERIFY(at != std::string::npos);
    text.replace(at, from.size(), R"("quantization":{"dtype":"int4")");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto c = copyModel(dir, text);
    const QString msg = modelFileError([&] { fp::io::importFaceApi(c.manifest); });
    qInfo("%s", qPrintable(msg));
    QVERIFY(msg.contains("int4"));
    QVERIFY(msg.contains("conv32_down/conv/filters"));
}

void TestFaceApiImporter::rejectsMissingWeight() {
    std::string text = manifestText_;
    const std::string from = R"("name":"fc")";
    const auto at = text.find(from);
    QVERIFY(at != std::string::npos);
    text.replace(at, from.size(), R"("name":"fc_renamed")");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto c = copyModel(dir, text);
    const QString msg = modelFileError([&] { fp::io::importFaceApi(c.manifest); });
    qInfo("%s", qPrintable(msg));
    QVERIFY(msg.contains("'fc'"));
    QVERIFY(msg.contains("missing"));
    QVERIFY(msg.contains(QString::fromStdString(c.manifest.string())));

    // Without its .bin beside it, the manifest's error names the file it looked for.
    fs::remove(c.bin);
    const QString noBin = modelFileError([&] { fp::io::importFaceApi(c.manifest); });
    qInfo("%s", qPrintable(noBin));
    QVERIFY(noBin.contains(QString::fromStdString(c.bin.string())));
}

QTEST_GUILESS_MAIN(TestFaceApiImporter)
#include "tst_faceapi_importer.moc"
