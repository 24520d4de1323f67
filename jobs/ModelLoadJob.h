#pragma once
// Opens a model in the background: a zoo name, a file (ONNX, .fpm, face-api
// manifest) or a pruning run folder (the session: model, history, settings).
// Reports a summary, or an error message that names the file and the problem.
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "graph/Graph.h"
#include "jobs/LoadedModel.h"

namespace fp::jobs {

class ModelLoadJob : public QObject {
    Q_OBJECT
public:
    explicit ModelLoadJob(QObject* parent = nullptr);
    ~ModelLoadJob() override;

    // False while a load is going on.
    bool load(const QString& spec);
    // One model of a run folder: iteration 0 = original.fpm, -1 = final.fpm, k = checkpoints/iter-k.
    // Its summary measures the widths against the run's original. False while a load is going on.
    bool loadCheckpoint(const QString& runDir, int iteration);
    bool isBusy() const { return watcher_.isRunning(); }
    // The last model loaded successfully (for export and saving).
    std::shared_ptr<const graph::Graph> model() const { return model_; }

    // The same on the calling thread (for the command line and tests). Throws fp::Error.
    static LoadedModel loadNow(const QString& spec, std::shared_ptr<const graph::Graph>* graph = nullptr);
    static LoadedModel loadCheckpointNow(const QString& runDir, int iteration,
                                         std::shared_ptr<const graph::Graph>* graph = nullptr);

signals:
    void loaded(const fp::jobs::LoadedModel& model);
    void failed(const QString& spec, const QString& message);

private:
    struct Outcome {
        LoadedModel model;
        std::shared_ptr<const graph::Graph> graph;
        QString error;
    };
    bool start(const QString& spec, std::function<LoadedModel(std::shared_ptr<const graph::Graph>*)> work);
    void onDone();

    QString spec_;
    std::shared_ptr<const graph::Graph> model_;
    QFutureWatcher<Outcome> watcher_;
};

}  // namespace fp::jobs
