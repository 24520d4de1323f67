#include "jobs/PruneJob.h"

#include <QMutexLocker>
#include <QtConcurrent/QtConcurrentRun>
#include <chrono>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "jobs/EngineSettings.h"
#include "jobs/JobTypes.h"
#include "jobs/SummaryBuilder.h"
#include "models/ModelLoader.h"
#include "prune/PruneSession.h"

namespace fp::jobs {

namespace {

using Clock = std::chrono::steady_clock;

// The engine keeps both cores busy; a worker at a lower priority (inherited by
// the loader and LibTorch threads it starts) lets the GUI thread in at once.
void lowerThreadPriority() {
#ifdef __linux__
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    if (getpriority(PRIO_PROCESS, tid) < 5) setpriority(PRIO_PROCESS, tid, 5);
#endif
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Time left, from the iterations this job has seen complete (or, before the
// first, from the scoring pace and the original's evaluation time).
struct Eta {
    int maxIterations = 0;
    int current = -1;
    Clock::time_point iterationStart = Clock::now();
    double doneSeconds = 0;
    int done = 0;
    double evaluationSeconds = 0;

    void begin(int iteration) {
        if (iteration == current) return;
        current = iteration;
        iterationStart = Clock::now();
    }
    void completed() {
        doneSeconds += secondsSince(iterationStart);
        ++done;
    }
    // The final recovery: its own pace, from the first step this session saw.
    int recoveryFirstStep = -1;
    Clock::time_point recoveryStart{};

    double estimate(const ProgressEvent& e) {
        if (e.phase == Phase::Recovering) {
            if (recoveryFirstStep < 0) {
                recoveryFirstStep = e.step;
                recoveryStart = Clock::now();
            }
            if (e.step <= recoveryFirstStep) return -1;
            return secondsSince(recoveryStart) / (e.step - recoveryFirstStep) * (e.steps - e.step);
        }
        if (e.iteration < 1) return -1;
        const double elapsed = secondsSince(iterationStart);
        const int after = std::max(0, maxIterations - e.iteration);
        double per = -1;
        if (done > 0) per = doneSeconds / done;
        else if (e.phase == Phase::Scoring && e.step > 0)
            per = elapsed / e.step * e.steps + evaluationSeconds;
        if (per < 0) return -1;
        return std::max(0.0, per - elapsed) + after * per;
    }
};

}  // namespace

PruneJob::PruneJob(QObject* parent) : QObject(parent) {
    registerJobTypes();
    connect(&watcher_, &QFutureWatcher<Outcome>::finished, this, &PruneJob::onWorkerDone);
}

PruneJob::~PruneJob() {
    cancel_ = true;
    watcher_.waitForFinished();
}

std::shared_ptr<const graph::Graph> PruneJob::currentModel() const {
    QMutexLocker lock(&mutex_);
    return model_;
}

bool PruneJob::start(const QString& modelSpec, const prune::DataSettings& data, const prune::PruneConfig& config,
                     const QString& runDir) {
    return launch({true, modelSpec, data, config, runDir});
}

bool PruneJob::start(const QString& modelSpec, const PruneSettings& settings) {
    if (isBusy()) return false;
    try {
        const prune::RunRequest r = toRunRequest(settings);
        return start(modelSpec, r.data, r.config, settings.runDir);
    } catch (const std::exception& e) {
        const QString text = QString::fromUtf8(e.what());
        post([this, text] { emit failed(text); });
        return false;
    }
}

bool PruneJob::resume(const QString& runDir) {
    Request r;
    r.runDir = runDir;
    return launch(r);
}

bool PruneJob::resume() { return !runDir_.isEmpty() && resume(runDir_); }

void PruneJob::pause() {
    if (state_ != State::Running) return;
    cancel_ = true;
    setState(State::Pausing);
}

void PruneJob::stop() {
    if (state_ != State::Running && state_ != State::Pausing) {
        if (state_ == State::Paused) setState(State::Idle);
        return;
    }
    cancel_ = true;
    setState(State::Stopping);
}

bool PruneJob::launch(Request request) {
    if (isBusy() || watcher_.isRunning()) return false;
    if (request.runDir.isEmpty()) {
        post([this] { emit failed(tr("Choose a folder for the run's checkpoints and history first.")); });
        return false;
    }
    cancel_ = false;
    runDir_ = request.runDir;
    setState(State::Running);
    watcher_.setFuture(QtConcurrent::run([this, request] { return work(request); }));
    return true;
}

void PruneJob::setState(State s) {
    if (state_ == s) return;
    state_ = s;
    emit stateChanged(s);
}

void PruneJob::post(std::function<void()> fn) {
    QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

void PruneJob::postProgress(int iteration, const QString& phase, int step, int steps, double eta) {
    {
        // Coalesce: however fast the engine reports, at most one event waits in the queue.
        QMutexLocker lock(&mutex_);
        pending_ = {iteration, step, steps, phase, eta};
        if (progressQueued_) return;
        progressQueued_ = true;
    }
    post([this] {
        Pending p;
        {
            QMutexLocker lock(&mutex_);
            p = pending_;
            progressQueued_ = false;
        }
        if (isBusy()) emit progress(p.iteration, p.phase, p.step, p.steps, p.eta);
    });
}

void PruneJob::publishModel(const graph::Graph& g) {
    auto copy = std::make_shared<const graph::Graph>(g);
    QMutexLocker lock(&mutex_);
    model_ = std::move(copy);
}

PruneJob::Outcome PruneJob::work(const Request& req) {
    const auto note = [this](const QString& text) { post([this, text] { emit message(text); }); };
    const QString dir = req.runDir;
    lowerThreadPriority();
    try {
        Eta eta;
        prune::SessionEvents events;
        std::unique_ptr<prune::PruneSession> session;
        events.note = [&](const std::string& line) { note(QString::fromStdString(line)); };
        events.dataReady = [&](const prune::DataSettings& settings, const prune::RunData& data) {
            note(tr("%1: %2 training identities (%3 images), %4 held out for verification (%5 pairs)")
                     .arg(QString::fromStdString(settings.trainDir))
                     .arg(data.trainIdentities)
                     .arg(data.trainImages)
                     .arg(data.verifyIdentities)
                     .arg(data.verifyPairs));
            if (!data.skipped.empty())
                note(tr("%1 files skipped, e.g. %2").arg(data.skipped.size()).arg(QString::fromStdString(data.skipped[0])));
        };
        events.evaluated = [&](double seconds) { eta.evaluationSeconds = seconds; };
        events.run.progress = [&](const ProgressEvent& e) {
            eta.begin(e.iteration);
            postProgress(e.iteration, QString::fromLatin1(phaseName(e.phase)), e.step, e.steps, eta.estimate(e));
        };
        const auto snapshot = [&](int iteration) {
            const auto& run = session->pruneRun();
            const auto& h = run.history();
            IterationSummary s;
            s.iteration = iteration;
            s.model = SummaryBuilder::summary(run.model(), h.config.locked, &h,
                                              h.iterations.empty() ? nullptr : &h.iterations.back());
            s.model.source = dir;
            s.history = SummaryBuilder::history(h, dir);
            return s;
        };
        events.run.iterationDone = [&](const prune::IterationRecord& r, const graph::Graph& g) {
            eta.completed();
            publishModel(g);
            IterationSummary s = snapshot(r.iteration);
            post([this, s] { emit iterationFinished(s); });
        };
        session = std::make_unique<prune::PruneSession>(cancel_, events);

        if (req.newRun) {
            note(tr("Loading %1 ...").arg(req.modelSpec));
            graph::Graph model = models::loadModel(req.modelSpec.toStdString());
            eta.maxIterations = req.config.maxIterations;
            note(tr("Evaluating the original model ..."));
            session->start(dir.toStdString(), std::move(model), req.modelSpec.toStdString(), {req.config, req.data});
        } else {
            session->resume(dir.toStdString());
            eta.maxIterations = session->pruneRun().history().config.maxIterations;
        }
        publishModel(session->pruneRun().model());
        {
            IterationSummary s = snapshot(static_cast<int>(session->pruneRun().history().iterations.size()));
            post([this, s] { emit runOpened(s); });
        }
        if (session->finished())
            return {Outcome::Finished, QString::fromStdString(session->pruneRun().history().stopReason)};
        if (cancel_.load()) return {Outcome::Cancelled, {}};
        eta.done = 0;
        if (session->run() == prune::PruneSession::Outcome::Stopped) return {Outcome::Cancelled, {}};
        // The final model (after the final recovery) and the history that says how it was chosen.
        publishModel(session->pruneRun().model());
        IterationSummary s = snapshot(prune::PruneRun::kFinalModel);
        post([this, s] { emit finalModelReady(s); });
        return {Outcome::Finished, QString::fromStdString(session->pruneRun().history().stopReason)};
    } catch (const Cancelled&) {
        return {Outcome::Cancelled, {}};
    } catch (const std::exception& e) {
        // c10::Error is a std::exception too: LibTorch failures end here with their message.
        return {Outcome::Failed, QString::fromUtf8(e.what())};
    } catch (...) {
        return {Outcome::Failed, tr("the pruning engine failed with an unknown error")};
    }
}

void PruneJob::onWorkerDone() {
    const Outcome out = watcher_.result();
    switch (out.kind) {
    case Outcome::Finished:
        setState(State::Idle);
        emit finished(out.text);
        break;
    case Outcome::Cancelled:
        if (state_ == State::Pausing) {
            setState(State::Paused);
            emit paused();
        } else {
            setState(State::Idle);
            emit stopped();
        }
        break;
    case Outcome::Failed:
        setState(State::Idle);
        emit failed(out.text);
        break;
    }
}

}  // namespace fp::jobs
