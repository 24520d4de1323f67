// The aligned-face cache: a second pass over a data set does no detection and gives the very same
// crops; images without a face and broken files are reported per image, never fatal.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <optional>

#include <opencv2/imgcodecs.hpp>

#include "RequireData.h"
#include "data/AlignedCache.h"
#include "data/FaceFolders.h"
#include "faces/FacePipeline.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

using namespace fp;
using namespace fp::data;
namespace fs = std::filesystem;

namespace {

graph::Preprocess arcFace() {
    graph::Preprocess p;
    p.width = p.height = 112;
    p.alignment = graph::Alignment::ArcFace112;
    return p;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

class TestAlignedCache : public QObject {
    Q_OBJECT

    std::vector<fs::path> images_;  // 3 images of each of the first 10 identities
    QTemporaryDir tmp_;

private slots:
    void initTestCase() {
        try {
            assets::locate(assets::Asset::FaceDetector);
            assets::locate(assets::Asset::FaceLandmarks);
        } catch (const AssetError& e) {
            QSKIP(e.what());
        }
        const fs::path root = assets::faceDataDir();
        if (root.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set");
        ScanOptions ten;
        ten.limitIdentities = 10;
        const FaceFolders folders = FaceFolders::scan(root, ten);
        for (const auto& id : folders.identities())
            images_.insert(images_.end(), id.images.begin(), id.images.begin() + 3);
    }

    void secondPassDoesNoDetection() {
        const fs::path dir = fs::path(tmp_.path().toStdString()) / "cache";
        std::vector<cv::Mat> first;
        {
            AlignedCache cache(arcFace(), dir);
            QCOMPARE(cache.cropSize(), cv::Size(112, 112));
            for (const auto& img : images_) {
                const CropResult r = cache.crop(img);
                QVERIFY2(r.status == CropStatus::Aligned, qPrintable(QString::fromStdString(r.message)));
                first.push_back(*r.crop);
            }
            QCOMPARE(cache.stats().detections, int64_t(images_.size()));
            QCOMPARE(cache.stats().hits, int64_t{0});
        }
        // A new cache object (a new run of the program) on the same folder.
        AlignedCache cache(arcFace(), dir);
        QElapsedTimer timer;
        timer.start();
        for (size_t i = 0; i < images_.size(); ++i) {
            const CropResult r = cache.crop(images_[i]);
            QVERIFY(r.status == CropStatus::Cached);
            QVERIFY2(identical(*r.crop, first[i]), "a cached crop differs from the one first aligned");
        }
        const double warmMs = timer.nsecsElapsed() / 1e6;
        QCOMPARE(cache.stats().detections, int64_t{0});
        QCOMPARE(cache.stats().hits, int64_t(images_.size()));
        qInfo("warm pass: %.2f ms per image", warmMs / static_cast<double>(images_.size()));

        // Keyed by content: the same photo under another name needs no detection either.
        const fs::path copy = fs::path(tmp_.path().toStdString()) / "renamed.jpg";
        fs::copy_file(images_[0], copy);
        const CropResult r = cache.crop(copy);
        QVERIFY(r.status == CropStatus::Cached && identical(*r.crop, first[0]));
        QCOMPARE(cache.stats().detections, int64_t{0});

        // Other alignment settings are other entries: a dlib chip is aligned anew, at 150x150.
        graph::Preprocess dlib = arcFace();
        dlib.width = dlib.height = 150;
        dlib.alignment = graph::Alignment::Dlib150;
        AlignedCache dlibCache(dlib, dir);
        QVERIFY(dlibCache.folder() != cache.folder());
        const CropResult d = dlibCache.crop(images_[0]);
        QVERIFY(d.status == CropStatus::Aligned);
        QCOMPARE(d.crop->size(), cv::Size(150, 150));
    }

    void cropsAreTheCentredFace() {
        // What the pipeline itself gives for the best face of a one-person photo.
        AlignedCache cache(arcFace(), fs::path(tmp_.path().toStdString()) / "centred");
        faces::FacePipeline pipeline;
        int agree = 0;
        for (const auto& img : images_) {
            const auto faces = pipeline.run(image::read(img), arcFace());
            const CropResult r = cache.crop(img);
            if (faces.size() == 1 && r.crop && identical(*r.crop, faces[0].crop)) ++agree;
        }
        qInfo("crops equal to the pipeline's single face: %d of %zu", agree, images_.size());
        QVERIFY(agree >= static_cast<int>(images_.size()) * 2 / 3);
    }

    void centerCropModelsGetTheWholeSquare() {
        // Seed-study input: the cache keeps the 129x129 square, whose centre 113x113 is exactly
        // what the aligner's CenterCrop gives.
        graph::Preprocess seed;
        seed.width = seed.height = 113;
        seed.resizeShort = 129;
        seed.alignment = graph::Alignment::CenterCrop;
        AlignedCache cache(seed, fs::path(tmp_.path().toStdString()) / "seed");
        QCOMPARE(cache.cropSize(), cv::Size(129, 129));
        faces::FacePipeline pipeline;
        int checked = 0;
        for (size_t i = 0; i < 6; ++i) {
            const auto faces = pipeline.run(image::read(images_[i]), seed);
            const CropResult r = cache.crop(images_[i]);
            QVERIFY(r.crop);
            if (faces.size() != 1) continue;
            const cv::Mat centre = (*r.crop)(cv::Rect(8, 8, 113, 113));
            // Equal up to warpAffine's fixed-point rounding (a shift by one pixel would differ by
            // tens of grey levels on average).
            const double worst = cv::norm(centre, faces[0].crop, cv::NORM_INF);
            const double mean =
                cv::norm(centre, faces[0].crop, cv::NORM_L1) / static_cast<double>(centre.total() * 3);
            QVERIFY2(worst <= 3 && mean < 0.1,
                     qPrintable(QString("the centre of the cached square is not the "
                                        "CenterCrop crop: max %1, mean %2")
                                    .arg(worst)
                                    .arg(mean)));
            ++checked;
        }
        QVERIFY(checked >= 3);
    }

    void noFaceAndBrokenFilesAreReportedNotFatal() {
        const fs::path dir = fs::path(tmp_.path().toStdString()) / "bad";
        fs::create_directories(dir);
        const fs::path grey = dir / "grey_0001.jpg", corrupt = dir / "corrupt.jpg", gone = dir / "gone.jpg";
        QVERIFY(cv::imwrite(grey.string(), cv::Mat(250, 250, CV_8UC3, cv::Scalar::all(128))));
        std::ofstream(corrupt, std::ios::binary) << std::string(2000, '\x17') << "not a jpeg";

        const fs::path cacheDir = fs::path(tmp_.path().toStdString()) / "bad-cache";
        {
            AlignedCache cache(arcFace(), cacheDir);
            CropResult r = cache.crop(grey);
            QVERIFY(r.status == CropStatus::NoFace && !r.crop);
            QVERIFY2(contains(r.message, grey.string()) && contains(r.message, "no face found"),
                     r.message.c_str());
            r = cache.crop(corrupt);
            QVERIFY(r.status == CropStatus::Unreadable && !r.crop);
            QVERIFY2(contains(r.message, corrupt.string()), r.message.c_str());
            r = cache.crop(gone);
            QVERIFY(r.status == CropStatus::Unreadable);
            QVERIFY2(contains(r.message, gone.string()), r.message.c_str());
            // A good image after the bad ones still works.
            QVERIFY(cache.crop(images_[0]).crop);
            const CacheStats s = cache.stats();
            QCOMPARE(s.noFace, int64_t{1});
            QCOMPARE(s.unreadable, int64_t{2});
            QCOMPARE(cache.problems().size(), size_t{3});
        }
        // The cache remembers that the grey picture has no face: no detection the second time.
        AlignedCache cache(arcFace(), cacheDir);
        const CropResult r = cache.crop(grey);
        QVERIFY(r.status == CropStatus::NoFace);
        QCOMPARE(cache.stats().detections, int64_t{0});
        QCOMPARE(cache.stats().noFace, int64_t{1});
    }

    void contentHashIsStable() {
        const fs::path a = fs::path(tmp_.path().toStdString()) / "a.bin",
                       b = fs::path(tmp_.path().toStdString()) / "b.bin";
        std::ofstream(a, std::ios::binary) << std::string(13, 'a');
        std::ofstream(b, std::ios::binary) << std::string(13, 'a') << '\0';  // a trailing zero is content too
        const std::string ha = AlignedCache::contentHash(a);
        QCOMPARE(ha.size(), size_t{32});
        QCOMPARE(AlignedCache::contentHash(a), ha);
        QVERIFY(AlignedCache::contentHash(b) != ha);
    }
};

QTEST_GUILESS_MAIN(TestAlignedCache)
#include "tst_aligned_cache.moc"
