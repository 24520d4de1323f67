// ONNX import: the npm MobileFaceNet against OpenCV's runtime on real aligned
// faces, PyTorch exports against PyTorch, and clear errors for bad files.
#include <QtTest>

#include <fstream>

#include <onnx/onnx_pb.h>
#include <opencv2/dnn.hpp>

#include "exec/Executor.h"
#include "faces/FacePipeline.h"
#include "io/OnnxImporter.h"
#include "models/ModelLoader.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

using namespace fp;

namespace {

std::vector<float> readFloats(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary | std::ios::ate);
    std::vector<float> v(static_cast<size_t>(in.tellg()) / 4);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
    return v;
}

int countOps(const graph::Graph& g, graph::Op op) {
    return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(), [&](auto& n) { return n.op == op; }));
}

}  // namespace

class TestOnnxImporter : public QObject {
    Q_OBJECT
private slots:
    void mobileFaceNetMatchesOpenCvOnAlignedFaces() {
        const graph::Graph g = models::loadModel("mobilefacenet");
        QCOMPARE(countOps(g, graph::Op::Conv2d), 50);
        QCOMPARE(countOps(g, graph::Op::PReLU), 33);
        QCOMPARE(countOps(g, graph::Op::Add), 12);
        QCOMPARE(g.at(g.embeddingName()).shape.numel(), int64_t(512));
        qInfo("MobileFaceNet: %.3f M params, %.1f M MACs", g.totalCost().params / 1e6, g.totalCost().macs / 1e6);

        // Aligned crops of every face in two of the face-api sample photos.
        faces::FacePipeline pipeline;
        std::vector<cv::Mat> crops;
        for (int photo : {1, 2})
            for (auto& f : pipeline.run(image::read(assets::samplePhoto(photo)), g.preprocess)) crops.push_back(f.crop);
        QVERIFY2(crops.size() >= 4, "expected several faces in the sample photos");

        exec::Executor executor(g);
        const Tensor ours = executor.embed(image::toBatch(crops, g.preprocess));

        cv::dnn::Net net = cv::dnn::readNetFromONNX(assets::locate(assets::Asset::MobileFaceNet).string());
        net.setInput(cv::dnn::blobFromImages(crops, 1 / 128.0, cv::Size(112, 112), cv::Scalar(127, 127, 127), false));
        const cv::Mat theirs = net.forward().reshape(1, static_cast<int>(crops.size()));
        float worst = 0.f, largest = 0.f;
        for (int i = 0; i < theirs.rows; ++i)
            for (int j = 0; j < theirs.cols; ++j) {
                worst = std::max(worst, std::fabs(theirs.at<float>(i, j) - ours.data[i * 512 + j]));
                largest = std::max(largest, std::fabs(theirs.at<float>(i, j)));
            }
        qInfo("MobileFaceNet vs cv::dnn on %zu aligned faces: max |diff| %.3g (values up to %.2f)", crops.size(), worst,
              largest);
        QVERIFY2(worst <= 1e-4f, qPrintable(QString("max |diff| %1").arg(worst)));
    }

    void pytorchExportsMatchPyTorch() {
        QTemporaryDir dir;
        QProcess python;
        python.start("/usr/bin/python3", {QString(FP_SOURCE_DIR) + "/scripts/make_onnx_fixtures.py", dir.path()});
        QVERIFY(python.waitForFinished(300000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const QStringList names = QString(python.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
        QVERIFY(names.size() >= 4);
        for (const QString& name : names) {
            const QString base = dir.path() + "/" + name;
            const graph::Graph g = io::importOnnx((base + ".onnx").toStdString());
            std::ifstream shapeFile((base + ".shape").toStdString());
            std::vector<int64_t> shape(4);
            for (auto& d : shape) shapeFile >> d;
            const Tensor x(shape, readFloats(base + ".input.bin"));
            const std::vector<float> expected = readFloats(base + ".output.bin");
            exec::Executor executor(g);
            const Tensor y = executor.embed(x);
            QCOMPARE(y.data.size(), expected.size());
            float worst = 0.f, largest = 0.f;
            for (size_t i = 0; i < expected.size(); ++i) {
                worst = std::max(worst, std::fabs(expected[i] - y.data[i]));
                largest = std::max(largest, std::fabs(expected[i]));
            }
            qInfo("%s: %zu layers, max |diff| %.3g (values up to %.3g)", qPrintable(name), g.nodes().size(), worst,
                  largest);
            QVERIFY2(worst <= 1e-4f * std::max(1.f, largest), qPrintable(name));
        }
    }

    void truncatedFileIsReported() {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/cut.onnx";
        std::filesystem::copy_file(assets::locate(assets::Asset::MobileFaceNet), path);
        std::filesystem::resize_file(path, 100000);
        try {
            io::importOnnx(path);
            QFAIL("a truncated file must not import");
        } catch (const ModelFileError& e) {
            QVERIFY2(QString(e.what()).contains("cut.onnx"), e.what());
        }
    }

    void textFileIsNotOnnx() {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/notes.onnx";
        std::ofstream(path) << "these are my notes, not a network\n";
        QVERIFY_THROWS_EXCEPTION(ModelFileError, io::importOnnx(path));
        QVERIFY_THROWS_EXCEPTION(ModelFileError, io::importOnnx(dir.path().toStdString() + "/missing.onnx"));
    }

    void unsupportedOpNamesOpNodeAndFile() {
        onnx::ModelProto model;
        std::ifstream in(assets::locate(assets::Asset::MobileFaceNet), std::ios::binary);
        QVERIFY(model.ParseFromIstream(&in));
        model.mutable_graph()->mutable_node(3)->set_op_type("LRN");
        model.mutable_graph()->mutable_node(3)->set_name("my_lrn");
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/lrn.onnx";
        std::ofstream out(path, std::ios::binary);
        QVERIFY(model.SerializeToOstream(&out));
        out.close();
        try {
            io::importOnnx(path);
            QFAIL("LRN is not supported");
        } catch (const UnsupportedOpError& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("LRN") && msg.contains("my_lrn") && msg.contains("lrn.onnx"), e.what());
        }
    }

    void wrongInputSizeIsReported() {
        const graph::Graph g = models::loadModel("mobilefacenet");
        exec::Executor executor(g);
        try {
            executor.embed(Tensor::zeros({1, 3, 100, 100}));
            QFAIL("100x100 input must be refused");
        } catch (const InputError& e) {
            QVERIFY2(QString(e.what()).contains("3x112x112") && QString(e.what()).contains("100"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestOnnxImporter)
#include "tst_onnx_importer.moc"
