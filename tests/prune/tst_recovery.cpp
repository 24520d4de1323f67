// The recovery phase of a pruning run, on MobileFaceNet and LFW faces: a run cut to half its MACs
// lands on the target and its final recovery (distillation from the original on labelled and
// unlabelled faces) raises held-out accuracy clearly; a recovery stopped midway resumes to the same
// weights; a diverging recovery ends the run with a good model and says so; unlabelled folders are
// read flat or nested, and one without a face is named.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "RequireData.h"
#include "SameWeights.h"
#include "data/UnlabelledFaces.h"
#include "io/NativeFormat.h"
#include "models/ModelLoader.h"
#include "prune/RunData.h"
#include "util/Assets.h"
#include "util/Errors.h"

using namespace fp;
namespace fs = std::filesystem;

namespace {

bool allFinite(const graph::Graph& g) {
    for (const auto& n : g.nodes())
        for (const auto& [key, t] : n.params)
            for (float v : t.data)
                if (!std::isfinite(v)) return false;
    return true;
}

// Unlabelled faces for tests: the first `count` images of lfw-more beside the labelled folders,
// linked into a nested tree (two levels) so that the nested layout is read too. Empty when there
// is no lfw-more.
fs::path unlabelledSample(const fs::path& into, size_t count) {
    const fs::path more = assets::faceDataDir().parent_path() / "lfw-more";
    if (!fs::is_directory(more)) return {};
    const auto faces = data::scanUnlabelledFaces(more);
    for (size_t i = 0; i < std::min(count, faces.images.size()); ++i) {
        const fs::path dir = into / ("group" + std::to_string(i % 3)) / (i % 2 ? "deeper" : "");
        fs::create_directories(dir);
        fs::create_symlink(faces.images[i], dir / faces.images[i].filename());
    }
    return into;
}

// Eight people, two of them held out, in batches of 16: small runs whose results are still checked.
prune::DataSettings eightPeople() {
    prune::DataSettings s;
    s.trainDir = assets::faceDataDir().string();
    s.limitIdentities = 8;
    s.verifyFraction = 0.25;
    s.batchSize = 16;
    return s;
}

prune::PruneConfig halfTheMacs() {
    prune::PruneConfig c = prune::withRecoveryRecipe({});
    c.target = prune::Target{prune::TargetKind::Macs, 0.5};
    c.maxIterations = 100;
    c.perIterationPercent = 10;
    c.scoringBatches = 2;
    c.finetuneSteps = 0;  // quick cuts: the final recovery does the work here
    c.recoverySteps = 60;
    c.recoveryWarmup = 5;
    c.recoveryEvalEvery = 30;
    return c;
}

}  // namespace

class TestRecovery : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    void halfTheMacsLandsOnTargetAndRecovers() {
        QTemporaryDir tmp;
        prune::DataSettings s;
        s.trainDir = assets::faceDataDir().string();
        s.limitIdentities = 40;
        s.verifyFraction = 0.25;
        s.batchSize = 16;
        const fs::path unlabelled = unlabelledSample(tmp.path().toStdString() + "/unlabelled", 120);
        if (!unlabelled.empty()) s.unlabelledDirs = {unlabelled.string()};
        const graph::Graph model = models::loadModel("mobilefacenet");
        auto data = prune::prepareRunData(s, model.preprocess);
        if (!unlabelled.empty()) QVERIFY(data.unlabelledImages > 100);

        const prune::PruneConfig c = halfTheMacs();
        const fs::path dir = tmp.path().toStdString() + "/run";
        auto run = prune::PruneRun::start(dir, model, "mobilefacenet", c, *data.train, data.evaluate);
        run.run(*data.train, data.evaluate, nullptr, {}, data.recovery.get());
        QVERIFY(run.finished());
        const auto& h = run.history();
        const double left = double(run.model().totalCost(false).macs) / double(h.originalMacs);
        QVERIFY2(left <= 0.5 && left > 0.47, qPrintable(QString("%1 of the MACs left").arg(left)));

        const double original = h.originalMetrics.at("accuracy");
        const double afterCuts = h.iterations.back().metrics.at("accuracy");
        QCOMPARE(h.recovery.points.size(), size_t(2));
        double best = 0;
        for (const auto& p : h.recovery.points) best = std::max(best, p.metrics.at("accuracy"));
        qInfo("MobileFaceNet at %.1f%% MACs in %zu iterations: held-out accuracy %.2f%% original, %.2f%% after the "
              "cuts, %.2f%% after %d recovery steps (%s)",
              100 * left, h.iterations.size(), 100 * original, 100 * afterCuts, 100 * best, c.recoverySteps,
              h.stopReason.c_str());
        QVERIFY2(best > afterCuts + 0.03, "the final recovery must raise held-out accuracy clearly");
        QVERIFY2(h.stopReason.find("recovered for 60 steps") != std::string::npos, h.stopReason.c_str());
        // The run's result is the best recovery checkpoint.
        QVERIFY(test::sameWeights(io::loadNative(dir / "final.fpm"), io::loadNative(dir / "recovery" / "best.fpm")));
    }

    void stoppedRecoveryResumesToTheSameWeights() {
        QTemporaryDir tmp;
        const graph::Graph model = models::loadModel("mobilefacenet");
        auto data = prune::prepareRunData(eightPeople(), model.preprocess);
        prune::PruneConfig c = halfTheMacs();
        c.target->fractionLeft = 0.85;
        c.scoringBatches = 1;
        c.recoverySteps = 6;
        c.recoveryEvalEvery = 2;

        const fs::path whole = tmp.path().toStdString() + "/whole", stopped = tmp.path().toStdString() + "/stopped";
        auto a = prune::PruneRun::start(whole, model, "mobilefacenet", c, *data.train, data.evaluate);
        a.run(*data.train, data.evaluate, nullptr, {}, data.recovery.get());
        QVERIFY(a.finished());

        std::atomic<bool> cancel{false};
        prune::RunCallbacks cb;
        cb.progress = [&](const ProgressEvent& e) {
            if (e.phase == Phase::Recovering && e.step == 3) cancel = true;
        };
        {
            auto b = prune::PruneRun::start(stopped, model, "mobilefacenet", c, *data.train, data.evaluate);
            b.run(*data.train, data.evaluate, &cancel, cb, data.recovery.get());
            QVERIFY(!b.finished());
            QVERIFY(!fs::exists(stopped / "final.fpm"));
        }
        auto reopened = prune::PruneRun::open(stopped);
        QVERIFY(reopened.history().recovery.started);
        QCOMPARE(reopened.history().recovery.stepsDone, 2);
        reopened.run(*data.train, data.evaluate, nullptr, {}, data.recovery.get());
        QVERIFY(reopened.finished());
        QVERIFY2(test::sameWeights(io::loadNative(whole / "final.fpm"), io::loadNative(stopped / "final.fpm")),
                 "a recovery stopped midway must resume to the uninterrupted run's weights");
        QCOMPARE(reopened.history().recovery.points.size(), a.history().recovery.points.size());
    }

    void divergingRecoveryKeepsAGoodModelAndSaysSo() {
        QTemporaryDir tmp;
        const graph::Graph model = models::loadModel("mobilefacenet");
        auto data = prune::prepareRunData(eightPeople(), model.preprocess);
        prune::PruneConfig c = halfTheMacs();
        c.target->fractionLeft = 0.85;
        c.scoringBatches = 1;
        c.recoverySteps = 20;
        c.recoveryWarmup = 0;
        c.recoveryEvalEvery = 10;
        c.recoveryLearningRate = 1e12;  // every step is as large as the gradient clip allows, times this
        const fs::path dir = tmp.path().toStdString() + "/run";
        auto run = prune::PruneRun::start(dir, model, "mobilefacenet", c, *data.train, data.evaluate);
        run.run(*data.train, data.evaluate, nullptr, {}, data.recovery.get());
        QVERIFY(run.finished());
        const std::string& reason = run.history().stopReason;
        QVERIFY2(reason.find("diverged") != std::string::npos && reason.find("kept") != std::string::npos,
                 reason.c_str());
        const graph::Graph final = io::loadNative(dir / "final.fpm");
        QVERIFY(allFinite(final));
        const int last = int(run.history().iterations.size());
        QVERIFY(test::sameWeights(final, io::loadNative(run.checkpoint(last))));
    }

    void unlabelledFoldersAreReadFlatOrNested() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const auto faces = data::FaceFolders::scan(assets::faceDataDir()).identities();
        fs::create_directories(root / "a" / "b");
        fs::copy_file(faces[0].images[0], root / "one.jpg");
        fs::copy_file(faces[1].images[0], root / "a" / "two.jpg");
        fs::copy_file(faces[2].images[0], root / "a" / "b" / "three.jpg");
        fs::create_directories(root / ".hidden");
        fs::copy_file(faces[3].images[0], root / ".hidden" / "four.jpg");
        std::ofstream(root / "notes.txt") << "not an image";
        std::ofstream(root / "broken.jpg") << "not a jpeg either";
        const auto found = data::scanUnlabelledFaces(root);
        QCOMPARE(found.images.size(), size_t(3));
        QCOMPARE(found.skipped.size(), size_t(1));
        QCOMPARE(found.samples().front().label, int64_t(-1));

        // Read into a run: every face counts, the broken file is named.
        prune::DataSettings s;
        s.trainDir = assets::faceDataDir().string();
        s.limitIdentities = 6;
        s.verifyFraction = 0.0;
        s.unlabelledDirs = {root.string()};
        const auto data = prune::prepareRunData(s, models::loadModel("mobilefacenet").preprocess);
        QCOMPARE(data.unlabelledImages, size_t(3));
        QCOMPARE(data.noFace.size(), size_t(1));
        QVERIFY(QString::fromStdString(data.noFace[0]).contains("broken.jpg"));
    }

    void folderWithoutAFaceIsNamed() {
        QTemporaryDir tmp;
        const fs::path noise = fs::path(tmp.path().toStdString()) / "landscapes";
        fs::create_directories(noise);
        cv::Mat img(200, 200, CV_8UC3);
        cv::randu(img, 0, 255);
        cv::imwrite((noise / "static.jpg").string(), img);
        prune::DataSettings s;
        s.trainDir = assets::faceDataDir().string();
        s.limitIdentities = 4;
        s.verifyFraction = 0.0;
        s.unlabelledDirs = {noise.string()};
        try {
            prune::prepareRunData(s, models::loadModel("mobilefacenet").preprocess);
            QFAIL("a folder without a face cannot be recovered on");
        } catch (const InputError& e) {
            QVERIFY2(QString(e.what()).contains("landscapes") && QString(e.what()).contains("face"), e.what());
        }
        s.unlabelledDirs = {(noise / "missing").string()};
        QVERIFY_THROWS_EXCEPTION(InputError, prune::prepareRunData(s, graph::Preprocess{}));
    }
};

QTEST_GUILESS_MAIN(TestRecovery)
#include "tst_recovery.moc"
