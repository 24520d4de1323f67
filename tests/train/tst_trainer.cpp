// The trainer on small synthetic networks: distillation pulls a perturbed copy back towards its
// teacher (also through a projection when the embedding sizes differ, which never enters the
// model), margin heads learn, fine-tuning through prune::fineTune distils, a run is the same for
// the same seed, and a cancelled run resumed from its checkpoint ends bit for bit where an
// uninterrupted one does.
#include <QtTest>

#include <cstring>
#include <numeric>

#include "SameWeights.h"
#include "data/SeededRandom.h"
#include "exec/Executor.h"
#include "graph/GraphBuilder.h"
#include "prune/FineTune.h"
#include "train/Trainer.h"
#include "util/Errors.h"

using namespace fp;
using namespace fp::train;

namespace {

// Fixed images and labels, shuffled per pass by the seed (as FolderBatchSource does).
class VectorSource : public data::BatchSource {
public:
    VectorSource(int images, int classes, int batchSize, uint64_t seed) : classes_(classes), batchSize_(batchSize) {
        data::SeededRandom rng(seed);
        for (int i = 0; i < images; ++i) {
            const int label = i % classes;
            Tensor img = Tensor::zeros({3, 8, 8});
            // Each class has its own colour pattern, plus noise.
            for (size_t k = 0; k < img.data.size(); ++k)
                img.data[k] = static_cast<float>(std::sin(0.7 * (label + 1) * static_cast<double>(k)) +
                                                 0.5 * (rng.unit() - 0.5));
            images_.push_back(std::move(img));
            labels_.push_back(label);
        }
        restart(1);
    }
    void restart(uint64_t seed) override {
        order_.resize(images_.size());
        std::iota(order_.begin(), order_.end(), size_t{0});
        data::SeededRandom(seed).shuffle(order_);
        at_ = 0;
        ++restarts;
    }
    bool next(data::Batch& batch) override {
        if (at_ >= order_.size()) return false;
        const size_t end = std::min(order_.size(), at_ + static_cast<size_t>(batchSize_));
        batch.images = Tensor::zeros({static_cast<int64_t>(end - at_), 3, 8, 8});
        batch.labels.clear();
        for (size_t i = at_; i < end; ++i) {
            std::copy(images_[order_[i]].data.begin(), images_[order_[i]].data.end(),
                      batch.images.data.begin() + static_cast<std::ptrdiff_t>((i - at_) * 192));
            batch.labels.push_back(labels_[order_[i]]);
        }
        at_ = end;
        return true;
    }
    int64_t batchesPerPass() const override { return (static_cast<int64_t>(images_.size()) + batchSize_ - 1) / batchSize_; }
    int numClasses() const override { return classes_; }
    int restarts = 0;

private:
    std::vector<Tensor> images_;
    std::vector<int64_t> labels_;
    std::vector<size_t> order_;
    size_t at_ = 0;
    int classes_, batchSize_;
};

graph::Graph tinyNet(uint32_t seed, int64_t embedding = 16) {
    graph::GraphBuilder b("tiny", {3, 8, 8}, seed);
    auto x = b.conv(b.input(), "conv1", {.out = 8, .kernel = 3, .pad = 1});
    x = b.relu(b.batchNorm(x, "bn1"), "relu1");
    x = b.conv(x, "conv2", {.out = embedding, .kernel = 3, .stride = 2, .pad = 1});
    x = b.relu(b.batchNorm(x, "bn2"), "relu2");
    return b.finish(b.flatten(b.globalAvgPool(x, "gap"), "embedding"));
}

// Mean 1 - cos between two models' embeddings of every image of a source.
double embeddingDistance(const graph::Graph& student, const graph::Graph& teacher, data::BatchSource& source) {
    exec::Executor s(student), t(teacher);
    source.restart(99);
    data::Batch batch;
    double sum = 0.0;
    int n = 0;
    while (source.next(batch)) {
        sum += distillationLoss(s.embed(batch.images), t.embed(batch.images)) * static_cast<double>(batch.size());
        n += static_cast<int>(batch.size());
    }
    return sum / n;
}

void perturb(graph::Graph& g, double amount, uint64_t seed) {
    data::SeededRandom rng(seed);
    for (auto& n : g.nodes())
        if (n.op == graph::Op::Conv2d)
            for (auto& v : n.param("weight").data) v += static_cast<float>(amount * (rng.unit() - 0.5));
}

TrainOptions distillOnly(int steps) {
    TrainOptions o;
    o.steps = steps;
    o.useLabels = false;
    o.distillWeight = 1.0;
    o.schedule.baseRate = 0.05;
    o.weightDecay = 0.0;
    return o;
}

}  // namespace

class TestTrainer : public QObject {
    Q_OBJECT
private slots:
    void distillationPullsAPerturbedCopyBack() {
        VectorSource source(64, 4, 16, 1);
        const graph::Graph teacher = tinyNet(1);
        QVERIFY(embeddingDistance(teacher, teacher, source) < 1e-6);  // student == teacher: 0

        graph::Graph student = teacher;
        perturb(student, 1.0, 5);
        const double before = embeddingDistance(student, teacher, source);
        Trainer trainer(student, source, distillOnly(60));
        trainer.setTeacher(teacher);
        QCOMPARE(trainer.teacherFeed(), TeacherFeed::SameInput);
        std::vector<double> losses;
        trainer.setProgress([&](const TrainProgress& p) { losses.push_back(p.distillation); });
        const TrainResult r = trainer.run();
        const double after = embeddingDistance(student, teacher, source);
        qInfo("distance to the teacher: %.4f before, %.4f after %d steps", before, after, r.steps);
        QCOMPARE(r.steps, 60);
        QCOMPARE(static_cast<int>(losses.size()), 60);
        QVERIFY(before > 0.02);
        QVERIFY2(after < 0.5 * before, "distillation must bring the student's embeddings to the teacher's");
        QVERIFY(r.finalLoss < losses.front());
        QVERIFY(!student.hasHead());  // distillation only: no identification head
    }

    void aProjectionBridgesEmbeddingSizesAndStaysOutOfTheModel() {
        VectorSource source(64, 4, 16, 2);
        const graph::Graph teacher = tinyNet(1, 16);
        graph::Graph student = tinyNet(7, 24);
        const size_t nodes = student.nodes().size();
        Trainer trainer(student, source, distillOnly(60));
        trainer.setTeacher(teacher);
        std::vector<double> losses;
        trainer.setProgress([&](const TrainProgress& p) { losses.push_back(p.distillation); });
        const TrainResult r = trainer.run();
        qInfo("24-d student to 16-d teacher: loss %.4f -> %.4f", losses.front(), r.finalLoss);
        QVERIFY(r.finalLoss < 0.7 * losses.front());
        QCOMPARE(student.nodes().size(), nodes);
        QCOMPARE(student.at(student.embeddingName()).shape.c, int64_t{24});
    }

    void marginHeadsLearnTheIdentities() {
        for (LossKind kind : {LossKind::Softmax, LossKind::CosFace, LossKind::ArcFace}) {
            VectorSource source(64, 4, 16, 3);
            graph::Graph model = tinyNet(2);
            TrainOptions o;
            o.steps = 40;
            o.loss.kind = kind;
            o.schedule.baseRate = 0.05;
            Trainer trainer(model, source, o);
            std::vector<double> losses;
            trainer.setProgress([&](const TrainProgress& p) { losses.push_back(p.identification); });
            const TrainResult r = trainer.run();
            qInfo("%s: identification loss %.4f -> %.4f", lossKindName(kind), losses.front(), r.finalLoss);
            QVERIFY(model.hasHead());
            const auto& head = model.at(model.logitsName());
            QCOMPARE(head.outChannels, int64_t{4});
            QCOMPARE(head.hasParam("bias"), kind == LossKind::Softmax);  // cosine logits have no bias
            QVERIFY2(r.finalLoss < 0.7 * losses.front(), lossKindName(kind));
        }
    }

    void fineTuneDistilsFromTheOriginal() {
        VectorSource source(64, 4, 16, 4);
        graph::Graph original = tinyNet(1);
        TrainOptions o;
        o.steps = 1;
        Trainer(original, source, o).run();  // gives it a head, as the pruning run's fitted one
        graph::Graph pruned = original;
        perturb(pruned, 1.0, 6);
        const double before = embeddingDistance(pruned, original, source);
        prune::PruneConfig c;
        c.finetuneSteps = 40;
        c.finetuneLearningRate = 0.05;
        c.finetuneLoss = LossKind::CosFace;
        c.distillWeight = 5.0;
        int last = 0;
        prune::fineTune(pruned, source, prune::fineTuneOptions(c, 3, &original), nullptr, [&](const ProgressEvent& e) { last = e.step; });
        QCOMPARE(last, 40);
        const double after = embeddingDistance(pruned, original, source);
        qInfo("fine-tuning with distillation: distance %.4f -> %.4f", before, after);
        QVERIFY(after < before);
        QVERIFY_THROWS_EXCEPTION(Error, prune::fineTune(pruned, source, prune::fineTuneOptions(c, 3, nullptr)));
    }

    void theSameSeedGivesTheSameModel() {
        auto train = [](uint64_t seed) {
            VectorSource source(48, 4, 16, 5);
            graph::Graph model = tinyNet(3);
            TrainOptions o;
            o.steps = 12;
            o.seed = seed;
            o.loss.kind = LossKind::ArcFace;
            Trainer(model, source, o).run();
            return model;
        };
        const graph::Graph a = train(11), b = train(11), c = train(12);
        QVERIFY(test::sameWeights(a, b));
        QVERIFY(!test::sameWeights(a, c));
    }

    void aResumedRunEndsWhereAnUninterruptedOneDoes() {
        QTemporaryDir dir;
        const graph::Graph teacher = tinyNet(1, 16);
        TrainOptions o;
        o.steps = 20;
        o.loss.kind = LossKind::ArcFace;
        o.distillWeight = 0.5;  // with a projection (24-d student): every part of the state is saved
        o.schedule = {.kind = ScheduleKind::Cosine, .baseRate = 0.05, .warmupSteps = 3};
        o.checkpointEvery = 4;
        o.seed = 9;

        // 20 steps, 3 passes of 3 batches (and a bit): resuming must also find its place in a pass.
        VectorSource wholeSource(40, 4, 16, 6);
        graph::Graph whole = tinyNet(4, 24);
        o.checkpointDir = dir.path().toStdString() + "/whole";
        {
            Trainer t(whole, wholeSource, o);
            t.setTeacher(teacher);
            QCOMPARE(t.run().steps, 20);
        }

        VectorSource source(40, 4, 16, 6);
        graph::Graph cut = tinyNet(4, 24);
        o.checkpointDir = dir.path().toStdString() + "/cut";
        std::atomic<bool> cancel{false};
        {
            Trainer first(cut, source, o);
            first.setTeacher(teacher);
            first.setCancel(&cancel);
            first.setProgress([&](const TrainProgress& p) {
                if (p.step == 10) cancel = true;
            });
            const TrainResult r = first.run();
            QVERIFY(r.cancelled);
            QCOMPARE(r.steps, 10);
        }
        QVERIFY(Trainer::hasCheckpoint(o.checkpointDir));
        QVERIFY(QFile::exists(QString::fromStdString((o.checkpointDir / "step-000010.projection.fpm").string())));
        QVERIFY(QFile::exists(QString::fromStdString((o.checkpointDir / "step-000010.teacher.bin").string())));
        QVERIFY(!QFile::exists(QString::fromStdString((o.checkpointDir / "step-000008.fpm").string())));

        graph::Graph resumed = tinyNet(4, 24);  // replaced by the checkpoint's model
        VectorSource again(40, 4, 16, 6);
        Trainer second(resumed, again, o);
        second.setTeacher(teacher);
        QCOMPARE(second.resume(o.checkpointDir), 10);
        const TrainResult r = second.run();
        QCOMPARE(r.steps, 20);
        QCOMPARE(r.stepsThisRun, 10);
        QVERIFY2(test::sameWeights(resumed, whole), "resumed training must end with the uninterrupted run's weights");

        // Other settings than the checkpoint's are refused, naming the setting.
        TrainOptions other = o;
        other.schedule.baseRate = 0.1;
        graph::Graph m = tinyNet(4, 24);
        Trainer third(m, again, other);
        try {
            third.resume(o.checkpointDir);
            QFAIL("a checkpoint made with another learning rate must not be resumed");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("schedule"), e.what());
        }
    }

    void impossibleSettingsAreRefused() {
        VectorSource source(16, 2, 8, 7);
        graph::Graph model = tinyNet(1);
        TrainOptions o;
        o.useLabels = false;
        QVERIFY_THROWS_EXCEPTION(Error, Trainer(model, source, o));  // no loss at all
        Trainer t(model, source, distillOnly(3));
        QVERIFY_THROWS_EXCEPTION(Error, t.run());  // distillation without a teacher
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
