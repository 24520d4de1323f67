// A seed-study SqueezeNet with random weights, distilled from the pretrained MobileFaceNet on
// unlabelled faces of 40 training identities, learns an embedding: the distillation loss falls and
// held-out identities' pairs are verified measurably better than with the random weights.
#include <QtTest>

#include <numeric>

#include "RequireData.h"
#include "models/ModelLoader.h"
#include "train/TrainData.h"
#include "train/Trainer.h"
#include "util/Assets.h"

using namespace fp;

class TestDistillSqueezeNet : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
    }

    void seedSqueezeNetLearnsFromMobileFaceNet() {
        QElapsedTimer timer;
        timer.start();
        graph::Graph student = models::loadModel("squeezenet");
        const graph::Graph teacher = models::loadModel("mobilefacenet");
        train::TrainDataSettings s;
        s.dir = assets::faceDataDir();
        s.limitIdentities = 60;  // 40 to train on, 20 held out (1800 pairs)
        s.verifyFraction = 0.34;
        s.batchSize = 32;
        s.seed = 1;
        const auto data = train::prepareTrainData(s, student.preprocess, &teacher.preprocess);
        QVERIFY(data.teacher);  // 113 centre crop vs 112 ArcFace crop: the teacher reads its own source
        const auto random = data.verify(student);

        // Cosine distillation gives small gradients through a randomly initialised net: a high base
        // rate, kept safe by the trainer's gradient-norm limit.
        train::TrainOptions o;
        o.steps = 150;
        o.useLabels = false;  // unlabelled faces: distillation only
        o.distillWeight = 1.0;
        o.schedule = {.kind = train::ScheduleKind::Cosine, .baseRate = 1.0, .warmupSteps = 5};
        train::Trainer trainer(student, *data.student, o);
        trainer.setTeacher(teacher, data.teacher.get());
        QCOMPARE(trainer.teacherFeed(), train::TeacherFeed::OwnSource);
        std::vector<double> losses;
        trainer.setProgress([&](const train::TrainProgress& p) { losses.push_back(p.distillation); });
        const train::TrainResult r = trainer.run();
        QCOMPARE(static_cast<int>(losses.size()), o.steps);
        const auto mean = [](auto begin, auto end) { return std::accumulate(begin, end, 0.0) / double(end - begin); };
        const double first = mean(losses.begin(), losses.begin() + 15), last = mean(losses.end() - 15, losses.end());
        const auto after = data.verify(student);
        qInfo("SqueezeNet (random weights) distilled from MobileFaceNet for %d steps (%.0f s): distillation loss "
              "%.3f -> %.3f; held-out accuracy %.2f%% -> %.2f%%, AUC %.3f -> %.3f; %.0f s in all",
              r.steps, r.seconds, first, last, 100 * random.accuracy, 100 * after.accuracy, random.auc, after.auc,
              timer.elapsed() / 1000.0);
        QVERIFY2(last < first - 0.1, "the student's embeddings must move towards the teacher's");
        QVERIFY2(after.accuracy > random.accuracy + 0.05, "distillation must improve verification measurably");
        QVERIFY(after.auc > random.auc + 0.05);
    }
};

QTEST_GUILESS_MAIN(TestDistillSqueezeNet)
#include "tst_distill_squeezenet.moc"
