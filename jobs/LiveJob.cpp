#include "jobs/LiveJob.h"

#include <QFileInfo>
#include <QMediaDevices>
#include <QStandardPaths>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "jobs/CameraSource.h"
#include "jobs/LiveStatistics.h"
#include "live/DemoVideo.h"
#include "live/LatestFrame.h"
#include "live/LivePipeline.h"
#include "live/QuickPrune.h"
#include "live/VideoFileSource.h"
#include "models/ModelLoader.h"
#include "util/Errors.h"

namespace fp::jobs {

namespace {


void registerLiveTypes() {
    qRegisterMetaType<LiveSource>();
    qRegisterMetaType<LiveModelInfo>();
    qRegisterMetaType<LiveFace>();
    qRegisterMetaType<LiveFrame>();
    qRegisterMetaType<LivePerson>();
    qRegisterMetaType<QVector<LivePerson>>();
    qRegisterMetaType<QList<LiveSource>>();
}

QImage toQImage(const cv::Mat& bgr) {
    QImage img(bgr.cols, bgr.rows, QImage::Format_RGB888);
    cv::Mat wrap(bgr.rows, bgr.cols, CV_8UC3, img.bits(), static_cast<size_t>(img.bytesPerLine()));
    cv::cvtColor(bgr, wrap, cv::COLOR_BGR2RGB);
    return img;
}

LiveModelInfo modelInfo(const live::InferenceBackend& b, const QString& title) {
    LiveModelInfo m;
    const auto& g = b.graph();
    m.name = title.isEmpty() ? QString::fromStdString(g.name) : title;
    const auto cost = g.totalCost(false);
    m.params = cost.params;
    m.macs = cost.macs;
    // Without an export (LibTorch forced) float32 weights are what a file would hold.
    m.fileBytes = b.report().onnxBytes ? qint64(b.report().onnxBytes) : cost.params * qint64(sizeof(float));
    m.backend = QString::fromUtf8(live::backendName(b.backend()));
    m.backendNote = QString::fromStdString(b.report().note);
    return m;
}

QVector<LivePerson> peopleOf(const live::Gallery& g) {
    QVector<LivePerson> out;
    for (const auto& p : g.people()) {
        LivePerson lp;
        lp.name = QString::fromStdString(p.name);
        lp.samples = int(p.samples.size());
        if (!p.samples.empty()) {
            // The chip centres the face at about half its side: a thumbnail of that middle.
            const cv::Mat& chip = p.samples.front().chip;
            const int side = chip.cols / 2;
            const cv::Mat face = chip(cv::Rect((chip.cols - side) / 2, (chip.rows - side) / 2, side, side));
            lp.thumbnail = toQImage(face).scaled(56, 56, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        }
        out.push_back(lp);
    }
    return out;
}

}  // namespace

// Everything here except the queue, the flags and the mailbox belongs to the worker thread.
struct LiveJob::Worker {
    explicit Worker(LiveJob* j) : job(j) {}

    LiveJob* job;
    live::LatestFrame mailbox;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> commands;
    bool quit = false;
    std::atomic<bool> running{false};
    std::atomic<qint64> generation{0};
    std::atomic<qint64> lastIndex{-1};

    std::thread reader;
    std::atomic<bool> readerStop{false};

    // Worker-thread state.
    std::shared_ptr<const graph::Graph> original, pruned;
    QString originalTitle, prunedTitle;
    bool modelsDirty = true;
    std::unique_ptr<live::LivePipeline> pipeline;
    std::optional<live::Gallery> pendingGallery;  // loaded before the pipeline exists
    std::filesystem::path galleryPath;
    float threshold = 0.35f;
    struct Kept {
        qint64 index;
        cv::Mat image;
        std::vector<faces::Face> faces;
    };
    std::deque<Kept> recent;
    qint64 reportedEnd = -1;
    LiveStatistics statistics;

    // Published frame: only the newest waits for the GUI thread.
    std::mutex outMutex;
    std::optional<std::pair<qint64, LiveFrame>> out;
    bool outQueued = false;

    void command(std::function<void()> fn) {
        {
            std::lock_guard lock(mutex);
            commands.push_back(std::move(fn));
        }
        wake.notify_one();
    }

    void post(std::function<void()> fn) { job->post(std::move(fn)); }
    void fail(const QString& text) {
        post([j = job, text] { emit j->failed(text); });
    }

    void run() {
        for (;;) {
            std::deque<std::function<void()>> todo;
            {
                std::unique_lock lock(mutex);
                if (!running)
                    wake.wait_for(lock, std::chrono::milliseconds(200),
                                  [&] { return quit || running || !commands.empty(); });
                if (quit) return;
                todo.swap(commands);
            }
            for (auto& fn : todo) {
                // Core reports problems as exceptions (c10::Error is a std::exception too): the user sees
                // them, the job goes on.
                try {
                    fn();
                } catch (const std::exception& e) {
                    fail(QString::fromUtf8(e.what()));
                }
            }
            if (!running) continue;
            try {
                step();
            } catch (const std::exception& e) {
                fail(QString::fromUtf8(e.what()));
            }
        }
    }

    void step() {
        ensurePipeline();
        // The generation before the frame: a source switched while this frame was taken or recognised
        // makes it stale, and the GUI drops it (read after, an old video's frame would pass as new).
        const qint64 gen = generation.load();
        auto f = mailbox.take(std::chrono::milliseconds(50));
        if (!f) {
            if (mailbox.closed() && reportedEnd != gen) {
                reportedEnd = gen;
                stopIfStill(gen);
                const QString why = QString::fromStdString(mailbox.closeReason());
                post([j = job, gen, why] {
                    if (gen != j->generation_) return;
                    j->active_ = false;
                    emit j->sourceEnded(why);
                });
            }
            return;
        }
        lastIndex = f->index;
        LiveFrame frame;
        frame.index = f->index;
        if (pipeline) {
            const live::FrameResult r = pipeline->process(f->image, f->index);
            recent.push_back({f->index, f->image, {}});
            for (const auto& fr : r.faces) recent.back().faces.push_back(fr.face);
            while (recent.size() > 8) recent.pop_front();
            for (const auto& fr : r.faces) {
                LiveFace lf;
                lf.box = QRectF(fr.face.box.x, fr.face.box.y, fr.face.box.width, fr.face.box.height);
                for (int s : {0, 1}) {
                    lf.name[s] = QString::fromStdString(fr.match[s].name);
                    lf.similarity[s] = fr.match[s].similarity;
                    lf.accepted[s] = fr.match[s].accepted;
                }
                lf.crossSimilarity = fr.comparable ? fr.crossSimilarity : -2;
                frame.faces.push_back(lf);
            }
            statistics.frameDone(r, pipeline->stats(), pipeline->threshold());
        }
        frame.image = toQImage(f->image);
        statistics.setDropped(mailbox.dropped());
        frame.stats = statistics.current();
        publish(gen, std::move(frame));
    }

    void publish(qint64 gen, LiveFrame frame) {
        bool queue = false;
        {
            std::lock_guard lock(outMutex);
            out = std::make_pair(gen, std::move(frame));
            queue = !outQueued;
            outQueued = true;
        }
        if (queue) post([j = job] { j->publishFrame(); });
    }

    void ensurePipeline() {
        if (!modelsDirty) return;
        modelsDirty = false;
        post([j = job] { emit j->message(tr("Preparing the models (ONNX export, backend measurement)…")); });
        std::shared_ptr<const graph::Graph> a = original, b = pruned;
        if (!a) a = std::make_shared<const graph::Graph>(models::loadModel("mobilefacenet"));
        // Dead filters: MobileFaceNet loses no accuracy down to ~65% of its MACs by L1 alone.
        QString titleB = prunedTitle;
        if (!b) {
            b = std::make_shared<const graph::Graph>(live::pruneToMacs(*a, 0.65));
            titleB = QString::fromStdString(a->name) + tr(": quick L1 copy at 65% MACs (no pruning run)");
        }
        live::LiveOptions o;
        o.threshold = threshold;
        // Built before the old one goes, so that a model that cannot run leaves the gallery where it was.
        auto next = std::make_unique<live::LivePipeline>(a, b, o);
        live::Gallery gallery;
        if (pipeline)
            gallery = pipeline->gallery();
        else if (pendingGallery)
            gallery = std::move(*pendingGallery);
        pendingGallery.reset();
        pipeline = std::move(next);
        if (!gallery.empty()) {
            post([j = job] { emit j->message(tr("Embedding the gallery with the new models…")); });
            pipeline->setGallery(std::move(gallery));
            saveGallery();
        }
        statistics.reset();
        const LiveModelInfo ia = modelInfo(pipeline->backend(live::Original), originalTitle);
        const LiveModelInfo ib = modelInfo(pipeline->backend(live::Pruned), titleB);
        const auto people = peopleOf(pipeline->gallery());
        post([j = job, ia, ib, people] {
            emit j->modelsReady(ia, ib);
            emit j->galleryChanged(people);
            emit j->message(QString());
        });
    }

    // The source has ended: stop taking frames unless a new source started meanwhile.
    void stopIfStill(qint64 gen) {
        std::lock_guard lock(mutex);
        if (generation == gen) running = false;
    }

    // The pipeline, prepared if need be; throws when the models could not be prepared.
    live::LivePipeline& pipe() {
        ensurePipeline();
        if (!pipeline) throw Error("the models could not be prepared (see the message before)");
        return *pipeline;
    }

    void loadGallery(const std::filesystem::path& path) {
        galleryPath = path;
        live::Gallery g;
        std::error_code ec;
        if (!path.empty() && std::filesystem::exists(path, ec)) g = live::Gallery::load(path);
        const auto people = peopleOf(g);
        if (pipeline)
            pipeline->setGallery(std::move(g));
        else
            pendingGallery = std::move(g);
        post([j = job, people] { emit j->galleryChanged(people); });
    }

    void saveGallery() {
        if (galleryPath.empty() || !pipeline) return;
        std::error_code ec;
        std::filesystem::create_directories(galleryPath.parent_path(), ec);
        pipeline->gallery().save(galleryPath);
    }

    void galleryEdited(const QString& name) {
        saveGallery();
        const auto people = peopleOf(pipeline->gallery());
        int samples = 0;
        for (const auto& p : people)
            if (p.name == name) samples = p.samples;
        post([j = job, people, name, samples] {
            emit j->galleryChanged(people);
            if (samples) emit j->enrolled(name, samples);
        });
    }

    void enrolFace(const QString& name, qint64 index, QPointF point) {
        live::LivePipeline& engine = pipe();
        if (recent.empty()) throw Error("no frame to enrol from yet");
        auto kept =
            std::find_if(recent.begin(), recent.end(), [&](const Kept& k) { return k.index == index; });
        if (kept == recent.end()) kept = std::prev(recent.end());
        const cv::Point2f p(float(point.x()), float(point.y()));
        const faces::Face* best = nullptr;
        float bestDist = 0;
        for (const auto& f : kept->faces) {
            const cv::Point2f c(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
            // Inside a box wins; otherwise the nearest face within about one face size of the click.
            const float d = f.box.contains(p) ? 0.f : float(cv::norm(c - p)) / std::max(1.f, f.box.width);
            if (d <= 1.f && (!best || d < bestDist)) {
                best = &f;
                bestDist = d;
            }
        }
        if (!best) throw InputError("there is no face where you clicked; click inside a face's box");
        engine.enrolFace(name.toStdString(), kept->image, *best);
        galleryEdited(name);
    }
};

LiveJob::LiveJob(QObject* parent) : QObject(parent), worker_(std::make_unique<Worker>(this)) {
    registerLiveTypes();
    galleryPath_ = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                   QStringLiteral("/live-gallery.fpg");
    const auto path = std::filesystem::path(galleryPath_.toStdString());
    worker_->command([w = worker_.get(), path] { w->loadGallery(path); });
    worker_->thread = std::thread([w = worker_.get()] { w->run(); });

    // Cameras come and go: the menu follows, and unplugging the one in use ends the source.
    devices_ = new QMediaDevices(this);
    connect(devices_, &QMediaDevices::videoInputsChanged, this, [this] {
        const auto list = cameras();
        emit camerasChanged(list);
        if (active_ && source_.kind == LiveSource::Camera &&
            std::none_of(list.begin(), list.end(), [&](const LiveSource& s) { return s.id == source_.id; })) {
            stopSource();
            active_ = false;
            emit sourceEnded(tr("The camera \"%1\" was unplugged.").arg(source_.label));
        }
    });
}

LiveJob::~LiveJob() {
    stopSource();
    {
        std::lock_guard lock(worker_->mutex);
        worker_->quit = true;
    }
    worker_->wake.notify_all();
    worker_->mailbox.close("shutting down");
    if (worker_->thread.joinable()) worker_->thread.join();
}

QList<LiveSource> LiveJob::cameras() { return CameraSource::available(); }

LiveSource LiveJob::demoSource() {
    LiveSource s;
    s.kind = LiveSource::Demo;
    s.label = tr("Demo video (face-api sample photos)");
    return s;
}

LiveSource LiveJob::fileSource(const QString& path) {
    LiveSource s;
    s.kind = LiveSource::File;
    s.id = path;
    s.label = QFileInfo(path).fileName();
    return s;
}

void LiveJob::post(std::function<void()> fn) {
    QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

void LiveJob::setModels(std::shared_ptr<const graph::Graph> original, std::shared_ptr<const graph::Graph> pruned,
                        const QString& originalTitle, const QString& prunedTitle) {
    modelNames_ = {originalTitle, prunedTitle};
    prunedModel_ = pruned;
    worker_->command([w = worker_.get(), original, pruned, originalTitle, prunedTitle] {
        w->original = original;
        w->pruned = pruned;
        w->originalTitle = originalTitle;
        w->prunedTitle = prunedTitle;
        w->modelsDirty = true;
        // Built right away when frames are flowing, else with the next start (or enrolment).
        if (w->running) w->ensurePipeline();
    });
}

void LiveJob::setGalleryPath(const QString& path) {
    galleryPath_ = path;
    worker_->command(
        [w = worker_.get(), p = std::filesystem::path(path.toStdString())] { w->loadGallery(p); });
}

void LiveJob::start(const LiveSource& source) {
    stopSource();
    source_ = source;
    paused_ = false;
    active_ = true;
    if (source.kind == LiveSource::Camera) {
        camera_ = CameraSource::open(source, worker_->mailbox);
        if (!camera_) {
            active_ = false;
            emit sourceEnded(tr("The camera \"%1\" is not connected.").arg(source.label));
            return;
        }
        // Queued: stopSource() deletes the camera, which must not happen inside its own signal.
        connect(
            camera_.get(), &CameraSource::failed, this,
            [this](const QString& text) {
                if (!active_ || source_.kind != LiveSource::Camera) return;
                stopSource();
                active_ = false;
                emit sourceEnded(tr("The camera stopped: %1").arg(text));
            },
            Qt::QueuedConnection);
    } else {
        startReader(source, 0);
    }
    setRunning(true);
    emit sourceStarted(source);
}

void LiveJob::startReader(const LiveSource& source, qint64 fromFrame) {
    Worker* w = worker_.get();
    w->readerStop = false;
    w->reader = std::thread([this, w, source, fromFrame] {
        try {
            std::filesystem::path path;
            if (source.kind == LiveSource::Demo) {
                const auto dir = live::DemoVideo::defaultDir();
                if (!std::filesystem::exists(dir / live::DemoVideo::fileName({})))
                    post([this] { emit message(tr("Building the demo video from the sample photos…")); });
                path = live::DemoVideo::ensure(dir);
            } else {
                path = source.id.toStdString();
            }
            live::VideoFileSource src(path, true, source.kind == LiveSource::Demo);
            if (fromFrame > 0) src.seek(fromFrame);
            src.pump(w->mailbox, w->readerStop);
        } catch (const std::exception& e) {
            w->mailbox.close(e.what());
        }
    });
}

void LiveJob::stopSource() {
    ++generation_;
    setRunning(false);
    camera_.reset();
    if (worker_->reader.joinable()) {
        worker_->readerStop = true;
        worker_->reader.join();
    }
    worker_->mailbox.reset();
}

void LiveJob::stop() {
    stopSource();
    active_ = false;
    paused_ = false;
}

void LiveJob::pause() {
    if (!active_ || paused_) return;
    stopSource();
    paused_ = true;
}

void LiveJob::resume() {
    if (!paused_) return;
    paused_ = false;
    if (source_.kind == LiveSource::Camera) {
        start(source_);
        return;
    }
    // Files go on where they were.
    const qint64 from = worker_->lastIndex + 1;
    startReader(source_, from);
    setRunning(true);
}

void LiveJob::setRunning(bool on) {
    {
        std::lock_guard lock(worker_->mutex);
        worker_->generation = generation_;
        worker_->running = on;
    }
    worker_->wake.notify_one();
}

void LiveJob::publishFrame() {
    std::optional<std::pair<qint64, LiveFrame>> out;
    {
        std::lock_guard lock(worker_->outMutex);
        out.swap(worker_->out);
        worker_->outQueued = false;
    }
    if (out && out->first == generation_) emit frameReady(out->second);
}

void LiveJob::setThreshold(double threshold) {
    worker_->command([w = worker_.get(), t = float(threshold)] {
        w->threshold = t;
        if (w->pipeline) w->pipeline->setThreshold(t);
    });
}

void LiveJob::enrolFace(const QString& name, qint64 frameIndex, QPointF point) {
    worker_->command([w = worker_.get(), name, frameIndex, point] { w->enrolFace(name, frameIndex, point); });
}

void LiveJob::enrolFolder(const QString& name, const QString& folder) {
    worker_->command([w = worker_.get(), name, folder] {
        w->pipe().enrolFolder(name.toStdString(), folder.toStdString());
        w->galleryEdited(name);
    });
}

void LiveJob::removePerson(const QString& name) {
    worker_->command([w = worker_.get(), name] {
        QVector<LivePerson> people;
        if (w->pipeline) {
            w->pipeline->removePerson(name.toStdString());
            w->saveGallery();
            people = peopleOf(w->pipeline->gallery());
        } else if (w->pendingGallery) {
            w->pendingGallery->remove(name.toStdString());
            if (!w->galleryPath.empty()) w->pendingGallery->save(w->galleryPath);
            people = peopleOf(*w->pendingGallery);
        }
        w->post([j = w->job, people] { emit j->galleryChanged(people); });
    });
}

void LiveJob::resetStats() {
    worker_->command([w = worker_.get()] {
        if (w->pipeline) w->pipeline->resetStats();
        w->statistics.reset();
    });
}

}  // namespace fp::jobs
