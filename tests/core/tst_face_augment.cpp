// Recovery augmentation: a jittered face is still the same face to the original model, the same
// seed gives the same view (so a resumed run sees what an uninterrupted one saw), and during
// distillation the teacher sees exactly the student's view (a copy of the teacher as student has
// nothing to learn on jittered batches).
#include <QtTest>

#include <cmath>

#include "RequireData.h"
#include "data/AlignedCache.h"
#include "data/FaceAugment.h"
#include "data/FaceFolders.h"
#include "data/FolderBatchSource.h"
#include "exec/Executor.h"
#include "models/ModelLoader.h"
#include "train/Trainer.h"
#include "util/Assets.h"
#include "util/ImageInput.h"

using namespace fp;

namespace {

double cosine(const Tensor& a, int64_t i, const Tensor& b, int64_t j) {
    const int64_t d = a.shape[1];
    double dot = 0, na = 0, nb = 0;
    for (int64_t k = 0; k < d; ++k) {
        const double x = a.data[i * d + k], y = b.data[j * d + k];
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    return dot / std::sqrt(na * nb);
}

bool samePixels(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

}  // namespace

class TestFaceAugment : public QObject {
    Q_OBJECT
    graph::Graph model_;
    std::vector<cv::Mat> faces_;  // aligned crops of four people

private slots:
    void initTestCase() {
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
        model_ = models::loadModel("mobilefacenet");
        data::ScanOptions scan;
        scan.limitIdentities = 4;
        const auto folders = data::FaceFolders::scan(assets::faceDataDir(), scan);
        data::AlignedCache cache(model_.preprocess);
        for (const auto& person : folders.identities())
            for (const auto& image : person.images)
                if (auto r = cache.crop(image); r.crop) {
                    faces_.push_back(*r.crop);
                    break;
                }
        QCOMPARE(faces_.size(), size_t(4));
    }

    void sameSeedGivesTheSameView() {
        data::SeededRandom a(7, 3), b(7, 3), c(8, 3);
        const cv::Mat va = data::augmentFace(faces_[0], a), vb = data::augmentFace(faces_[0], b);
        const cv::Mat vc = data::augmentFace(faces_[0], c);
        QVERIFY(samePixels(va, vb));
        QVERIFY(!samePixels(va, vc));
        QVERIFY(!samePixels(va, faces_[0]));
        QCOMPARE(va.size(), faces_[0].size());
        QCOMPARE(va.type(), faces_[0].type());
    }

    // The face stays in the frame and recognisable: each jittered view is nearer its own clean
    // face than any other person's, as the original model sees them.
    void jitteredFaceIsStillTheSamePerson() {
        exec::Executor net(model_);
        const Tensor clean = net.embed(image::toBatch(faces_, model_.preprocess));
        int views = 0;
        double sum = 0;
        for (uint64_t seed = 0; seed < 8; ++seed) {
            std::vector<cv::Mat> jittered;
            for (size_t i = 0; i < faces_.size(); ++i) {
                data::SeededRandom rng(seed, i);
                jittered.push_back(data::augmentFace(faces_[i], rng));
            }
            const Tensor e = net.embed(image::toBatch(jittered, model_.preprocess));
            for (int64_t i = 0; i < 4; ++i) {
                const double own = cosine(e, i, clean, i);
                for (int64_t j = 0; j < 4; ++j)
                    if (j != i)
                        QVERIFY2(own > cosine(e, i, clean, j),
                                 qPrintable(QString("seed %1, face %2: nearer person %3").arg(seed).arg(i).arg(j)));
                sum += own;
                ++views;
            }
        }
        qInfo("mean cosine of a jittered view to its clean face: %.3f", sum / views);
        QVERIFY(sum / views > 0.6);
    }

    void teacherSeesTheStudentsView() {
        data::ScanOptions scan;
        scan.limitIdentities = 4;
        const auto folders = data::FaceFolders::scan(assets::faceDataDir(), scan);
        data::LoaderOptions lo;
        lo.batchSize = 8;
        lo.jitter = true;
        data::FolderBatchSource source(folders, model_.preprocess, lo);
        graph::Graph student = model_;
        train::TrainOptions o;
        o.steps = 3;
        o.useLabels = false;
        o.distillWeight = 1.0;
        o.relationWeight = 1.0;
        o.schedule.baseRate = 0.0;  // look, do not learn
        o.cacheTeacher = false;
        train::Trainer trainer(student, source, o);
        trainer.setTeacher(model_);
        double worst = 0;
        trainer.setProgress([&](const train::TrainProgress& p) {
            worst = std::max({worst, std::abs(p.distillation), std::abs(p.relation)});
        });
        trainer.run();
        QVERIFY2(worst < 1e-5, qPrintable(QString("a copy of the teacher was %1 away from it").arg(worst)));
    }
};

QTEST_GUILESS_MAIN(TestFaceAugment)
#include "tst_face_augment.moc"
