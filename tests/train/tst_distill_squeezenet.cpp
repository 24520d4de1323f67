// A seed-study SqueezeNet with random weights, distilled from the pretrained MobileFaceNet on
// unlabelled faces of the training identities, verifies held-out identities far above chance.
#include <QtTest>

#include "models/ModelLoader.h"
#include "train/TrainData.h"
#include "train/Trainer.h"
#include "util/Assets.h"

using namespace fp;

class TestDistillSqueezeNet : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) QSKIP("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    void seedSqueezeNetLearnsFromMobileFaceNet() {
        QElapsedTimer timer;
        timer.start();
        graph::Graph student = models::loadModel("squeezenet");
        const graph::Graph teacher = models::loadModel("mobilefacenet");
        train::TrainDataSettings s;
        s.dir = assets::faceDataDir();
        s.verifyFraction = 0.2;
        s.batchSize = 32;
        s.seed = 1;
        const auto data = train::prepareTrainData(s, student.preprocess, &teacher.preprocess);
        QVERIFY(data.teacher);  // 113 centre crop vs 112 ArcFace crop: the teacher reads its own source
        const double random = data.verify(student).accuracy;

        train::TrainOptions o;
        o.steps = 40;
        o.useLabels = false;  // unlabelled faces: distillation only
        o.distillWeight = 1.0;
        o.schedule = {.kind = train::ScheduleKind::Cosine, .baseRate = 0.1, .warmupSteps = 5};
        train::Trainer trainer(student, *data.student, o);
        trainer.setTeacher(teacher, data.teacher.get());
        QCOMPARE(trainer.teacherFeed(), train::TeacherFeed::OwnSource);
        const train::TrainResult r = trainer.run();
        const double after = data.verify(student).accuracy;
        qInfo("SqueezeNet (random weights) distilled from MobileFaceNet for %d steps (%.0f s, distillation loss "
              "%.3f at the end): held-out accuracy %.2f%% (random weights: %.2f%%), %.0f s in all",
              r.steps, r.seconds, r.finalLoss, 100 * after, 100 * random, timer.elapsed() / 1000.0);
        QVERIFY2(after >= 0.60, "distillation must give the seed variant a usable face embedding");
        QVERIFY(after > random + 0.03);
    }
};

QTEST_GUILESS_MAIN(TestDistillSqueezeNet)
#include "tst_distill_squeezenet.moc"
