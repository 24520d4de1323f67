// Losses, schedules and the teacher's input: margin losses equal values worked out by hand on tiny
// inputs, distillation is 0 for equal embeddings, schedules give the expected rates at chosen steps,
// and a batch converted for another model equals the one that model's preprocessing makes.
#include <QtTest>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "train/Losses.h"
#include "train/Schedule.h"
#include "train/TeacherFeed.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

using namespace fp;
using namespace fp::train;

namespace {

double logSumExp(const std::vector<double>& v) {
    const double m = *std::max_element(v.begin(), v.end());
    double s = 0.0;
    for (double x : v) s += std::exp(x - m);
    return m + std::log(s);
}

// Embedding (3, 4) and class weights (1, 0), (0, 2), (1, 1): cosines 0.6, 0.8, 0.98995.
// A second sample (-1, 0), label 1, has cosines -1, 0, -0.70711.
const Tensor kEmb({2, 2}, {3.f, 4.f, -1.f, 0.f});
const Tensor kWeight({3, 2}, {1.f, 0.f, 0.f, 2.f, 1.f, 1.f});
const std::vector<int64_t> kLabels{0, 1};
const double kCos[2][3] = {{0.6, 0.8, 0.98994949366}, {-1.0, 0.0, -0.70710678119}};

double cross(const std::vector<double>& logits, int label) { return logSumExp(logits) - logits[label]; }

graph::Preprocess mobileFaceNetInput() {
    graph::Preprocess p;
    p.bgr = true;
    p.mean = {127.f, 127.f, 127.f};
    p.scale = {1 / 128.f, 1 / 128.f, 1 / 128.f};
    return p;
}

graph::Preprocess imageNetInput(int size) {
    graph::Preprocess p;
    p.width = p.height = size;
    p.mean = {123.675f, 116.28f, 103.53f};
    p.scale = {1 / 58.395f, 1 / 57.12f, 1 / 57.375f};
    return p;
}

cv::Mat testImage(int size) {
    cv::Mat img(size, size, CV_8UC3);
    cv::RNG rng(3);
    rng.fill(img, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(img, img, cv::Size(5, 5), 1.5);  // smooth, as faces are: resizing then agrees closely
    return img;
}

}  // namespace

class TestLosses : public QObject {
    Q_OBJECT
private slots:
    void softmaxIsCrossEntropyOfTheLinearHead() {
        const Tensor bias({3}, {0.5f, -0.25f, 0.f});
        // logits = W x + b: (3.5, 7.75, 7) and (-0.5, -0.25, -1).
        const double expected = (cross({3.5, 7.75, 7.0}, 0) + cross({-0.5, -0.25, -1.0}, 1)) / 2;
        const double got = identificationLoss(kEmb, kWeight, bias, kLabels, {});
        QVERIFY2(std::abs(got - expected) < 1e-5, qPrintable(QString("%1 vs %2").arg(got).arg(expected)));
    }

    void cosFaceSubtractsTheMarginFromTheTargetCosine() {
        LossOptions o{.kind = LossKind::CosFace, .scale = 4.0, .margin = {}};
        QCOMPARE(o.marginValue(), 0.35);
        double expected = 0.0;
        for (int i = 0; i < 2; ++i) {
            std::vector<double> logits;
            for (int j = 0; j < 3; ++j) logits.push_back(4.0 * (kCos[i][j] - (j == kLabels[i] ? 0.35 : 0.0)));
            expected += cross(logits, static_cast<int>(kLabels[i])) / 2;
        }
        const double got = identificationLoss(kEmb, kWeight, {}, kLabels, o);
        QVERIFY2(std::abs(got - expected) < 1e-5, qPrintable(QString("%1 vs %2").arg(got).arg(expected)));
        // The paper's scale on the first sample alone, worked out separately: 22.20183.
        o.scale = 30.0;
        const double first = identificationLoss(Tensor({1, 2}, {3.f, 4.f}), kWeight, {}, {0}, o);
        QVERIFY2(std::abs(first - 22.20183) < 1e-3, qPrintable(QString::number(first)));
    }

    void arcFaceAddsTheMarginToTheTargetAngle() {
        const LossOptions o{.kind = LossKind::ArcFace, .scale = 4.0, .margin = {}};
        QCOMPARE(o.marginValue(), 0.5);
        // Sample 1: cos(acos(0.6) + 0.5) = 0.6 cos 0.5 - 0.8 sin 0.5 = 0.143009.
        const double phi0 = 0.6 * std::cos(0.5) - 0.8 * std::sin(0.5);
        QVERIFY(std::abs(phi0 - 0.143009) < 1e-6);
        // Sample 2: theta = pi/2 for its class; pi/2 + 0.5 < pi, so cos(theta + m) = -sin(0.5).
        const double phi1 = -std::sin(0.5);
        const double expected = (cross({4 * phi0, 4 * kCos[0][1], 4 * kCos[0][2]}, 0) +
                                 cross({4 * kCos[1][0], 4 * phi1, 4 * kCos[1][2]}, 1)) / 2;
        const double got = identificationLoss(kEmb, kWeight, {}, kLabels, o);
        QVERIFY2(std::abs(got - expected) < 1e-5, qPrintable(QString("%1 vs %2").arg(got).arg(expected)));
    }

    void arcFaceKeepsFallingPastPiMinusTheMargin() {
        // theta = pi for class 0: cos(theta + m) would rise again; the target logit is cos - m sin m.
        const LossOptions o{.kind = LossKind::ArcFace, .scale = 4.0, .margin = {}};
        const double phi = -1.0 - 0.5 * std::sin(0.5);
        const double expected = cross({4 * phi, 4 * 0.0, 4 * -0.70710678119}, 0);
        const double got = identificationLoss(Tensor({1, 2}, {-1.f, 0.f}), kWeight, {}, {0}, o);
        QVERIFY2(std::abs(got - expected) < 1e-4, qPrintable(QString("%1 vs %2").arg(got).arg(expected)));
    }

    void badLabelsAndShapesAreRejected() {
        QVERIFY_THROWS_EXCEPTION(InputError, identificationLoss(kEmb, kWeight, {}, {0, 3}, {}));
        QVERIFY_THROWS_EXCEPTION(InputError, identificationLoss(kEmb, kWeight, {}, {0}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, lossKindFromName("triplet"));
        QCOMPARE(lossKindFromName("arcface"), LossKind::ArcFace);
    }

    void distillationIsZeroForTheSameEmbeddings() {
        const Tensor t({2, 3}, {0.3f, -1.f, 2.f, 5.f, 0.5f, -0.5f});
        QVERIFY(std::abs(distillationLoss(t, t)) < 1e-6);
        Tensor twice = t;
        for (auto& v : twice.data) v *= 2.f;  // cosine: the length does not matter
        QVERIFY(std::abs(distillationLoss(twice, t)) < 1e-6);
        // Orthogonal: 1; opposite: 2; mean over the batch.
        const Tensor a({2, 2}, {1.f, 0.f, 1.f, 0.f}), b({2, 2}, {0.f, 3.f, -2.f, 0.f});
        QVERIFY(std::abs(distillationLoss(a, b) - 1.5) < 1e-6);
    }

    void relationalLossComparesSimilaritiesWithinEachModel() {
        // Student (1,0), (0,1), (1,1): pairwise cosines 0, 1/sqrt2, 1/sqrt2. Teacher (3-d, another
        // size on purpose) (1,0,0), (1,0,0), (0,0,2): cosines 1, 0, 0. Squared differences 1, 0.5,
        // 0.5, each pair counted both ways: 4 / (3 * 2).
        const Tensor s({3, 2}, {1.f, 0.f, 0.f, 1.f, 1.f, 1.f});
        const Tensor t({3, 3}, {1.f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f, 0.f, 2.f});
        QVERIFY(std::abs(relationalLoss(s, t) - 4.0 / 6.0) < 1e-6);
        // Same similarities (a rotation and a scaling of the student): nothing to learn.
        const Tensor rotated({3, 2}, {0.f, 2.f, -2.f, 0.f, -2.f, 2.f});
        QVERIFY(std::abs(relationalLoss(rotated, s)) < 1e-6);
        QVERIFY_THROWS_EXCEPTION(InputError, relationalLoss(Tensor({1, 2}, {1.f, 0.f}), Tensor({1, 2}, {1.f, 0.f})));
    }

    void schedulesGiveTheExpectedRates() {
        const Schedule constant({.kind = ScheduleKind::Constant, .baseRate = 0.01}, 100);
        QCOMPARE(constant.rate(0), 0.01);
        QCOMPARE(constant.rate(99), 0.01);

        const Schedule step({.kind = ScheduleKind::Step, .baseRate = 0.1, .milestones = {20, 10}, .gamma = 0.5},
                            100);
        QCOMPARE(step.rate(9), 0.1);
        QCOMPARE(step.rate(10), 0.05);
        QCOMPARE(step.rate(19), 0.05);
        QCOMPARE(step.rate(20), 0.025);
        QCOMPARE(step.rate(99), 0.025);
        const Schedule defaultSteps({.kind = ScheduleKind::Step, .baseRate = 1.0}, 100);  // 50% and 75%
        QCOMPARE(defaultSteps.rate(49), 1.0);
        QVERIFY(std::abs(defaultSteps.rate(50) - 0.1) < 1e-12);
        QVERIFY(std::abs(defaultSteps.rate(75) - 0.01) < 1e-12);

        const Schedule cosine(
            {.kind = ScheduleKind::Cosine, .baseRate = 0.1, .minRate = 0.001, .warmupSteps = 10}, 110);
        QVERIFY(std::abs(cosine.rate(0) - 0.01) < 1e-12);  // warm-up: base * (s + 1) / 10
        QVERIFY(std::abs(cosine.rate(4) - 0.05) < 1e-12);
        QVERIFY(std::abs(cosine.rate(9) - 0.1) < 1e-12);
        QVERIFY(std::abs(cosine.rate(10) - 0.1) < 1e-12);    // the top of the cosine
        QVERIFY(std::abs(cosine.rate(60) - 0.0505) < 1e-12);  // half-way: (base + min) / 2
        const double last = 0.001 + 0.099 * 0.5 * (1 + std::cos(M_PI * 99 / 100));
        QVERIFY(std::abs(cosine.rate(109) - last) < 1e-12);
        QVERIFY(cosine.rate(109) > 0.001);  // the last step still learns

        QVERIFY_THROWS_EXCEPTION(Error, Schedule({.baseRate = -1}, 10));
        QVERIFY_THROWS_EXCEPTION(Error, Schedule({}, 0));
        QCOMPARE(scheduleKindFromName("cosine"), ScheduleKind::Cosine);
        QVERIFY_THROWS_EXCEPTION(Error, scheduleKindFromName("linear"));
    }

    void teacherFeedFollowsThePreprocessing() {
        const graph::Preprocess mfn = mobileFaceNetInput();
        QCOMPARE(teacherFeed(mfn, mfn), TeacherFeed::SameInput);
        QCOMPARE(teacherFeed(imageNetInput(112), mfn), TeacherFeed::Converted);
        QCOMPARE(teacherFeed(imageNetInput(224), mfn), TeacherFeed::Resized);
        graph::Preprocess seed = imageNetInput(113);  // the seed study's centre crop
        seed.alignment = graph::Alignment::CenterCrop;
        seed.resizeShort = 129;
        QCOMPARE(teacherFeed(seed, mfn), TeacherFeed::OwnSource);
        graph::Preprocess dlib = mfn;
        dlib.alignment = graph::Alignment::Dlib150;
        QCOMPARE(teacherFeed(dlib, mfn), TeacherFeed::OwnSource);
        QVERIFY_THROWS_EXCEPTION(InputError, convertInput(Tensor::zeros({1, 3, 113, 113}), seed, mfn));
    }

    void convertedInputEqualsTheTeachersOwnPreprocessing() {
        const cv::Mat img = testImage(112);
        const graph::Preprocess student = imageNetInput(112), teacher = mobileFaceNetInput();
        const Tensor converted = convertInput(image::toBatch({img}, student), student, teacher);
        QVERIFY(maxAbsDiff(converted, image::toBatch({img}, teacher)) < 1e-4f);

        // Another size: bilinear resize of the same crop (OpenCV rounds to 8 bits, hence the tolerance).
        const graph::Preprocess big = imageNetInput(224);
        cv::Mat large;
        cv::resize(img, large, cv::Size(224, 224), 0, 0, cv::INTER_LINEAR);
        const Tensor resized = convertInput(image::toBatch({img}, teacher), teacher, big);
        QCOMPARE(resized.shape, (std::vector<int64_t>{1, 3, 224, 224}));
        QVERIFY2(maxAbsDiff(resized, image::toBatch({large}, big)) < 0.05f,
                 qPrintable(QString::number(maxAbsDiff(resized, image::toBatch({large}, big)))));
    }
};

QTEST_GUILESS_MAIN(TestLosses)
#include "tst_losses.moc"
