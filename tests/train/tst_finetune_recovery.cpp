// Fine-tuning a pruned MobileFaceNet on LFW identities (distillation from the original plus the
// identification loss) recovers face verification on held-out identities' pairs.
#include <QtTest>

#include "RequireData.h"
#include "models/ModelLoader.h"
#include "prune/ChannelGraph.h"
#include "prune/FineTune.h"
#include "prune/Planner.h"
#include "prune/RunData.h"
#include "prune/Scorer.h"
#include "prune/Surgery.h"
#include "train/TrainData.h"
#include "util/Assets.h"

using namespace fp;

namespace {

// Removes the lowest-L1 filter groups, 10% of the prunable ones at a time, until at most `share`
// of the embedding's MACs is left.
void pruneL1(graph::Graph& g, double share) {
    const int64_t original = g.totalCost(false).macs;
    while (static_cast<double>(g.totalCost(false).macs) > share * static_cast<double>(original)) {
        const prune::ChannelGraph cg(g);
        const auto prunable = cg.prunableGroups();
        prune::Scorer scorer(g, cg, prune::Criterion::L1);
        const auto scores = scorer.finish();
        std::vector<int> ranked = prunable;
        std::stable_sort(ranked.begin(), ranked.end(),
                         [&](int a, int b) { return scores.groups[a] < scores.groups[b]; });
        const auto chosen = prune::selectGroups(g, cg, ranked, std::max<int64_t>(1, std::ssize(prunable) / 10), {});
        QVERIFY(!chosen.empty());
        prune::removeGroups(g, cg, chosen);
    }
}

}  // namespace

class TestFineTuneRecovery : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    // A pruning run and a training run on the same folder, share and seed hold out the same people,
    // so that their verification figures compare.
    void pruningAndTrainingHoldOutTheSamePeople() {
        const graph::Preprocess pre = models::loadModel("mobilefacenet").preprocess;
        prune::DataSettings ds;
        ds.trainDir = assets::faceDataDir().string();
        ds.limitIdentities = 20;
        ds.verifyFraction = 0.25;
        ds.seed = 5;
        train::TrainDataSettings ts;
        ts.dir = ds.trainDir;
        ts.limitIdentities = ds.limitIdentities;
        ts.verifyFraction = ds.verifyFraction;
        ts.seed = ds.seed;
        const auto run = prune::prepareRunData(ds, pre);
        const auto training = train::prepareTrainData(ts, pre);

        std::set<std::string> runPeople, trainingPeople;
        for (const auto& id : run.verification.identities()) runPeople.insert(id.name);
        for (const auto& image : training.verifyPairs.images) trainingPeople.insert(image.parent_path().filename().string());
        QCOMPARE(runPeople.size(), size_t{5});
        QVERIFY(runPeople == trainingPeople);
        QCOMPARE(training.verifyIdentities, run.verifyIdentities);
    }

    void prunedMobileFaceNetRecoversVerification() {
        QElapsedTimer timer;
        timer.start();
        const graph::Graph original = models::loadModel("mobilefacenet");
        train::TrainDataSettings s;
        s.dir = assets::faceDataDir();
        s.verifyFraction = 0.2;
        s.batchSize = 32;
        s.seed = 1;
        const auto data = train::prepareTrainData(s, original.preprocess);

        graph::Graph pruned = original;
        pruneL1(pruned, 0.55);
        const double macsLeft =
            static_cast<double>(pruned.totalCost(false).macs) / static_cast<double>(original.totalCost(false).macs);
        const double before = data.verify(pruned).accuracy;

        // The pruning loop's own fine-tuning: a head fitted on the training identities, then SGD on
        // softmax plus distillation from the original.
        graph::Graph tuned = pruned;
        prune::fitLinearHead(tuned, *data.student, {.seed = 1});
        prune::PruneConfig c;
        c.finetuneSteps = 30;
        c.finetuneLearningRate = 0.01;
        c.finetuneSchedule = train::ScheduleKind::Cosine;
        c.distillWeight = 5.0;
        const double t0 = timer.elapsed() / 1000.0;
        prune::fineTune(tuned, *data.student, prune::fineTuneOptions(c, 1, &original));
        const double trainSeconds = timer.elapsed() / 1000.0 - t0;
        const double after = data.verify(tuned).accuracy;
        qInfo("MobileFaceNet pruned by L1 to %.0f%% of its MACs: held-out accuracy %.2f%% before, %.2f%% after "
              "%d fine-tuning steps (%.0f s; %.0f s in all; %zu training identities, %zu pairs)",
              100 * macsLeft, 100 * before, 100 * after, c.finetuneSteps, trainSeconds, timer.elapsed() / 1000.0,
              data.trainIdentities, data.verifyPairs.pairs.size());
        QVERIFY(macsLeft <= 0.55);
        QVERIFY2(after > before + 0.03, "fine-tuning must recover verification accuracy measurably");
    }
};

QTEST_GUILESS_MAIN(TestFineTuneRecovery)
#include "tst_finetune_recovery.moc"
