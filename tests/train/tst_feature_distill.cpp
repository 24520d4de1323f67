// Feature distillation at stage outputs: MobileFaceNet cut by L1 to half its MACs learns to match the
// original's feature maps at the end of each resolution stage through fitted 1x1 projections (the
// feature loss falls), and a teacher that sees another crop is refused with a message saying why.
#include <QtTest>

#include <numeric>

#include "RequireData.h"
#include "live/QuickPrune.h"
#include "models/ModelLoader.h"
#include "train/TrainData.h"
#include "train/Trainer.h"
#include "util/Assets.h"
#include "util/Errors.h"

using namespace fp;

namespace {

// The first `people` identities, none held out, in batches of 16, for the student and its teacher.
train::TrainData facesOf(int people, const graph::Graph& student, const graph::Graph& teacher) {
    train::TrainDataSettings s;
    s.dir = assets::faceDataDir();
    s.limitIdentities = people;
    s.verifyFraction = 0;
    s.batchSize = 16;
    return train::prepareTrainData(s, student.preprocess, &teacher.preprocess);
}

}  // namespace

class TestFeatureDistill : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    void prunedStudentMatchesTheOriginalsStages() {
        const graph::Graph teacher = models::loadModel("mobilefacenet");
        graph::Graph student = live::pruneToMacs(teacher, 0.5);
        const auto data = facesOf(12, student, teacher);

        train::TrainOptions o;
        o.steps = 60;
        o.useLabels = false;
        o.featureWeight = 1.0;
        o.cacheTeacher = false;
        o.schedule = {.kind = train::ScheduleKind::Constant, .baseRate = 0.02};
        train::Trainer trainer(student, *data.student, o);
        trainer.setTeacher(teacher);
        std::vector<double> losses;
        trainer.setProgress([&](const train::TrainProgress& p) { losses.push_back(p.feature); });
        trainer.run();
        QCOMPARE(int(losses.size()), o.steps);
        const auto mean = [](auto begin, auto end) { return std::accumulate(begin, end, 0.0) / double(end - begin); };
        const double first = mean(losses.begin(), losses.begin() + 5), last = mean(losses.end() - 5, losses.end());
        qInfo("feature loss (residual share of the original's stage outputs) %.3f -> %.3f in %d steps", first, last,
              o.steps);
        // Fitted by least squares, the projection starts below what a random one would give (about 1 or more).
        QVERIFY2(first > 0.0 && first < 0.8, qPrintable(QString::number(first)));
        QVERIFY2(last < 0.9 * first, "the student's stage outputs must move towards the original's");
    }

    void teacherWithAnotherCropIsRefused() {
        graph::Graph student = models::loadModel("squeezenet");
        const graph::Graph teacher = models::loadModel("mobilefacenet");
        const auto data = facesOf(6, student, teacher);
        train::TrainOptions o;
        o.steps = 1;
        o.useLabels = false;
        o.featureWeight = 1.0;
        train::Trainer trainer(student, *data.student, o);
        trainer.setTeacher(teacher, data.teacher.get());
        try {
            trainer.run();
            QFAIL("feature distillation across crops accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("feature distillation") && QString(e.what()).contains("crop"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestFeatureDistill)
#include "tst_feature_distill.moc"
