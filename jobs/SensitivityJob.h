#pragma once
// Measures per-layer sensitivity (prune/Sensitivity.h) in the background on the panel's data, with
// progress, time left and cancel, and saves it beside the model (a run folder's sensitivity.json).
#include <QFutureWatcher>
#include <QObject>
#include <atomic>
#include <memory>

#include "graph/Graph.h"
#include "jobs/PruneSettings.h"
#include "jobs/SensitivityTable.h"

namespace fp::jobs {

class SensitivityJob : public QObject {
    Q_OBJECT
public:
    explicit SensitivityJob(QObject* parent = nullptr);
    ~SensitivityJob() override;

    // Data (training folder, held-out share, pairs) and locks come from settings. False while busy.
    bool start(std::shared_ptr<const graph::Graph> model, const PruneSettings& settings, const QString& savePath);
    void cancel();
    bool isBusy() const { return watcher_.isRunning(); }
    // A saved measurement. Throws fp::Error naming the file.
    static SensitivityTable load(const QString& path);

signals:
    void progress(int done, int total, double secondsLeft);
    void finished(const fp::jobs::SensitivityTable& table);
    void cancelled();
    void failed(const QString& message);

private:
    struct Outcome {
        SensitivityTable table;
        bool cancelled = false;
        QString error;
    };
    QFutureWatcher<Outcome> watcher_;
    std::atomic<bool> cancel_{false};
};

}  // namespace fp::jobs
