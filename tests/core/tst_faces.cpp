// Face detection, landmarks and alignment on the face-api group photos (and LFW when FACEPRUNE_DATA
// is set): what a user sees as "faces found" and "crops the recogniser gets".
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "RequireData.h"
#include "faces/FacePipeline.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

using namespace fp;
using namespace fp::faces;

namespace {

constexpr int kPhotos = 6;
constexpr int kFacesInPhotos = 22;  // counted by hand in face-api's sample1..6.jpg

graph::Preprocess arcFace() {
    graph::Preprocess p;
    p.width = p.height = 112;
    p.alignment = graph::Alignment::ArcFace112;
    return p;
}

graph::Preprocess dlib150() {
    graph::Preprocess p;
    p.width = p.height = 150;
    p.alignment = graph::Alignment::Dlib150;
    return p;
}

float distance(cv::Point2f a, cv::Point2f b) { return static_cast<float>(cv::norm(a - b)); }

bool inside(const cv::Rect2f& box, cv::Point2f p) {
    return p.x >= box.x && p.y >= box.y && p.x <= box.x + box.width && p.y <= box.y + box.height;
}

// Position of p in the face's own frame: x along the eye line (left eye 0, right eye 1), y down
// from it in eye distances. Rolled faces keep their layout in this frame.
cv::Point2f faceFrame(const Face& f, cv::Point2f p) {
    const cv::Point2f axis = f.points[RightEye] - f.points[LeftEye];
    const float d2 = axis.dot(axis);
    const cv::Point2f q = p - f.points[LeftEye];
    return {q.dot(axis) / d2, (axis.x * q.y - axis.y * q.x) / d2};
}

// No 5-point template fits a face turned far to the side (its nose leaves the span between the
// eyes); the template precision checks are for the others.
bool nearFrontal(const Face& f) {
    const float u = faceFrame(f, f.points[Nose]).x;
    return u > 0.15f && u < 0.85f;
}

struct Photo {
    cv::Mat image;
    std::vector<Face> faces;  // located
};

}  // namespace

class TestFaces : public QObject {
    Q_OBJECT

    std::optional<FaceDetector> detector_;
    std::optional<LandmarkDetector> landmarks_;
    std::vector<Photo> photos_;

private slots:
    void initTestCase() {
        try {
            detector_.emplace();
            landmarks_.emplace();
            for (int i = 1; i <= kPhotos; ++i) photos_.push_back({image::read(assets::samplePhoto(i)), {}});
        } catch (const AssetError& e) {
            QSKIP(e.what());
        }
        // Every later test works on these faces; the stage timings are for the report.
        double detectMs = 0, landmarkMs = 0;
        int located = 0;
        QElapsedTimer timer;
        for (Photo& photo : photos_) {
            timer.start();
            photo.faces = detector_->detect(photo.image);
            detectMs += timer.nsecsElapsed() / 1e6;
            timer.start();
            for (Face& f : photo.faces) landmarks_->locate(photo.image, f);
            landmarkMs += timer.nsecsElapsed() / 1e6;
            located += static_cast<int>(photo.faces.size());
        }
        qInfo("detect %.1f ms/photo, landmarks %.2f ms/face", detectMs / kPhotos,
              landmarkMs / std::max(1, located));
    }

    void detectsEveryFaceInTheSamplePhotos() {
        int total = 0;
        for (int i = 0; i < kPhotos; ++i) {
            const Photo& photo = photos_[i];
            QString scores;
            for (const Face& f : photo.faces) scores += QString::number(f.score, 'f', 2) + " ";
            qInfo("sample%d.jpg (%dx%d): %zu faces, scores %s", i + 1, photo.image.cols, photo.image.rows,
                  photo.faces.size(), qPrintable(scores));
            QVERIFY2(!photo.faces.empty(), qPrintable(QString("no face found in sample%1.jpg").arg(i + 1)));
            for (size_t k = 1; k < photo.faces.size(); ++k)
                QVERIFY(photo.faces[k - 1].score >= photo.faces[k].score);
            total += static_cast<int>(photo.faces.size());
        }
        qInfo("faces in all photos: %d (hand count %d)", total, kFacesInPhotos);
        QVERIFY2(total >= kFacesInPhotos - 2 && total <= kFacesInPhotos + 2,
                 qPrintable(QString("found %1 faces, the photos hold %2").arg(total).arg(kFacesInPhotos)));
    }

    void pointsSitInTheirFace() {
        for (const Photo& photo : photos_) {
            for (const Face& f : photo.faces) {
                QVERIFY(f.hasLandmarks());
                QVERIFY(f.box.width > 10 && f.box.height > 10);
                QVERIFY((f.box & cv::Rect2f(0, 0, photo.image.cols, photo.image.rows)) == f.box);
                for (const cv::Point2f& p : f.points)
                    QVERIFY2(inside(f.box, p), qPrintable(QString("point (%1, %2) outside box at (%3, %4)")
                                                              .arg(p.x).arg(p.y).arg(f.box.x).arg(f.box.y)));
                const auto& p = f.points;
                QVERIFY(p[LeftEye].x < p[RightEye].x);
                QVERIFY(p[LeftMouth].x < p[RightMouth].x);
                QVERIFY(std::max(p[LeftEye].y, p[RightEye].y) < std::min(p[LeftMouth].y, p[RightMouth].y));
                // Nose between eyes and mouth along the face's own vertical: faces here roll up to 45 deg.
                const float nose = faceFrame(f, p[Nose]).y;
                QVERIFY(nose > 0.2f);
                QVERIFY(nose < faceFrame(f, p[LeftMouth]).y && nose < faceFrame(f, p[RightMouth]).y);
                // The eyes are a sizeable part of the face width, not a collapsed cluster.
                QVERIFY(distance(p[LeftEye], p[RightEye]) > 0.2f * f.box.width);
            }
        }
    }

    void arcFaceCropPutsTheEyesOnTheTemplate() {
        const auto pre = arcFace();
        const auto tpl = FaceAligner::templatePoints(pre);
        QCOMPARE(tpl[LeftEye], cv::Point2f(38.2946f, 51.6963f));
        FaceAligner aligner;
        QElapsedTimer timer;
        double alignMs = 0;
        int n = 0, frontal = 0;
        float worstEye = 0, meanEye = 0, meanTilt = 0;
        for (const Photo& photo : photos_) {
            for (const Face& f : photo.faces) {
                timer.start();
                const cv::Mat crop = aligner.align(photo.image, f, pre);
                alignMs += timer.nsecsElapsed() / 1e6;
                ++n;
                QCOMPARE(crop.cols, 112);
                QCOMPARE(crop.rows, 112);
                QCOMPARE(crop.type(), CV_8UC3);
                if (!nearFrontal(f)) continue;
                ++frontal;

                const cv::Matx23d m = FaceAligner::transform(f, pre);
                for (int e : {LeftEye, RightEye}) {
                    const float d = distance(apply(m, f.points[e]), tpl[e]);
                    worstEye = std::max(worstEye, d);
                    meanEye += d / 2;
                }
                // The mapped eyes are level and about as far apart as the template's. A turned face
                // pulls its nose aside and tilts the least-squares fit a little, hence the margin.
                const cv::Point2f l = apply(m, f.points[LeftEye]), r = apply(m, f.points[RightEye]);
                QVERIFY2(std::abs(l.y - r.y) < 6.f,
                         qPrintable(QString("eyes %1 px apart in height").arg(l.y - r.y)));
                meanTilt += std::abs(l.y - r.y);
                QVERIFY(std::abs(distance(l, r) - distance(tpl[LeftEye], tpl[RightEye])) < 5.f);
            }
        }
        QVERIFY(n >= 20);
        QVERIFY2(frontal >= n - 3,
                 qPrintable(QString("only %1 of %2 faces near-frontal").arg(frontal).arg(n)));
        meanEye /= frontal;
        meanTilt /= frontal;
        qInfo("ArcFace112: %d crops, align %.3f ms/face; %d near-frontal", n, alignMs / n, frontal);
        qInfo("their eyes to the template: mean %.2f px, worst %.2f px; eye height difference mean %.2f px",
              meanEye, worstEye, meanTilt);
        QVERIFY(meanTilt < 2.5f);
        QVERIFY2(meanEye < 2.5f, qPrintable(QString("mean eye error %1 px").arg(meanEye)));
        QVERIFY2(worstEye < 4.f, qPrintable(QString("worst eye error %1 px").arg(worstEye)));
    }

    void similarityAgreesWithOpenCv() {
        // Our closed-form fit is the least-squares similarity that cv::estimateAffinePartial2D
        // reaches when every point is an inlier.
        const Face& f = photos_.at(0).faces.at(0);
        const auto tpl = FaceAligner::templatePoints(arcFace());
        const cv::Matx23d ours = FaceAligner::similarity(f.points, tpl);
        const std::vector<cv::Point2f> from(f.points.begin(), f.points.end()), to(tpl.begin(), tpl.end());
        const cv::Mat cvFit = cv::estimateAffinePartial2D(from, to, cv::noArray(), cv::RANSAC, 1e4);
        QVERIFY(!cvFit.empty());
        for (const cv::Point2f& p : f.points) {
            const cv::Point2f a = apply(ours, p), b = apply(cv::Matx23d(cvFit), p);
            QVERIFY2(distance(a, b) < 0.05f, qPrintable(QString("differ by %1 px").arg(distance(a, b))));
        }
        // An exact similarity is recovered exactly: rotate by 30 degrees, scale 0.5, shift.
        std::array<cv::Point2f, 5> moved;
        const double c = 0.5 * std::cos(CV_PI / 6), s = 0.5 * std::sin(CV_PI / 6);
        const cv::Matx23d truth(c, -s, 12, s, c, -7);
        for (size_t i = 0; i < 5; ++i) moved[i] = apply(truth, f.points[i]);
        const cv::Matx23d fit = FaceAligner::similarity(f.points, moved);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j) QVERIFY(std::abs(fit(i, j) - truth(i, j)) < 1e-3);
    }

    void alignedCropReallyHoldsTheFaceThere() {
        // Run the landmark net again on the aligned crop itself: its eyes must sit where the
        // template put them (catches an inverted or transposed warp that the matrix check misses).
        const auto pre = arcFace();
        const auto tpl = FaceAligner::templatePoints(pre);
        FaceAligner aligner;
        float worst = 0, mean = 0;
        int n = 0;
        for (const Photo& photo : photos_) {
            for (const Face& f : photo.faces) {
                if (!nearFrontal(f)) continue;
                const cv::Mat crop = aligner.align(photo.image, f, pre);
                Face again;
                again.box = cv::Rect2f(0, 0, 112, 112);
                landmarks_->locate(crop, again);
                for (int e : {LeftEye, RightEye}) {
                    worst = std::max(worst, distance(again.points[e], tpl[e]));
                    mean += distance(again.points[e], tpl[e]) / 2;
                }
                ++n;
            }
        }
        mean /= std::max(1, n);
        qInfo(
            "eyes re-located in %d near-frontal ArcFace crops: mean %.2f px, worst %.2f px from the template",
            n, mean, worst);
        QVERIFY2(mean < 3.f,
                 qPrintable(QString("re-located eyes %1 px from the template on average").arg(mean)));
        QVERIFY2(worst < 6.f, qPrintable(QString("a re-located eye is %1 px from the template").arg(worst)));
    }

    void dlibAndCenterCropAndNone() {
        const Photo& photo = photos_.at(0);
        const Face& f = photo.faces.at(0);
        FaceAligner aligner;

        const auto dpre = dlib150();
        const cv::Mat chip = aligner.align(photo.image, f, dpre);
        QCOMPARE(chip.size(), cv::Size(150, 150));
        QCOMPARE(chip.type(), CV_8UC3);
        const auto dtpl = FaceAligner::templatePoints(dpre);
        float meanEye = 0;
        int n = 0;
        for (const Photo& p : photos_) {
            for (const Face& g : p.faces) {
                if (!nearFrontal(g)) continue;
                const cv::Matx23d dm = FaceAligner::transform(g, dpre);
                for (int e : {LeftEye, RightEye}) meanEye += distance(apply(dm, g.points[e]), dtpl[e]) / 2;
                ++n;
            }
        }
        meanEye /= std::max(1, n);
        qInfo("Dlib150: eyes to the template: mean %.2f px", meanEye);
        QVERIFY(meanEye < 3.5f);
        // The eye centres derived from dlib's 68-point mean face agree with the midpoints of the eye
        // corners in dlib's own 5-point chip constants (same padding), an independent source.
        const auto chipPoint = [](double x, double y) {
            return cv::Point2f(static_cast<float>((0.25 + x) / 1.5 * 150),
                               static_cast<float>((0.25 + y) / 1.5 * 150));
        };
        const cv::Point2f dlibLeft =
            (chipPoint(0.1205750620789, 0.2137274526848) + chipPoint(0.3340850613712, 0.2290642403242)) / 2.f;
        const cv::Point2f dlibRight =
            (chipPoint(0.8595674595992, 0.2134981538014) + chipPoint(0.6460604764104, 0.2289674387677)) / 2.f;
        QVERIFY(distance(dtpl[LeftEye], dlibLeft) < 2.f);
        QVERIFY(distance(dtpl[RightEye], dlibRight) < 2.f);

        // Seed-study crop: ArcFace geometry at 129, centre 113.
        graph::Preprocess cpre;
        cpre.width = cpre.height = 113;
        cpre.resizeShort = 129;
        cpre.alignment = graph::Alignment::CenterCrop;
        const cv::Mat cc = aligner.align(photo.image, f, cpre);
        QCOMPARE(cc.size(), cv::Size(113, 113));
        const auto ctpl = FaceAligner::templatePoints(cpre);
        QVERIFY(std::abs(ctpl[LeftEye].x - (38.2946f * 129 / 112 - 8)) < 1e-3f);
        cpre.resizeShort = 100;
        QVERIFY_THROWS_EXCEPTION(InputError, aligner.align(photo.image, f, cpre));

        // None: the box resized, no landmarks needed.
        graph::Preprocess npre;
        npre.width = 64;
        npre.height = 80;
        npre.alignment = graph::Alignment::None;
        Face bare;
        bare.box = cv::Rect2f(100, 50, 128, 160);
        const cv::Mat plain = aligner.align(photo.image, bare, npre);
        QCOMPARE(plain.size(), cv::Size(64, 80));
        cv::Mat expected;
        cv::resize(photo.image(cv::Rect(100, 50, 128, 160)), expected, cv::Size(64, 80), 0, 0,
                   cv::INTER_LINEAR);
        cv::Mat diff;
        cv::absdiff(plain, expected, diff);
        QVERIFY(cv::mean(diff)[0] < 4.0);

        // Templates need landmarks.
        QVERIFY_THROWS_EXCEPTION(InputError, aligner.align(photo.image, bare, arcFace()));
    }

    void pipelineRunsEveryStage() {
        const FacePipeline pipeline;
        const auto aligned = pipeline.run(photos_.at(1).image, arcFace());
        QCOMPARE(aligned.size(), photos_.at(1).faces.size());
        for (const AlignedFace& a : aligned) {
            QVERIFY(a.face.hasLandmarks());
            QCOMPARE(a.crop.size(), cv::Size(112, 112));
        }
        // Gray input works too and finds the same faces.
        cv::Mat gray;
        cv::cvtColor(photos_.at(1).image, gray, cv::COLOR_BGR2GRAY);
        QVERIFY(std::abs(static_cast<int>(pipeline.run(gray, arcFace()).size()) -
                         static_cast<int>(aligned.size())) <= 1);
    }

    void flatImageHasNoFace() {
        const cv::Mat grey(480, 640, CV_8UC3, cv::Scalar::all(128));
        QCOMPARE(detector_->detect(grey).size(), size_t(0));
        const cv::Mat black(240, 320, CV_8UC3, cv::Scalar::all(0));
        QCOMPARE(detector_->detect(black).size(), size_t(0));
    }

    void badModelFilesNameTheFile() {
        const auto dir = std::filesystem::temp_directory_path() / "fp_tst_faces";
        std::filesystem::create_directories(dir);
        const auto corrupt = dir / "corrupt_detector.onnx";
        {
            std::ofstream out(corrupt, std::ios::binary);
            out << "this is not a protobuf\x01\x02\x03 at all";
        }
        auto expectModelError = [](auto make, const std::filesystem::path& file) {
            try {
                make();
                QFAIL(qPrintable(QString("no error for ") + QString::fromStdString(file.string())));
            } catch (const ModelFileError& e) {
                QVERIFY2(std::string(e.what()).find(file.filename().string()) != std::string::npos, e.what());
            }
        };
        expectModelError([&] { FaceDetector d(corrupt); }, corrupt);
        expectModelError([&] { LandmarkDetector l(corrupt); }, corrupt);
        const auto missing = dir / "no_such_model.onnx";
        expectModelError([&] { FaceDetector d(missing); }, missing);
        // Real ONNX files, but the wrong net for the job.
        const auto landmarkOnnx = assets::locate(assets::Asset::FaceLandmarks);
        const auto detectorOnnx = assets::locate(assets::Asset::FaceDetector);
        expectModelError([&] { FaceDetector d(landmarkOnnx); }, landmarkOnnx);
        expectModelError([&] { LandmarkDetector l(detectorOnnx); }, detectorOnnx);
        std::filesystem::remove_all(dir);
    }

    void emptyImageIsAnInputError() {
        Face f;
        f.box = cv::Rect2f(0, 0, 10, 10);
        QVERIFY_THROWS_EXCEPTION(InputError, detector_->detect(cv::Mat()));
        QVERIFY_THROWS_EXCEPTION(InputError, landmarks_->locate(cv::Mat(), f));
        QVERIFY_THROWS_EXCEPTION(InputError, FaceAligner().align(cv::Mat(), f, arcFace()));
        QVERIFY_THROWS_EXCEPTION(InputError,
                                 detector_->detect(cv::Mat(10, 10, CV_32FC3, cv::Scalar::all(0))));
    }

    void contactSheet() {
        // Every ArcFace crop with the template eye and mouth positions dotted on a copy beside the
        // dlib chip scaled to 112: eyes should sit on the dots, level, face centred.
        const auto pre = arcFace();
        const auto tpl = FaceAligner::templatePoints(pre);
        FaceAligner aligner;
        std::vector<cv::Mat> tiles;
        for (const Photo& photo : photos_) {
            for (const Face& f : photo.faces) {
                cv::Mat crop = aligner.align(photo.image, f, pre), dotted = crop.clone(), chip;
                for (const auto& p : tpl) cv::circle(dotted, p, 1, cv::Scalar(0, 255, 0), cv::FILLED);
                cv::resize(aligner.align(photo.image, f, dlib150()), chip, cv::Size(112, 112), 0, 0,
                           cv::INTER_AREA);
                cv::Mat tile;
                cv::hconcat(std::vector<cv::Mat>{crop, dotted, chip}, tile);
                cv::copyMakeBorder(tile, tile, 2, 2, 2, 2, cv::BORDER_CONSTANT, cv::Scalar::all(255));
                tiles.push_back(tile);
            }
        }
        QVERIFY(!tiles.empty());
        const int columns = 4;
        const cv::Mat blank(tiles[0].size(), tiles[0].type(), cv::Scalar::all(255));
        while (tiles.size() % columns) tiles.push_back(blank);
        std::vector<cv::Mat> rows;
        for (size_t i = 0; i < tiles.size(); i += columns) {
            cv::Mat row;
            cv::hconcat(std::vector<cv::Mat>(tiles.begin() + i, tiles.begin() + i + columns), row);
            rows.push_back(row);
        }
        cv::Mat sheet;
        cv::vconcat(rows, sheet);
        QVERIFY(cv::imwrite("/tmp/faces_contact.png", sheet));
        qInfo("contact sheet: /tmp/faces_contact.png (%dx%d)", sheet.cols, sheet.rows);
    }

    void findsFacesInLfw() {
        const auto root = assets::faceDataDir();
        if (root.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set");
        std::vector<std::filesystem::path> people;
        for (const auto& entry : std::filesystem::directory_iterator(root))
            if (entry.is_directory()) people.push_back(entry.path());
        std::sort(people.begin(), people.end());
        QVERIFY(people.size() >= 30);

        // The first image of each of the first 30 people: varied faces, one per identity.
        int found = 0, centred = 0, tried = 0;
        for (size_t i = 0; i < 30; ++i) {
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::directory_iterator(people[i]))
                if (entry.is_regular_file()) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            if (files.empty()) continue;
            const cv::Mat img = image::read(files.front());
            ++tried;
            auto faces = detector_->detect(img);
            if (faces.empty()) {
                qInfo("no face in %s", qPrintable(QString::fromStdString(files.front().string())));
                continue;
            }
            ++found;
            // LFW centres the named person: some face must lie near the middle.
            const cv::Point2f middle(img.cols / 2.f, img.rows / 2.f);
            if (std::any_of(faces.begin(), faces.end(), [&](const Face& f) {
                    return distance((f.box.tl() + f.box.br()) / 2.f, middle) < img.cols / 6.f;
                }))
                ++centred;
        }
        qInfo("LFW: a face in %d of %d images, a centred one in %d", found, tried, centred);
        QCOMPARE(tried, 30);
        QVERIFY2(found >= 29, qPrintable(QString("faces in only %1 of 30 LFW images").arg(found)));
        QVERIFY(centred >= 28);
    }
};

QTEST_GUILESS_MAIN(TestFaces)
#include "tst_faces.moc"
