// faceprune-cli as a user runs it: inspect and embed, machine-readable output,
// and errors that name the file and the problem.
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/Assets.h"

namespace {

struct Result {
    int code;
    QString out, err;
};

Result cli(const QStringList& args) {
    QProcess p;
    p.start(FP_CLI, args);
    p.waitForFinished(300000);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

}  // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void inspectJsonListsLayersAndTotals() {
        const auto r = cli({"inspect", "squeezenet", "--json"});
        QCOMPARE(r.code, 0);
        const auto doc = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(doc["name"].toString(), QString("squeezenet"));
        // torchvision's SqueezeNet 1.1 features (728,384) plus one BatchNorm per conv.
        const auto layers = doc["layers"].toArray();
        qint64 params = 0;
        for (const auto& l : layers) params += l.toObject()["params"].toInteger();
        QCOMPARE(doc["total"].toObject()["params"].toInteger(), params);
        QVERIFY(layers.size() > 50);
        QCOMPARE(layers.first().toObject()["op"].toString(), QString("Input"));
    }

    void inspectTableForPretrainedModel() {
        const auto r = cli({"inspect", "mobilefacenet"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("512-d"));
        QVERIFY(r.out.contains("MACs"));
    }

    void embedFindsFacesAndRawFeedsCrops() {
        const QString photo = QString::fromStdString(fp::assets::samplePhoto(1).string());
        const auto r = cli({"embed", "mobilefacenet", photo, "--json"});
        QCOMPARE(r.code, 0);
        const auto faces = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(faces.size(), 3);
        QCOMPARE(faces[0].toObject()["embedding"].toArray().size(), 512);

        QTemporaryDir dir;
        const QString crop = dir.path() + "/crop.png";
        cv::Mat img = cv::imread(photo.toStdString());
        cv::Mat small;
        cv::resize(img(cv::Rect(400, 340, 220, 260)), small, cv::Size(112, 112));
        cv::imwrite(crop.toStdString(), small);
        const auto raw = cli({"embed", "mobilefacenet", crop, "--raw", "--json"});
        QCOMPARE(raw.code, 0);
        QCOMPARE(QJsonDocument::fromJson(raw.out.toUtf8()).array().size(), 1);

        const auto wrong = cli({"embed", "mobilefacenet", photo, "--raw"});
        QVERIFY(wrong.code != 0);
        QVERIFY2(wrong.err.contains("sample1.jpg") && wrong.err.contains("112x112"), qPrintable(wrong.err));
    }

    void badFilesAreNamed() {
        QTemporaryDir dir;
        const QString bad = dir.path() + "/broken.onnx";
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a network at all");
        f.close();
        const auto r = cli({"inspect", bad});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("broken.onnx"), qPrintable(r.err));
        const auto missing = cli({"inspect", "no-such-model"});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.contains("mobilefacenet"));  // lists the names it knows
        const auto corruptJpeg = dir.path() + "/face.jpg";
        QFile j(corruptJpeg);
        QVERIFY(j.open(QIODevice::WriteOnly));
        j.write("\xff\xd8\xff garbage");
        j.close();
        const auto e = cli({"embed", "mobilefacenet", corruptJpeg});
        QVERIFY(e.code != 0);
        QVERIFY2(e.err.contains("face.jpg"), qPrintable(e.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
