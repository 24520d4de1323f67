// The batch loader as training and evaluation use it: right shapes and labels, flips and random
// crops that really happen, a seeded order, and stopping or cancelling early without hanging.
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <opencv2/core.hpp>

#include "RequireData.h"
#include "data/AlignedCache.h"
#include "data/BatchLoader.h"
#include "data/FaceFolders.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

using namespace fp;
using namespace fp::data;
namespace fs = std::filesystem;

namespace {

graph::Preprocess mobileFaceNet() {
    graph::Preprocess p;
    p.width = p.height = 112;
    p.bgr = true;
    p.mean = {127.f, 127.f, 127.f};
    p.scale = {1 / 128.f, 1 / 128.f, 1 / 128.f};
    p.alignment = graph::Alignment::ArcFace112;
    return p;
}

graph::Preprocess seedStudy() {
    graph::Preprocess p;
    p.width = p.height = 113;
    p.resizeShort = 129;
    p.alignment = graph::Alignment::CenterCrop;
    return p;
}

// Image i of an [N, 3, H, W] batch as its own [1, 3, H, W] tensor.
Tensor slice(const Tensor& batch, int64_t i) {
    const int64_t per = batch.numel() / batch.shape[0];
    return Tensor({1, batch.shape[1], batch.shape[2], batch.shape[3]},
                  std::vector<float>(batch.data.begin() + i * per, batch.data.begin() + (i + 1) * per));
}

cv::Mat mirror(const cv::Mat& m) {
    cv::Mat out;
    cv::flip(m, out, 1);
    return out;
}

}  // namespace

class TestBatchLoader : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    FaceFolders faces_;  // 20 identities of lfw-ids
    std::optional<AlignedCache> cache_;

private slots:
    void initTestCase() {
        try {
            assets::locate(assets::Asset::FaceDetector);
            assets::locate(assets::Asset::FaceLandmarks);
        } catch (const AssetError& e) {
            QSKIP(e.what());
        }
        if (assets::faceDataDir().empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set");
        ScanOptions twenty;
        twenty.limitIdentities = 20;
        faces_ = FaceFolders::scan(assets::faceDataDir(), twenty);
        cache_.emplace(mobileFaceNet(), fs::path(tmp_.path().toStdString()));
    }

    void batchesHaveTheRightShapeAndLabels() {
        LoaderOptions o;
        o.batchSize = 16;
        o.seed = 3;
        QElapsedTimer timer;
        timer.start();
        BatchLoader loader(faces_.samples(), *cache_, mobileFaceNet(), o);
        QCOMPARE(loader.batchesPerEpoch(), int64_t{13});  // 200 images
        std::map<int64_t, int> perLabel;
        int batches = 0, images = 0;
        while (auto b = loader.next()) {
            ++batches;
            QCOMPARE(b->images.shape.size(), size_t{4});
            QCOMPARE(b->images.shape[1], int64_t{3});
            QCOMPARE(b->images.shape[2], int64_t{112});
            QCOMPARE(b->images.shape[3], int64_t{112});
            QCOMPARE(static_cast<int64_t>(b->labels.size()), b->size());
            QVERIFY(b->size() <= 16);
            for (int64_t l : b->labels) perLabel[l]++;
            images += static_cast<int>(b->size());
        }
        qInfo("cold cache: %d images in %lld ms, %lld left out", images,
              static_cast<long long>(timer.elapsed()), static_cast<long long>(loader.imagesLeftOut()));
        QVERIFY(batches >= 12 && batches <= 13);
        QCOMPARE(images + loader.imagesLeftOut(), int64_t{200});
        QVERIFY(loader.imagesLeftOut() <= 4);
        QCOMPARE(static_cast<int64_t>(loader.problems().size()), loader.imagesLeftOut());
        QCOMPARE(perLabel.size(), size_t{20});  // every identity, labelled 0..19
        QCOMPARE(perLabel.begin()->first, int64_t{0});
        QCOMPARE(perLabel.rbegin()->first, int64_t{19});
        for (const auto& [label, n] : perLabel) QVERIFY(n >= 8 && n <= 10);
    }

    void sameSeedSameBatches() {
        LoaderOptions o;
        o.batchSize = 32;
        o.seed = 11;
        std::vector<int64_t> a, b, c;
        std::vector<float> firstA, firstB;
        {
            BatchLoader l(faces_.samples(), *cache_, mobileFaceNet(), o);
            while (auto x = l.next()) {
                if (firstA.empty()) firstA = x->images.data;
                a.insert(a.end(), x->labels.begin(), x->labels.end());
            }
        }
        {
            o.workers = 1;  // a different thread timing must not matter
            BatchLoader l(faces_.samples(), *cache_, mobileFaceNet(), o);
            while (auto x = l.next()) {
                if (firstB.empty()) firstB = x->images.data;
                b.insert(b.end(), x->labels.begin(), x->labels.end());
            }
        }
        o.seed = 12;
        BatchLoader l(faces_.samples(), *cache_, mobileFaceNet(), o);
        while (auto x = l.next()) c.insert(c.end(), x->labels.begin(), x->labels.end());
        QVERIFY(a == b);
        QVERIFY(firstA == firstB);  // the same flips, too
        QVERIFY(a != c);
    }

    void flipsHappenAndNothingElseWithoutCrops() {
        // Labels = sample index, so each image can be checked against its own cached crop.
        std::vector<Sample> samples;
        for (const auto& s : faces_.samples())
            if (samples.size() < 64) samples.push_back({s.path, static_cast<int64_t>(samples.size())});
        const graph::Preprocess pre = mobileFaceNet();
        for (bool augment : {true, false}) {
            LoaderOptions o;
            o.batchSize = 64;
            o.augment = augment;
            BatchLoader loader(samples, *cache_, pre, o);
            int plain = 0, flipped = 0, neither = 0;
            while (auto b = loader.next()) {
                for (int64_t i = 0; i < b->size(); ++i) {
                    const cv::Mat crop = *cache_->crop(samples[static_cast<size_t>(b->labels[i])].path).crop;
                    const Tensor got = slice(b->images, i);
                    if (maxAbsDiff(got, image::toBatch({crop}, pre)) == 0.f)
                        ++plain;
                    else if (maxAbsDiff(got, image::toBatch({mirror(crop)}, pre)) == 0.f)
                        ++flipped;
                    else
                        ++neither;
                }
            }
            qInfo("augment %d: %d as cached, %d mirrored, %d other; loader counted %lld flips", augment,
                  plain, flipped, neither, static_cast<long long>(loader.flipped()));
            QCOMPARE(neither, 0);
            QCOMPARE(static_cast<int64_t>(flipped), loader.flipped());
            if (augment) {
                QVERIFY2(flipped >= 16 && plain >= 16, "flips should hit about half of the images");
            } else {
                QCOMPARE(flipped, 0);
            }
        }
    }

    void seedStudyModelsGetRandomCrops() {
        AlignedCache cache(seedStudy(), fs::path(tmp_.path().toStdString()));
        std::vector<Sample> samples;
        for (const auto& s : faces_.samples())
            if (samples.size() < 16) samples.push_back({s.path, static_cast<int64_t>(samples.size())});
        const graph::Preprocess pre = seedStudy();
        for (bool augment : {false, true}) {
            LoaderOptions o;
            o.batchSize = 16;
            o.augment = augment;
            BatchLoader loader(samples, cache, pre, o);
            std::set<std::pair<int, int>> offsets;
            while (auto b = loader.next()) {
                QCOMPARE(b->images.shape[2], int64_t{113});
                for (int64_t i = 0; i < b->size(); ++i) {
                    const cv::Mat square = *cache.crop(samples[static_cast<size_t>(b->labels[i])].path).crop;
                    const Tensor got = slice(b->images, i);
                    // Which window of the 129x129 square (and which side) is it?
                    std::optional<std::pair<int, int>> at;
                    for (int y = 0; y <= 16 && !at; ++y)
                        for (int x = 0; x <= 16 && !at; ++x) {
                            const cv::Mat w = square(cv::Rect(x, y, 113, 113));
                            if (maxAbsDiff(got, image::toBatch({w}, pre)) == 0.f ||
                                maxAbsDiff(got, image::toBatch({mirror(w)}, pre)) == 0.f)
                                at = std::make_pair(x, y);
                        }
                    QVERIFY2(at, "a training image is no 113x113 window of its aligned square");
                    offsets.insert(*at);
                }
            }
            if (augment) {
                QVERIFY2(offsets.size() >= 8, "random crops should land in many places");
            } else {
                QCOMPARE(offsets.size(), size_t{1});
                QVERIFY(*offsets.begin() == std::make_pair(8, 8));  // the centre crop
            }
        }
    }

    void epochsReshuffle() {
        LoaderOptions o;
        o.batchSize = 64;
        o.epochs = 2;
        BatchLoader loader(faces_.samples(), *cache_, mobileFaceNet(), o);
        std::vector<int64_t> e0, e1;
        int batches = 0;
        while (auto b = loader.next()) {
            ++batches;
            auto& seen = loader.epoch() == 0 ? e0 : e1;
            seen.insert(seen.end(), b->labels.begin(), b->labels.end());
        }
        QCOMPARE(batches, 8);  // 2 x ceil(200 / 64)
        QCOMPARE(e0.size(), e1.size());
        QVERIFY(e0 != e1);
        std::multiset<int64_t> s0(e0.begin(), e0.end()), s1(e1.begin(), e1.end());
        QVERIFY(s0 == s1);  // the same images, in another order
    }

    void stoppingEarlyIsClean() {
        QElapsedTimer timer;
        timer.start();
        {
            LoaderOptions o;
            o.batchSize = 8;
            o.epochs = 0;  // endless
            BatchLoader loader(faces_.samples(), *cache_, mobileFaceNet(), o);
            QVERIFY(loader.next());
            QVERIFY(loader.next());
            loader.stop();
            QVERIFY(!loader.next());
        }
        {
            LoaderOptions o;
            o.epochs = 0;
            BatchLoader loader(faces_.samples(), *cache_, mobileFaceNet(), o);
            QVERIFY(loader.next());
            // Destroyed with workers busy and the queue full.
        }
        qInfo("stopped and joined in %lld ms", static_cast<long long>(timer.elapsed()));

        std::atomic<bool> cancel{false};
        LoaderOptions o;
        o.batchSize = 8;
        o.epochs = 0;
        o.cancel = &cancel;
        BatchLoader loader(faces_.samples(), *cache_, mobileFaceNet(), o);
        QVERIFY(loader.next());
        cancel = true;
        QVERIFY(!loader.next());
        QVERIFY(loader.cancelled());
    }

    void badSettingsAreErrors() {
        LoaderOptions o;
        o.batchSize = 0;
        QVERIFY_THROWS_EXCEPTION(InputError, BatchLoader(faces_.samples(), *cache_, mobileFaceNet(), o));
        QVERIFY_THROWS_EXCEPTION(InputError, BatchLoader({}, *cache_, mobileFaceNet(), {}));
        // A cache made for another crop size.
        QVERIFY_THROWS_EXCEPTION(InputError, BatchLoader(faces_.samples(), *cache_, seedStudy(), {}));
    }
};

QTEST_GUILESS_MAIN(TestBatchLoader)
#include "tst_batch_loader.moc"
