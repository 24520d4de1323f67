// PruneJob as the window drives it: a short real run on MobileFaceNet reports
// progress and every iteration and finishes; Pause keeps the run folder and
// Resume goes on; Stop ends within a mini-batch and leaves the last completed
// iteration on disk. Needs FACEPRUNE_DATA (labelled face folders).
#include <QtTest>

#include "RequireData.h"
#include "jobs/EngineSettings.h"
#include "jobs/ModelLoadJob.h"
#include "jobs/PruneJob.h"
#include "prune/History.h"
#include "util/Assets.h"

using namespace fp;
using State = jobs::PruneJob::State;

namespace {

jobs::PruneSettings shortRun(const QString& runDir, int iterations) {
    jobs::PruneSettings s = jobs::PruneSettings::defaults();
    s.setValue("train", QString::fromStdString(assets::faceDataDir().string()));
    s.setValue("limit-identities", "16");
    s.setValue("verify-fraction", "0.25");
    s.setValue("batch-size", "16");
    s.setValue("scoring-batches", "2");
    s.setValue("quick", "true");  // no distillation, no final recovery
    s.setValue("per-iteration", "5%");
    s.setValue("iterations", QString::number(iterations));
    s.runDir = runDir;
    return s;
}

int savedIterations(const QString& runDir) {
    return int(prune::loadHistory((runDir + "/run.json").toStdString()).iterations.size());
}

}  // namespace

class TestPruneJob : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    // The cost regulariser chosen in the panel reaches the engine, and a reopened run shows it again.
    void costRegulariserSurvivesTheRunFile() {
        jobs::PruneSettings s = shortRun("/runs/a", 3);
        QCOMPARE(jobs::toRunRequest(s).config.flopsLambda, 0.0);  // none chosen: no regulariser
        QCOMPARE(s.value("cost-lambda").toDouble(), prune::kDefaultCostWeight);  // the panel offers the CLI's default
        s.setValue("cost", "latency");
        s.setValue("cost-lambda", "0.5");
        prune::History h;
        h.config = jobs::toRunRequest(s).config;
        QVERIFY(h.config.regulariserCost == prune::RegulariserCost::Latency);
        QCOMPARE(h.config.flopsLambda, 0.5);
        const auto back = jobs::settingsFromHistory(h, "/runs/a");
        QCOMPARE(back.value("cost"), QString("latency"));
        QCOMPARE(back.value("cost-lambda"), QString("0.5"));
    }

    void runsReportsIterationsAndFinishes() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("run");
        jobs::PruneJob job;
        QSignalSpy opened(&job, &jobs::PruneJob::runOpened);
        QSignalSpy progress(&job, &jobs::PruneJob::progress);
        QSignalSpy iterations(&job, &jobs::PruneJob::iterationFinished);
        QSignalSpy finished(&job, &jobs::PruneJob::finished);
        QSignalSpy failed(&job, &jobs::PruneJob::failed);
        QVERIFY(job.start("mobilefacenet", shortRun(dir, 2)));
        QCOMPARE(job.state(), State::Running);
        QVERIFY(!job.start("mobilefacenet", shortRun(dir, 2)));  // one run at a time
        QVERIFY2(finished.wait(180000), failed.isEmpty() ? "no signal" : qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(job.state(), State::Idle);
        QCOMPARE(opened.size(), 1);
        QCOMPARE(iterations.size(), 2);
        QVERIFY(progress.size() >= 2);
        QVERIFY(finished.at(0).at(0).toString().contains("2 iterations"));

        const auto first = opened.at(0).at(0).value<jobs::IterationSummary>();
        const auto last = iterations.at(1).at(0).value<jobs::IterationSummary>();
        QCOMPARE(first.iteration, 0);
        QCOMPARE(last.iteration, 2);
        QCOMPARE(last.history.points.size(), 3);  // the original and two iterations
        QVERIFY(last.model.filters < first.model.filters);
        QCOMPARE(last.model.originalFilters, first.model.filters);
        QVERIFY(last.history.points[2].metrics.contains("accuracy"));
        // The cost plot's latency: measured by the run for the original and each iteration, kept in run.json.
        for (const auto& p : last.history.points) QVERIFY(p.latencyMs > 0);
        QCOMPARE(prune::loadHistory((dir + "/run.json").toStdString()).latencyMs.size(), size_t(4));  // + final
        QVERIFY(!last.history.originalRoc.isEmpty());
        QVERIFY(!last.history.currentRoc.isEmpty());
        bool scored = false;
        for (const auto& l : last.model.layers) scored |= l.hasScore;
        QVERIFY(scored);
        QVERIFY(QFile::exists(dir + "/final.fpm"));
        QVERIFY(job.currentModel());
    }

    void pauseKeepsTheRunAndResumeGoesOn() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("run");
        jobs::PruneJob job;
        QSignalSpy iterations(&job, &jobs::PruneJob::iterationFinished);
        QSignalSpy paused(&job, &jobs::PruneJob::paused);
        QSignalSpy finished(&job, &jobs::PruneJob::finished);
        connect(&job, &jobs::PruneJob::iterationFinished, &job, [&job] { job.pause(); });
        QVERIFY(job.start("mobilefacenet", shortRun(dir, 2)));
        QVERIFY(paused.wait(180000));
        QCOMPARE(job.state(), State::Paused);
        QCOMPARE(iterations.size(), 1);
        QCOMPARE(savedIterations(dir), 1);
        QVERIFY(!QFile::exists(dir + "/final.fpm"));

        disconnect(&job, &jobs::PruneJob::iterationFinished, &job, nullptr);
        QSignalSpy reopened(&job, &jobs::PruneJob::runOpened);
        QVERIFY(job.resume());
        QVERIFY(finished.wait(180000));
        QCOMPARE(reopened.at(0).at(0).value<jobs::IterationSummary>().iteration, 1);  // went on from there
        QCOMPARE(iterations.size(), 2);
        QCOMPARE(savedIterations(dir), 2);
        QVERIFY(QFile::exists(dir + "/final.fpm"));
    }

    void stopEndsWithinAMiniBatchAndKeepsTheLastIteration() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("run");
        jobs::PruneJob job;
        QSignalSpy stopped(&job, &jobs::PruneJob::stopped);
        QSignalSpy iterations(&job, &jobs::PruneJob::iterationFinished);
        // Stop in the middle of iteration 2's scoring: after its first mini-batch.
        QElapsedTimer sinceStop;
        connect(&job, &jobs::PruneJob::progress, &job, [&](int iteration, const QString& phase, int step) {
            if (iteration == 2 && phase == "scoring" && step == 1 && job.state() == State::Running) {
                sinceStop.start();
                job.stop();
                QCOMPARE(job.state(), State::Stopping);
            }
        });
        QVERIFY(job.start("mobilefacenet", shortRun(dir, 5)));
        QVERIFY(stopped.wait(180000));
        qInfo("stopped %lld ms after Stop", sinceStop.elapsed());
        QCOMPARE(job.state(), State::Idle);
        QCOMPARE(iterations.size(), 1);
        QCOMPARE(savedIterations(dir), 1);  // iteration 2 was dropped whole
        QVERIFY(QFile::exists(dir + "/checkpoints/iter-001.fpm"));
        QVERIFY(!QFile::exists(dir + "/checkpoints/iter-002.fpm"));
        // The stopped run reopens as a session that can be resumed.
        const auto session = jobs::ModelLoadJob::loadNow(dir);
        QVERIFY(session.isRun);
        QVERIFY(!session.runFinished);
        QCOMPARE(session.history.iterations(), 1);
        QCOMPARE(session.settings.value("limit-identities"), QString("16"));
    }

    void badFolderIsReportedByName() {
        QTemporaryDir tmp;
        QDir(tmp.path()).mkdir("empty");
        auto s = shortRun(tmp.filePath("run"), 1);
        s.setValue("train", tmp.filePath("empty"));
        jobs::PruneJob job;
        QSignalSpy failed(&job, &jobs::PruneJob::failed);
        QVERIFY(job.start("mobilefacenet", s));
        QVERIFY(failed.wait(60000));
        QVERIFY2(failed.at(0).at(0).toString().contains(s.value("train")), qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(job.state(), State::Idle);
    }
};

QTEST_GUILESS_MAIN(TestPruneJob)
#include "tst_prune_job.moc"
