// The session the CLI and the window drive: a cancel anywhere ends it as "stopped" with the run
// folder resumable, a resumed session finishes the same run, and the run records the latency of
// every model it made.
#include <QtTest>

#include <filesystem>

#include "RequireData.h"
#include "models/ModelLoader.h"
#include "prune/PruneSession.h"
#include "util/Assets.h"
#include "util/Errors.h"

using namespace fp;
namespace fs = std::filesystem;

namespace {

// Eight people in batches of 16, two held out; three 5% iterations without learning.
prune::RunRequest quickRequest() {
    prune::RunRequest r = prune::defaultRunRequest();
    prune::applySettings(r, {{"train", assets::faceDataDir().string()},
                             {"limit-identities", "8"},
                             {"verify-fraction", "0.25"},
                             {"batch-size", "16"},
                             {"scoring-batches", "2"},
                             {"per-iteration", "5%"},
                             {"iterations", "3"},
                             {"quick", "true"}});
    return r;
}

}  // namespace

class TestPruneSession : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    void aCancelMidIterationStopsAndAResumeFinishes() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.filePath("run").toStdString();
        CancelToken cancel{false};
        int stoppedAt = -1;
        prune::SessionEvents events;
        events.run.progress = [&](const ProgressEvent& e) {
            // In the middle of iteration 2's scoring, after its first batch.
            if (e.iteration == 2 && e.phase == Phase::Scoring && e.step == 1) {
                cancel = true;
                stoppedAt = e.iteration;
            }
        };
        {
            prune::PruneSession session(cancel, events);
            session.start(dir, models::loadModel("mobilefacenet"), "mobilefacenet", quickRequest());
            QCOMPARE(session.run(), prune::PruneSession::Outcome::Stopped);  // not an error, not an exception
            QCOMPARE(stoppedAt, 2);
            QCOMPARE(session.pruneRun().history().iterations.size(), size_t(1));
            QVERIFY(!session.finished());
        }

        cancel = false;
        std::vector<std::string> notes;
        prune::SessionEvents again;
        again.note = [&](const std::string& line) { notes.push_back(line); };
        prune::PruneSession resumed(cancel, again);
        resumed.resume(dir);
        QVERIFY(!notes.empty() && notes.back().find("after iteration 1") != std::string::npos);
        QCOMPARE(resumed.run(), prune::PruneSession::Outcome::Finished);
        const auto& h = resumed.pruneRun().history();
        QCOMPARE(h.iterations.size(), size_t(3));
        QVERIFY(fs::exists(dir / "final.fpm"));

        // One latency per model the run made: the original, each iteration, the final model.
        for (int key : {0, 1, 2, 3, prune::PruneRun::kFinalModel}) {
            QVERIFY2(h.latencyMs.count(key), qPrintable(QString("no latency for %1").arg(key)));
            QVERIFY(h.latencyMs.at(key) > 0);
        }
        QVERIFY(prune::loadHistory(dir / "run.json").latencyMs == h.latencyMs);
    }

    void aCancelBeforeTheRunExistsLeavesNothingHalfMade() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.filePath("run").toStdString();
        CancelToken cancel{true};
        prune::PruneSession session(cancel, {});
        QVERIFY_THROWS_EXCEPTION(Cancelled,
                                 session.start(dir, models::loadModel("mobilefacenet"), "mobilefacenet", quickRequest()));
        QVERIFY(!session.hasRun());
        QVERIFY(!fs::exists(dir / "run.json"));  // nothing a resume could mistake for a run
    }

    void aFinishedRunOpensWithoutItsData() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.filePath("run").toStdString();
        CancelToken cancel{false};
        {
            prune::PruneSession session(cancel, {});
            prune::RunRequest r = quickRequest();
            prune::applySettings(r, {{"iterations", "1"}, {"measure-latency", "false"}});
            session.start(dir, models::loadModel("mobilefacenet"), "mobilefacenet", r);
            QCOMPARE(session.run(), prune::PruneSession::Outcome::Finished);
            QVERIFY(session.pruneRun().history().latencyMs.empty());  // the user turned it off
        }
        prune::PruneSession reopened(cancel, {});
        reopened.resume(dir, "/no/such/folder");  // the data are not needed to look at a finished run
        QVERIFY(reopened.finished());
        QCOMPARE(reopened.run(), prune::PruneSession::Outcome::Finished);
    }
};

QTEST_GUILESS_MAIN(TestPruneSession)
#include "tst_prune_session.moc"
