// Real pruning runs on LFW identities: history and analysis written, replay
// reproduces the pruned model, a run killed with SIGKILL resumes to exactly the
// result of an uninterrupted run; bad input gives clear messages.
#include <QtTest>

#include <csignal>
#include <cmath>
#include <cstring>

#include "RequireData.h"
#include "SameWeights.h"
#include "exec/Executor.h"
#include "io/NativeFormat.h"
#include "models/ModelLoader.h"
#include "prune/Replay.h"
#include "prune/RunData.h"
#include "util/Assets.h"
#include "util/Errors.h"

using namespace fp;
namespace fs = std::filesystem;

namespace {

QString dataDir() { return QString::fromStdString(assets::faceDataDir().string()); }

// Eight people of the labelled faces, in batches of 16; `verifyFraction` of them held out.
prune::DataSettings eightPeople(double verifyFraction) {
    prune::DataSettings s;
    s.trainDir = assets::faceDataDir().string();
    s.limitIdentities = 8;
    s.verifyFraction = verifyFraction;
    s.batchSize = 16;
    return s;
}

QStringList cliRun(const QString& out, int iterations) {
    return {"prune", "--model", "mobilefacenet", "--train", dataDir(), "--limit-identities", "12",
            "--verify-fraction", "0.25", "--per-iteration", "4%", "--iterations", QString::number(iterations),
            "--scoring-batches", "2", "--batch-size", "16", "--finetune-steps", "2", "--recovery-steps", "0",
            "--seed", "7", "--out", out};
}

}  // namespace

class TestPruneRun : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    void squeezeNetRunWritesHistoryAndReplays() {
        QTemporaryDir dir;
        const fs::path runDir = dir.path().toStdString() + "/run";
        const prune::DataSettings s = eightPeople(0.0);
        graph::Graph model = models::loadModel("squeezenet");
        auto data = prune::prepareRunData(s, model.preprocess);
        prune::PruneConfig c;
        c.perIterationPercent = 10;
        c.maxIterations = 2;
        c.scoringBatches = 2;
        int progressEvents = 0;
        prune::RunCallbacks cb;
        cb.progress = [&](const ProgressEvent&) { ++progressEvents; };
        auto run = prune::PruneRun::start(runDir, std::move(model), "squeezenet", c, *data.train, {}, nullptr, cb,
                                          s.toMap());
        run.run(*data.train, {}, nullptr, cb);
        QVERIFY(run.finished());
        QCOMPARE(run.history().iterations.size(), size_t(2));
        QVERIFY(progressEvents > 4);
        for (const char* f : {"run.json", "original.fpm", "final.fpm", "layers.csv", "checkpoints/iter-002.fpm"})
            QVERIFY2(fs::exists(runDir / f), f);
        const auto& last = run.history().iterations.back();
        QVERIFY(last.filters < run.history().originalFilters);
        QVERIFY(!last.removed.empty() && !last.scores.empty());

        // Replay on the original: same architecture, same kept filters, and (no fine-tuning) same outputs.
        const auto reopened = prune::PruneRun::open(runDir);
        const graph::Graph original = io::loadNative(runDir / "original.fpm");
        const graph::Graph replayed = prune::replay(original, reopened.history());
        QVERIFY(test::sameWeights(replayed, run.model()));

        // The per-layer analysis names layers with their original width and the share removed.
        QFile csv(QString::fromStdString((runDir / "layers.csv").string()));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QString text = csv.readAll();
        QVERIFY(text.startsWith("layer,original_width,width_left,share_removed,removed_by_iteration"));
        QVERIFY(text.contains("features.0,64,"));
    }

    void fineTunedRunReplaysToTheSameWeights() {
        const prune::DataSettings s = eightPeople(0.0);
        const graph::Graph zoo = models::loadModel("squeezenet");
        auto data = prune::prepareRunData(s, zoo.preprocess);
        prune::PruneConfig c;
        c.perIterationPercent = 10;
        c.maxIterations = 2;
        c.scoringBatches = 1;
        c.finetuneSteps = 3;
        QTemporaryDir dir;
        std::map<double, graph::Graph> finals;
        for (double distill : {0.0, 2.0}) {
            c.distillWeight = distill;
            const fs::path runDir = dir.path().toStdString() + "/run-" + std::to_string(int(distill));
            auto run = prune::PruneRun::start(runDir, zoo, "squeezenet", c, *data.train);
            run.run(*data.train);
            QVERIFY(run.finished());
            const graph::Graph original = io::loadNative(runDir / "original.fpm");
            const auto history = prune::PruneRun::open(runDir).history();

            // The removals alone give the architecture, not the fine-tuned weights ...
            const graph::Graph removalsOnly = prune::replay(original, history);
            const double structural = prune::maxWeightDifference(removalsOnly, run.model());
            QVERIFY2(structural > 1e-6 && std::isfinite(structural),
                     qPrintable(QString("fine-tuning changed the weights by %1").arg(structural)));
            // ... redoing the fine-tuning with the run's options and seeds gives them exactly.
            prune::ReplayTraining training;
            training.train = data.train.get();
            QCOMPARE(prune::maxWeightDifference(prune::replay(original, history, training), run.model()), 0.0);
            finals.emplace(distill, run.model());
        }
        // Distillation from the original, as configured, changed what the fine-tuning learned.
        QVERIFY(prune::maxWeightDifference(finals.at(0.0), finals.at(2.0)) > 1e-6);
    }

    void killedRunResumesToTheSameResult() {
        QTemporaryDir dir;
        const QString whole = dir.path() + "/whole", killed = dir.path() + "/killed";
        QProcess p;
        p.start(FP_CLI, cliRun(whole, 3));
        QVERIFY(p.waitForFinished(600000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QString report = p.readAllStandardOutput();
        qInfo("%s", qPrintable(report));

        // The same run, killed (SIGKILL) while iteration 2 is under way.
        QProcess k;
        k.start(FP_CLI, cliRun(killed, 3));
        QVERIFY(k.waitForStarted());
        const QString first = killed + "/checkpoints/iter-001.fpm";
        QElapsedTimer t;
        t.start();
        while (!QFile::exists(first) && t.elapsed() < 300000) QThread::msleep(50);
        QVERIFY(QFile::exists(first));
        QThread::msleep(300);
        ::kill(static_cast<pid_t>(k.processId()), SIGKILL);
        k.waitForFinished();
        QCOMPARE(k.exitStatus(), QProcess::CrashExit);
        QVERIFY(!QFile::exists(killed + "/final.fpm"));

        QProcess r;
        r.start(FP_CLI, {"prune", "--resume", killed});
        QVERIFY(r.waitForFinished(600000));
        QVERIFY2(r.exitCode() == 0, r.readAllStandardError().constData());
        QVERIFY(QString(r.readAllStandardOutput()).contains("resuming"));

        const auto a = io::loadNative((whole + "/final.fpm").toStdString());
        const auto b = io::loadNative((killed + "/final.fpm").toStdString());
        QVERIFY2(test::sameWeights(a, b), "the resumed run must end with exactly the uninterrupted run's model");
        const auto ha = prune::loadHistory((whole + "/run.json").toStdString());
        const auto hb = prune::loadHistory((killed + "/run.json").toStdString());
        QCOMPARE(hb.iterations.size(), ha.iterations.size());
        for (size_t i = 0; i < ha.iterations.size(); ++i) QCOMPARE(hb.iterations[i].removed, ha.iterations[i].removed);
        QVERIFY(ha.iterations.back().metrics.count("accuracy"));

        // Replaying the history, fine-tuning included, rebuilds the run's final weights.
        QProcess rep;
        const QString replayed = dir.path() + "/replayed.fpm";
        rep.start(FP_CLI, {"replay", whole, "--out", replayed});
        QVERIFY(rep.waitForFinished(600000));
        const QString replayReport = rep.readAllStandardOutput();
        QVERIFY2(rep.exitCode() == 0, qPrintable(replayReport + rep.readAllStandardError()));
        QVERIFY2(replayReport.contains("with 2 fine-tuning steps each"), qPrintable(replayReport));
        QVERIFY2(replayReport.contains("weights match the run's exactly"), qPrintable(replayReport));
        QVERIFY(test::sameWeights(io::loadNative(replayed.toStdString()), a));

        // Exporting and inspecting accept the run folder as a model.
        QVERIFY(test::sameWeights(models::loadModel(whole.toStdString()), a));
    }

    // Ctrl-C is a stop, not an error: exit status 130, the message says how to resume, and the
    // resumed run finishes.
    void interruptedRunExits130AndResumes() {
        QTemporaryDir dir;
        const QString out = dir.path() + "/interrupted";
        QProcess p;
        p.start(FP_CLI, cliRun(out, 3));
        QVERIFY(p.waitForStarted());
        QElapsedTimer t;
        t.start();
        while (!QFile::exists(out + "/checkpoints/iter-001.fpm") && t.elapsed() < 300000) QThread::msleep(50);
        QVERIFY(QFile::exists(out + "/checkpoints/iter-001.fpm"));
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(300000));
        const QString said = p.readAllStandardOutput() + p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 130, qPrintable(said));
        QVERIFY2(said.contains("--resume " + out), qPrintable(said));
        QVERIFY2(!said.contains("error"), qPrintable(said));
        QVERIFY(!QFile::exists(out + "/final.fpm"));

        QProcess r;
        r.start(FP_CLI, {"prune", "--resume", out});
        QVERIFY(r.waitForFinished(600000));
        QVERIFY2(r.exitCode() == 0, r.readAllStandardError().constData());
        QVERIFY(QFile::exists(out + "/final.fpm"));
    }

    // A run stops at its MACs target, or as soon as verification falls below its floor, whichever
    // comes first, and says which.
    void runsStopAtTheTargetOrTheFloor() {
        const prune::DataSettings s = eightPeople(0.25);
        const graph::Graph zoo = models::loadModel("squeezenet");
        auto data = prune::prepareRunData(s, zoo.preprocess);
        QVERIFY(data.evaluate);
        prune::PruneConfig c;
        c.criterion = prune::Criterion::L1;
        c.perIterationPercent = 10;
        c.maxIterations = 8;
        QTemporaryDir dir;

        c.target = prune::Target{prune::TargetKind::Macs, 0.8};
        auto toTarget = prune::PruneRun::start(dir.path().toStdString() + "/target", zoo, "squeezenet", c,
                                               *data.train, data.evaluate);
        toTarget.run(*data.train, data.evaluate);
        const auto& h = toTarget.history();
        QVERIFY2(h.stopReason.find("reached the target") != std::string::npos, h.stopReason.c_str());
        QVERIFY(h.iterations.size() < size_t(c.maxIterations));
        const double left = double(toTarget.model().totalCost(false).macs) / double(h.originalMacs);
        QVERIFY2(left <= 0.8, qPrintable(QString("%1 of the MACs left").arg(left)));

        // No pruned SqueezeNet with random weights verifies every pair: the floor stops it at once.
        c.target.reset();
        c.floorMetric = "accuracy";
        c.floorValue = 0.999;
        auto toFloor = prune::PruneRun::start(dir.path().toStdString() + "/floor", zoo, "squeezenet", c,
                                              *data.train, data.evaluate);
        toFloor.run(*data.train, data.evaluate);
        const auto& f = toFloor.history();
        QVERIFY2(f.stopReason.find("accuracy fell below") != std::string::npos, f.stopReason.c_str());
        QCOMPARE(f.iterations.size(), size_t(1));
        QVERIFY(f.iterations[0].metrics.at("accuracy") < 0.999);
    }

    // A run ranked by measured latency: the choice and the time it took are in the history, reopening
    // the run keeps them, and replay (from the recorded removals) rebuilds the same model.
    void latencyRegularisedRunIsRecordedAndReplays() {
        const prune::DataSettings s = eightPeople(0.0);
        graph::Graph model = models::loadModel("squeezenet");
        auto data = prune::prepareRunData(s, model.preprocess);
        prune::PruneConfig c;
        c.criterion = prune::Criterion::L1;
        c.perIterationPercent = 10;
        c.maxIterations = 1;
        c.flopsLambda = 1.0;
        c.regulariserCost = prune::RegulariserCost::Latency;
        c.latencyBatch = 4;
        QTemporaryDir dir;
        const fs::path runDir = dir.path().toStdString() + "/run";
        auto run = prune::PruneRun::start(runDir, std::move(model), "squeezenet", c, *data.train);
        run.run(*data.train, {});
        QVERIFY(run.finished());
        const auto& rec = run.history().iterations.at(0);
        QVERIFY(rec.seconds.count("latency") && rec.seconds.at("latency") > 0.0);

        const auto reopened = prune::PruneRun::open(runDir);
        QVERIFY(reopened.history().config.regulariserCost == prune::RegulariserCost::Latency);
        QCOMPARE(reopened.history().config.latencyBatch, 4);
        const graph::Graph original = io::loadNative(runDir / "original.fpm");
        QVERIFY(test::sameWeights(prune::replay(original, reopened.history()), run.model()));

        c.latencyBatch = 0;
        QVERIFY_THROWS_EXCEPTION(Error, prune::PruneRun::start(dir.path().toStdString() + "/bad",
                                                               models::loadModel("squeezenet"), "squeezenet", c,
                                                               *data.train));
        c.latencyBatch = 4;
        c.flopsLambda = -1.0;
        QVERIFY_THROWS_EXCEPTION(Error, prune::PruneRun::start(dir.path().toStdString() + "/bad",
                                                               models::loadModel("squeezenet"), "squeezenet", c,
                                                               *data.train));
        QProcess cli;
        cli.start(FP_CLI, {"prune", "--model", "squeezenet", "--train", dataDir(), "--cost", "speed", "--out",
                           dir.path() + "/cli"});
        QVERIFY(cli.waitForFinished(60000));
        QVERIFY(cli.exitCode() != 0);
        const QString err = cli.readAllStandardError();
        QVERIFY2(err.contains("'cost'") && err.contains("'speed'") && err.contains("latency"), qPrintable(err));

        // Naming the cost is enough to ask for the regulariser: it gets a weight of its own.
        const QString cliRunDir = dir.path() + "/cli-latency";
        cli.start(FP_CLI, {"prune", "--model", "squeezenet", "--train", dataDir(), "--limit-identities", "8",
                           "--criterion", "l1", "--per-iteration", "10%", "--iterations", "1", "--cost", "latency",
                           "--quick", "--out", cliRunDir});
        QVERIFY(cli.waitForFinished(120000));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        const auto cliHistory = prune::loadHistory((cliRunDir + "/run.json").toStdString());
        QVERIFY(cliHistory.config.regulariserCost == prune::RegulariserCost::Latency);
        QVERIFY(cliHistory.config.flopsLambda > 0.0);
        QVERIFY(cliHistory.iterations.at(0).seconds.count("latency"));
    }

    void badInputIsReportedClearly() {
        QTemporaryDir dir;
        // An empty training folder.
        const QString empty = dir.path() + "/empty";
        QDir().mkpath(empty);
        prune::DataSettings s;
        s.trainDir = empty.toStdString();
        try {
            prune::prepareRunData(s, graph::Preprocess{});
            QFAIL("an empty folder cannot be trained on");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("empty"), e.what());
        }

        // A target that cannot be met under the minimum widths.
        s.trainDir = assets::faceDataDir().string();
        s.limitIdentities = 4;
        s.verifyFraction = 0;
        graph::Graph model = models::loadModel("squeezenet");
        auto data = prune::prepareRunData(s, model.preprocess);
        prune::PruneConfig c;
        c.criterion = prune::Criterion::L1;
        c.constraints.minWidthFraction = 0.5;
        c.target = prune::Target{prune::TargetKind::Macs, 0.05};
        try {
            prune::PruneRun::start(dir.path().toStdString() + "/r", model, "squeezenet", c, *data.train);
            QFAIL("5% of MACs cannot be reached with half of every layer kept");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("target cannot be met"), e.what());
        }

        // A plan (history) naming a layer the model does not have.
        prune::IterationRecord rec;
        rec.iteration = 1;
        rec.removed["no_such_layer"] = {0};
        try {
            prune::replayIteration(model, rec);
            QFAIL("a missing layer must be reported");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("no_such_layer"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestPruneRun)
#include "tst_prune_run.moc"
