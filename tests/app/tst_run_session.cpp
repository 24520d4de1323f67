// What Resume offers and what the window names as shown, as a run starts, lands iterations, stops,
// fails, finishes or is reopened (app/gui/RunSession).
#include <QtTest>

#include <QTemporaryDir>

#include "app/gui/RunSession.h"

using namespace fp;

namespace {

// A folder that PruneRun::isRunDir takes for a run (run.json and original.fpm present).
void makeRunFolder(const QString& dir) {
    QDir().mkpath(dir);
    for (const char* name : {"run.json", "original.fpm"}) {
        QFile f(QDir(dir).filePath(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{}");
    }
}

jobs::RunHistory historyOf(const QString& dir, int iterations) {
    jobs::RunHistory h;
    h.runDir = dir;
    h.maxIterations = 10;
    for (int i = 0; i <= iterations; ++i) {
        jobs::IterationPoint p;
        p.iteration = i;
        p.filters = 100 - 10 * i;
        p.macs = 1000 - 100 * i;
        p.params = 500 - 50 * i;
        h.points.push_back(p);
    }
    return h;
}

}  // namespace

class TestRunSession : public QObject {
    Q_OBJECT
private slots:
    void stoppedRunsResumeAndFinishedOnesDoNot() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("run");
        gui::RunSession run;
        run.start(dir, 10);
        QVERIFY(run.hasRun());
        QVERIFY(!run.hasIterations());
        run.failed();  // before the folder held a run: nothing to resume
        QVERIFY(!run.resumable());

        makeRunFolder(dir);
        run.started(historyOf(dir, 0));
        run.update(historyOf(dir, 2));
        QCOMPARE(run.history().iterations(), 2);
        run.interrupted();
        QVERIFY(run.resumable());
        run.failed();  // after saving iterations, an error leaves them to resume
        QVERIFY(run.resumable());
        run.finished();
        QVERIFY(!run.resumable());

        auto done = historyOf(dir, 3);
        done.stopReason = QStringLiteral("target reached");
        run.update(done);
        run.failed();  // a finished run that fails afterwards (its final export, say) has nothing to resume
        QVERIFY(!run.resumable());
        run.openRun(done, /*finished=*/true);
        QVERIFY(!run.resumable());
        run.openRun(historyOf(dir, 3), /*finished=*/false);
        QVERIFY(run.resumable());
        QCOMPARE(run.maxIterations(), 10);
    }

    void theShownModelIsNamedAndOnlyThisRunsCheckpointsCount() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("run-a");
        gui::RunSession run;
        run.openRun(historyOf(dir, 3), false);
        run.showIteration(2);
        QVERIFY2(run.shownTitle().contains("iteration 2 of run-a"), qPrintable(run.shownTitle()));
        QVERIFY(run.shownTitle().contains("80.0% MACs"));
        QVERIFY(run.owns(dir + "/checkpoints/iter-002.fpm"));
        QVERIFY(!run.owns(tmp.filePath("run-b/checkpoints/iter-002.fpm")));

        QCOMPARE(run.takePending(), gui::RunSession::kNone);
        run.setPending(1);
        QCOMPARE(run.takePending(), 1);
        QCOMPARE(run.takePending(), gui::RunSession::kNone);  // taken once

        run.openModel();  // a plain model: no run, nothing shown of one, nothing to resume
        QVERIFY(!run.hasRun());
        QVERIFY(run.shownTitle().isEmpty());
        QVERIFY(!run.resumable());
        QVERIFY(!run.owns(dir + "/final.fpm"));
    }
};

QTEST_GUILESS_MAIN(TestRunSession)
#include "tst_run_session.moc"
