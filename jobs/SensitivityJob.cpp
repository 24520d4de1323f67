#include "jobs/SensitivityJob.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>
#include <chrono>

#include "jobs/EngineSettings.h"
#include "jobs/JobTypes.h"
#include "prune/Sensitivity.h"

namespace fp::jobs {

namespace {

SensitivityTable toTable(const prune::SensitivityResult& r, const QString& file) {
    SensitivityTable t;
    t.file = file;
    for (double s : r.shares) t.shares << s;
    t.baselineAccuracy = r.baseline.count("accuracy") ? r.baseline.at("accuracy") : 0.0;
    for (size_t b = 0; b < r.blocks.size(); ++b) {
        SensitivityTable::Block block;
        block.layer = QString::fromStdString(r.blocks[b].layer);
        for (const auto& m : r.blocks[b].members) block.members << QString::fromStdString(m);
        block.width = static_cast<int>(r.blocks[b].width);
        for (size_t s = 0; s < r.shares.size(); ++s) {
            block.accuracyLoss << r.loss(b, s, "accuracy");
            block.tarLoss << r.loss(b, s, "tar_far1e-3");
        }
        t.blocks << block;
    }
    for (const auto& l : prune::proposeLimits(r, SensitivityTable::kTolerance))
        t.proposed << SensitivityTable::Limit{QString::fromStdString(l.layer), l.lock, static_cast<int>(l.minWidth)};
    return t;
}

}  // namespace

SensitivityJob::SensitivityJob(QObject* parent) : QObject(parent) {
    registerJobTypes();
    connect(&watcher_, &QFutureWatcher<Outcome>::finished, this, [this] {
        const Outcome o = watcher_.result();
        if (!o.error.isEmpty()) emit failed(o.error);
        else if (o.cancelled) emit cancelled();
        else emit finished(o.table);
    });
}

SensitivityJob::~SensitivityJob() {
    cancel_ = true;
    watcher_.waitForFinished();
}

void SensitivityJob::cancel() { cancel_ = true; }

SensitivityTable SensitivityJob::load(const QString& path) {
    return toTable(prune::loadSensitivity(path.toStdString()), path);
}

bool SensitivityJob::start(std::shared_ptr<const graph::Graph> model, const PruneSettings& settings,
                           const QString& savePath) {
    if (isBusy() || !model) return false;
    cancel_ = false;
    QPointer<SensitivityJob> self(this);
    watcher_.setFuture(QtConcurrent::run([this, self, model, settings, savePath] {
        Outcome o;
        try {
            const auto data = prune::prepareRunData(toRunRequest(settings).data, model->preprocess);
            prune::SensitivityOptions options;
            for (const auto& l : settings.list(QStringLiteral("lock"))) options.locked.insert(l.toStdString());
            const auto started = std::chrono::steady_clock::now();
            const auto report = [&](const ProgressEvent& e) {
                const int done = e.step, total = e.steps;
                const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                const double left = done > 1 ? spent / (done - 1) * (total - done) : -1.0;
                QMetaObject::invokeMethod(
                    this, [self, done, total, left] { if (self) emit self->progress(done, total, left); },
                    Qt::QueuedConnection);
            };
            const auto r = prune::measureSensitivity(*model, data.evaluate, options, &cancel_, report);
            if (cancel_.load()) {
                o.cancelled = true;
                return o;
            }
            prune::saveSensitivity(r, savePath.toStdString());
            o.table = toTable(r, savePath);
        } catch (const std::exception& e) {
            o.error = QString::fromUtf8(e.what());
        }
        return o;
    }));
    return true;
}

}  // namespace fp::jobs
