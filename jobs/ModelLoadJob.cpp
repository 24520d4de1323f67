#include "jobs/ModelLoadJob.h"

#include <QDir>
#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

#include "jobs/EngineSettings.h"
#include "jobs/JobTypes.h"
#include "jobs/LatencyMeter.h"
#include "jobs/SummaryBuilder.h"
#include "models/ModelLoader.h"
#include "prune/PruneRun.h"

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
        g = std::make_shared<const graph::Graph>(run.model());
        out.isRun = true;
        out.runFinished = run.finished();
        out.summary = SummaryBuilder::summary(*g, h.config.locked, &h, h.iterations.empty() ? nullptr : &h.iterations.back());
        out.history = SummaryBuilder::history(h, dir, LatencyMeter::load(dir));
        out.settings = settingsFromHistory(h, dir);
    } else {
        g = std::make_shared<const graph::Graph>(models::loadModel(path));
        out.summary = SummaryBuilder::summary(*g);
    }
    out.summary.source = spec;
    if (graphOut) *graphOut = std::move(g);
    return out;
}

bool ModelLoadJob::load(const QString& spec) {
    if (isBusy()) return false;
    spec_ = spec;
    watcher_.setFuture(QtConcurrent::run([spec] {
        Outcome o;
        try {
            o.model = loadNow(spec, &o.graph);
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
