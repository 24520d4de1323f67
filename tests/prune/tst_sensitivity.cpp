// Per-layer sensitivity on real weights and faces: MobileFaceNet, each block of layers cut alone by a
// quarter and by half, verified on held-out people; limits proposed from it; the result saved and read.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "RequireData.h"
#include "models/ModelLoader.h"
#include "prune/ChannelGraph.h"
#include "prune/RunData.h"
#include "prune/Sensitivity.h"
#include "util/Assets.h"
#include "util/Errors.h"

using namespace fp;
namespace fs = std::filesystem;

class TestSensitivity : public QObject {
    Q_OBJECT
private slots:
    void everyBlockIsMeasuredAndLimitsFollow() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
        const graph::Graph model = models::loadModel("mobilefacenet");
        prune::DataSettings s;
        s.trainDir = assets::faceDataDir().string();
        s.limitIdentities = 12;
        s.verifyFraction = 0.5;
        const auto data = prune::prepareRunData(s, model.preprocess);
        int calls = 0, lastTotal = 0;
        const auto r = prune::measureSensitivity(model, data.evaluate, {}, nullptr, [&](const ProgressEvent& e) {
            QCOMPARE(e.phase, Phase::Measuring);
            QCOMPARE(e.step, ++calls);
            lastTotal = e.steps;
        });
        QCOMPARE(calls, lastTotal);

        // One block per set of layers whose filters go together, each measured at both shares.
        std::set<std::vector<std::string>> sets;
        const prune::ChannelGraph channels(model);
        for (int id : channels.prunableGroups()) sets.insert(channels.groups()[id].members);
        QCOMPARE(r.blocks.size(), sets.size());
        int losing = 0;
        for (size_t b = 0; b < r.blocks.size(); ++b) {
            QCOMPARE(r.blocks[b].metrics.size(), size_t(2));
            QVERIFY(r.blocks[b].metrics[1].count("accuracy"));
            losing += r.loss(b, 1) > 0.01;
        }
        // Half of some layers matters: the measurement sees it.
        QVERIFY2(losing > 0, "no block lost a point of accuracy at half its filters");

        // Nothing may be lost: every block that lost something is limited; anything may: nothing is.
        QVERIFY(!prune::proposeLimits(r, 0.0).empty());
        QVERIFY(prune::proposeLimits(r, 1.0).empty());
        for (const auto& l : prune::proposeLimits(r, 0.01)) {
            QVERIFY(l.lock || l.minWidth > 0);
            QVERIFY(model.find(l.layer));
        }

        const fs::path dir = fs::temp_directory_path() / "fp-sensitivity-test";
        fs::create_directories(dir);
        prune::saveSensitivity(r, dir / "sensitivity.json");
        const auto back = prune::loadSensitivity(dir / "sensitivity.json");
        QCOMPARE(back.blocks.size(), r.blocks.size());
        QCOMPARE(back.loss(0, 1), r.loss(0, 1));
        std::ofstream(dir / "broken.json") << "{\"model\": 3";
        try {
            prune::loadSensitivity(dir / "broken.json");
            QFAIL("a broken file was read");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("broken.json"), e.what());
        }
        fs::remove_all(dir);
    }

    void withoutVerificationItSaysSo() {
        const graph::Graph model = models::loadModel("mobilefacenet");
        QVERIFY_THROWS_EXCEPTION(Error, prune::measureSensitivity(model, {}));
    }
};

QTEST_GUILESS_MAIN(TestSensitivity)
#include "tst_sensitivity.moc"
