// faceprune-cli as a user runs it: inspect, embed, eval, train, prune -> replay -> export, machine-readable
// output, and errors that name the file and the problem.
#include <QtTest>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "RequireData.h"
#include "util/Assets.h"

namespace {

struct Result {
    int code;
    QString out, err;
};

Result cli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(FP_CLI, args);
    p.waitForFinished(300000);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
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

    // --plan prints the steps a pass runs: MobileFaceNet's scoring pass takes fast paths (convs and
    // their PReLUs as one node or summing products), its plain pass none.
    void inspectPlanShowsTheFastPaths() {
        const auto fast = cli({"inspect", "mobilefacenet", "--plan", "scoring"});
        QVERIFY2(fast.code == 0, qPrintable(fast.err));
        QVERIFY2(fast.out.contains("ScoringChain") || fast.out.contains("SummingAct"), qPrintable(fast.out));
        const auto plain = cli({"inspect", "mobilefacenet", "--plan", "scoring", "--plain"});
        QVERIFY2(plain.code == 0, qPrintable(plain.err));
        QVERIFY2(plain.out.contains("(plain)") && !plain.out.contains("ScoringChain") &&
                     !plain.out.contains("SummingAct") && !plain.out.contains("PassOn"),
                 qPrintable(plain.out));
        const auto bad = cli({"inspect", "mobilefacenet", "--plan", "training"});
        QVERIFY(bad.code != 0);
        QVERIFY(bad.err.contains("--plan"));
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
        QVERIFY(writeFile(bad, "not a network at all"));
        const auto r = cli({"inspect", bad});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("broken.onnx"), qPrintable(r.err));
        const auto missing = cli({"inspect", "no-such-model"});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.contains("mobilefacenet"));  // lists the names it knows
        const auto corruptJpeg = dir.path() + "/face.jpg";
        QVERIFY(writeFile(corruptJpeg, "\xff\xd8\xff garbage"));
        const auto e = cli({"embed", "mobilefacenet", corruptJpeg});
        QVERIFY(e.code != 0);
        QVERIFY2(e.err.contains("face.jpg"), qPrintable(e.err));
    }

    // Verification on held-out identity folders, with the figures written as JSON; a malformed pairs
    // file is named with its line.
    void evalReportsVerificationOnFolders() {
        const auto data = fp::assets::faceDataDir();
        if (data.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
        QTemporaryDir dir;
        const QString json = dir.path() + "/metrics.json";
        const auto r = cli({"eval", "--model", "mobilefacenet", "--folders", QString::fromStdString(data.string()),
                            "--limit-identities", "8", "--out-json", json, "--cache-dir", dir.path() + "/cache"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("EER"));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto doc = QJsonDocument::fromJson(f.readAll()).object();
        qInfo("mobilefacenet on 8 identities: accuracy %.4f, EER %.4f", doc["accuracy"].toDouble(),
              doc["eer"].toDouble());
        QVERIFY2(doc["accuracy"].toDouble() >= 0.9, qPrintable(r.out));  // a pretrained net tells people apart

        const QString pairs = dir.path() + "/pairs.txt";
        QVERIFY(writeFile(pairs, "1 2\nAlice\t1\n"));
        const auto bad = cli({"eval", "--model", "mobilefacenet", "--pairs", pairs, "--images", dir.path()});
        QVERIFY(bad.code != 0);
        QVERIFY2(bad.err.contains("pairs.txt:2:"), qPrintable(bad.err));
    }

    // The batch workflow: a short pruning run verified on an LFW-format pairs file of people it does
    // not train on, its history replayed to the same architecture, and the run folder exported to ONNX
    // that OpenCV runs like the executor; the file holds fewer parameters.
    void pruneReplayExportARun() {
        const auto data = fp::assets::faceDataDir();
        if (data.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
        QTemporaryDir dir;
        const QString root = QString::fromStdString(data.string());
        // Training: the first 10 people (--limit-identities). Pairs: 4 matched, 4 mismatched among the next 8.
        const QStringList people = QDir(root).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QVERIFY(people.size() >= 18);
        const QString pairs = dir.path() + "/pairs.txt";
        {
            QFile f(pairs);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Text));
            QTextStream out(&f);
            out << "1\t4\n";
            for (int i = 10; i < 14; ++i) out << people[i] << "\t1\t2\n";
            for (int i = 14; i < 18; i += 2) out << people[i] << "\t1\t" << people[i + 1] << "\t1\n";
            for (int i = 14; i < 18; i += 2) out << people[i] << "\t3\t" << people[i + 1] << "\t2\n";
        }
        const QString run = dir.path() + "/run";
        const auto pruned = cli({"prune", "--model", "mobilefacenet", "--train", root, "--out", run,
                                 "--limit-identities", "10", "--pairs", pairs, "--images", root, "--criterion",
                                 "taylor", "--per-iteration", "10%", "--iterations", "1", "--quick"});
        QVERIFY2(pruned.code == 0, qPrintable(pruned.err + pruned.out));
        QVERIFY2(pruned.out.contains("10 training identities") && pruned.out.contains("(8 pairs)"),
                 qPrintable(pruned.out));
        QVERIFY(QFile::exists(run + "/final.fpm"));
        QFile history(run + "/run.json");
        QVERIFY(history.open(QIODevice::ReadOnly));
        QVERIFY(QJsonDocument::fromJson(history.readAll()).object()["data"].toObject()["pairs_file"].toString() ==
                pairs);

        const auto replayed = cli({"replay", run});
        QVERIFY2(replayed.code == 0, qPrintable(replayed.err + replayed.out));
        QVERIFY(replayed.out.contains("match"));

        const QString onnx = dir.path() + "/pruned.onnx";
        const auto exported = cli({"export", run, "--out", onnx});
        QVERIFY2(exported.code == 0, qPrintable(exported.err + exported.out));
        QVERIFY(exported.out.contains("max |diff|"));
        const auto before = cli({"inspect", "mobilefacenet", "--json"});
        const auto after = cli({"inspect", onnx, "--json"});
        QCOMPARE(after.code, 0);
        const auto params = [](const Result& r) {
            return QJsonDocument::fromJson(r.out.toUtf8()).object()["total"].toObject()["params"].toInteger();
        };
        qInfo("exported run: %lld parameters (original %lld), %lld bytes", params(after), params(before),
              static_cast<long long>(QFileInfo(onnx).size()));
        QVERIFY(params(after) > 0 && params(after) < params(before));
    }

    // The criteria study: one run per criterion under the same recipe, and one table of them all with
    // a row per iteration and the recovered result; a criterion that cannot run on the model is
    // reported without stopping the others; a bad name is refused before any work.
    void studyComparesCriteriaInOneTable() {
        const auto data = fp::assets::faceDataDir();
        if (data.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
        QTemporaryDir dir;
        const QString root = QString::fromStdString(data.string());
        const QString study = dir.path() + "/study";
        const QStringList common{"--model", "mobilefacenet", "--train", root, "--limit-identities", "8",
                                 "--verify-fraction", "0.5", "--batch-size", "16", "--per-iteration", "10%",
                                 "--target", "macs:0.8", "--finetune-steps", "1", "--recovery-epochs", "0.5",
                                 "--recovery-eval-every", "2", "--scoring-batches", "1", "--out", study};
        const auto r = cli(QStringList{"study", "--criteria", "l1,random,bn"} + common);
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QFile csv(study + "/study.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QVERIFY2(lines[0].startsWith("criterion,stage,iteration,filters_removed,macs_left,params_left,accuracy"),
                 qPrintable(lines[0]));
        for (const QString criterion : {"l1", "random"}) {
            QVERIFY(QFile::exists(study + "/" + criterion + "/final.fpm"));
            const auto rows = lines.filter(QRegularExpression("^" + criterion + ","));
            QVERIFY2(rows.size() >= 3, qPrintable(lines.join('\n')));  // original, iterations, recovered
            QVERIFY(rows.first().startsWith(criterion + ",original,0,0,1,1,"));
            QVERIFY(rows.last().startsWith(criterion + ",recovered,"));
            QVERIFY(!rows.last().endsWith(","));  // the result's latency was measured
        }
        const auto json = QJsonDocument::fromJson([&] {
            QFile f(study + "/study.json");
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }()).object();
        QVERIFY2(json["failures"].toObject().contains("bn"), "BN-folded MobileFaceNet has no BatchNorm to rank by");

        // The final recovery's length in passes over the recovery faces, kept in run.json as steps.
        const auto conversion = QRegularExpression("final recovery: 0.5 passes of (\\d+) batches = (\\d+) steps").match(r.out);
        QVERIFY2(conversion.hasMatch(), qPrintable(r.out));
        QCOMPARE(conversion.captured(2).toInt(), int(std::ceil(0.5 * conversion.captured(1).toInt())));
        QFile runJson(study + "/l1/run.json");
        QVERIFY(runJson.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(runJson.readAll()).object()["config"].toObject()["recovery_steps"].toInt(),
                 conversion.captured(2).toInt());

        const auto bad = cli(QStringList{"study", "--criteria", "l1,magic"} + common);
        QVERIFY(bad.code != 0);
        QVERIFY2(bad.err.contains("magic"), qPrintable(bad.err));
    }

    // Missing and truncated npm assets: the message names the file and the command that fetches it.
    void missingOrCorruptAssetSaysHowToFetchIt() {
        QTemporaryDir dir;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("FACEPRUNE_ASSETS", dir.path());
        const auto missing = cli({"inspect", "mobilefacenet"}, env);
        QVERIFY(missing.code != 0);
        QVERIFY2(missing.err.contains("fr_feature.onnx") && missing.err.contains("fetch-assets.sh"),
                 qPrintable(missing.err));

        QVERIFY(QDir(dir.path()).mkpath("faceplugin/model"));
        QVERIFY(writeFile(dir.path() + "/faceplugin/model/fr_feature.onnx", QByteArray(1000, '\0')));
        const auto corrupt = cli({"inspect", "mobilefacenet"}, env);
        QVERIFY(corrupt.code != 0);
        QVERIFY2(corrupt.err.contains("fr_feature.onnx") && corrupt.err.contains("--force"), qPrintable(corrupt.err));
    }

    // Fine-tuning from the command line: verification before and after, the model written, and a
    // teacher without a distillation weight refused before any work.
    void trainFineTunesAndWritesTheModel() {
        const auto data = fp::assets::faceDataDir();
        if (data.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
        QTemporaryDir dir;
        const QString out = dir.path() + "/tuned.fpm";
        const QString root = QString::fromStdString(data.string());
        const auto r = cli({"train", "--model", "mobilefacenet", "--train", root, "--limit-identities", "8",
                            "--verify-fraction", "0.5", "--steps", "3", "--lr", "0.001", "--batch-size", "16",
                            "--out", out});
        QVERIFY2(r.code == 0, qPrintable(r.err + r.out));
        QVERIFY2(r.out.contains("before: accuracy") && r.out.contains("after: accuracy") &&
                     r.out.contains("step 3/3"),
                 qPrintable(r.out));
        const auto inspected = cli({"inspect", out, "--json"});
        QCOMPARE(inspected.code, 0);
        QVERIFY(QJsonDocument::fromJson(inspected.out.toUtf8()).object()["layers"].toArray().size() > 50);

        const auto refused = cli({"train", "--model", "squeezenet", "--train", root, "--teacher", "mobilefacenet",
                                  "--out", dir.path() + "/never.fpm"});
        QVERIFY(refused.code != 0);
        QVERIFY2(refused.err.contains("--distill"), qPrintable(refused.err));
        QVERIFY(!QFile::exists(dir.path() + "/never.fpm"));
    }

    void exportToAnUnwritablePlaceSaysWhere() {
        QTemporaryDir dir;
        const QString target = dir.path() + "/no-such-folder/model.onnx";
        const auto r = cli({"export", "squeezenet", "--out", target});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("no-such-folder"), qPrintable(r.err));
        QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::NoDotAndDotDot).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
