// LiveJob on the demo video, as the live tab drives it: models prepared off the GUI thread, frames with
// faces arriving, a face enrolled by a click and then named, the gallery file surviving a new job,
// pause and resume, frames of a fast video skipped rather than queued, and a video that ends being reported while the
// job stays usable.
#include <QtTest>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "RequireData.h"
#include "jobs/LiveJob.h"
#include "live/DemoVideo.h"
#include "live/Gallery.h"
#include "live/VideoFileSource.h"
#include "util/Assets.h"

using namespace fp::jobs;

namespace {

// Waits until `pred` holds for the first argument of some emission the spy has seen, up to `ms`.
template <class T, class Pred>
bool waitFor(QSignalSpy& spy, Pred pred, int ms) {
    QDeadlineTimer deadline(ms);
    int seen = 0;
    while (true) {
        for (; seen < spy.count(); ++seen)
            if (pred(spy.at(seen).at(0).value<T>())) return true;
        if (deadline.hasExpired()) return false;
        spy.wait(200);
    }
}

template <class Pred>
bool waitForFrame(QSignalSpy& spy, Pred pred, int ms) {
    return waitFor<LiveFrame>(spy, pred, ms);
}

bool onlyAlice(const QVector<LivePerson>& people) {
    return people.size() == 1 && people.front().name == QLatin1String("Alice");
}

bool hasFaces(const LiveFrame& f) { return !f.faces.isEmpty(); }

}  // namespace

class TestLiveJob : public QObject {
    Q_OBJECT
    // The shared job playing the demo video, whichever test runs first (or alone): the tests do not
    // depend on each other's order.
    bool ensureRunning() {
        if (job_->isRunning()) return true;
        QSignalSpy frames(job_, &LiveJob::frameReady);
        job_->start(LiveJob::demoSource());
        return waitForFrame(frames, hasFaces, 120000);
    }

private slots:
    void initTestCase() {
        job_ = new LiveJob(this);
        job_->setGalleryPath(dir_.filePath(QStringLiteral("gallery.fpg")));
    }

    void demoVideoIsRecognisedAndEnrolmentNamesAFace() {
        QSignalSpy models(job_, &LiveJob::modelsReady), frames(job_, &LiveJob::frameReady),
            gallery(job_, &LiveJob::galleryChanged), failed(job_, &LiveJob::failed),
            started(job_, &LiveJob::sourceStarted);
        job_->start(LiveJob::demoSource());
        QCOMPARE(started.count(), 1);
        QVERIFY(models.wait(60000));
        const auto original = models.at(0).at(0).value<LiveModelInfo>();
        const auto pruned = models.at(0).at(1).value<LiveModelInfo>();
        qInfo("original %s: %lld params, %lld MACs, %.2f MB, %s", qPrintable(original.name), original.params,
              original.macs, original.fileBytes / 1e6, qPrintable(original.backendNote));
        qInfo("pruned %s: %lld params, %lld MACs, %.2f MB, %s", qPrintable(pruned.name), pruned.params,
              pruned.macs, pruned.fileBytes / 1e6, qPrintable(pruned.backendNote));
        QVERIFY(pruned.macs < original.macs);
        QVERIFY(original.fileBytes > 0 && !original.backend.isEmpty());

        // A few frames in, so that the frame rate has been measured.
        const auto settled = [](const LiveFrame& f) { return hasFaces(f) && f.stats.frames >= 3; };
        QVERIFY(waitForFrame(frames, settled, 20000));
        LiveFrame withFaces;
        for (const auto& args : frames)
            if (settled(args.at(0).value<LiveFrame>())) withFaces = args.at(0).value<LiveFrame>();
        QCOMPARE(withFaces.image.size(), QSize(640, 480));
        QVERIFY(withFaces.stats.fps > 0);

        // Click the first face of that frame and call it Alice.
        const QPointF click = withFaces.faces.front().box.center();
        job_->enrolFace(QStringLiteral("Alice"), withFaces.index, click);
        QVERIFY(waitFor<QVector<LivePerson>>(gallery, onlyAlice, 20000));
        QVERIFY(!gallery.last().at(0).value<QVector<LivePerson>>().front().thumbnail.isNull());
        QVERIFY(QFileInfo::exists(dir_.filePath(QStringLiteral("gallery.fpg"))));

        // The demo video shows her again (same shot, moving camera; the video loops): both panes name her.
        frames.clear();
        const bool named = waitForFrame(
            frames,
            [](const LiveFrame& f) {
                for (const auto& face : f.faces)
                    if (face.accepted[0] && face.name[0] == QLatin1String("Alice")) return true;
                return false;
            },
            30000);
        QVERIFY2(named, "a face enrolled from the demo video must be named when it comes round again");

        // Figures after a few more frames.
        frames.clear();
        QVERIFY(waitForFrame(frames, [&](const LiveFrame&) { return frames.count() >= 5; }, 30000));
        const LiveFrame last = frames.last().at(0).value<LiveFrame>();
        qInfo("after %lld frames: agreement %.3f over %lld faces, mean similarity %.3f, %.1f fps, %lld dropped",
              last.stats.frames, last.stats.agreementRate, last.stats.compared, last.stats.meanSimilarity,
              last.stats.fps, last.stats.dropped);
        QVERIFY(last.stats.compared > 0);
        QVERIFY(last.stats.agreementRate >= 0 && last.stats.agreementRate <= 1);
        QCOMPARE(failed.count(), 0);
    }

    void clickOutsideAnyFaceIsReported() {
        QVERIFY(ensureRunning());
        QSignalSpy failed(job_, &LiveJob::failed);
        job_->enrolFace(QStringLiteral("Nobody"), -1, QPointF(1, 1));
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.last().at(0).toString().contains(QStringLiteral("no face")));
    }

    void pauseStopsFramesAndResumeGoesOn() {
        QVERIFY(ensureRunning());
        QSignalSpy frames(job_, &LiveJob::frameReady);
        QVERIFY(frames.wait(10000));
        job_->pause();
        frames.clear();
        // Frames of the paused source still in flight are dropped on arrival (their generation is
        // over), so none may come at all; "none" has no event to wait for, hence a fixed window.
        QTest::qWait(1000);
        QCOMPARE(frames.count(), 0);
        job_->resume();
        QVERIFY(frames.wait(10000));
    }

    // A gallery written by one session (here: straight through the file format) is what the next
    // job shows, and a removal there reaches the file.
    void galleryIsThereForTheNextSession() {
        const QString path = dir_.filePath(QStringLiteral("next-session.fpg"));
        {
            fp::live::Gallery g;
            fp::live::GallerySample sample;
            sample.chip = cv::Mat(96, 96, CV_8UC3, cv::Scalar(90, 120, 160));
            sample.face.box = cv::Rect2f(20, 20, 56, 60);
            g.add("Alice", sample, {{"some-model#1", std::vector<float>(128, 0.088f)}});
            g.save(path.toStdString());
        }
        LiveJob next;
        QSignalSpy gallery(&next, &LiveJob::galleryChanged);
        next.setGalleryPath(path);
        QVERIFY(waitFor<QVector<LivePerson>>(gallery, onlyAlice, 10000));

        gallery.clear();  // an earlier, empty emission must not pass for the removal's
        next.removePerson(QStringLiteral("Alice"));
        QVERIFY(waitFor<QVector<LivePerson>>(gallery, [](const auto& people) { return people.isEmpty(); }, 10000));
        QVERIFY(fp::live::Gallery::load(path.toStdString()).empty());
    }

    // A person enrolled from a folder of their photos joins the gallery with one sample per face found;
    // a folder without faces is reported and leaves the gallery as it was.
    void enrolFromAFolderOfPhotos() {
        const auto data = fp::assets::faceDataDir();
        if (data.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set (labelled face folders)");
        const QString person = QDir(QString::fromStdString(data.string()))
                                   .entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)
                                   .first();
        const QString folder = QString::fromStdString((data / person.toStdString()).string());
        QVERIFY(ensureRunning());  // the job's models embed the photos
        const int photos = QDir(folder).entryList(QDir::Files).size();
        QSignalSpy gallery(job_, &LiveJob::galleryChanged), failed(job_, &LiveJob::failed);
        job_->enrolFolder(person, folder);
        QVERIFY(waitFor<QVector<LivePerson>>(
            gallery,
            [&](const auto& people) {
                return std::any_of(people.begin(), people.end(), [&](const LivePerson& p) {
                    return p.name == person && p.samples >= photos / 2 && p.samples <= photos && !p.thumbnail.isNull();
                });
            },
            60000));

        QTemporaryDir empty;
        gallery.clear();
        job_->enrolFolder(QStringLiteral("Nobody"), empty.path());
        QVERIFY(failed.wait(30000));
        QVERIFY2(failed.last().at(0).toString().contains(QFileInfo(empty.path()).fileName()),
                 qPrintable(failed.last().at(0).toString()));
        job_->removePerson(person);
        QVERIFY(waitFor<QVector<LivePerson>>(
            gallery,
            [&](const auto& people) {
                return std::none_of(people.begin(), people.end(), [&](const LivePerson& p) { return p.name == person; });
            },
            10000));
    }

    // A 60 fps video of group photos is faster than recognition: frames are skipped (the indices jump),
    // none is queued, and the last frame shown is the end of the video.
    void fasterSourceIsSkippedNotQueued() {
        const QString path = dir_.filePath(QStringLiteral("fast.avi"));
        {
            fp::live::VideoFileSource demo(fp::live::DemoVideo::ensure(), false);
            cv::VideoWriter w(path.toStdString(), cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
                              60, cv::Size(640, 480));
            QVERIFY(w.isOpened());
            for (int i = 0; i < 90; ++i) w.write(demo.next()->image);
        }
        QSignalSpy ended(job_, &LiveJob::sourceEnded), frames(job_, &LiveJob::frameReady);
        QElapsedTimer clock;
        clock.start();
        job_->start(LiveJob::fileSource(path));
        QVERIFY(ended.wait(30000));
        const double seconds = clock.elapsed() / 1000.0;
        QVERIFY(frames.count() >= 2);
        qint64 maxJump = 0;
        for (int i = 1; i < frames.count(); ++i) {
            const qint64 jump =
                frames.at(i).at(0).value<LiveFrame>().index - frames.at(i - 1).at(0).value<LiveFrame>().index;
            QVERIFY(jump > 0);
            maxJump = std::max(maxJump, jump);
        }
        const LiveFrame last = frames.last().at(0).value<LiveFrame>();
        qInfo("60 fps file: %lld frames shown of 90, largest index jump %lld, last index %lld, %lld dropped, "
              "ended after %.2f s (video 1.5 s)",
              static_cast<long long>(frames.count()), maxJump, last.index, last.stats.dropped, seconds);
        QVERIFY(maxJump >= 2);
        QVERIFY(last.stats.dropped > 0);
        QVERIFY(last.index >= 80);  // what is shown keeps up with the video: no queue of stale frames
    }

    void endOfFileIsReportedAndTheJobStaysUsable() {
        const QString path = dir_.filePath(QStringLiteral("short.avi"));
        {
            cv::VideoWriter w(path.toStdString(), cv::CAP_OPENCV_MJPEG,
                              cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25, cv::Size(320, 240));
            QVERIFY(w.isOpened());
            for (int i = 0; i < 10; ++i) {
                cv::Mat img(240, 320, CV_8UC3);
                for (int y = 0; y < img.rows; ++y) img.row(y).setTo(cv::Scalar::all((y + 7 * i) % 256));
                w.write(img);
            }
        }
        QSignalSpy ended(job_, &LiveJob::sourceEnded), frames(job_, &LiveJob::frameReady);
        job_->start(LiveJob::fileSource(path));
        QVERIFY(ended.wait(20000));
        QVERIFY(ended.last().at(0).toString().contains(QStringLiteral("end of video")));
        QVERIFY(frames.count() > 0);
        QVERIFY(!job_->isRunning());

        // A file that cannot be played is reported the same way.
        ended.clear();
        job_->start(LiveJob::fileSource(dir_.filePath(QStringLiteral("missing.avi"))));
        QVERIFY(ended.wait(10000));
        QVERIFY(ended.last().at(0).toString().contains(QStringLiteral("missing.avi")));

        // And the job goes on with another source.
        frames.clear();
        job_->start(LiveJob::demoSource());
        QVERIFY(frames.wait(20000));
        job_->stop();
    }

private:
    QTemporaryDir dir_;
    LiveJob* job_ = nullptr;
};

QTEST_MAIN(TestLiveJob)
#include "tst_live_job.moc"
