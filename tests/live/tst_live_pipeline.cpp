// The live view's engine without a camera: the demo video, the gallery file, recognition of LFW people
// enrolled from some of their photos and shown in a video made of others, the pruned model's agreement
// with the original, and the latest-frame policy that keeps the picture from lagging.
#include <QtTest>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <thread>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "RequireData.h"
#include "data/FaceFolders.h"
#include "faces/FaceDetector.h"
#include "live/DemoVideo.h"
#include "live/Gallery.h"
#include "live/LatestFrame.h"
#include "live/LivePipeline.h"
#include "live/QuickPrune.h"
#include "live/VideoFileSource.h"
#include "models/ModelLoader.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

using namespace fp;
using namespace fp::live;

namespace {

// A small 160x120 video of moving grey bands; written with OpenCV's own MJPEG writer.
void writeGreyVideo(const std::filesystem::path& path, int frames, double fps) {
    cv::VideoWriter w(path.string(), cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                      cv::Size(160, 120));
    QVERIFY(w.isOpened());
    // A gradient rather than flat grey: some decoders complain about the flat blocks of this encoder.
    for (int i = 0; i < frames; ++i) {
        cv::Mat img(120, 160, CV_8UC3);
        for (int y = 0; y < img.rows; ++y) img.row(y).setTo(cv::Scalar::all((y + i * 5) % 256));
        w.write(img);
    }
}

std::string fileBytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

GallerySample syntheticSample(std::mt19937& rng) {
    GallerySample s;
    s.chip = cv::Mat(224, 224, CV_8UC3);
    cv::randu(s.chip, 0, 256);
    std::uniform_real_distribution<float> u(40, 180);
    s.face.box = cv::Rect2f(u(rng), u(rng), 50, 60);
    s.face.score = 0.93f;
    for (auto& p : s.face.points) p = {u(rng), u(rng)};
    for (int i = 0; i < 68; ++i) s.face.landmarks68.emplace_back(u(rng), u(rng));
    return s;
}

std::vector<float> randomUnit(std::mt19937& rng, int dim) {
    std::normal_distribution<float> n;
    std::vector<float> v(static_cast<size_t>(dim));
    for (auto& x : v) x = n(rng);
    normalise(v);
    return v;
}

}  // namespace

class TestLivePipeline : public QObject {
    Q_OBJECT
private slots:
    void demoVideoIsBuiltOnceAndRepeatable() {
        QTemporaryDir a, b;
        const auto path = DemoVideo::ensure(a.path().toStdString());
        QVERIFY(std::filesystem::is_regular_file(path));
        const auto written = std::filesystem::last_write_time(path);
        QCOMPARE(DemoVideo::ensure(a.path().toStdString()), path);  // reused, not rewritten
        QCOMPARE(std::filesystem::last_write_time(path), written);
        // Another cache folder gets the very same bytes.
        QVERIFY(fileBytes(path) == fileBytes(DemoVideo::ensure(b.path().toStdString())));

        VideoFileSource src(path, false);
        QCOMPARE(src.size(), cv::Size(640, 480));
        QCOMPARE(src.frameCount(), int64_t(150));
        QCOMPARE(src.fps(), 15.0);
        // Every photo's shot shows faces the detector finds (what the live tab shows on first launch).
        faces::FaceDetector detector;
        int shotsWithFaces = 0, facesSeen = 0;
        while (auto f = src.next()) {
            if (f->index % 25 != 12) continue;
            const auto found = detector.detect(f->image);
            facesSeen += int(found.size());
            shotsWithFaces += found.empty() ? 0 : 1;
        }
        qInfo("demo video: faces found in %d of 6 shots, %d in all (mid-shot frames)", shotsWithFaces,
              facesSeen);
        QCOMPARE(shotsWithFaces, 6);
    }

    // Shown to the user as a similarity: never above 1, even where float rounding of the unit
    // vectors puts the raw dot product a hair over it.
    void similarityOfAnEmbeddingWithItselfIsOne() {
        for (int n = 1; n <= 20; ++n) {
            std::vector<float> v(512);
            for (size_t i = 0; i < v.size(); ++i) v[i] = 1.f / float(i + size_t(n));
            live::normalise(v);
            const float s = live::cosine(v, v);  // QCOMPARE's fuzzy float compare would take 1 + 1e-7
            QVERIFY2(s <= 1.f && s > 0.9999f, std::to_string(s).c_str());
        }
    }

    void galleryFileRoundTrip() {
        std::mt19937 rng(5);
        Gallery g;
        g.add("Ada", syntheticSample(rng), {{"m#1", randomUnit(rng, 512)}, {"m#2", randomUnit(rng, 512)}});
        g.add("Ada", syntheticSample(rng), {{"m#1", randomUnit(rng, 512)}, {"m#2", randomUnit(rng, 512)}});
        g.add("Grace", syntheticSample(rng), {{"m#1", randomUnit(rng, 512)}, {"m#2", randomUnit(rng, 128)}});
        QTemporaryDir dir;
        const std::filesystem::path file = dir.filePath("gallery.fpg").toStdString();
        g.save(file);

        const Gallery back = Gallery::load(file);
        QCOMPARE(back.names(), (std::vector<std::string>{"Ada", "Grace"}));
        for (size_t i = 0; i < g.people().size(); ++i) {
            const Person &p = g.people()[i], &q = back.people()[i];
            QCOMPARE(q.samples.size(), p.samples.size());
            QVERIFY(q.embeddings == p.embeddings);  // float32 bits, not a rounded text form
            for (size_t k = 0; k < p.samples.size(); ++k) {
                QCOMPARE(cv::norm(q.samples[k].chip, p.samples[k].chip, cv::NORM_INF), 0.0);  // lossless
                QCOMPARE(q.samples[k].face.box, p.samples[k].face.box);
                QCOMPARE(q.samples[k].face.points[2], p.samples[k].face.points[2]);
                QCOMPARE(q.samples[k].face.landmarks68.size(), size_t(68));
            }
        }
        // Matching works on what came back: Grace's own embedding names Grace.
        const auto m = back.match("m#1", back.people()[1].embeddings.at("m#1")[0], 0.35f);
        QCOMPARE(m.name, std::string("Grace"));
        QVERIFY(m.accepted);
        QVERIFY(std::fabs(m.similarity - 1.f) < 1e-5f);
        QVERIFY(!back.match("m#1", randomUnit(rng, 512), 0.35f).accepted);  // a stranger is not named
        QVERIFY(back.match("other#key", randomUnit(rng, 512), 0.35f).name.empty());

        Gallery edited = back;
        QVERIFY(edited.remove("Ada"));
        QVERIFY(!edited.remove("Ada"));
        edited.save(file);
        QCOMPARE(Gallery::load(file).names(), std::vector<std::string>{"Grace"});

        // A cut-off file is reported, not half-loaded.
        const std::string bytes = fileBytes(file);
        std::ofstream(file, std::ios::binary | std::ios::trunc)
            .write(bytes.data(), std::streamsize(bytes.size() / 2));
        QVERIFY_THROWS_EXCEPTION(fp::Error, Gallery::load(file));
    }

    void quickPruneHalvesMacs() {
        const graph::Graph original = models::loadModel("mobilefacenet");
        const graph::Graph half = pruneToMacs(original, 0.5);
        const double share = double(half.totalCost(false).macs) / double(original.totalCost(false).macs);
        qInfo("%s: %.1f%% of the MACs, %.1f%% of the parameters", half.name.c_str(), 100 * share,
              100.0 * double(half.totalCost(false).params) / double(original.totalCost(false).params));
        QVERIFY(share <= 0.5);
        QVERIFY(share > 0.4);  // not far past the target
    }

    // LFW people enrolled from 3 photos each, then shown in a video of 7 other photos each.
    void recognisesEnrolledPeopleInVideo() {
        const auto root = assets::faceDataDir();
        if (root.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled faces, e.g. ../shared/data/lfw-ids)");
        data::ScanOptions so;
        so.minImages = 10;
        const auto folders = data::FaceFolders::scan(root, so);
        constexpr int kPeople = 5, kEnrol = 3, kShown = 7, kHold = 2;
        QVERIFY(folders.identities().size() >= size_t(kPeople));

        auto original = std::make_shared<const graph::Graph>(models::loadModel("mobilefacenet"));
        auto pruned = std::make_shared<const graph::Graph>(pruneGroupShare(*original, 0.3));
        LivePipeline pipeline(original, pruned);
        for (int s : {Original, Pruned})
            qInfo("backend %s: %s", s == Original ? "original" : "pruned",
                  pipeline.backend(Side(s)).report().note.c_str());

        std::vector<std::string> names;
        for (int i = 0; i < kPeople; ++i) {
            const auto& id = folders.identities()[size_t(i)];
            names.push_back(id.name);
            for (int k = 0; k < kEnrol; ++k)
                QVERIFY(pipeline.enrolImage(id.name, image::read(id.images[size_t(k)])));
        }

        // The video: each other photo enlarged into a 640x480 frame at a varying place, held a few frames.
        QTemporaryDir dir;
        const std::filesystem::path video = dir.filePath("people.avi").toStdString();
        std::vector<int> truth;  // identity per frame
        std::vector<cv::Point2f> centre;
        {
            cv::VideoWriter w(video.string(), cv::CAP_OPENCV_MJPEG,
                              cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, cv::Size(640, 480));
            QVERIFY(w.isOpened());
            for (int k = kEnrol; k < kEnrol + kShown; ++k)
                for (int i = 0; i < kPeople; ++i) {
                    cv::Mat photo;
                    cv::resize(image::read(folders.identities()[size_t(i)].images[size_t(k)]), photo,
                               {360, 360});
                    const int x = 20 + (k * 37 + i * 53) % 240, y = (k * 29 + i * 17) % 110;
                    for (int h = 0; h < kHold; ++h) {
                        cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(90, 100, 110));
                        photo.copyTo(frame(cv::Rect(x, y, 360, 360)));
                        w.write(frame);
                        truth.push_back(i);
                        centre.emplace_back(float(x + 180), float(y + 180));
                    }
                }
        }

        VideoFileSource src(video, false);
        int framesWithFace = 0, rightOriginal = 0, rightPruned = 0;
        while (auto f = src.next()) {
            const FrameResult r = pipeline.process(f->image, f->index);
            if (r.faces.empty()) continue;
            ++framesWithFace;
            // The person shown is the face nearest the photo's centre (LFW photos have bystanders).
            const cv::Point2f c = centre[size_t(f->index)];
            const auto& face =
                *std::min_element(r.faces.begin(), r.faces.end(), [&](const auto& a, const auto& b) {
                    const auto da = (a.face.box.tl() + a.face.box.br()) * 0.5f - c;
                    const auto db = (b.face.box.tl() + b.face.box.br()) * 0.5f - c;
                    return da.dot(da) < db.dot(db);
                });
            const std::string& want = names[size_t(truth[size_t(f->index)])];
            rightOriginal += face.match[Original].accepted && face.match[Original].name == want;
            rightPruned += face.match[Pruned].accepted && face.match[Pruned].name == want;
        }
        const auto& st = pipeline.stats();
        const double rateOriginal = double(rightOriginal) / std::max(1, framesWithFace);
        qInfo("%d frames, %d with a face: original named %.1f%% right, pruned (%s) %.1f%%", int(truth.size()),
              framesWithFace, 100 * rateOriginal, pruned->name.c_str(),
              100.0 * rightPruned / std::max(1, framesWithFace));
        qInfo(
            "agreement rate (same decision on every face seen) %.3f over %lld faces; mean cosine original vs "
            "pruned %.3f",
            st.agreementRate(), static_cast<long long>(st.compared), st.meanCosine());
        QVERIFY(framesWithFace >= int(truth.size()) * 9 / 10);
        QVERIFY2(rateOriginal >= 0.8, "the original model must name people it was shown before");
        QVERIFY(st.agreementRate() >= 0.0 && st.agreementRate() <= 1.0);
        QVERIFY(st.meanCosine() >= -1.0 && st.meanCosine() <= 1.0);

        // The gallery survives a restart: saved, loaded into a fresh pipeline, it names the same people.
        const std::filesystem::path file = dir.filePath("gallery.fpg").toStdString();
        pipeline.gallery().save(file);
        LiveOptions torchOnly;
        torchOnly.backend = Backend::LibTorch;  // no export or measuring: this part checks the gallery
        LivePipeline again(original, original, torchOnly);
        again.setGallery(Gallery::load(file));
        QCOMPARE(again.gallery().names(), names);
        const auto photo = image::read(folders.identities()[2].images[9]);
        const auto r = again.process(photo);
        QVERIFY(!r.faces.empty());
        QCOMPARE(r.faces.front().match[Original].name, names[2]);
        // Only the models in use keep embeddings: the pruned model's were dropped, nothing re-embedded
        // for the original (its key did not change).
        for (const auto& p : again.gallery().people()) QCOMPARE(p.embeddings.size(), size_t(1));
    }

    // A consumer slower than the source gets the newest frames, the rest are dropped, and playback takes
    // the video's own duration: the picture does not fall behind.
    void slowConsumerDropsFramesInsteadOfLagging() {
        QTemporaryDir dir;
        const std::filesystem::path file = dir.filePath("grey.avi").toStdString();
        constexpr int kFrames = 45;
        writeGreyVideo(file, kFrames, 30.0);
        VideoFileSource src(file, true);
        LatestFrame mailbox;
        std::atomic<bool> stop{false};
        const auto t0 = std::chrono::steady_clock::now();
        std::thread producer([&] { src.pump(mailbox, stop); });

        std::vector<int64_t> seen;
        while (true) {
            auto f = mailbox.take(std::chrono::milliseconds(500));
            if (!f) break;  // closed and empty
            seen.push_back(f->index);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));  // 3 frame periods of "inference"
        }
        producer.join();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

        int64_t maxJump = 0;
        for (size_t i = 1; i < seen.size(); ++i) {
            QVERIFY(seen[i] > seen[i - 1]);
            maxJump = std::max(maxJump, seen[i] - seen[i - 1]);
        }
        qInfo("delivered %zu of %d frames, dropped %lld, largest index jump %lld, %.2f s for a 1.5 s video",
              seen.size(), kFrames, static_cast<long long>(mailbox.dropped()),
              static_cast<long long>(maxJump), seconds);
        QVERIFY(maxJump >= 2);
        QVERIFY(mailbox.dropped() > 0);
        QCOMPARE(mailbox.delivered() + mailbox.dropped(), int64_t(kFrames));
        QCOMPARE(seen.back(), int64_t(kFrames - 1));  // the last frame is shown, not a stale one
        QCOMPARE(mailbox.closeReason(), std::string("end of video"));
    }

    void videoEndIsReported() {
        QTemporaryDir dir;
        const std::filesystem::path file = dir.filePath("short.avi").toStdString();
        writeGreyVideo(file, 5, 25.0);
        {
            VideoFileSource src(file, false);
            int n = 0;
            while (src.next()) ++n;
            QCOMPARE(n, 5);
            QVERIFY(!src.next());  // stays at the end
        }
        {
            VideoFileSource looping(file, false, true);
            for (int i = 0; i < 12; ++i) {
                auto f = looping.next();
                QVERIFY(f);
                QCOMPARE(f->index, int64_t(i));
            }
        }
        LatestFrame mailbox;
        std::atomic<bool> stop{false};
        VideoFileSource(file, false).pump(mailbox, stop);
        QVERIFY(mailbox.closed());
        QCOMPARE(mailbox.closeReason(), std::string("end of video"));
        QVERIFY(mailbox.take(std::chrono::milliseconds(0)));  // the last frame is still there
        QVERIFY(
            !mailbox.take(std::chrono::milliseconds(1000)));  // then nothing, without waiting the full second

        QVERIFY_THROWS_EXCEPTION(fp::InputError, VideoFileSource(dir.filePath("missing.avi").toStdString()));
    }
};

QTEST_GUILESS_MAIN(TestLivePipeline)
#include "tst_live_pipeline.moc"
