#include "jobs/ModelLoadJob.h"

#include <QDir>
#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

#include "jobs/EngineSettings.h"
#include "jobs/JobTypes.h"
#include "jobs/SummaryBuilder.h"
#include "models/ModelLoader.h"
#include "io/NativeFormat.h"
#include "prune/History.h"
#include "prune/PruneRun.h"
#include "util/Errors.h"

namespace fp::jobs {

ModelLoadJob::ModelLoadJob(QObject* parent) : QObject(parent) {
    registerJobTypes();
    connect(&watcher_, &QFutureWatcher<Outcome>::finished, this, &ModelLoadJob::onDone);
}

ModelLoadJob::~ModelLoadJob() { watcher_.waitForFinished(); }

LoadedModel ModelLoadJob::loadNow(const QString& spec, std::shared_ptr<const graph::Graph>* graphOut) {
    LoadedModel out;
    out.spec = spec;
    const std::string path = spec.toStdString();
    std::shared_ptr<const graph::Graph> g;
    if (prune::PruneRun::isRunDir(path)) {
        // A session: the last completed iteration, the history behind it and the settings it ran with.
        const auto run = prune::PruneRun::open(path);
        const auto& h = run.history();
        const QString dir = QFileInfo(spec).absoluteFilePath();
        // A finished run's result is its final model (after the final recovery), not the last cut.
        const auto final = prune::PruneRun::modelFile(path, prune::PruneRun::kFinalModel);
        g = std::make_shared<const graph::Graph>(run.finished() && std::filesystem::is_regular_file(final)
                                                     ? io::loadNative(final)
                                                     : run.model());
        out.isRun = true;
        out.runFinished = run.finished();
        out.summary = SummaryBuilder::summary(*g, h.config.locked, &h, h.iterations.empty() ? nullptr : &h.iterations.back());
        out.history = SummaryBuilder::history(h, dir);
        out.settings = settingsFromHistory(h, dir);
    } else {
        g = std::make_shared<const graph::Graph>(models::loadModel(path));
        out.summary = SummaryBuilder::summary(*g);
    }
    out.summary.source = spec;
    if (graphOut) *graphOut = std::move(g);
    return out;
}

LoadedModel ModelLoadJob::loadCheckpointNow(const QString& runDir, int iteration,
                                            std::shared_ptr<const graph::Graph>* graphOut) {
    const QString path = QString::fromStdString(prune::PruneRun::modelFile(runDir.toStdString(), iteration).string());
    const auto h = prune::loadHistory((QDir(runDir).filePath(QStringLiteral("run.json"))).toStdString());
    if (iteration > static_cast<int>(h.iterations.size()))
        throw Error(runDir.toStdString() + ": the run has " + std::to_string(h.iterations.size()) +
                    " iterations, not " + std::to_string(iteration));
    auto g = std::make_shared<const graph::Graph>(io::loadNative(path.toStdString()));
    const prune::IterationRecord* record = nullptr;
    if (iteration > 0) record = &h.iterations[static_cast<size_t>(iteration - 1)];
    if (iteration == prune::PruneRun::kFinalModel && !h.iterations.empty()) record = &h.iterations.back();
    LoadedModel out;
    out.spec = path;
    out.checkpoint = iteration;
    out.summary = SummaryBuilder::summary(*g, h.config.locked, &h, record);
    out.summary.source = path;
    if (graphOut) *graphOut = std::move(g);
    return out;
}

bool ModelLoadJob::load(const QString& spec) {
    return start(spec, [spec](std::shared_ptr<const graph::Graph>* g) { return loadNow(spec, g); });
}

bool ModelLoadJob::loadCheckpoint(const QString& runDir, int iteration) {
    const QString path = QString::fromStdString(prune::PruneRun::modelFile(runDir.toStdString(), iteration).string());
    return start(path, [runDir, iteration](std::shared_ptr<const graph::Graph>* g) {
        return loadCheckpointNow(runDir, iteration, g);
    });
}

bool ModelLoadJob::start(const QString& spec, std::function<LoadedModel(std::shared_ptr<const graph::Graph>*)> work) {
    if (isBusy()) return false;
    spec_ = spec;
    watcher_.setFuture(QtConcurrent::run([work = std::move(work)] {
        Outcome o;
        try {
            o.model = work(&o.graph);
        } catch (const std::exception& e) {
            o.error = QString::fromUtf8(e.what());
        }
        return o;
    }));
    return true;
}

void ModelLoadJob::onDone() {
    Outcome o = watcher_.result();
    if (!o.error.isEmpty() || !o.graph) {
        QString message = o.error.isEmpty() ? tr("nothing was loaded") : o.error;
        // Core's messages name the file; make sure a message box always does.
        if (!message.contains(spec_)) message = spec_ + QStringLiteral(": ") + message;
        emit failed(spec_, message);
        return;
    }
    model_ = o.graph;
    emit loaded(o.model);
}

}  // namespace fp::jobs
